//! A write acknowledged to a client survives `kill -9` of the server, and so does its event in
//! the audit trail.

use rolecall_test_support::{Server, python, run_python};

use crate::{backends, bin, py_env};

/// Acknowledged IAM writes, and the trail's events of every acknowledged mutating call and
/// every issued AssumeRole and GetSessionToken, are there after `kill -9` and a restart.
#[test]
fn acknowledged_writes_survive_kill_9() {
    let Some(py) = python() else { return };
    let script = crate::py_dir().join("durability.py");
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("acknowledged.json").display().to_string();
    for backend in backends() {
        let mut server = Server::start(bin(), backend);
        let admin = server.bootstrap("444444444444", "admin");
        let env = py_env(&server, std::slice::from_ref(&admin));
        let mut env: Vec<(&str, &str)> =
            env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        env.extend([("PHASE", "write"), ("STATE", state.as_str())]);
        assert_eq!(run_python(&py, &script, &env).trim(), "written");
        server.kill_and_restart();
        let env = py_env(&server, &[admin]);
        let mut env: Vec<(&str, &str)> =
            env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        env.extend([("PHASE", "read"), ("STATE", state.as_str())]);
        assert_eq!(run_python(&py, &script, &env).trim(), "still there");
    }
}

/// Secret access keys and MFA seeds are sealed at rest: the database files never hold them.
#[test]
fn secrets_are_encrypted_at_rest() {
    let server = Server::start(bin(), rolecall_test_support::Backend::Sqlite);
    let admin = server.bootstrap("666666666666", "admin");
    let mut found_db = false;
    let mut found_key_id = false;
    for entry in std::fs::read_dir(server.data_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("rolecall.db") {
            found_db = true;
            let bytes = std::fs::read(&path).unwrap();
            let hay = String::from_utf8_lossy(&bytes);
            assert!(
                !hay.contains(&admin.secret_access_key),
                "{name} holds a secret access key in clear"
            );
            found_key_id |= hay.contains(&admin.access_key_id);
        }
    }
    assert!(
        found_db,
        "no database file in {}",
        server.data_dir().display()
    );
    // The key id is not secret and is stored in clear: proof that the files were really read.
    assert!(
        found_key_id,
        "the access key id was not found in the database files"
    );
}

/// Runs `script` against a server on SQLite with one administrator, the database file's
/// path in `RC_DB`; returns what it printed.
fn with_the_database_file(script: &str, account: &str) -> Option<String> {
    let py = python()?;
    let server = Server::start(bin(), rolecall_test_support::Backend::Sqlite);
    let admin = server.bootstrap(account, "admin");
    let db = server.data_dir().join("rolecall.db").display().to_string();
    let env = py_env(&server, &[admin]);
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    env.push(("RC_DB", db.as_str()));
    Some(run_python(&py, &crate::py_dir().join(script), &env))
}

/// A request whose client leaves before the answer still runs to its end: its change and its
/// event in the audit trail are both there (the database is held locked meanwhile, so the
/// request is still in progress when the connection closes).
#[test]
fn a_request_abandoned_by_its_client_completes_with_its_event() {
    if let Some(out) = with_the_database_file("abandoned_request.py", "777777777777") {
        assert_eq!(out.trim(), "completed");
    }
}

/// While the trail cannot be written, issued credentials and IAM changes are answered 500,
/// never as if recorded; reads still succeed; afterwards calls are recorded again.
#[test]
fn calls_that_must_be_recorded_are_refused_while_the_trail_cannot_be_written() {
    if let Some(out) = with_the_database_file("trail_write_failure.py", "888888888888") {
        assert_eq!(out.trim(), "refused while unrecorded");
    }
}
