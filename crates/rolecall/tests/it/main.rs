//! End-to-end tests: the real `rolecall` binary driven by clients nobody here wrote
//! (boto3, awscli, aws-sdk-sts) and by raw HTTP for malformed input.

mod audit_view;
mod bad_input;
mod cache_locks;
mod cli_input_yaml;
mod client_home;
mod connections;
mod credential_endpoints;
mod durability;
mod exec;
mod js_sdk;
mod memory;
mod peers;
mod private_data;
mod profile_keys;
mod sdk;
mod trail_files;

use std::path::{Path, PathBuf};

use rolecall_test_support::{Admin, Backend, Server};

pub(crate) fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_rolecall"))
}

pub(crate) fn py_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py")
}

/// The environment the Python scripts read: endpoint and the bootstrapped admins.
pub(crate) fn py_env(server: &Server, admins: &[Admin]) -> Vec<(String, String)> {
    let list: Vec<serde_json::Value> = admins
        .iter()
        .map(|a| serde_json::json!({"AccountId": a.account_id, "AccessKeyId": a.access_key_id, "SecretAccessKey": a.secret_access_key}))
        .collect();
    vec![
        ("RC_ENDPOINT".into(), server.endpoint.clone()),
        (
            "RC_ADMINS".into(),
            serde_json::Value::Array(list).to_string(),
        ),
    ]
}

/// The backends every store-touching test runs on: SQLite always, PostgreSQL when available.
pub(crate) fn backends() -> Vec<Backend> {
    let mut out = vec![Backend::Sqlite];
    if let Some(url) = rolecall_test_support::postgres_url() {
        out.push(Backend::Postgres(
            rolecall_test_support::fresh_postgres_database(&url),
        ));
    }
    out
}
