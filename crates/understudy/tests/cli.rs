//! The `understudy` binary: serve, keys and users subcommands.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_understudy");

fn db_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("cli.db").display())
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("UNDERSTUDY_SECRET_KEY")
        .env_remove("UNDERSTUDY_DATABASE_URL")
        .output()
        .expect("the binary runs")
}

fn run_json(args: &[&str]) -> Value {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

struct Served {
    child: Child,
    base_url: String,
    printed: Vec<String>,
}

impl Served {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::start_with_stderr(args, env, Stdio::null())
    }

    fn start_with_stderr(args: &[&str], env: &[(&str, &str)], stderr: Stdio) -> Self {
        let mut cmd = Command::new(BIN);
        cmd.arg("serve")
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .env_remove("UNDERSTUDY_SECRET_KEY")
            .env_remove("UNDERSTUDY_DATABASE_URL")
            .env_remove("UNDERSTUDY_ADDR")
            .stdout(Stdio::piped())
            .stderr(stderr);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("serve starts");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut printed = Vec::new();
        let base_url = loop {
            let line = lines
                .next()
                .expect("serve printed its listening line")
                .unwrap();
            if let Some(url) = line.strip_prefix("understudy listening on ") {
                break url.to_owned();
            }
            printed.push(line);
        };
        Self {
            child,
            base_url,
            printed,
        }
    }

    fn dev_key(&self) -> Option<String> {
        self.printed.iter().find_map(|l| {
            l.split_whitespace()
                .find(|w| w.starts_with("sk_test_"))
                .map(str::to_owned)
        })
    }

    /// SIGTERM, then wait: a graceful exit is status 0.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(killed.success());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "graceful exit, got {status:?}");
    }
}

async fn create_user(base: &str, key: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}/v1/users"))
        .bearer_auth(key)
        .json(&json!({"first_name": "Cli"}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_empty_database_gets_one_dev_key_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(&dir);
    let first = Served::start(&["--database", &db], &[]);
    let key = first.dev_key().expect("a dev key on first start");
    assert_eq!(create_user(&first.base_url, &key).await.status(), 200);
    first.stop();

    let second = Served::start(&["--database", &db], &[]);
    assert_eq!(second.dev_key(), None, "printed once only");
    assert_eq!(
        create_user(&second.base_url, &key).await.status(),
        200,
        "still valid"
    );
    second.stop();

    let keys = run_json(&["keys", "list", "--database", &db]);
    assert_eq!(keys.as_array().unwrap().len(), 1);
    assert!(!keys.to_string().contains(&key), "keys are never listed");
}

#[tokio::test]
async fn an_environment_key_is_valid_and_suppresses_the_dev_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(&dir);
    let served = Served::start(
        &[],
        &[
            ("UNDERSTUDY_SECRET_KEY", "sk_test_from_env"),
            ("UNDERSTUDY_DATABASE_URL", &db),
        ],
    );
    assert_eq!(served.dev_key(), None);
    assert_eq!(
        create_user(&served.base_url, "sk_test_from_env")
            .await
            .status(),
        200
    );
    assert_eq!(
        create_user(&served.base_url, "sk_test_other")
            .await
            .status(),
        401
    );
    served.stop();
}

#[tokio::test]
async fn keys_create_list_revoke_take_effect_on_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(&dir);
    let created = run_json(&["keys", "create", "--database", &db, "--label", "ci"]);
    let key = created["secret_key"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(key.starts_with("sk_test_") && id.starts_with("ak_"));
    assert_eq!(created["label"], "ci");

    let served = Served::start(&["--database", &db], &[]);
    assert_eq!(served.dev_key(), None, "the database already has a key");
    assert_eq!(create_user(&served.base_url, &key).await.status(), 200);

    let revoked = run_json(&["keys", "revoke", "--database", &db, &id]);
    assert_eq!(revoked["revoked"], true);
    let r = create_user(&served.base_url, &key).await;
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "clerk_key_invalid");
    served.stop();

    let listed = run_json(&["keys", "list", "--database", &db]);
    assert!(listed[0]["revoked_at"].as_i64().is_some());
    assert!(listed[0].get("secret_key").is_none());
    let again = run(&["keys", "revoke", "--database", &db, &id]);
    assert!(!again.status.success(), "revoking twice is an error");
    let unknown = run(&["keys", "revoke", "--database", &db, "ak_nope"]);
    assert!(!unknown.status.success());
}

#[tokio::test]
async fn users_create_import_list() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(&dir);
    let created = run_json(&[
        "users",
        "create",
        "--database",
        &db,
        "--first-name",
        "Ada",
        "--email-address",
        "ada@example.com",
    ]);
    assert!(created["id"].as_str().unwrap().starts_with("user_"));
    assert_eq!(created["first_name"], "Ada");
    assert_eq!(
        created["email_addresses"][0]["email_address"],
        "ada@example.com"
    );

    let file = dir.path().join("users.json");
    std::fs::write(
        &file,
        r#"[{"first_name":"B"},{"username":"c","public_metadata":{"x":1}}]"#,
    )
    .unwrap();
    let imported = run_json(&["users", "import", "--database", &db, file.to_str().unwrap()]);
    assert_eq!(imported["imported"], 2);

    let ndjson = dir.path().join("users.ndjson");
    std::fs::write(
        &ndjson,
        "{\"first_name\":\"D\"}\n\n{\"first_name\":\"E\"}\n",
    )
    .unwrap();
    assert_eq!(
        run_json(&[
            "users",
            "import",
            "--database",
            &db,
            ndjson.to_str().unwrap()
        ])["imported"],
        2
    );

    // A bad entry imports nothing.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"[{"first_name":"F"},{"first_name":3}]"#).unwrap();
    let out = run(&["users", "import", "--database", &db, bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("user 2"));

    let listed = run_json(&["users", "list", "--database", &db]);
    assert_eq!(listed["total_count"], 5);
    let names: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["first_name"].as_str())
        .collect();
    assert!(names.contains(&"Ada") && !names.contains(&"F"));

    // Imported users can be impersonated over HTTP.
    let served = Served::start(
        &["--database", &db],
        &[("UNDERSTUDY_SECRET_KEY", "sk_test_cli")],
    );
    let user_id = created["id"].as_str().unwrap();
    let r = reqwest::Client::new()
        .post(format!("{}/v1/actor_tokens", served.base_url))
        .bearer_auth("sk_test_cli")
        .json(&json!({"user_id": user_id, "actor": {"sub": "user_support"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    served.stop();
}

#[tokio::test]
async fn settings_come_from_flags_and_a_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(&dir);
    let env = [("UNDERSTUDY_SECRET_KEY", "sk_test_settings")];
    let served = Served::start(
        &["--database", &db, "--impersonation-enabled", "false"],
        &env,
    );
    let user: Value = create_user(&served.base_url, "sk_test_settings")
        .await
        .json()
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let create = |base: String| {
        let client = client.clone();
        let user_id = user["id"].clone();
        async move {
            client
                .post(format!("{base}/v1/actor_tokens"))
                .bearer_auth("sk_test_settings")
                .json(
                    &json!({"user_id": user_id, "actor": {"sub": "s"}, "expires_in_seconds": 100}),
                )
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(create(served.base_url.clone()).await, 402);
    served.stop();

    let config = dir.path().join("understudy.toml");
    std::fs::write(
        &config,
        "frontend_url = \"https://accounts.example.com\"\n[settings]\nmax_expires_in_seconds = 50\n",
    )
    .unwrap();
    let served = Served::start(
        &["--database", &db, "--config", config.to_str().unwrap()],
        &env,
    );
    assert_eq!(
        create(served.base_url.clone()).await,
        422,
        "100 s is past the file's maximum"
    );
    served.stop();

    let bad = Command::new(BIN)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--database",
            &db,
            "--max-expires-in-seconds",
            "0",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success(), "a zero maximum is refused at start");
}

#[tokio::test]
async fn the_most_verbose_logs_never_contain_a_key_or_a_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(&dir);
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let key = "sk_test_must_never_be_logged_1234";
    let served = Served::start_with_stderr(
        &["--database", &db],
        &[("UNDERSTUDY_SECRET_KEY", key), ("UNDERSTUDY_LOG", "trace")],
        Stdio::from(log),
    );
    let client = reqwest::Client::new();
    let user: Value = create_user(&served.base_url, key)
        .await
        .json()
        .await
        .unwrap();
    let token: Value = client
        .post(format!("{}/v1/actor_tokens", served.base_url))
        .bearer_auth(key)
        .json(&json!({"user_id": user["id"], "actor": {"sub": "user_support"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ticket = token["token"].as_str().unwrap().to_owned();
    let wrong = client
        .get(format!("{}/v1/actor_tokens", served.base_url))
        .bearer_auth("sk_test_wrong_key_also_secret")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    served.stop();
    let text = std::fs::read_to_string(&log_path).unwrap();
    assert!(text.contains("request"), "trace logging was on: {text}");
    for secret in [key, ticket.as_str(), "sk_test_wrong_key_also_secret"] {
        assert!(!text.contains(secret), "a secret reached the log");
    }
}
