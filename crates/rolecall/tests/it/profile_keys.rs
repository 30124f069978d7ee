//! `source_identity`, `session_tags` and `transitive_session_tags` in a role profile (the
//! names aws-vault uses): sent on AssumeRole, proven by a policy condition on
//! `aws:PrincipalTag`, and part of the cache entry's name.

use rolecall_test_support::{Backend, Server};

use crate::bin;
use crate::client_home::ClientHome;

const ACCOUNT: &str = "123456789012";

#[test]
fn session_tags_in_a_profile_reach_the_session_and_its_own_cache_entry() {
    let server = Server::start(bin(), Backend::Sqlite);
    let admin = server.bootstrap(ACCOUNT, "admin");
    let role = format!("arn:aws:iam::{ACCOUNT}:role/Tagged");
    let home = ClientHome::new(
        &server,
        &admin,
        &format!(
            "[default]\nregion = us-east-1\n\n[profile plain]\nrole_arn = {role}\nsource_profile = default\n\n[profile tagged]\nrole_arn = {role}\nsource_profile = default\nsession_tags = team=blue, cost-center=42\ntransitive_session_tags = team\nsource_identity = alice\n"
        ),
    );
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}}]}}"#
    );
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue","aws:SourceIdentity":"alice"}}}]}"#;
    home.ok(&[
        "iam",
        "create-role",
        "--role-name",
        "Tagged",
        "--assume-role-policy-document",
        &trust,
    ]);
    home.ok(&[
        "iam",
        "put-role-policy",
        "--role-name",
        "Tagged",
        "--policy-name",
        "by-tag",
        "--policy-document",
        policy,
    ]);

    // Without the tags the condition does not hold.
    let out = home.rolecall(&["iam", "list-roles", "--profile", "plain"], &[]);
    assert_eq!(out.status.code(), Some(254), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("AccessDenied"),
        "{out:?}"
    );

    // The tagged profile does not reuse the untagged session's cache entry, and its session
    // carries the tags and the source identity.
    let names = home.ok(&[
        "iam",
        "list-roles",
        "--profile",
        "tagged",
        "--query",
        "Roles[].RoleName",
        "--output",
        "text",
    ]);
    assert_eq!(names, "Tagged");
    let entries = std::fs::read_dir(home.dir.path().join(".aws/cli/cache"))
        .unwrap()
        .count();
    assert_eq!(entries, 2);

    // A malformed tag list is a configuration error naming the profile.
    std::fs::write(
        home.dir.path().join(".aws/config"),
        format!(
            "[profile bad]\nrole_arn = {role}\nsource_profile = default\nsession_tags = team\n"
        ),
    )
    .unwrap();
    let out = home.rolecall(&["sts", "get-caller-identity", "--profile", "bad"], &[]);
    assert_eq!(out.status.code(), Some(253), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("\"bad\""),
        "{out:?}"
    );
}
