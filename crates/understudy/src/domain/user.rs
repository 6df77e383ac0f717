//! Users: validating the create body and building the user object.

use clerk_models::{EmailAddress, User};
use serde_json::{Map, Value};

use super::ids;
use super::params::{ParamError, json_type_name};

/// The parameters `POST /v1/users` accepts.
pub const CREATE_PARAMS: &[&str] = &[
    "external_id",
    "first_name",
    "last_name",
    "username",
    "email_address",
    "public_metadata",
    "private_metadata",
];

/// Why a create-user body was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateUserError {
    /// The body is JSON but not an object.
    NotAnObject,
    /// One or more parameters are wrong.
    Params(Vec<ParamError>),
}

/// Validates a create-user body and builds the new user (ids and times assigned).
pub fn validate_create(body: &Value, now_ms: i64) -> Result<User, CreateUserError> {
    let Value::Object(fields) = body else {
        return Err(CreateUserError::NotAnObject);
    };
    let mut errors: Vec<ParamError> = fields
        .keys()
        .filter(|k| !CREATE_PARAMS.contains(&k.as_str()))
        .map(|k| ParamError::unknown(k))
        .collect();
    let mut user = User::new(ids::user_id(), now_ms, now_ms);
    user.external_id = optional_string(fields, "external_id", &mut errors);
    user.first_name = optional_string(fields, "first_name", &mut errors);
    user.last_name = optional_string(fields, "last_name", &mut errors);
    user.username = optional_string(fields, "username", &mut errors);
    user.email_addresses = emails(fields.get("email_address"), &mut errors);
    user.primary_email_address_id = user.email_addresses.first().map(|e| e.id.clone());
    user.public_metadata = metadata(fields, "public_metadata", &mut errors);
    user.private_metadata = metadata(fields, "private_metadata", &mut errors);
    if errors.is_empty() {
        Ok(user)
    } else {
        Err(CreateUserError::Params(errors))
    }
}

fn optional_string(
    fields: &Map<String, Value>,
    name: &str,
    errors: &mut Vec<ParamError>,
) -> Option<String> {
    match fields.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            errors.push(ParamError::invalid(
                name,
                format!("must be a string, not {}.", json_type_name(other)),
            ));
            None
        }
    }
}

fn emails(value: Option<&Value>, errors: &mut Vec<ParamError>) -> Vec<EmailAddress> {
    let items = match value {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => {
            errors.push(ParamError::invalid(
                "email_address",
                format!(
                    "must be an array of strings, not {}.",
                    json_type_name(other)
                ),
            ));
            return Vec::new();
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::String(s) if looks_like_email(s) => {
                out.push(EmailAddress::new(ids::email_address_id(), s.clone()));
            }
            _ => {
                errors.push(ParamError::invalid(
                    "email_address",
                    "every entry must be an email address such as name@example.com.",
                ));
                return Vec::new();
            }
        }
    }
    out
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && !domain.is_empty() && !s.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

fn metadata(
    fields: &Map<String, Value>,
    name: &str,
    errors: &mut Vec<ParamError>,
) -> Map<String, Value> {
    match fields.get(name) {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(other) => {
            errors.push(ParamError::invalid(
                name,
                format!("must be an object, not {}.", json_type_name(other)),
            ));
            Map::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ParamErrorKind;
    use serde_json::json;

    #[test]
    fn a_full_body_builds_a_user_with_a_primary_email() {
        let u = validate_create(
            &json!({"first_name":"Ada","email_address":["ada@example.com","a@b.c"],
                    "public_metadata":{"role":"admin"}}),
            5,
        )
        .unwrap();
        assert!(u.id.starts_with("user_"));
        assert_eq!(u.first_name.as_deref(), Some("Ada"));
        assert_eq!(u.email_addresses.len(), 2);
        assert_eq!(
            u.primary_email_address_id,
            Some(u.email_addresses[0].id.clone())
        );
        assert_eq!(u.public_metadata["role"], "admin");
        assert_eq!((u.created_at, u.updated_at), (5, 5));
        assert!(validate_create(&json!({}), 0).is_ok());
    }

    #[test]
    fn wrong_types_unknown_fields_and_non_objects_are_refused() {
        let Err(CreateUserError::Params(p)) = validate_create(
            &json!({"first_name":3,"email_address":"x@y.z","nope":true,"public_metadata":[]}),
            0,
        ) else {
            panic!("expected errors")
        };
        let got: Vec<_> = p.iter().map(|e| (e.kind, e.param.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (ParamErrorKind::Unknown, "nope"),
                (ParamErrorKind::ValueInvalid, "first_name"),
                (ParamErrorKind::ValueInvalid, "email_address"),
                (ParamErrorKind::ValueInvalid, "public_metadata"),
            ]
        );
        assert!(matches!(
            validate_create(&json!({"email_address":["not an email"]}), 0),
            Err(CreateUserError::Params(_))
        ));
        assert_eq!(
            validate_create(&json!("x"), 0),
            Err(CreateUserError::NotAnObject)
        );
    }
}
