//! `rolecall audit`: a role session's calls found by its name (or by the profile in use), a
//! role's sessions and the AssumeRole that made them, a user's calls — one line each.

use rolecall_test_support::{Backend, Server};

use crate::bin;
use crate::client_home::ClientHome;

const ACCOUNT: &str = "123456789012";

#[test]
fn audit_lines_find_a_session_by_its_name() {
    let server = Server::start(bin(), Backend::Sqlite);
    let admin = server.bootstrap(ACCOUNT, "admin");
    let role = format!("arn:aws:iam::{ACCOUNT}:role/Ops");
    let home = ClientHome::new(
        &server,
        &admin,
        &format!(
            "[default]\nregion = us-east-1\n\n[profile ops]\nrole_arn = {role}\nsource_profile = default\n"
        ),
    );
    home.create_role_with_policy("Ops", ACCOUNT, "arn:aws:iam::aws:policy/ReadOnlyAccess");
    let arn = home.ok(&[
        "sts",
        "get-caller-identity",
        "--profile",
        "ops",
        "--query",
        "Arn",
        "--output",
        "text",
    ]);
    let session = arn.rsplit('/').next().unwrap().to_owned();
    assert!(session.starts_with("AWS-CLI-session-"), "{arn}");
    let refused = home.rolecall(
        &[
            "iam",
            "create-user",
            "--user-name",
            "mallory",
            "--profile",
            "ops",
        ],
        &[],
    );
    assert_eq!(refused.status.code(), Some(254));
    std::thread::sleep(std::time::Duration::from_millis(1100));

    let by_name = home.ok(&["audit", "--session", &session]);
    let lines: Vec<&str> = by_name.lines().collect();
    assert_eq!(lines.len(), 2, "{by_name}");
    assert!(
        lines[0].contains(&format!("assumed-role/Ops/{session}"))
            && lines[0].contains("iam:CreateUser")
            && lines[0].ends_with("AccessDenied"),
        "{by_name}"
    );
    assert!(
        lines[1].contains("sts:GetCallerIdentity") && lines[1].ends_with("ok"),
        "{by_name}"
    );

    // The profile's own session, looked up with its own (read-only) credentials.
    let own = home.ok(&["audit", "--profile", "ops", "--session"]);
    assert!(
        own.contains("iam:CreateUser") && own.contains("AccessDenied"),
        "{own}"
    );

    // The role: who assumed it, and what its sessions did.
    let by_role = home.ok(&["audit", "--role", &role]);
    assert!(
        by_role.contains("user/admin") && by_role.contains("sts:AssumeRole"),
        "{by_role}"
    );
    assert!(by_role.contains("iam:CreateUser"), "{by_role}");

    // A user: the administrator's calls, not the session's.
    let by_user = home.ok(&["audit", "--user", "admin", "--since", "10m"]);
    assert!(
        by_user.contains("iam:CreateRole") && !by_user.contains("iam:CreateUser"),
        "{by_user}"
    );

    // Durations: sums, and windows reaching past the epoch; every number needs its unit.
    assert!(
        home.ok(&["audit", "--user", "admin", "--since", "1h30m"])
            .contains("iam:CreateRole")
    );
    assert!(
        home.ok(&["audit", "--user", "admin", "--since", "100000000d"])
            .contains("iam:CreateRole")
    );
    for bad in ["soon", "3600", "-1h"] {
        let out = home.rolecall(&["audit", "--since", bad], &[]);
        assert_eq!(out.status.code(), Some(252), "{bad}: {out:?}");
    }
}

/// The profile's own session is its own: another role's session, or a user, with the same
/// name is not shown.
#[test]
fn the_profiles_own_session_is_told_apart_from_namesakes() {
    let server = Server::start(bin(), Backend::Sqlite);
    let admin = server.bootstrap(ACCOUNT, "admin");
    let home = ClientHome::new(
        &server,
        &admin,
        &format!(
            "[default]\nregion = us-east-1\n\n\
             [profile blue]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/Blue\nsource_profile = default\nrole_session_name = deploy\n\n\
             [profile green]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/Green\nsource_profile = default\nrole_session_name = deploy\n"
        ),
    );
    for role in ["Blue", "Green"] {
        home.create_role_with_policy(role, ACCOUNT, "arn:aws:iam::aws:policy/ReadOnlyAccess");
    }
    home.ok(&["iam", "list-users", "--profile", "blue"]);
    home.ok(&["iam", "list-roles", "--profile", "green"]);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let by_name = home.ok(&["audit", "--session", "deploy"]);
    assert!(
        by_name.contains("assumed-role/Blue/deploy")
            && by_name.contains("assumed-role/Green/deploy"),
        "{by_name}"
    );
    let own = home.ok(&["audit", "--profile", "blue", "--session"]);
    assert!(own.contains("iam:ListUsers"), "{own}");
    assert!(
        own.lines().all(|l| l.contains("assumed-role/Blue/deploy")),
        "{own}"
    );
}
