//! The role cache's per-entry locks cannot deadlock: a chain that assumes the same role twice
//! with the same arguments, and two profiles that chain the same two roles in opposite
//! orders running concurrently, all finish.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rolecall_test_support::{Backend, Server};

use crate::bin;
use crate::client_home::ClientHome;

const ACCOUNT: &str = "123456789012";

fn spawn(mut command: Command) -> Child {
    command
        .env("AWS_REGION", "us-east-1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for a process for at most a minute; a process still running then is killed and the
/// test fails (that is the deadlock this file is about).
fn finish(mut child: Child, what: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(
                status.success(),
                "{what} failed: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            return stdout;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within a minute: the cache locks deadlocked");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn chained_roles_never_deadlock_on_cache_locks_and_leave_no_lock_files() {
    let server = Server::start(bin(), Backend::Sqlite);
    let admin = server.bootstrap(ACCOUNT, "admin");
    let home = ClientHome::new(&server, &admin, "[default]\nregion = us-east-1\n");
    for role in ["A", "B"] {
        home.create_role_with_policy(role, ACCOUNT, "arn:aws:iam::aws:policy/AdministratorAccess");
    }
    let aws = home.dir.path().join(".aws");
    let role = |name: &str| format!("arn:aws:iam::{ACCOUNT}:role/{name}");
    let profile = |name: &str, role_name: &str, source: &str| {
        format!(
            "[profile {name}]\nrole_arn = {}\nsource_profile = {source}\n\n",
            role(role_name)
        )
    };
    std::fs::write(
        aws.join("config"),
        [
            "[default]\nregion = us-east-1\n\n".to_owned(),
            // The same role twice, with the same arguments (one cache entry).
            profile("twice", "A", "once"),
            profile("once", "A", "default"),
            // A then B, and B then A.
            profile("a-then-b", "B", "a-only"),
            profile("a-only", "A", "default"),
            profile("b-then-a", "A", "b-only"),
            profile("b-only", "B", "default"),
        ]
        .concat(),
    )
    .unwrap();
    let cache = aws.join("cli/cache");
    let identity = [
        "sts",
        "get-caller-identity",
        "--query",
        "Arn",
        "--output",
        "text",
    ];
    let arn = |profile: &str| {
        let mut args = identity.to_vec();
        args.extend(["--profile", profile]);
        spawn(home.command(&args))
    };

    let out = finish(arn("twice"), "the same role twice");
    assert!(out.contains(":assumed-role/A/"), "{out}");

    for round in 0..5 {
        let _ = std::fs::remove_dir_all(&cache);
        let (ab, ba) = (arn("a-then-b"), arn("b-then-a"));
        let (ab, ba) = (
            finish(ab, &format!("a-then-b, round {round}")),
            finish(ba, &format!("b-then-a, round {round}")),
        );
        assert!(ab.contains(":assumed-role/B/"), "{ab}");
        assert!(ba.contains(":assumed-role/A/"), "{ba}");
    }
    // The cache directory, shared with the AWS CLI, holds only botocore's entries.
    let names: Vec<String> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.is_empty());
    assert!(names.iter().all(|n| n.ends_with(".json")), "{names:?}");
}
