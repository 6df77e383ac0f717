//! `clerk.actor_tokens()`: create and revoke actor tokens (impersonation).

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use clerk_models::{ActorToken, CreateActorTokenRequestBody};

use crate::{ClerkCore, RequestOptions, Result, RetryConfig, funcs};

/// The actor-token operations of a client, from [`crate::Clerk::actor_tokens`].
#[derive(Debug, Clone, Copy)]
pub struct ActorTokens<'a> {
    core: &'a ClerkCore,
}

impl<'a> ActorTokens<'a> {
    /// The handle over a core.
    pub fn new(core: &'a ClerkCore) -> Self {
        Self { core }
    }

    /// `POST /v1/actor_tokens`: creates a pending token that lets the actor sign in as
    /// `body.user_id`. Await the returned call, or set per-call options on it first.
    ///
    /// Errors: [`crate::Error::ClerkErrors`] for 400, 402 and 422 (see
    /// [`crate::models::codes`]), [`crate::Error::Api`] for any other error status.
    pub fn create(&self, body: CreateActorTokenRequestBody) -> CreateActorToken<'a> {
        CreateActorToken {
            core: self.core,
            body,
            options: RequestOptions::default(),
        }
    }

    /// `POST /v1/actor_tokens/{actor_token_id}/revoke`: revokes a pending token.
    ///
    /// Errors: [`crate::Error::ClerkErrors`] for 400 (the token is not pending:
    /// `actor_token_cannot_be_revoked_code`) and 404, [`crate::Error::Api`] for any other
    /// error status.
    pub fn revoke(&self, actor_token_id: impl Into<String>) -> RevokeActorToken<'a> {
        RevokeActorToken {
            core: self.core,
            actor_token_id: actor_token_id.into(),
            options: RequestOptions::default(),
        }
    }
}

/// The future of a call: boxed so the call types can be named and stored.
pub type CallFuture<'a> = Pin<Box<dyn Future<Output = Result<ActorToken>> + Send + 'a>>;

/// Per-call option setters shared by the call builders.
macro_rules! call_options {
    () => {
        /// Replaces this call's options.
        pub fn options(mut self, options: RequestOptions) -> Self {
            self.options = options;
            self
        }

        /// The timeout of each attempt of this call.
        pub fn timeout(mut self, timeout: Duration) -> Self {
            self.options = self.options.timeout(timeout);
            self
        }

        /// The retry policy of this call.
        pub fn retries(mut self, retries: RetryConfig) -> Self {
            self.options = self.options.retries(retries);
            self
        }

        /// An extra header on this call.
        pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
            self.options = self.options.header(name, value);
            self
        }
    };
}

/// A create call, ready to send: `.await` it, or call [`CreateActorToken::send`].
#[must_use = "a call does nothing until awaited"]
#[derive(Debug)]
pub struct CreateActorToken<'a> {
    core: &'a ClerkCore,
    body: CreateActorTokenRequestBody,
    options: RequestOptions,
}

impl<'a> CreateActorToken<'a> {
    call_options!();

    /// Sends the call.
    pub async fn send(self) -> Result<ActorToken> {
        funcs::actor_tokens_create(self.core, self.body, self.options).await
    }
}

impl<'a> IntoFuture for CreateActorToken<'a> {
    type Output = Result<ActorToken>;
    type IntoFuture = CallFuture<'a>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A revoke call, ready to send: `.await` it, or call [`RevokeActorToken::send`].
#[must_use = "a call does nothing until awaited"]
#[derive(Debug)]
pub struct RevokeActorToken<'a> {
    core: &'a ClerkCore,
    actor_token_id: String,
    options: RequestOptions,
}

impl<'a> RevokeActorToken<'a> {
    call_options!();

    /// Sends the call.
    pub async fn send(self) -> Result<ActorToken> {
        funcs::actor_tokens_revoke(self.core, &self.actor_token_id, self.options).await
    }
}

impl<'a> IntoFuture for RevokeActorToken<'a> {
    type Output = Result<ActorToken>;
    type IntoFuture = CallFuture<'a>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
