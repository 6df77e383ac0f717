//! Accepting a ticket: which tokens may be used, and why the others may not.

use clerk_models::ActorTokenStatus;

use super::actor_token::ActorTokenRecord;

/// Why a ticket cannot be accepted, each with its contract code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptRefusal {
    /// 400 `actor_token_already_used_code`: it was accepted before.
    AlreadyUsed,
    /// 400 `actor_token_revoked_code`.
    Revoked,
    /// 400 `actor_token_cannot_be_used_code`: unknown, missing or expired.
    CannotBeUsed,
    /// 404 `actor_token_subject_not_found`: the user it impersonates is gone.
    SubjectNotFound,
}

/// Whether `token` can be accepted at `now_ms`, judged on the token alone (the store also
/// checks that its user still exists, in the same transaction).
pub fn check_accept(token: &ActorTokenRecord, now_ms: i64) -> Result<(), AcceptRefusal> {
    match token.status {
        ActorTokenStatus::Accepted => Err(AcceptRefusal::AlreadyUsed),
        ActorTokenStatus::Revoked => Err(AcceptRefusal::Revoked),
        ActorTokenStatus::Pending if now_ms >= token.expires_at => Err(AcceptRefusal::CannotBeUsed),
        ActorTokenStatus::Pending => Ok(()),
    }
}

/// A ticket as it may arrive in a query string: present, not empty, and of a length and
/// alphabet a real ticket has (anything else cannot match and is refused before hashing).
pub fn plausible_ticket(ticket: Option<&str>) -> Option<&str> {
    ticket.filter(|t| !t.is_empty() && t.len() <= 256 && t.bytes().all(|b| b.is_ascii_graphic()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::actor_token::CreateActorToken;
    use clerk_models::Actor;

    fn token(status: ActorTokenStatus) -> ActorTokenRecord {
        let req = CreateActorToken {
            user_id: "user_1".into(),
            actor: Actor::new("user_2"),
            expires_in_seconds: 60,
            session_max_duration_in_seconds: 30,
        };
        let mut t = ActorTokenRecord::new_pending("act_1".into(), &req, 0);
        t.status = status;
        t
    }

    #[test]
    fn only_a_pending_unexpired_token_is_accepted() {
        assert_eq!(
            check_accept(&token(ActorTokenStatus::Pending), 59_999),
            Ok(())
        );
        assert_eq!(
            check_accept(&token(ActorTokenStatus::Pending), 60_000),
            Err(AcceptRefusal::CannotBeUsed)
        );
        assert_eq!(
            check_accept(&token(ActorTokenStatus::Accepted), 1),
            Err(AcceptRefusal::AlreadyUsed)
        );
        assert_eq!(
            check_accept(&token(ActorTokenStatus::Revoked), 1),
            Err(AcceptRefusal::Revoked)
        );
    }

    #[test]
    fn implausible_tickets_are_refused_before_lookup() {
        assert_eq!(plausible_ticket(Some("abc")), Some("abc"));
        assert_eq!(plausible_ticket(None), None);
        assert_eq!(plausible_ticket(Some("")), None);
        assert_eq!(plausible_ticket(Some("a b")), None);
        assert_eq!(plausible_ticket(Some(&"a".repeat(257))), None);
    }
}
