//! The error body every non-2xx response carries.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `{ "errors": [...], "meta": {}, "clerk_trace_id": "…" }`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClerkErrors {
    /// At least one error.
    pub errors: Vec<ClerkError>,
    /// Response-wide metadata (usually empty).
    #[serde(default)]
    pub meta: Map<String, Value>,
    /// The server's trace id for this request (also in the `Clerk-Trace-Id` header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clerk_trace_id: Option<String>,
}

impl ClerkErrors {
    /// A body holding one error.
    pub fn single(error: ClerkError) -> Self {
        Self {
            errors: vec![error],
            meta: Map::new(),
            clerk_trace_id: None,
        }
    }

    /// Sets the trace id.
    pub fn with_trace_id(mut self, trace_id: impl Into<String>) -> Self {
        self.clerk_trace_id = Some(trace_id.into());
        self
    }

    /// Whether any error has this `code`.
    pub fn has_code(&self, code: &str) -> bool {
        self.errors.iter().any(|e| e.code == code)
    }

    /// The codes, in order.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.errors.iter().map(|e| e.code.as_str())
    }
}

impl fmt::Display for ClerkErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// One error: a machine-readable `code`, a short `message`, a `long_message` for people,
/// and `meta` such as `param_name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClerkError {
    /// Short, for people.
    pub message: String,
    /// Longer, for people.
    #[serde(default)]
    pub long_message: String,
    /// Machine-readable; see [`crate::codes`].
    pub code: String,
    /// Snake-case keys such as `param_name`, `limit`, `used`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Map<String, Value>>,
}

impl ClerkError {
    /// An error without meta.
    pub fn new(
        code: impl Into<String>,
        message: impl Into<String>,
        long_message: impl Into<String>,
    ) -> Self {
        Self {
            message: message.into(),
            long_message: long_message.into(),
            code: code.into(),
            meta: None,
        }
    }

    /// Adds a `meta` key.
    pub fn with_meta(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.meta
            .get_or_insert_with(Map::new)
            .insert(key.into(), value.into());
        self
    }

    /// `meta.param_name`, when present.
    pub fn param_name(&self) -> Option<&str> {
        self.meta.as_ref()?.get("param_name")?.as_str()
    }
}

impl fmt::Display for ClerkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = if self.long_message.is_empty() {
            &self.message
        } else {
            &self.long_message
        };
        write!(f, "{}: {}", self.code, text)?;
        if let Some(p) = self.param_name() {
            write!(f, " (param {p})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_contract_shape_and_displays_one_line() {
        let e: ClerkErrors = serde_json::from_value(json!({"errors":[{"message":"is missing",
            "long_message":"user_id must be included.","code":"form_param_missing",
            "meta":{"param_name":"user_id"}}],"meta":{},"clerk_trace_id":"t1"}))
        .unwrap();
        assert!(e.has_code("form_param_missing"));
        assert_eq!(e.errors[0].param_name(), Some("user_id"));
        assert_eq!(
            e.to_string(),
            "form_param_missing: user_id must be included. (param user_id)"
        );
        assert_eq!(e.clerk_trace_id.as_deref(), Some("t1"));
    }
}
