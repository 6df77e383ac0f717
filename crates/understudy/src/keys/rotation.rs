//! Which key signs and which keys are published: the rotation policy, pure.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::SealedSigningKey;

/// Lifetime of a session token.
pub const SESSION_TOKEN_LIFETIME: Duration = Duration::from_secs(60);

/// Clock skew a verifier may allow past `exp`. Clerk's SDKs allow 5 s by default, but
/// jsonwebtoken allows 60 s, so a retired key stays published for the larger margin.
pub const VERIFIER_CLOCK_SKEW: Duration = Duration::from_secs(60);

/// How long a retired key stays in the JWKS: until every token it signed has expired,
/// even on a verifier whose clock is behind.
pub const RETIRED_KEY_PUBLICATION: Duration =
    Duration::from_secs(SESSION_TOKEN_LIFETIME.as_secs() + VERIFIER_CLOCK_SKEW.as_secs());

/// How long before it signs a new key should be published, so that verifiers that cache the
/// JWKS (5 min in `@clerk/backend` and in this project's SDK) already hold it when its first
/// token arrives. For a planned rotation; an emergency rotation uses no lead.
pub const ROTATION_PUBLISH_LEAD: Duration = Duration::from_secs(5 * 60);

/// A stored signing key with its life dates (Unix milliseconds, like every other
/// timestamp of the API). Both dates may lie in the future: that schedules the change.
///
/// First start: when [`select_keys`] finds no active key, generate one, seal it and insert
/// it. Two servers doing so at once both insert; the tie-break makes them agree on one
/// signer and both keys are published, so nothing breaks.
///
/// Rotation (`understudy keys rotate-signing`), in one transaction, with `at = now` (at once)
/// or `at = now + ROTATION_PUBLISH_LEAD` (published first, signing later): set
/// `retired_at = at` on every key where it is null, and insert the new key with
/// `created_at = at`. Until `at` the old key signs and both are published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKeyRecord {
    /// The key.
    pub key: SealedSigningKey,
    /// When it was generated, or when it is to start signing.
    pub created_at: i64,
    /// When it stopped (or will stop) signing, if ever.
    pub retired_at: Option<i64>,
}

impl SigningKeyRecord {
    /// A record for a key created at `created_at` (Unix ms), not retired.
    pub fn new(key: SealedSigningKey, created_at: i64) -> Self {
        Self {
            key,
            created_at,
            retired_at: None,
        }
    }

    /// Whether the key has stopped signing at `now`.
    pub fn is_retired_at(&self, now: i64) -> bool {
        self.retired_at.is_some_and(|at| at <= now)
    }
}

/// The signer and the published keys at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySelection<'a> {
    /// The key that signs new tokens: the newest key created and not retired. `None` when
    /// every key is retired (or there is none), and the caller must generate one.
    pub active: Option<&'a SigningKeyRecord>,
    /// The keys `GET /v1/jwks` publishes: every key not retired (including keys scheduled to
    /// sign later), and every key retired less than `keep_retired_for` ago. Active signer
    /// first, then keys not retired, then retired ones; newest first within each.
    pub published: Vec<&'a SigningKeyRecord>,
}

/// Chooses the signer and the published keys at `now` (Unix ms). Ties between keys created
/// in the same millisecond (two servers starting at once) break by kid, so every server
/// sharing a store chooses the same signer.
pub fn select_keys(
    records: &[SigningKeyRecord],
    now: i64,
    keep_retired_for: Duration,
) -> KeySelection<'_> {
    let keep_ms = i64::try_from(keep_retired_for.as_millis()).unwrap_or(i64::MAX);
    let mut published: Vec<&SigningKeyRecord> = records
        .iter()
        .filter(|r| match r.retired_at {
            Some(retired) if retired <= now => now < retired.saturating_add(keep_ms),
            _ => true,
        })
        .collect();
    let newest_first = |a: &&SigningKeyRecord, b: &&SigningKeyRecord| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| a.key.kid.cmp(&b.key.kid))
    };
    let signing: Vec<&SigningKeyRecord> = published
        .iter()
        .copied()
        .filter(|r| !r.is_retired_at(now))
        .collect();
    let active = signing
        .iter()
        .copied()
        .filter(|r| r.created_at <= now)
        .min_by(newest_first)
        // Only keys scheduled for later (or a server whose clock is behind the one that
        // created them): the soonest one signs rather than none, which would make the
        // caller generate yet another key.
        .or_else(|| {
            signing.iter().copied().min_by(|a, b| {
                a.created_at
                    .cmp(&b.created_at)
                    .then_with(|| a.key.kid.cmp(&b.key.kid))
            })
        });
    published.sort_by(|a, b| {
        let is_active = |r: &&SigningKeyRecord| active.is_some_and(|x| std::ptr::eq(x, *r));
        is_active(b)
            .cmp(&is_active(a))
            .then_with(|| a.is_retired_at(now).cmp(&b.is_retired_at(now)))
            .then_with(|| newest_first(a, b))
    });
    KeySelection { active, published }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Jwk;

    fn record(kid: &str, created_at: i64, retired_at: Option<i64>) -> SigningKeyRecord {
        SigningKeyRecord {
            key: SealedSigningKey {
                kid: kid.into(),
                public_jwk: Jwk {
                    kty: "RSA".into(),
                    key_use: "sig".into(),
                    alg: "RS256".into(),
                    kid: kid.into(),
                    n: "n".into(),
                    e: "AQAB".into(),
                },
                sealed_private: vec![],
            },
            created_at,
            retired_at,
        }
    }

    fn kids(selection: &KeySelection<'_>) -> (Option<String>, Vec<String>) {
        (
            selection.active.map(|r| r.key.kid.clone()),
            selection
                .published
                .iter()
                .map(|r| r.key.kid.clone())
                .collect(),
        )
    }

    const KEEP: Duration = RETIRED_KEY_PUBLICATION;

    #[test]
    fn no_keys_means_no_signer() {
        let selection = select_keys(&[], 0, KEEP);
        assert_eq!(kids(&selection), (None, vec![]));
    }

    #[test]
    fn newest_unretired_key_signs_and_a_recently_retired_one_stays_published() {
        let records = [
            record("old", 1_000, Some(50_000)),
            record("new", 50_000, None),
        ];
        let at = 50_000 + 120_000 - 1;
        assert_eq!(
            kids(&select_keys(&records, at, KEEP)),
            (Some("new".into()), vec!["new".into(), "old".into()])
        );
    }

    #[test]
    fn retired_key_leaves_the_jwks_once_its_tokens_have_expired() {
        let records = [
            record("old", 1_000, Some(50_000)),
            record("new", 50_000, None),
        ];
        let at = 50_000 + 120_000;
        assert_eq!(
            kids(&select_keys(&records, at, KEEP)),
            (Some("new".into()), vec!["new".into()])
        );
    }

    #[test]
    fn all_retired_means_no_signer_but_still_published() {
        let records = [record("a", 1_000, Some(2_000))];
        assert_eq!(
            kids(&select_keys(&records, 2_500, KEEP)),
            (None, vec!["a".into()])
        );
    }

    #[test]
    fn same_millisecond_keys_tie_break_by_kid_and_both_are_published() {
        let records = [record("b", 5, None), record("a", 5, None)];
        assert_eq!(
            kids(&select_keys(&records, 10, KEEP)),
            (Some("a".into()), vec!["a".into(), "b".into()])
        );
    }

    #[test]
    fn a_retired_key_never_signs_even_if_newest() {
        let records = [record("older", 1, None), record("newer", 9, Some(10))];
        assert_eq!(
            kids(&select_keys(&records, 11, KEEP)),
            (Some("older".into()), vec!["older".into(), "newer".into()])
        );
    }

    #[test]
    fn a_scheduled_rotation_publishes_the_new_key_before_it_signs() {
        let at = 400_000;
        let records = [record("old", 0, Some(at)), record("new", at, None)];
        assert_eq!(
            kids(&select_keys(&records, at - 1, KEEP)),
            (Some("old".into()), vec!["old".into(), "new".into()])
        );
        assert_eq!(
            kids(&select_keys(&records, at, KEEP)),
            (Some("new".into()), vec!["new".into(), "old".into()])
        );
        assert_eq!(
            kids(&select_keys(&records, at + 120_000, KEEP)),
            (Some("new".into()), vec!["new".into()])
        );
    }

    #[test]
    fn a_key_created_ahead_of_this_clock_still_signs_when_it_is_the_only_one() {
        let records = [record("later", 5_000, None), record("latest", 9_000, None)];
        assert_eq!(
            kids(&select_keys(&records, 1_000, KEEP)),
            (Some("later".into()), vec!["later".into(), "latest".into()])
        );
    }

    #[test]
    fn publication_window_matches_token_lifetime_plus_skew() {
        assert_eq!(RETIRED_KEY_PUBLICATION, Duration::from_secs(120));
    }
}
