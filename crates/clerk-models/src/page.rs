//! A page of a list, as Clerk's paginated lists return it.

use serde::{Deserialize, Serialize};

/// `{ "data": [...], "total_count": N }`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page.
    pub data: Vec<T>,
    /// How many items match, over all pages.
    pub total_count: u64,
}

impl<T> Page<T> {
    /// A page.
    pub fn new(data: Vec<T>, total_count: u64) -> Self {
        Self { data, total_count }
    }
}
