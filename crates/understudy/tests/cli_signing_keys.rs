//! `understudy keys rotate-signing` and the master key, through the binary.

use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_understudy");
const OTHER_MASTER_KEY: &str = "0000000000000000000000000000000000000000000000000000000000000001";

fn run(args: &[&str], master_key: Option<&str>) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("UNDERSTUDY_SECRET_KEY")
        .env_remove("UNDERSTUDY_DATABASE_URL")
        .env_remove("UNDERSTUDY_MASTER_KEY");
    if let Some(key) = master_key {
        cmd.env("UNDERSTUDY_MASTER_KEY", key);
    }
    cmd.output().expect("the binary runs")
}

fn rotate(db: &str, extra: &[&str], master_key: Option<&str>) -> Output {
    let mut args = vec!["keys", "rotate-signing", "--database", db];
    args.extend_from_slice(extra);
    run(&args, master_key)
}

fn kid(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["kid"].as_str().unwrap().to_owned()
}

#[test]
fn rotate_signing_adds_keys_sealed_under_the_key_file_beside_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("k.db").display());
    let first = kid(&rotate(&db, &[], None));
    assert!(dir.path().join("k.db.master-key").exists());
    let second = kid(&rotate(&db, &["--publish-first"], None));
    assert_ne!(first, second);
    // An explicit key file that does not hold the key the database was sealed with is refused.
    let other = dir.path().join("other.key");
    std::fs::write(&other, format!("{OTHER_MASTER_KEY}\n")).unwrap();
    let out = rotate(&db, &["--master-key-file", other.to_str().unwrap()], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot open signing key"), "{err}");
}

#[test]
fn a_wrong_master_key_in_the_environment_stops_rotation_and_serve_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("k.db").display());
    kid(&rotate(&db, &[], None));
    let out = rotate(&db, &[], Some(OTHER_MASTER_KEY));
    assert!(!out.status.success());
    let out = run(
        &["serve", "--addr", "127.0.0.1:0", "--database", &db],
        Some(OTHER_MASTER_KEY),
    );
    assert!(!out.status.success(), "the server must not start");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot open signing key"), "{err}");
    assert!(err.contains("UNDERSTUDY_MASTER_KEY"), "{err}");
    // A master key that is not even well-formed is refused as such.
    let out = run(
        &["serve", "--addr", "127.0.0.1:0", "--database", &db],
        Some("not-a-key"),
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("master key is not valid"), "{err}");
}
