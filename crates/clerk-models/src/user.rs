//! Users: enough to know who exists and can be impersonated.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A user, shaped as Clerk's. Times are Unix milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// Always `user`.
    #[serde(default = "user_object")]
    pub object: String,
    /// `user_…`
    pub id: String,
    /// An id from the application's own system.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Given name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Unique handle.
    #[serde(default)]
    pub username: Option<String>,
    /// The first of [`User::email_addresses`], if any.
    #[serde(default)]
    pub primary_email_address_id: Option<String>,
    /// Email addresses, as Clerk's `email_address` objects.
    #[serde(default)]
    pub email_addresses: Vec<EmailAddress>,
    /// Metadata readable from the frontend.
    #[serde(default)]
    pub public_metadata: Map<String, Value>,
    /// Metadata for the backend only.
    #[serde(default)]
    pub private_metadata: Map<String, Value>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub updated_at: i64,
}

fn user_object() -> String {
    "user".to_owned()
}

impl User {
    /// A user with only an id and times; set the optional fields on the value.
    pub fn new(id: impl Into<String>, created_at: i64, updated_at: i64) -> Self {
        Self {
            object: user_object(),
            id: id.into(),
            external_id: None,
            first_name: None,
            last_name: None,
            username: None,
            primary_email_address_id: None,
            email_addresses: Vec::new(),
            public_metadata: Map::new(),
            private_metadata: Map::new(),
            created_at,
            updated_at,
        }
    }
}

/// One email address of a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EmailAddress {
    /// Always `email_address`.
    #[serde(default = "email_object")]
    pub object: String,
    /// `idn_…`
    pub id: String,
    /// The address.
    pub email_address: String,
}

fn email_object() -> String {
    "email_address".to_owned()
}

impl EmailAddress {
    /// An address with its id.
    pub fn new(id: impl Into<String>, email_address: impl Into<String>) -> Self {
        Self {
            object: email_object(),
            id: id.into(),
            email_address: email_address.into(),
        }
    }
}

/// The body of `POST /v1/users`. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CreateUserRequestBody {
    /// An id from the application's own system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Given name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Unique handle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Email addresses; the first becomes primary.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub email_address: Vec<String>,
    /// Metadata readable from the frontend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_metadata: Option<Map<String, Value>>,
    /// Metadata for the backend only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_metadata: Option<Map<String, Value>>,
}

/// What `DELETE /v1/users/{id}` answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeletedObject {
    /// The deleted object's kind, `user`.
    pub object: String,
    /// Its id.
    pub id: String,
    /// Always true.
    pub deleted: bool,
}

impl DeletedObject {
    /// A deletion receipt.
    pub fn new(object: impl Into<String>, id: impl Into<String>) -> Self {
        Self {
            object: object.into(),
            id: id.into(),
            deleted: true,
        }
    }
}
