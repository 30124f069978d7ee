//! The pipeline in process: requests signed as a client signs them go through [`handle`] and
//! come back as AWS's responses, without a socket.

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use rolecall_sigv4::{SigningParams, format_amz_date, sign_headers, uri_encode};
use time::OffsetDateTime;

use super::handle;
use crate::app::{App, Enforcement};

const ACCOUNT: &str = "123456789012";

/// A server on a fresh SQLite store, and the administrator's key.
struct Server {
    app: App,
    admin: Key,
    _dir: tempfile::TempDir,
}

#[derive(Clone)]
struct Key {
    id: String,
    secret: String,
    token: Option<String>,
}

/// What came back.
#[derive(Debug)]
struct Answer {
    status: u16,
    request_id: String,
    body: String,
}

impl Answer {
    /// The text of the first `<tag>` element.
    fn get(&self, tag: &str) -> &str {
        let open = format!("<{tag}>");
        let start = self
            .body
            .find(&open)
            .unwrap_or_else(|| panic!("no <{tag}> in {}", self.body))
            + open.len();
        let end = self.body[start..].find(&format!("</{tag}>")).unwrap() + start;
        &self.body[start..end]
    }

    fn error(&self) -> (u16, &str, &str) {
        (self.status, self.get("Code"), self.get("Message"))
    }
}

async fn server(enforcement: Enforcement) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store = rolecall_store::Store::open_sqlite(dir.path())
        .await
        .unwrap();
    let (master, _) = crate::crypto::SealingKey::generate();
    let out = crate::bootstrap(&store, &master, ACCOUNT, "admin")
        .await
        .unwrap();
    let app = App::new(store, master, enforcement).await.unwrap();
    Server {
        app,
        admin: Key {
            id: out.access_key_id,
            secret: out.secret_access_key,
            token: None,
        },
        _dir: dir,
    }
}

mod identity;

fn form(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={}", uri_encode(v, false)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Server {
    /// Sends `params` to `service` as a POST form signed with `key`, or unsigned.
    async fn send_as(
        &self,
        method: &str,
        service: &str,
        key: Option<&Key>,
        params: &[(&str, &str)],
    ) -> Answer {
        let body = form(params);
        let mut headers = vec![
            ("host".to_owned(), "127.0.0.1".to_owned()),
            (
                "content-type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            ),
        ];
        if let Some(key) = key {
            let amz_date = format_amz_date(OffsetDateTime::now_utc());
            let signing = SigningParams {
                access_key_id: &key.id,
                secret_access_key: &key.secret,
                session_token: key.token.as_deref(),
                region: "us-east-1",
                service,
                amz_date: &amz_date,
            };
            let added = sign_headers(method, "/", "", &headers, body.as_bytes(), &signing);
            headers.extend(added);
        }
        let mut req = Request::builder().method(method).uri("/");
        for (n, v) in &headers {
            req = req.header(n.as_str(), v.as_str());
        }
        let req = req.body(Body::from(body)).unwrap();
        let peer = std::net::SocketAddr::from(([127, 0, 0, 1], 40_000));
        let resp = handle(State(self.app.clone()), ConnectInfo(peer), req).await;
        let status = resp.status().as_u16();
        let request_id = resp.headers()["x-amzn-RequestId"]
            .to_str()
            .unwrap()
            .to_owned();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        Answer {
            status,
            request_id,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    async fn iam(&self, key: &Key, params: &[(&str, &str)]) -> Answer {
        let mut all = params.to_vec();
        all.push(("Version", "2010-05-08"));
        self.send_as("POST", "iam", Some(key), &all).await
    }

    async fn sts(&self, key: &Key, params: &[(&str, &str)]) -> Answer {
        let mut all = params.to_vec();
        all.push(("Version", "2011-06-15"));
        self.send_as("POST", "sts", Some(key), &all).await
    }

    /// A user with an access key and no policies.
    async fn user(&self, name: &str) -> Key {
        let admin = self.admin.clone();
        let made = self
            .iam(&admin, &[("Action", "CreateUser"), ("UserName", name)])
            .await;
        assert_eq!(made.status, 200, "{}", made.body);
        let key = self
            .iam(&admin, &[("Action", "CreateAccessKey"), ("UserName", name)])
            .await;
        Key {
            id: key.get("AccessKeyId").to_owned(),
            secret: key.get("SecretAccessKey").to_owned(),
            token: None,
        }
    }
}

#[tokio::test]
async fn every_answer_carries_its_request_id() {
    let s = server(Enforcement::Strict).await;
    let ok = s.sts(&s.admin, &[("Action", "GetCallerIdentity")]).await;
    assert_eq!(ok.status, 200);
    assert!(ok.body.starts_with(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>"
    ));
    assert_eq!(ok.get("Arn"), "arn:aws:iam::123456789012:user/admin");
    assert_eq!(ok.get("RequestId"), ok.request_id);

    let unsigned = s
        .send_as(
            "POST",
            "sts",
            None,
            &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")],
        )
        .await;
    assert_eq!(
        unsigned.error(),
        (
            403,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token"
        )
    );
    assert_eq!(unsigned.get("RequestId"), unsigned.request_id);
}

#[tokio::test]
async fn failures_before_authentication_have_aws_codes() {
    let s = server(Enforcement::Strict).await;
    let missing = s.sts(&s.admin, &[]).await;
    assert_eq!(missing.error(), (400, "MissingAction", "Missing Action"));

    let unknown = s.sts(&s.admin, &[("Action", "Nope")]).await;
    assert_eq!(
        unknown.error(),
        (
            400,
            "InvalidAction",
            "Could not find operation Nope for version 2011-06-15"
        )
    );

    let version = s
        .send_as(
            "POST",
            "sts",
            Some(&s.admin),
            &[("Action", "GetCallerIdentity"), ("Version", "2010-05-08")],
        )
        .await;
    assert_eq!(
        version.error(),
        (
            400,
            "InvalidAction",
            "Could not find operation GetCallerIdentity for version 2010-05-08"
        )
    );

    let put = s
        .send_as(
            "PUT",
            "sts",
            Some(&s.admin),
            &[("Action", "GetCallerIdentity")],
        )
        .await;
    assert_eq!(
        put.error(),
        (400, "InvalidAction", "Method PUT is not supported")
    );
}

#[tokio::test]
async fn listings_page_by_marker_under_a_path_prefix() {
    let s = server(Enforcement::Strict).await;
    let admin = s.admin.clone();
    for (name, path) in [("a1", "/team/"), ("a2", "/team/"), ("a3", "/team/")] {
        let r = s
            .iam(
                &admin,
                &[("Action", "CreateUser"), ("UserName", name), ("Path", path)],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let first = s
        .iam(
            &admin,
            &[
                ("Action", "ListUsers"),
                ("PathPrefix", "/team/"),
                ("MaxItems", "2"),
            ],
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body.matches("<member>").count(), 2);
    assert_eq!(first.get("IsTruncated"), "true");
    let marker = first.get("Marker").to_owned();
    let rest = s
        .iam(
            &admin,
            &[
                ("Action", "ListUsers"),
                ("PathPrefix", "/team/"),
                ("Marker", &marker),
            ],
        )
        .await;
    assert_eq!(rest.body.matches("<member>").count(), 1);
    assert_eq!(rest.get("UserName"), "a3");
    assert_eq!(rest.get("IsTruncated"), "false");

    let bad = s
        .iam(
            &admin,
            &[
                ("Action", "ListPolicies"),
                ("Scope", "Mine"),
                ("MaxItems", "0"),
            ],
        )
        .await;
    assert_eq!(
        bad.error(),
        (
            400,
            "ValidationError",
            "2 validation errors detected: Value 'Mine' at 'scope' failed to satisfy constraint: Member must satisfy regular expression pattern: All|AWS|Local; Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"
        )
    );
}

#[tokio::test]
async fn denials_carry_aws_messages_and_soft_enforcement_allows_them() {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;
    for enforcement in [Enforcement::Strict, Enforcement::Soft] {
        let s = server(enforcement).await;
        let admin = s.admin.clone();
        let bob = s.user("bob").await;
        let role = s
            .iam(
                &admin,
                &[
                    ("Action", "CreateRole"),
                    ("RoleName", "r"),
                    ("AssumeRolePolicyDocument", trust),
                ],
            )
            .await;
        assert_eq!(role.status, 200, "{}", role.body);

        let list = s.iam(&bob, &[("Action", "ListUsers")]).await;
        let assume = s
            .sts(
                &bob,
                &[
                    ("Action", "AssumeRole"),
                    ("RoleArn", "arn:aws:iam::123456789012:role/r"),
                    ("RoleSessionName", "s1"),
                ],
            )
            .await;
        if enforcement == Enforcement::Strict {
            assert_eq!(
                list.error(),
                (
                    403,
                    "AccessDenied",
                    "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::123456789012:user/ because no identity-based policy allows the iam:ListUsers action"
                )
            );
            assert_eq!(
                assume.error(),
                (
                    403,
                    "AccessDenied",
                    "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/r"
                )
            );
        } else {
            assert_eq!(list.status, 200, "{}", list.body);
            assert_eq!(assume.status, 200, "{}", assume.body);
            assert_eq!(
                assume.get("Arn"),
                "arn:aws:sts::123456789012:assumed-role/r/s1"
            );
        }
        // A missing role is refused like a denied one, whatever the enforcement.
        let missing = s
            .sts(
                &bob,
                &[
                    ("Action", "AssumeRole"),
                    ("RoleArn", "arn:aws:iam::123456789012:role/none"),
                    ("RoleSessionName", "s1"),
                ],
            )
            .await;
        assert_eq!(
            missing.error(),
            (
                403,
                "AccessDenied",
                "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/none"
            )
        );
    }
}

/// A permissions boundary whose policy is gone (a DeletePolicy that raced the
/// PutUserPermissionsBoundary naming it) allows nothing: it is never dropped.
#[tokio::test]
async fn a_boundary_whose_policy_is_gone_allows_nothing() {
    let s = server(Enforcement::Strict).await;
    let admin = s.admin.clone();
    let allow_list = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}"#;
    let created = s
        .iam(
            &admin,
            &[
                ("Action", "CreatePolicy"),
                ("PolicyName", "bounds"),
                ("PolicyDocument", allow_list),
            ],
        )
        .await;
    let arn = created.get("Arn").to_owned();
    let deleted = s
        .iam(&admin, &[("Action", "DeletePolicy"), ("PolicyArn", &arn)])
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    // The state the race leaves: users whose boundary names a policy that no longer exists
    // (`dana`), and, to compare, none (`erin`); both allowed iam:ListUsers.
    let mut keys = Vec::new();
    for (name, boundary) in [("dana", Some(arn.clone())), ("erin", None)] {
        s.app
            .store()
            .create_entity(
                rolecall_store::EntityKind::User,
                &rolecall_store::Entity {
                    account_id: ACCOUNT.to_owned(),
                    name: name.to_owned(),
                    path: "/".to_owned(),
                    id: format!("AIDAQAAAAAAAAAAA{}", name.to_uppercase()),
                    created_at: 1_700_000_000,
                    boundary_arn: boundary,
                },
            )
            .await
            .unwrap();
        let put = s
            .iam(
                &admin,
                &[
                    ("Action", "PutUserPolicy"),
                    ("UserName", name),
                    ("PolicyName", "list"),
                    ("PolicyDocument", allow_list),
                ],
            )
            .await;
        assert_eq!(put.status, 200, "{}", put.body);
        let key = s
            .iam(&admin, &[("Action", "CreateAccessKey"), ("UserName", name)])
            .await;
        keys.push(Key {
            id: key.get("AccessKeyId").to_owned(),
            secret: key.get("SecretAccessKey").to_owned(),
            token: None,
        });
    }
    assert_eq!(
        s.iam(&keys[0], &[("Action", "ListUsers")]).await.status,
        403,
        "a boundary that cannot be read must not lift the limit"
    );
    assert_eq!(
        s.iam(&keys[1], &[("Action", "ListUsers")]).await.status,
        200
    );
}

#[tokio::test]
async fn attach_and_detach_check_the_owner_then_the_policy() {
    let s = server(Enforcement::Strict).await;
    let admin = s.admin.clone();
    let read_only = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    let ghost = s
        .iam(
            &admin,
            &[
                ("Action", "AttachUserPolicy"),
                ("UserName", "ghost"),
                ("PolicyArn", read_only),
            ],
        )
        .await;
    assert_eq!(
        ghost.error(),
        (
            404,
            "NoSuchEntity",
            "The user with name ghost cannot be found."
        )
    );
    s.user("carol").await;
    let attach = |arn: &'static str, action: &'static str| {
        let admin = admin.clone();
        let s = &s;
        async move {
            s.iam(
                &admin,
                &[
                    ("Action", action),
                    ("UserName", "carol"),
                    ("PolicyArn", arn),
                ],
            )
            .await
        }
    };
    let nothing = "arn:aws:iam::aws:policy/Nothing";
    assert_eq!(
        attach(nothing, "AttachUserPolicy").await.error(),
        (
            404,
            "NoSuchEntity",
            "Policy arn:aws:iam::aws:policy/Nothing does not exist or is not attachable."
        )
    );
    assert_eq!(
        attach(read_only, "DetachUserPolicy").await.error(),
        (
            404,
            "NoSuchEntity",
            "Policy arn:aws:iam::aws:policy/ReadOnlyAccess was not found."
        )
    );
    assert_eq!(attach(read_only, "AttachUserPolicy").await.status, 200);
    let listed = s
        .iam(
            &admin,
            &[
                ("Action", "ListAttachedUserPolicies"),
                ("UserName", "carol"),
            ],
        )
        .await;
    assert_eq!(listed.get("PolicyArn"), read_only);
    assert_eq!(attach(read_only, "DetachUserPolicy").await.status, 200);
}

#[tokio::test]
async fn session_and_federation_tokens_name_their_caller() {
    let s = server(Enforcement::Strict).await;
    let admin = s.admin.clone();
    let session = s.sts(&admin, &[("Action", "GetSessionToken")]).await;
    assert_eq!(session.status, 200, "{}", session.body);
    let federated = s
        .sts(&admin, &[("Action", "GetFederationToken"), ("Name", "fed")])
        .await;
    assert_eq!(federated.status, 200, "{}", federated.body);
    assert_eq!(federated.get("FederatedUserId"), "123456789012:fed");
    for (answer, arn, user_id) in [
        (&session, "arn:aws:iam::123456789012:user/admin", None),
        (
            &federated,
            "arn:aws:sts::123456789012:federated-user/fed",
            Some("123456789012:fed"),
        ),
    ] {
        let key = Key {
            id: answer.get("AccessKeyId").to_owned(),
            secret: answer.get("SecretAccessKey").to_owned(),
            token: Some(answer.get("SessionToken").to_owned()),
        };
        let me = s.sts(&key, &[("Action", "GetCallerIdentity")]).await;
        assert_eq!(me.get("Arn"), arn);
        if let Some(id) = user_id {
            assert_eq!(me.get("UserId"), id);
        }
    }
}

#[tokio::test]
async fn input_is_checked_against_the_model_with_ascii_word_classes() {
    let s = server(Enforcement::Strict).await;
    let admin = s.admin.clone();
    // AWS's `\w` is ASCII: a user name with other letters is refused.
    let unicode = s
        .iam(&admin, &[("Action", "CreateUser"), ("UserName", "rté中")])
        .await;
    assert_eq!(
        unicode.error(),
        (
            400,
            "ValidationError",
            "1 validation error detected: Value 'rté中' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
        )
    );
    let listed = s.iam(&admin, &[("Action", "ListUsers")]).await;
    assert!(!listed.body.contains("rté"), "{}", listed.body);

    // The model's findings and a handler's own check join in one message.
    let long = "d".repeat(227);
    let device = s
        .iam(
            &admin,
            &[
                ("Action", "CreateVirtualMFADevice"),
                ("VirtualMFADeviceName", &long),
                ("Path", "no-slash"),
            ],
        )
        .await;
    let expected = format!(
        "2 validation errors detected: Value 'no-slash' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F); Value '{long}' at 'virtualMFADeviceName' failed to satisfy constraint: Member must have length less than or equal to 226"
    );
    assert_eq!(device.error(), (400, "ValidationError", expected.as_str()));

    // A model pattern the regex crate cannot run is matched by its equivalent.
    let alias = s
        .iam(
            &admin,
            &[
                ("Action", "CreateAccountAlias"),
                ("AccountAlias", "bad--alias"),
            ],
        )
        .await;
    assert_eq!(
        alias.error(),
        (
            400,
            "ValidationError",
            "1 validation error detected: Value 'bad--alias' at 'accountAlias' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$"
        )
    );
    let good = s
        .iam(
            &admin,
            &[
                ("Action", "CreateAccountAlias"),
                ("AccountAlias", "good-alias"),
            ],
        )
        .await;
    assert_eq!(good.status, 200, "{}", good.body);
}

#[tokio::test]
async fn a_long_term_key_with_a_security_token_is_refused() {
    let s = server(Enforcement::Strict).await;
    // A stale AWS_SESSION_TOKEN beside long-term keys: AWS refuses the request instead of
    // ignoring the token, for a user's key and for the root's.
    let bob = s.user("bob").await;
    let session = s.sts(&s.admin, &[("Action", "GetSessionToken")]).await;
    assert_eq!(session.status, 200, "{}", session.body);
    let token = session.get("SessionToken").to_owned();
    for key in [&s.admin, &bob] {
        for stale in [token.as_str(), "not-a-token"] {
            let with_token = Key {
                token: Some(stale.to_owned()),
                ..key.clone()
            };
            for answer in [
                s.sts(&with_token, &[("Action", "GetCallerIdentity")]).await,
                s.iam(&with_token, &[("Action", "ListUsers")]).await,
            ] {
                assert_eq!(
                    answer.error(),
                    (
                        403,
                        "InvalidClientTokenId",
                        "The security token included in the request is invalid"
                    )
                );
            }
        }
    }
    let plain = s.sts(&bob, &[("Action", "GetCallerIdentity")]).await;
    assert_eq!(plain.status, 200, "{}", plain.body);
}
