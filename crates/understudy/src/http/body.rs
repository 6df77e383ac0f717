//! The JSON body extractor: content type, size limit and parsing, each a contract error.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use serde_json::Value;

use super::error::ApiError;
use super::state::AppState;

/// A request body parsed as JSON. An empty body without a content type reads as `{}`.
#[derive(Debug, Clone)]
pub struct JsonBody(pub Value);

/// Whether a `Content-Type` names JSON (`application/json`, `…+json`, any parameters).
pub fn is_json_content_type(value: &str) -> bool {
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl FromRequest<AppState> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let content_type = match req.headers().get(CONTENT_TYPE) {
            None => None,
            Some(v) => Some(v.to_str().map(str::to_owned).map_err(|_| {
                ApiError::UnsupportedContentType {
                    actual: "(not text)".into(),
                }
            })?),
        };
        if let Some(ct) = &content_type
            && !is_json_content_type(ct)
        {
            return Err(ApiError::UnsupportedContentType { actual: ct.clone() });
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::BodyTooLarge {
                    limit: state.max_body_bytes,
                }
            } else {
                ApiError::BodyInvalid("the body could not be read.".into())
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return match content_type {
                None => Ok(Self(Value::Object(Default::default()))),
                Some(_) => Err(ApiError::BodyInvalid("the body is empty.".into())),
            };
        }
        if content_type.is_none() {
            return Err(ApiError::UnsupportedContentType {
                actual: "(none)".into(),
            });
        }
        let value = serde_json::from_slice(&bytes).map_err(|e| {
            let why = if std::str::from_utf8(&bytes).is_err() {
                "the body is not valid UTF-8.".to_owned()
            } else {
                format!("the body is not valid JSON ({e}).")
            };
            ApiError::BodyInvalid(why)
        })?;
        Ok(Self(value))
    }
}

#[cfg(test)]
mod tests {
    use super::is_json_content_type;

    #[test]
    fn json_content_types_are_recognised() {
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/merge-patch+json",
        ] {
            assert!(is_json_content_type(ok), "{ok}");
        }
        for bad in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "",
            "json",
            "text/json+x",
        ] {
            assert!(!is_json_content_type(bad), "{bad}");
        }
    }
}
