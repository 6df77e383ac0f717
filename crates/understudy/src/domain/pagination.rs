//! `limit` and `offset` of list endpoints, as Clerk's lists take them.

use super::params::ParamError;

/// Default page size.
pub const DEFAULT_LIMIT: u32 = 10;
/// Largest page size.
pub const MAX_LIMIT: u32 = 500;

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 1..=500
    pub limit: u32,
    /// >= 0
    pub offset: u64,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

/// Parses `limit` (1..=500, default 10) and `offset` (>= 0, default 0) from raw query values.
pub fn parse_page(limit: Option<&str>, offset: Option<&str>) -> Result<PageRequest, ParamError> {
    let mut page = PageRequest::default();
    if let Some(raw) = limit {
        page.limit = raw
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| {
                ParamError::invalid(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_LIMIT}."),
                )
            })?;
    }
    if let Some(raw) = offset {
        page.offset = raw
            .parse::<u64>()
            .ok()
            .filter(|o| i64::try_from(*o).is_ok())
            .ok_or_else(|| ParamError::invalid("offset", "must be a whole number of 0 or more."))?;
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_bounds_and_bad_values() {
        assert_eq!(parse_page(None, None).unwrap(), PageRequest::default());
        assert_eq!(
            parse_page(Some("500"), Some("3")).unwrap(),
            PageRequest {
                limit: 500,
                offset: 3
            }
        );
        for bad in ["0", "501", "-1", "x", "1.5", ""] {
            assert_eq!(parse_page(Some(bad), None).unwrap_err().param, "limit");
        }
        for bad in ["-1", "x", "99999999999999999999"] {
            assert_eq!(parse_page(None, Some(bad)).unwrap_err().param, "offset");
        }
    }
}
