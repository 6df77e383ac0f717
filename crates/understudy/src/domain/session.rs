//! Session lifetime rules: the hard cap, the inactivity window, and what touching does.
//!
//! A session's stored status says `active` until something ends it; time alone ends it too
//! (past `abandon_at`), so every reader asks [`SessionRecord::status_at`] with the clock,
//! and the store persists the computed status when it next writes the row.

use clerk_models::{Actor, Session, SessionClaims, SessionStatus};

use crate::keys::SESSION_TOKEN_LIFETIME;

/// A session ends after this long without activity (10 minutes).
pub const INACTIVITY_TIMEOUT_MS: i64 = 10 * 60 * 1000;

/// A session as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    /// `sess_…`
    pub id: String,
    /// The browser (`client_…`) it lives in.
    pub client_id: String,
    /// The signed-in (impersonated) user.
    pub user_id: String,
    /// The stored status; see [`SessionRecord::status_at`] for the one to show.
    pub status: SessionStatus,
    /// The actor token's actor payload, in full.
    pub actor: Option<Actor>,
    /// The actor token whose ticket created it.
    pub actor_token_id: Option<String>,
    /// Unix ms.
    pub last_active_at: i64,
    /// The hard end (Unix ms): creation + the token's `session_max_duration_in_seconds`.
    pub expire_at: i64,
    /// The soft end (Unix ms): `min(last_active_at + 10 min, expire_at)`.
    pub abandon_at: i64,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
}

/// `min(last_active_at + 10 min, expire_at)`: activity never moves the end past the cap.
pub fn abandon_at(last_active_at: i64, expire_at: i64) -> i64 {
    last_active_at
        .saturating_add(INACTIVITY_TIMEOUT_MS)
        .min(expire_at)
}

impl SessionRecord {
    /// A new active session created at `now_ms`, capped at `max_duration_secs` from now.
    pub fn new_active(
        id: String,
        client_id: String,
        user_id: String,
        actor: Option<Actor>,
        actor_token_id: Option<String>,
        now_ms: i64,
        max_duration_secs: i64,
    ) -> Self {
        let expire_at = now_ms.saturating_add(max_duration_secs.saturating_mul(1000));
        Self {
            id,
            client_id,
            user_id,
            status: SessionStatus::Active,
            actor,
            actor_token_id,
            last_active_at: now_ms,
            expire_at,
            abandon_at: abandon_at(now_ms, expire_at),
            created_at: now_ms,
            updated_at: now_ms,
        }
    }

    /// The status at `now_ms`: an active session past `abandon_at` has ended, as `expired`
    /// when that instant is the cap and `abandoned` when it is the inactivity window.
    pub fn status_at(&self, now_ms: i64) -> SessionStatus {
        match self.status {
            SessionStatus::Active if now_ms >= self.abandon_at => {
                if self.abandon_at >= self.expire_at {
                    SessionStatus::Expired
                } else {
                    SessionStatus::Abandoned
                }
            }
            status => status,
        }
    }

    /// This record as it stands at `now_ms`: a session that time ended gets its status and
    /// `updated_at` set to the instant it ended.
    pub fn at(&self, now_ms: i64) -> Self {
        let status = self.status_at(now_ms);
        let mut current = self.clone();
        if status != self.status {
            current.status = status;
            current.updated_at = self.abandon_at.max(self.updated_at);
        }
        current
    }

    /// Ends an active session with `status` (revoked, replaced, removed, ended) at `now_ms`.
    pub fn end(&mut self, status: SessionStatus, now_ms: i64) {
        self.status = status;
        self.updated_at = now_ms;
    }

    /// The wire object, with the status computed at `now_ms`.
    pub fn to_wire(&self, now_ms: i64) -> Session {
        let current = self.at(now_ms);
        Session::new(
            current.id,
            current.client_id,
            current.user_id,
            current.status,
            current.actor,
            current.last_active_at,
            current.expire_at,
            current.abandon_at,
            current.created_at,
            current.updated_at,
        )
    }
}

/// What touching a session (minting a token for it) decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Touch {
    /// It is active: `last_active_at` and `abandon_at` moved to now (`expire_at` never moves).
    Touched(SessionRecord),
    /// Time ended it just now; the record carries the new status to persist.
    Ended(SessionRecord),
    /// It had already ended; nothing changes.
    NotActive(SessionRecord),
}

/// Touches `record` at `now_ms`.
pub fn touch(record: &SessionRecord, now_ms: i64) -> Touch {
    if record.status != SessionStatus::Active {
        return Touch::NotActive(record.clone());
    }
    let current = record.at(now_ms);
    if current.status != SessionStatus::Active {
        return Touch::Ended(current);
    }
    let mut touched = current;
    // A clock that went backwards must not move activity back.
    touched.last_active_at = touched.last_active_at.max(now_ms);
    touched.abandon_at = abandon_at(touched.last_active_at, touched.expire_at);
    touched.updated_at = touched.updated_at.max(now_ms);
    Touch::Touched(touched)
}

/// The claims of a session token minted at `now_ms`: `iss` the frontend URL, `sub` the user,
/// `sid`, `iat` = `nbf`, `exp` 60 s later but never past the session's cap (contract §6.3:
/// a token must not outlive `expire_at`), `v: 2`, `azp` when known and `act` = the actor
/// payload in full.
pub fn session_claims(
    session: &SessionRecord,
    issuer: &str,
    now_ms: i64,
    azp: Option<String>,
) -> SessionClaims {
    let iat = now_ms.div_euclid(1000);
    let lifetime = i64::try_from(SESSION_TOKEN_LIFETIME.as_secs()).unwrap_or(60);
    // Rounded down: a networkless verifier must not accept the token after the cap.
    let cap = session.expire_at.div_euclid(1000);
    let exp = iat.saturating_add(lifetime).min(cap);
    let mut claims = SessionClaims::new(issuer, &session.user_id, &session.id, iat, exp);
    claims.azp = azp;
    claims.act = session.actor.clone();
    claims
}

/// A filter for listing sessions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionFilter {
    /// Only this user's sessions.
    pub user_id: Option<String>,
    /// Only sessions in this status (as computed with the clock).
    pub status: Option<SessionStatus>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn session(now: i64, max_secs: i64) -> SessionRecord {
        SessionRecord::new_active(
            "sess_1".into(),
            "client_1".into(),
            "user_1".into(),
            Some(Actor::new("user_support")),
            Some("act_1".into()),
            now,
            max_secs,
        )
    }

    #[test]
    fn a_new_session_is_capped_and_ends_after_ten_idle_minutes() {
        let s = session(1_000, 1800);
        assert_eq!(s.expire_at, 1_000 + 1_800_000);
        assert_eq!(s.abandon_at, 1_000 + 10 * MIN);
        assert_eq!(s.status_at(1_000 + 10 * MIN - 1), SessionStatus::Active);
        assert_eq!(s.status_at(1_000 + 10 * MIN), SessionStatus::Abandoned);
    }

    #[test]
    fn a_short_cap_bounds_abandon_at_and_ends_as_expired() {
        let s = session(0, 120);
        assert_eq!(s.abandon_at, 120_000);
        assert_eq!(s.status_at(119_999), SessionStatus::Active);
        assert_eq!(s.status_at(120_000), SessionStatus::Expired);
        let ended = s.at(500_000);
        assert_eq!(
            (ended.status, ended.updated_at),
            (SessionStatus::Expired, 120_000)
        );
    }

    #[test]
    fn touching_moves_activity_but_never_the_cap() {
        let s = session(0, 1800);
        let Touch::Touched(t) = touch(&s, 9 * MIN) else {
            panic!("should touch")
        };
        assert_eq!(t.last_active_at, 9 * MIN);
        assert_eq!(t.abandon_at, 19 * MIN);
        assert_eq!(t.expire_at, s.expire_at);
        // Keep touching: the cap still wins.
        let Touch::Touched(t) = touch(&t, 18 * MIN) else {
            panic!("should touch")
        };
        let Touch::Touched(t) = touch(&t, 25 * MIN) else {
            panic!("should touch")
        };
        assert_eq!(t.abandon_at, 30 * MIN);
        assert!(
            matches!(touch(&t, 30 * MIN), Touch::Ended(e) if e.status == SessionStatus::Expired)
        );
    }

    #[test]
    fn touching_an_idle_session_ends_it_as_abandoned() {
        let s = session(0, 1800);
        match touch(&s, 10 * MIN) {
            Touch::Ended(e) => {
                assert_eq!(e.status, SessionStatus::Abandoned);
                assert_eq!(e.updated_at, 10 * MIN);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ended_sessions_stay_ended_and_are_not_touched() {
        let mut s = session(0, 1800);
        s.end(SessionStatus::Revoked, 5);
        assert_eq!(s.status_at(i64::MAX), SessionStatus::Revoked);
        assert!(matches!(touch(&s, 6), Touch::NotActive(_)));
        assert_eq!(s.to_wire(6).status, SessionStatus::Revoked);
    }

    #[test]
    fn a_clock_going_backwards_does_not_move_activity_back() {
        let s = session(5 * MIN, 1800);
        let Touch::Touched(t) = touch(&s, MIN) else {
            panic!("should touch")
        };
        assert_eq!(t.last_active_at, 5 * MIN);
        assert_eq!(t.abandon_at, 15 * MIN);
    }

    #[test]
    fn claims_carry_the_actor_whole_and_last_sixty_seconds() {
        let mut s = session(1_700_000_000_000, 1800);
        s.actor = Some(Actor::new("user_support").with("reason", "t #1"));
        let c = session_claims(&s, "http://h", 1_700_000_000_500, Some("http://app".into()));
        assert_eq!(
            (c.iat, c.nbf, c.exp),
            (1_700_000_000, 1_700_000_000, 1_700_000_060)
        );
        assert_eq!((c.sub.as_str(), c.sid.as_str()), ("user_1", "sess_1"));
        assert_eq!(c.v, Some(2));
        assert_eq!(c.azp.as_deref(), Some("http://app"));
        assert_eq!(c.act.unwrap().get("reason").unwrap(), "t #1");
    }

    #[test]
    fn a_token_never_outlives_the_session_cap() {
        // Created at t = 1 000 s with a 5 s cap: expire_at = 1 005 000 ms.
        let s = session(1_000_000, 5);
        let c = session_claims(&s, "http://h", 1_000_000, None);
        assert_eq!((c.iat, c.exp), (1_000, 1_005));
        let c = session_claims(&s, "http://h", 1_004_999, None);
        assert_eq!((c.iat, c.exp), (1_004, 1_005));
        // A cap that ends mid-second rounds down, never past the cap.
        let mut s = session(1_000_000, 5);
        s.expire_at = 1_004_500;
        assert_eq!(session_claims(&s, "http://h", 1_000_000, None).exp, 1_004);
        // A long cap leaves the 60 s lifetime.
        let s = session(1_000_000, 1800);
        assert_eq!(session_claims(&s, "http://h", 1_000_000, None).exp, 1_060);
    }

    #[test]
    fn the_wire_object_carries_the_actor_and_computed_status() {
        let s = session(0, 60);
        let wire = s.to_wire(60_000);
        assert_eq!(wire.object, "session");
        assert_eq!(wire.status, SessionStatus::Expired);
        assert_eq!(wire.actor.unwrap().sub, "user_support");
        assert_eq!(wire.last_active_organization_id, None);
    }
}
