//! Clerk API versions, sent as `Clerk-API-Version` or `__clerk_api_version`.

/// The version this SDK speaks (the one the Python SDK `clerk-backend-api` sends).
pub const CURRENT: &str = "2025-11-10";

/// Versions Clerk has published a Backend API for; any other is `api_version_invalid`.
pub const KNOWN: &[&str] = &[
    "2021-02-05",
    "2024-10-01",
    "2025-03-12",
    "2025-04-10",
    "2025-11-10",
    "2025-12-03",
    "2026-05-12",
];

/// The request header that names a version.
pub const HEADER: &str = "Clerk-API-Version";
/// The query parameter that names a version.
pub const QUERY_PARAM: &str = "__clerk_api_version";

/// Whether `version` is one Clerk has published.
pub fn is_known(version: &str) -> bool {
    KNOWN.contains(&version)
}
