//! Who a request acts as and on: ARN parameters resolved to the stored entity, sessions of
//! principals that are gone, trust principals resolved exactly, and STS's rules for session
//! tags, source identities, session policies and chained durations.

use super::*;

const OTHER: &str = "210987654321";

/// A server with two accounts, each with its administrator; `admin` is [`ACCOUNT`]'s.
struct Two {
    s: Server,
    other_admin: Key,
}

async fn two_accounts() -> Two {
    let dir = tempfile::tempdir().unwrap();
    let store = rolecall_store::Store::open_sqlite(dir.path())
        .await
        .unwrap();
    let (master, _) = crate::crypto::SealingKey::generate();
    let ours = crate::bootstrap(&store, &master, ACCOUNT, "admin")
        .await
        .unwrap();
    let theirs = crate::bootstrap(&store, &master, OTHER, "admin")
        .await
        .unwrap();
    let app = App::new(store, master, Enforcement::Strict).await.unwrap();
    let key = |o: crate::BootstrapOutput| Key {
        id: o.access_key_id,
        secret: o.secret_access_key,
        token: None,
    };
    Two {
        s: Server {
            app,
            admin: key(ours),
            _dir: dir,
        },
        other_admin: key(theirs),
    }
}

/// The temporary credentials of an answer.
fn session_key(answer: &Answer) -> Key {
    assert_eq!(answer.status, 200, "{}", answer.body);
    Key {
        id: answer.get("AccessKeyId").to_owned(),
        secret: answer.get("SecretAccessKey").to_owned(),
        token: Some(answer.get("SessionToken").to_owned()),
    }
}

/// A policy document allowing or denying `actions` on `resource`, one statement each.
fn statements(list: &[(&str, &str, &str)]) -> String {
    let statements: Vec<String> = list
        .iter()
        .map(|(effect, action, resource)| {
            format!(r#"{{"Effect":"{effect}","Action":"{action}","Resource":"{resource}"}}"#)
        })
        .collect();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    )
}

/// A trust policy for `principal` (an ARN or account), allowing `actions`, with an optional
/// condition block.
fn trust(principal: &str, actions: &[&str], condition: Option<&str>) -> String {
    let actions: Vec<String> = actions.iter().map(|a| format!("\"{a}\"")).collect();
    let condition = condition.map_or(String::new(), |c| format!(r#","Condition":{c}"#));
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":[{}]{condition}}}]}}"#,
        actions.join(",")
    )
}

async fn ok_iam(s: &Server, key: &Key, params: &[(&str, &str)]) -> Answer {
    let answer = s.iam(key, params).await;
    assert_eq!(answer.status, 200, "{params:?}: {}", answer.body);
    answer
}

async fn put_user_policy(s: &Server, key: &Key, user: &str, doc: &str) {
    ok_iam(
        s,
        key,
        &[
            ("Action", "PutUserPolicy"),
            ("UserName", user),
            ("PolicyName", "p"),
            ("PolicyDocument", doc),
        ],
    )
    .await;
}

async fn put_role_policy(s: &Server, role: &str, doc: &str) {
    ok_iam(
        s,
        &s.admin,
        &[
            ("Action", "PutRolePolicy"),
            ("RoleName", role),
            ("PolicyName", "p"),
            ("PolicyDocument", doc),
        ],
    )
    .await;
}

/// A role that may be assumed for up to 12 hours.
async fn make_role(s: &Server, key: &Key, name: &str, trust: &str) {
    ok_iam(
        s,
        key,
        &[
            ("Action", "CreateRole"),
            ("RoleName", name),
            ("AssumeRolePolicyDocument", trust),
            ("MaxSessionDuration", "43200"),
        ],
    )
    .await;
}

async fn assume(s: &Server, key: &Key, role_arn: &str, extra: &[(&str, &str)]) -> Answer {
    let mut params = vec![
        ("Action", "AssumeRole"),
        ("RoleArn", role_arn),
        ("RoleSessionName", "s1"),
    ];
    params.extend_from_slice(extra);
    s.sts(key, &params).await
}

fn role_arn(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:role/{name}")
}

/// mallory may assume any role but RtAdmin, in either account; RtAdmin and Ops trust
/// mallory's account in both. mallory may simulate any principal's policies but victim's
/// (a user in both accounts).
async fn guarded_roles() -> (Two, Key) {
    let t = two_accounts().await;
    let s = &t.s;
    let mallory = s.user("mallory").await;
    let denied_here = role_arn(ACCOUNT, "RtAdmin");
    let denied_there = role_arn(OTHER, "RtAdmin");
    let victim_here = format!("arn:aws:iam::{ACCOUNT}:user/victim");
    let victim_there = format!("arn:aws:iam::{OTHER}:user/victim");
    put_user_policy(
        s,
        &s.admin,
        "mallory",
        &statements(&[
            ("Allow", "sts:AssumeRole", "*"),
            ("Allow", "iam:Get*", "*"),
            ("Deny", "sts:AssumeRole", &denied_here),
            ("Deny", "sts:AssumeRole", &denied_there),
            ("Deny", "iam:GetRole", &denied_here),
            ("Allow", "iam:SimulatePrincipalPolicy", "*"),
            ("Deny", "iam:SimulatePrincipalPolicy", &victim_here),
            ("Deny", "iam:SimulatePrincipalPolicy", &victim_there),
            (
                "Deny",
                "iam:GetPolicy",
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
            ),
        ]),
    )
    .await;
    let trust_us = trust(ACCOUNT, &["sts:AssumeRole"], None);
    for key in [&s.admin, &t.other_admin] {
        make_role(s, key, "RtAdmin", &trust_us).await;
        make_role(s, key, "Ops", &trust_us).await;
        ok_iam(s, key, &[("Action", "CreateUser"), ("UserName", "victim")]).await;
        put_user_policy(s, key, "victim", &statements(&[("Allow", "s3:*", "*")])).await;
    }
    (t, mallory)
}

#[tokio::test]
async fn assume_role_authorizes_the_stored_role_not_its_spelling() {
    let (t, mallory) = guarded_roles().await;
    let s = &t.s;
    for account in [ACCOUNT, OTHER] {
        for name in ["RtAdmin", "RTADMIN", "rtadmin", "rtAdmin"] {
            let arn = role_arn(account, name);
            let answer = assume(s, &mallory, &arn, &[]).await;
            let expected = format!(
                "User: arn:aws:iam::{ACCOUNT}:user/mallory is not authorized to perform: sts:AssumeRole on resource: {arn}"
            );
            assert_eq!(
                answer.error(),
                (403, "AccessDenied", expected.as_str()),
                "{arn}"
            );
        }
        // Another letter case reaches the same role, under its own name.
        let ops = assume(s, &mallory, &role_arn(account, "OPS"), &[]).await;
        assert_eq!(ops.status, 200, "{}", ops.body);
        assert_eq!(
            ops.get("Arn"),
            format!("arn:aws:sts::{account}:assumed-role/Ops/s1")
        );
    }
    // Other spellings are not ARNs of a role at all.
    for arn in [
        format!("arn:aws-cn:iam::{ACCOUNT}:role/RtAdmin"),
        format!("arn:rolecall:iam::{ACCOUNT}:role/RtAdmin"),
        format!("arn:aws:iam:us-east-1:{ACCOUNT}:role/RtAdmin"),
        format!("arn:aws:iam:us-east-1:{OTHER}:role/RtAdmin"),
        format!("arn:aws:sts::{ACCOUNT}:role/RtAdmin"),
        format!("arn:aws:iam::{ACCOUNT}:role//RtAdmin"),
        "nothing-valid-in-here".to_owned(),
    ] {
        let answer = assume(s, &mallory, &arn, &[]).await;
        let expected = format!("{arn} is invalid");
        assert_eq!(
            answer.error(),
            (400, "ValidationError", expected.as_str()),
            "{arn}"
        );
    }
}

#[tokio::test]
async fn policy_arn_parameters_are_parsed_before_authorization() {
    let s = &server(Enforcement::Strict).await;
    let nobody = s.user("nobody").await;
    s.user("carol").await;
    let unparsable = "Invalid ARN:  Could not be parsed!";
    for (key, params) in [
        (
            &nobody,
            vec![
                ("Action", "AttachUserPolicy"),
                ("UserName", "carol"),
                ("PolicyArn", "nothing-valid-in-here"),
            ],
        ),
        (
            &s.admin,
            vec![
                ("Action", "AttachRolePolicy"),
                ("RoleName", "none"),
                ("PolicyArn", "nothing-valid-in-here"),
            ],
        ),
        (
            &s.admin,
            vec![
                ("Action", "AttachUserPolicy"),
                ("UserName", "carol"),
                ("PolicyArn", "arn:aws-cn:iam::aws:policy/ReadOnlyAccess"),
            ],
        ),
        (
            &s.admin,
            vec![
                ("Action", "GetPolicy"),
                (
                    "PolicyArn",
                    "arn:aws:iam:us-east-1:aws:policy/ReadOnlyAccess",
                ),
            ],
        ),
        (
            &s.admin,
            vec![
                ("Action", "PutUserPermissionsBoundary"),
                ("UserName", "carol"),
                (
                    "PermissionsBoundary",
                    "arn:aws:iam::123456789012:role/NotAPolicy",
                ),
            ],
        ),
        (
            &nobody,
            vec![
                ("Action", "CreateUser"),
                ("UserName", "dave"),
                ("PermissionsBoundary", "arn:aws:iam::aws:policy//ReadOnly"),
            ],
        ),
    ] {
        let answer = s.iam(key, &params).await;
        assert_eq!(
            answer.error(),
            (400, "ValidationError", unparsable),
            "{params:?}"
        );
    }
    let sts = s
        .sts(
            &nobody,
            &[
                ("Action", "GetFederationToken"),
                ("Name", "fed"),
                ("PolicyArns.member.1.arn", "arn:aws:iam::aws:role/ReadOnly"),
            ],
        )
        .await;
    assert_eq!(
        sts.error(),
        (
            400,
            "ValidationError",
            "arn:aws:iam::aws:role/ReadOnly is invalid"
        )
    );
}

#[tokio::test]
async fn simulate_principal_policy_authorizes_the_stored_principal_not_its_spelling() {
    let (t, mallory) = guarded_roles().await;
    let s = &t.s;
    let simulate = |arn: String| {
        let mallory = mallory.clone();
        async move {
            let answer = s
                .iam(
                    &mallory,
                    &[
                        ("Action", "SimulatePrincipalPolicy"),
                        ("PolicySourceArn", &arn),
                        ("ActionNames.member.1", "s3:GetObject"),
                    ],
                )
                .await;
            (arn, answer)
        }
    };
    // Every letter case of victim is victim, and victim's decisions stay unread.
    for name in ["victim", "VICTIM", "Victim", "vIcTiM"] {
        let (arn, answer) = simulate(format!("arn:aws:iam::{ACCOUNT}:user/{name}")).await;
        let expected = format!(
            "User: arn:aws:iam::{ACCOUNT}:user/mallory is not authorized to perform: iam:SimulatePrincipalPolicy on resource: {arn} with an explicit deny in an identity-based policy"
        );
        assert_eq!(
            answer.error(),
            (403, "AccessDenied", expected.as_str()),
            "{arn}"
        );
    }
    // Other spellings are not ARNs of a principal at all.
    for arn in [
        format!("arn:aws-cn:iam::{ACCOUNT}:user/victim"),
        format!("arn:rolecall:iam::{ACCOUNT}:user/victim"),
        format!("arn:aws:iam:us-east-1:{ACCOUNT}:user/victim"),
        format!("arn:aws:sts::{ACCOUNT}:user/victim"),
        format!("arn:aws:iam::{ACCOUNT}:user//victim"),
        format!("arn:aws:iam::{ACCOUNT}:policy/victim"),
        "nothing-valid-in-here".to_owned(),
    ] {
        let (arn, answer) = simulate(arn).await;
        assert_eq!(
            answer.error(),
            (400, "ValidationError", "Invalid ARN:  Could not be parsed!"),
            "{arn}"
        );
    }
    // Another path names another principal, which does not exist.
    let (arn, answer) = simulate(format!("arn:aws:iam::{ACCOUNT}:user/x/victim")).await;
    let expected = format!("Entity {arn} does not exist.");
    assert_eq!(answer.error(), (404, "NoSuchEntity", expected.as_str()));
    // Principals mallory may simulate are found in any letter case, under their own names.
    for arn in [
        format!("arn:aws:iam::{ACCOUNT}:role/OPS"),
        format!("arn:aws:iam::{ACCOUNT}:user/MALLORY"),
    ] {
        let (arn, answer) = simulate(arn).await;
        assert_eq!(answer.status, 200, "{arn}: {}", answer.body);
    }
}

mod spellings {
    use proptest::prelude::*;

    use super::*;

    /// An ARN of RtAdmin as someone might spell it: any partition, service, region, path
    /// and letter case, in either account.
    fn spelling() -> impl Strategy<Value = (String, String)> {
        spelling_of("role", "RtAdmin")
    }

    /// An ARN of the IAM entity `kind/name` as someone might spell it, with the name as
    /// spelt.
    fn spelling_of(
        kind: &'static str,
        real_name: &'static str,
    ) -> impl Strategy<Value = (String, String)> {
        let partition = prop_oneof![
            Just("aws"),
            Just("aws-cn"),
            Just("aws-us-gov"),
            Just("AWS"),
            Just("rolecall")
        ];
        let service = prop_oneof![Just("iam"), Just("IAM"), Just("sts")];
        let region = prop_oneof![Just(""), Just("us-east-1")];
        let account = prop_oneof![Just(ACCOUNT), Just(OTHER)];
        let path = prop_oneof![Just(""), Just("/"), Just("x/")];
        let case = proptest::collection::vec(any::<bool>(), real_name.len());
        (partition, service, region, account, path, case).prop_map(
            move |(partition, service, region, account, path, case)| {
                let name: String = real_name
                    .chars()
                    .zip(case)
                    .map(|(c, flip)| {
                        if flip {
                            if c.is_ascii_uppercase() {
                                c.to_ascii_lowercase()
                            } else {
                                c.to_ascii_uppercase()
                            }
                        } else {
                            c
                        }
                    })
                    .collect();
                (
                    format!("arn:{partition}:{service}:{region}:{account}:{kind}/{path}{name}"),
                    name,
                )
            },
        )
    }

    /// The ARNs of the policy mallory may not read, spelled as above.
    fn policy_spelling() -> impl Strategy<Value = String> {
        let partition = prop_oneof![Just("aws"), Just("aws-cn"), Just("Aws")];
        let region = prop_oneof![Just(""), Just("us-east-1")];
        let name = prop_oneof![
            Just("ReadOnlyAccess"),
            Just("readonlyaccess"),
            Just("READONLYACCESS")
        ];
        let path = prop_oneof![Just(""), Just("/")];
        (partition, region, path, name).prop_map(|(partition, region, path, name)| {
            format!("arn:{partition}:iam:{region}:aws:policy/{path}{name}")
        })
    }

    /// Whether `answer` refuses the denied resource: a denial, a refusal of the spelling
    /// with `invalid` (the parameter's `ValidationError`), or, when `absent` allows it, the
    /// absence of what the spelling names (another resource than the denied one). Never
    /// success, and never a failure for another reason.
    fn refused(answer: &Answer, invalid: &str, absent: bool) -> bool {
        if answer.status == 200 {
            return false;
        }
        match (answer.status, answer.get("Code")) {
            (403, "AccessDenied") => true,
            (400, "ValidationError") => answer.get("Message") == invalid,
            (404, "NoSuchEntity") => absent,
            _ => false,
        }
    }

    #[test]
    fn a_deny_on_a_resource_covers_every_accepted_spelling() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (t, mallory) = rt.block_on(guarded_roles());
        let config = ProptestConfig {
            cases: 96,
            ..ProptestConfig::default()
        };
        proptest!(config, |(
            (arn, name) in spelling(),
            policy in policy_spelling(),
            (victim, _) in spelling_of("user", "victim"),
        )| {
            let assumed = rt.block_on(assume(&t.s, &mallory, &arn, &[]));
            let invalid = format!("{arn} is invalid");
            prop_assert!(
                refused(&assumed, &invalid, false),
                "AssumeRole {arn}: {}",
                assumed.body
            );
            let got = rt.block_on(
                t.s.iam(&mallory, &[("Action", "GetRole"), ("RoleName", &name)]),
            );
            prop_assert!(refused(&got, "", false), "GetRole {name}: {}", got.body);
            let read = rt.block_on(
                t.s.iam(&mallory, &[("Action", "GetPolicy"), ("PolicyArn", &policy)]),
            );
            prop_assert!(
                refused(&read, "Invalid ARN:  Could not be parsed!", true),
                "GetPolicy {policy}: {}",
                read.body
            );
            let simulated = rt.block_on(t.s.iam(
                &mallory,
                &[
                    ("Action", "SimulatePrincipalPolicy"),
                    ("PolicySourceArn", &victim),
                    ("ActionNames.member.1", "s3:GetObject"),
                ],
            ));
            // A path names another user than victim, who is at the root path.
            let elsewhere = victim.contains(":user/x/");
            prop_assert!(
                refused(&simulated, "Invalid ARN:  Could not be parsed!", elsewhere),
                "SimulatePrincipalPolicy {victim}: {}",
                simulated.body
            );
        });
    }
}

#[tokio::test]
async fn source_identity_cannot_change_once_set() {
    let s = &server(Enforcement::Strict).await;
    let alice = s.user("alice").await;
    let alice_arn = format!("arn:aws:iam::{ACCOUNT}:user/alice");
    let both = ["sts:AssumeRole", "sts:SetSourceIdentity"];
    make_role(s, &s.admin, "First", &trust(&alice_arn, &both, None)).await;
    put_role_policy(s, "First", &statements(&[("Allow", "sts:*", "*")])).await;
    let first_arn = role_arn(ACCOUNT, "First");
    for (role, wanted) in [("ForAdmin", "admin"), ("ForAlice", "alice")] {
        let condition = format!(r#"{{"StringEquals":{{"sts:SourceIdentity":"{wanted}"}}}}"#);
        make_role(
            s,
            &s.admin,
            role,
            &trust(&first_arn, &both, Some(&condition)),
        )
        .await;
    }
    let first = assume(s, &alice, &first_arn, &[("SourceIdentity", "alice")]).await;
    assert_eq!(first.get("SourceIdentity"), "alice");
    let first = session_key(&first);

    // The session cannot swap its source identity for the one a trust policy wants.
    let swapped = assume(
        s,
        &first,
        &role_arn(ACCOUNT, "ForAdmin"),
        &[("SourceIdentity", "admin")],
    )
    .await;
    assert_eq!(
        swapped.error(),
        (
            400,
            "InvalidParameterValue",
            "The specified source identity can't be set because it conflicts with the source identity from the calling session."
        )
    );
    let carried = assume(s, &first, &role_arn(ACCOUNT, "ForAdmin"), &[]).await;
    assert_eq!(carried.error().1, "AccessDenied", "{}", carried.body);

    // Conditions see the value the session carries, given again or not.
    for extra in [&[][..], &[("SourceIdentity", "alice")][..]] {
        let chained = assume(s, &first, &role_arn(ACCOUNT, "ForAlice"), extra).await;
        assert_eq!(chained.status, 200, "{extra:?}: {}", chained.body);
        assert_eq!(chained.get("SourceIdentity"), "alice");
    }
}

#[tokio::test]
async fn sessions_of_deleted_principals_are_refused() {
    let s = &server(Enforcement::Strict).await;
    let admin = s.admin.clone();
    let invalid = (
        403,
        "InvalidClientTokenId",
        "The security token included in the request is invalid",
    );

    // A role session, and a role whose trust names that role.
    make_role(
        s,
        &admin,
        "Gone",
        &trust(ACCOUNT, &["sts:AssumeRole"], None),
    )
    .await;
    put_role_policy(s, "Gone", &statements(&[("Allow", "*", "*")])).await;
    let gone = session_key(&assume(s, &admin, &role_arn(ACCOUNT, "Gone"), &[]).await);
    make_role(
        s,
        &admin,
        "TrustsGone",
        &trust(&role_arn(ACCOUNT, "Gone"), &["sts:AssumeRole"], None),
    )
    .await;
    let target = role_arn(ACCOUNT, "TrustsGone");
    assert_eq!(assume(s, &gone, &target, &[]).await.status, 200);

    // A user's GetSessionToken and federated sessions, and a role whose trust names the user.
    let bob = s.user("bob").await;
    put_user_policy(s, &admin, "bob", &statements(&[("Allow", "sts:*", "*")])).await;
    let bob_arn = format!("arn:aws:iam::{ACCOUNT}:user/bob");
    make_role(
        s,
        &admin,
        "TrustsBob",
        &trust(&bob_arn, &["sts:AssumeRole"], None),
    )
    .await;
    let bob_session = session_key(&s.sts(&bob, &[("Action", "GetSessionToken")]).await);
    let bob_federated = session_key(
        &s.sts(
            &bob,
            &[
                ("Action", "GetFederationToken"),
                ("Name", "bobfed"),
                ("Policy", &statements(&[("Allow", "*", "*")])),
            ],
        )
        .await,
    );
    let bob_target = role_arn(ACCOUNT, "TrustsBob");
    assert_eq!(assume(s, &bob_session, &bob_target, &[]).await.status, 200);

    // Delete both, then re-create them under the same names (new unique ids).
    ok_iam(
        s,
        &admin,
        &[
            ("Action", "DeleteRolePolicy"),
            ("RoleName", "Gone"),
            ("PolicyName", "p"),
        ],
    )
    .await;
    ok_iam(s, &admin, &[("Action", "DeleteRole"), ("RoleName", "Gone")]).await;
    ok_iam(
        s,
        &admin,
        &[
            ("Action", "DeleteAccessKey"),
            ("UserName", "bob"),
            ("AccessKeyId", &bob.id),
        ],
    )
    .await;
    ok_iam(
        s,
        &admin,
        &[
            ("Action", "DeleteUserPolicy"),
            ("UserName", "bob"),
            ("PolicyName", "p"),
        ],
    )
    .await;
    ok_iam(s, &admin, &[("Action", "DeleteUser"), ("UserName", "bob")]).await;
    for recreated in [false, true] {
        for key in [&gone, &bob_session, &bob_federated] {
            let me = s.sts(key, &[("Action", "GetCallerIdentity")]).await;
            assert_eq!(me.error(), invalid, "{}", me.body);
        }
        for (key, role) in [(&gone, &target), (&bob_session, &bob_target)] {
            let again = assume(s, key, role, &[]).await;
            assert_eq!(again.error(), invalid, "{}", again.body);
        }
        let listed = s.iam(&gone, &[("Action", "ListUsers")]).await;
        assert_eq!(listed.error(), invalid);
        if !recreated {
            make_role(
                s,
                &admin,
                "Gone",
                &trust(ACCOUNT, &["sts:AssumeRole"], None),
            )
            .await;
            s.user("bob").await;
        }
    }
}

#[tokio::test]
async fn trust_principals_resolve_exactly() {
    let s = &server(Enforcement::Strict).await;
    let admin = s.admin.clone();
    s.user("alice").await;
    for principal in [
        format!("arn:aws-cn:iam::{ACCOUNT}:user/alice"),
        format!("arn:aws:iam::{ACCOUNT}:user/ALICE"),
        format!("arn:aws:iam::{ACCOUNT}:user/Alice"),
        format!("arn:aws:iam::{ACCOUNT}:user/team/alice"),
        format!("arn:aws-us-gov:iam::{ACCOUNT}:root"),
    ] {
        let doc = trust(&principal, &["sts:AssumeRole"], None);
        // As the XML carries it.
        let expected =
            format!("Invalid principal in policy: &quot;AWS&quot;:&quot;{principal}&quot;");
        let created = s
            .iam(
                &admin,
                &[
                    ("Action", "CreateRole"),
                    ("RoleName", "r"),
                    ("AssumeRolePolicyDocument", &doc),
                ],
            )
            .await;
        assert_eq!(
            created.error(),
            (400, "MalformedPolicyDocument", expected.as_str())
        );
    }
    let exact = trust(
        &format!("arn:aws:iam::{ACCOUNT}:user/alice"),
        &["sts:AssumeRole"],
        None,
    );
    make_role(s, &admin, "r", &exact).await;
    let updated = s
        .iam(
            &admin,
            &[
                ("Action", "UpdateAssumeRolePolicy"),
                ("RoleName", "r"),
                (
                    "PolicyDocument",
                    &trust(
                        &format!("arn:aws:iam::{ACCOUNT}:user/ALICE"),
                        &["sts:AssumeRole"],
                        None,
                    ),
                ),
            ],
        )
        .await;
    assert_eq!(updated.error().1, "MalformedPolicyDocument");
}

#[tokio::test]
async fn session_policy_arns_come_from_the_role_account_or_aws() {
    let t = two_accounts().await;
    let s = &t.s;
    let doc = statements(&[("Allow", "*", "*")]);
    for key in [&s.admin, &t.other_admin] {
        ok_iam(
            s,
            key,
            &[
                ("Action", "CreatePolicy"),
                ("PolicyName", "Scoped"),
                ("PolicyDocument", &doc),
            ],
        )
        .await;
    }
    make_role(s, &s.admin, "R", &trust(ACCOUNT, &["sts:AssumeRole"], None)).await;
    let role = role_arn(ACCOUNT, "R");
    let theirs = format!("arn:aws:iam::{OTHER}:policy/Scoped");
    let missing = format!("arn:aws:iam::{OTHER}:policy/Missing");
    let refusal = |arn: &str| format!("Policy {arn} does not exist or is not attachable.");
    // Another account's policy is refused exactly like a missing one.
    for arn in [&theirs, &missing] {
        let expected = refusal(arn);
        let assumed = assume(s, &s.admin, &role, &[("PolicyArns.member.1.arn", arn)]).await;
        assert_eq!(
            assumed.error(),
            (400, "InvalidParameterValue", expected.as_str())
        );
        let federated = s
            .sts(
                &s.admin,
                &[
                    ("Action", "GetFederationToken"),
                    ("Name", "fed"),
                    ("PolicyArns.member.1.arn", arn),
                ],
            )
            .await;
        assert_eq!(
            federated.error(),
            (400, "InvalidParameterValue", expected.as_str())
        );
    }
    let ours = format!("arn:aws:iam::{ACCOUNT}:policy/Scoped");
    for arn in [ours.as_str(), "arn:aws:iam::aws:policy/ReadOnlyAccess"] {
        let assumed = assume(s, &s.admin, &role, &[("PolicyArns.member.1.arn", arn)]).await;
        assert_eq!(assumed.status, 200, "{arn}: {}", assumed.body);
    }
}

#[tokio::test]
async fn session_tags_are_validated_as_sts_validates_them() {
    let s = &server(Enforcement::Strict).await;
    let alice = s.user("alice").await;
    let alice_arn = format!("arn:aws:iam::{ACCOUNT}:user/alice");
    let tagging = ["sts:AssumeRole", "sts:TagSession"];
    make_role(s, &s.admin, "First", &trust(&alice_arn, &tagging, None)).await;
    put_role_policy(s, "First", &statements(&[("Allow", "sts:*", "*")])).await;
    let first_arn = role_arn(ACCOUNT, "First");
    make_role(s, &s.admin, "Second", &trust(&first_arn, &tagging, None)).await;
    let second_arn = role_arn(ACCOUNT, "Second");

    let not_requested = assume(
        s,
        &alice,
        &first_arn,
        &[
            ("Tags.member.1.Key", "Env"),
            ("Tags.member.1.Value", "dev"),
            ("TransitiveTagKeys.member.1", "Team"),
        ],
    )
    .await;
    assert_eq!(
        not_requested.error(),
        (
            400,
            "InvalidParameterValue",
            "The specified transitive tag key must be included in the requested tags."
        )
    );
    let duplicate = assume(
        s,
        &alice,
        &first_arn,
        &[
            ("Tags.member.1.Key", "Env"),
            ("Tags.member.1.Value", "dev"),
            ("Tags.member.2.Key", "ENV"),
            ("Tags.member.2.Value", "prod"),
        ],
    )
    .await;
    assert_eq!(
        duplicate.error(),
        (
            400,
            "InvalidParameterValue",
            "Duplicate tag keys found. Please note that Tag keys are case insensitive."
        )
    );

    let first = assume(
        s,
        &alice,
        &first_arn,
        &[
            ("Tags.member.1.Key", "Team"),
            ("Tags.member.1.Value", "red"),
            ("TransitiveTagKeys.member.1", "team"),
        ],
    )
    .await;
    let first = session_key(&first);
    for key in ["Team", "TEAM", "team"] {
        let overridden = assume(
            s,
            &first,
            &second_arn,
            &[("Tags.member.1.Key", key), ("Tags.member.1.Value", "blue")],
        )
        .await;
        assert_eq!(
            overridden.error(),
            (
                400,
                "InvalidParameterValue",
                "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session."
            ),
            "{key}"
        );
    }
    let other_tag = assume(
        s,
        &first,
        &second_arn,
        &[("Tags.member.1.Key", "Env"), ("Tags.member.1.Value", "dev")],
    )
    .await;
    assert_eq!(other_tag.status, 200, "{}", other_tag.body);
}

#[tokio::test]
async fn get_session_token_sessions_assume_roles_for_an_hour_at_most() {
    let s = &server(Enforcement::Strict).await;
    let alice = s.user("alice").await;
    let alice_arn = format!("arn:aws:iam::{ACCOUNT}:user/alice");
    make_role(
        s,
        &s.admin,
        "Long",
        &trust(&alice_arn, &["sts:AssumeRole"], None),
    )
    .await;
    let role = role_arn(ACCOUNT, "Long");
    // Long-term keys reach the role's own maximum.
    let direct = assume(s, &alice, &role, &[("DurationSeconds", "43200")]).await;
    assert_eq!(direct.status, 200, "{}", direct.body);

    let session = session_key(&s.sts(&alice, &[("Action", "GetSessionToken")]).await);
    let capped = assume(s, &session, &role, &[("DurationSeconds", "3601")]).await;
    assert_eq!(
        capped.error(),
        (
            400,
            "ValidationError",
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
        )
    );
    let hour = assume(s, &session, &role, &[("DurationSeconds", "3600")]).await;
    assert_eq!(hour.status, 200, "{}", hour.body);
}
