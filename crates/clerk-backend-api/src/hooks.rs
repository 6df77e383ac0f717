//! Hooks: code the client runs around each request, as the official SDKs' `beforeRequest`,
//! `afterSuccess` and `afterError`.

use std::fmt;
use std::sync::Arc;

use crate::Error;

/// What a hook is told about the call it runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HookContext {
    /// The operation, such as `CreateActorToken`.
    pub operation: &'static str,
    /// The attempt, from 1.
    pub attempt: u32,
}

/// Runs before each attempt is sent; may change the request (add a header, say), or abort
/// the call by returning `Err(reason)`, which the call returns as [`Error::Hook`].
pub type BeforeRequestHook =
    Arc<dyn Fn(&HookContext, &mut reqwest::Request) -> Result<(), String> + Send + Sync>;
/// Runs when a call gets a 2XX answer, before its body is read.
pub type AfterSuccessHook = Arc<dyn Fn(&HookContext, &reqwest::Response) + Send + Sync>;
/// Runs once when a call fails, with the error it returns.
pub type AfterErrorHook = Arc<dyn Fn(&HookContext, &Error) + Send + Sync>;

/// The hooks of a client, each kind run in the order added.
#[derive(Clone, Default)]
pub(crate) struct Hooks {
    pub(crate) before_request: Vec<BeforeRequestHook>,
    pub(crate) after_success: Vec<AfterSuccessHook>,
    pub(crate) after_error: Vec<AfterErrorHook>,
}

impl Hooks {
    pub(crate) fn before_request(
        &self,
        ctx: &HookContext,
        request: &mut reqwest::Request,
    ) -> Result<(), Error> {
        for hook in &self.before_request {
            hook(ctx, request).map_err(|reason| Error::Hook {
                operation: ctx.operation,
                reason,
            })?;
        }
        Ok(())
    }

    pub(crate) fn after_success(&self, ctx: &HookContext, response: &reqwest::Response) {
        for hook in &self.after_success {
            hook(ctx, response);
        }
    }

    pub(crate) fn after_error(&self, ctx: &HookContext, error: &Error) {
        for hook in &self.after_error {
            hook(ctx, error);
        }
    }
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("before_request", &self.before_request.len())
            .field("after_success", &self.after_success.len())
            .field("after_error", &self.after_error.len())
            .finish()
    }
}
