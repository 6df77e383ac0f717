//! `Clerk::from_env`. Alone in its test binary: it changes the process environment, which
//! no other test may read at the same time.

use clerk_backend_api::{Clerk, ClerkCore, Error};

const KEY: &str = "sk_test_from_env_secret_99";

#[test]
fn from_env_reads_clerk_secret_key_and_refuses_when_it_is_unset() {
    // SAFETY: this binary's only test; no other thread reads the environment.
    unsafe { std::env::set_var("CLERK_SECRET_KEY", format!("  {KEY}\n")) };
    let clerk = Clerk::from_env().unwrap();
    assert_eq!(clerk.server_url(), "https://api.clerk.com/v1/");
    assert!(!format!("{clerk:?}").contains(KEY));
    ClerkCore::from_env().unwrap();

    // SAFETY: as above.
    unsafe { std::env::set_var("CLERK_SECRET_KEY", "") };
    assert!(matches!(Clerk::from_env(), Err(Error::Config(_))));

    // SAFETY: as above.
    unsafe { std::env::remove_var("CLERK_SECRET_KEY") };
    let err = Clerk::from_env().unwrap_err();
    assert!(matches!(err, Error::Config(_)));
    assert!(err.to_string().contains("CLERK_SECRET_KEY"), "{err}");
}
