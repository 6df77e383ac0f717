//! What is wrong with one parameter of a request: the contract's `form_param_*` rows.

/// Which `form_param_*` error a parameter gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamErrorKind {
    /// `form_param_missing`
    Missing,
    /// `form_param_value_invalid`: wrong JSON type or out-of-range value.
    ValueInvalid,
    /// `form_param_unknown`
    Unknown,
}

/// One parameter's problem, named by its dotted path (`actor.sub`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    /// Which kind of error.
    pub kind: ParamErrorKind,
    /// The parameter's name, as `meta.param_name`.
    pub param: String,
    /// A sentence for people, as `long_message`.
    pub long_message: String,
}

impl ParamError {
    /// `param` is required but absent (or null).
    pub fn missing(param: &str) -> Self {
        Self {
            kind: ParamErrorKind::Missing,
            param: param.to_owned(),
            long_message: format!("{param} must be included."),
        }
    }

    /// `param` has a value of the wrong type or out of range; `why` completes the sentence.
    pub fn invalid(param: &str, why: impl AsRef<str>) -> Self {
        Self {
            kind: ParamErrorKind::ValueInvalid,
            param: param.to_owned(),
            long_message: format!("{param} is invalid: {}", why.as_ref()),
        }
    }

    /// `param` is not a parameter of this operation.
    pub fn unknown(param: &str) -> Self {
        Self {
            kind: ParamErrorKind::Unknown,
            param: param.to_owned(),
            long_message: format!("{param} is not a valid parameter for this request."),
        }
    }
}

/// Describes a JSON value's type for error messages ("a string", "an object").
pub fn json_type_name(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Bodies must be JSON objects; anything else is reported as this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAnObject;
