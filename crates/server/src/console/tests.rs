//! Console sign-in in process: `getSigninToken` and `login` through their handlers, the
//! console page and sign-out, and the `ConsoleLogin` record.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::response::Response;
use rolecall_arn::IdKind;
use rolecall_sigv4::uri_encode;
use rolecall_store::{Entity, EntityKind, Role};
use time::OffsetDateTime;

use super::federation::{NOT_FEDERATED, federation, same_host};
use super::page::{console, sign_out};
use super::tokens::SigninToken;
use super::{ConsoleSettings, tokens};
use crate::app::{App, Enforcement};
use crate::token::{SessionClaims, SessionKind};

const ACCOUNT: &str = "123456789012";
const HOST: &str = "127.0.0.1:4566";

struct Fixture {
    app: App,
    role_id: String,
    user_id: String,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = rolecall_store::Store::open_sqlite(dir.path())
        .await
        .unwrap();
    let (master, _) = crate::crypto::SealingKey::generate();
    crate::bootstrap(&store, &master, ACCOUNT, "admin")
        .await
        .unwrap();
    let user_id = store
        .get_entity(EntityKind::User, ACCOUNT, "admin")
        .await
        .unwrap()
        .id;
    let role_id = "AROAEXAMPLEOPSROLE001".to_owned();
    store
        .create_role(&Role {
            entity: Entity {
                account_id: ACCOUNT.into(),
                name: "Ops".into(),
                path: "/".into(),
                id: role_id.clone(),
                created_at: 0,
                boundary_arn: None,
            },
            trust_policy: r#"{"Version":"2012-10-17","Statement":[]}"#.into(),
            description: None,
            max_session_duration: 3600,
            last_used_at: None,
        })
        .await
        .unwrap();
    let app = App::new(store, master, Enforcement::Strict).await.unwrap();
    Fixture {
        app,
        role_id,
        user_id,
        _dir: dir,
    }
}

/// The key id, secret and token of a session of `kind` (a role session of Ops, a
/// GetFederationToken or GetSessionToken session of admin), expiring in `lifetime` seconds.
struct Creds {
    id: String,
    secret: String,
    token: String,
}

impl Fixture {
    async fn session(&self, kind: SessionKind, lifetime: i64, mfa: bool) -> Creds {
        self.session_of(kind, lifetime, mfa, false).await
    }

    /// As [`Fixture::session`]; `chained` marks a role session had by role chaining.
    async fn session_of(
        &self,
        kind: SessionKind,
        lifetime: i64,
        mfa: bool,
        chained: bool,
    ) -> Creds {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let (name, id, session_name) = match kind {
            SessionKind::Role => ("Ops", self.role_id.as_str(), "console-test"),
            SessionKind::Federated => ("admin", self.user_id.as_str(), "fed-admin"),
            SessionKind::User => ("admin", self.user_id.as_str(), ""),
        };
        let claims = SessionClaims {
            kind,
            account: ACCOUNT.into(),
            access_key_id: rolecall_arn::new_access_key_id(IdKind::TemporaryAccessKey, ACCOUNT),
            secret: "s".repeat(40),
            issued: now - 10,
            expires: now + lifetime,
            mfa_at: mfa.then_some(now - 10),
            name: name.into(),
            id: id.into(),
            path: "/".into(),
            session_name: session_name.into(),
            policy: None,
            policy_arns: Vec::new(),
            tags: Vec::new(),
            transitive: Vec::new(),
            source_identity: None,
            chained,
        };
        Creds {
            token: self.app.seal_token(&claims).await,
            id: claims.access_key_id,
            secret: claims.secret,
        }
    }

    async fn send(&self, req: Request) -> (u16, Vec<(String, String)>, String) {
        let path = req.uri().path().to_owned();
        let method = req.method().clone();
        let app = State(self.app.clone());
        let r: Response = match (path.as_str(), method.as_str()) {
            ("/federation", _) => federation(app, req).await,
            ("/console", "GET") => console(app, req).await,
            ("/console/signout", "POST") => sign_out(app, req).await,
            other => panic!("no route {other:?}"),
        };
        let status = r.status().as_u16();
        let headers = r
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
            .collect();
        let body = to_bytes(r.into_body(), usize::MAX).await.unwrap();
        (status, headers, String::from_utf8(body.to_vec()).unwrap())
    }

    async fn get(&self, uri: &str, cookie: Option<&str>) -> (u16, Vec<(String, String)>, String) {
        let mut b = Request::builder().uri(uri).header("host", HOST);
        if let Some(c) = cookie {
            b = b.header("cookie", c);
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    /// `getSigninToken` for `creds`, with `extra` parameters.
    async fn signin_token(&self, creds: &Creds, extra: &str) -> (u16, String) {
        let session = serde_json::json!({"sessionId": creds.id, "sessionKey": creds.secret, "sessionToken": creds.token});
        let uri = format!(
            "/federation?Action=getSigninToken{extra}&Session={}",
            uri_encode(&session.to_string(), false)
        );
        let (status, _, body) = self.get(&uri, None).await;
        (status, body)
    }

    async fn login(&self, token: &str, destination: &str) -> (u16, Vec<(String, String)>, String) {
        let uri = format!(
            "/federation?Action=login&Issuer=https%3A%2F%2Fidp.example%2F&Destination={}&SigninToken={}",
            uri_encode(destination, false),
            uri_encode(token, false)
        );
        self.get(&uri, None).await
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn token_of(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["SigninToken"].as_str().unwrap().to_owned()
}

/// The `name=value` part of a `Set-Cookie`.
fn cookie_of(headers: &[(String, String)]) -> String {
    header(headers, "set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn sign_in_token_opens_a_console_session_once() {
    let f = fixture().await;
    let creds = f.session(SessionKind::Role, 3600, true).await;
    let (status, body) = f.signin_token(&creds, "").await;
    assert_eq!(status, 200, "{body}");
    let token = token_of(&body);
    let (status, headers, _) = f
        .login(&token, &format!("http://{HOST}/console?from=cli"))
        .await;
    assert_eq!(status, 302);
    assert_eq!(
        header(&headers, "location"),
        Some(format!("http://{HOST}/console?from=cli").as_str())
    );
    let set = header(&headers, "set-cookie").unwrap();
    for attribute in ["Path=/", "HttpOnly", "SameSite=Lax", "Max-Age="] {
        assert!(set.contains(attribute), "{set}");
    }
    assert!(!set.contains("Secure"), "{set}");
    let cookie = cookie_of(&headers);

    let (status, _, page) = f.get("/console", Some(&cookie)).await;
    assert_eq!(status, 200, "{page}");
    for shown in [
        "arn:aws:sts::123456789012:assumed-role/Ops/console-test",
        "<dd id=\"account\">123456789012</dd>",
        "<dd id=\"session-name\">console-test</dd>",
        "<dd id=\"mfa\">Yes</dd>",
        "arn:aws:iam::123456789012:role/Ops",
    ] {
        assert!(page.contains(shown), "{shown} not in {page}");
    }

    // The same token again is refused, whoever presents it.
    let (status, _, page) = f.login(&token, "/console").await;
    assert_eq!(status, 400);
    assert!(page.contains("already been used"), "{page}");
}

#[tokio::test]
async fn expired_and_forged_sign_in_tokens_are_refused() {
    let f = fixture().await;
    let creds = f.session(SessionKind::Role, 3600, false).await;
    let (_, body) = f.signin_token(&creds, "").await;
    let token = token_of(&body);

    // One sealed with a lifetime already over.
    let mut opened = SigninToken::open(&f.app, &token).await.unwrap();
    opened.not_after = OffsetDateTime::now_utc().unix_timestamp() - 1;
    let expired = opened.seal(&f.app).await;
    let (status, _, page) = f.login(&expired, "/console").await;
    assert_eq!(status, 400);
    assert!(page.contains("has expired"), "{page}");

    // A shorter lifetime setting is honoured.
    let short = fixture().await;
    let short = Fixture {
        app: short.app.clone().with_console(ConsoleSettings {
            signin_token_seconds: 1,
        }),
        ..short
    };
    let creds = short.session(SessionKind::Role, 3600, false).await;
    let (_, body) = short.signin_token(&creds, "").await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (status, _, page) = short.login(&token_of(&body), "/console").await;
    assert_eq!(status, 400);
    assert!(page.contains("has expired"), "{page}");

    // One changed by a bit, one sealed for another purpose (a session token), and nonsense.
    let mut raw = data_encoding::BASE64URL_NOPAD
        .decode(token.as_bytes())
        .unwrap();
    let last = raw.len() - 1;
    raw[last] ^= 1;
    let forged = data_encoding::BASE64URL_NOPAD.encode(&raw);
    let session_token = data_encoding::BASE64URL_NOPAD.encode(
        &data_encoding::BASE64
            .decode(creds.token.as_bytes())
            .unwrap(),
    );
    for bad in [forged.as_str(), session_token.as_str(), "nonsense", ""] {
        let (status, _, page) = f.login(bad, "/console").await;
        assert_eq!(status, 400, "{bad}");
        assert!(page.contains("not valid"), "{page}");
    }
    // The genuine token still works: the refusals spent nothing.
    let (status, _, _) = f.login(&token, "/console").await;
    assert_eq!(status, 302);
}

#[tokio::test]
async fn get_signin_token_accepts_only_genuine_temporary_credentials() {
    let f = fixture().await;
    let good = f.session(SessionKind::Role, 3600, false).await;
    // Long-term keys (no session token), as AWS: Bad Request.
    let uri = format!(
        "/federation?Action=getSigninToken&Session={}",
        uri_encode(
            &serde_json::json!({"sessionId": "AKIAEXAMPLEEXAMPLE01", "sessionKey": "x"})
                .to_string(),
            false
        )
    );
    let (status, _, body) = f.get(&uri, None).await;
    assert_eq!((status, body.as_str()), (400, "Bad Request"));
    // A wrong secret, another key id, an expired session, a forged token.
    let wrong_secret = Creds {
        secret: "t".repeat(40),
        ..f.session(SessionKind::Role, 3600, false).await
    };
    let other_key = Creds {
        id: rolecall_arn::new_access_key_id(IdKind::TemporaryAccessKey, ACCOUNT),
        ..f.session(SessionKind::Role, 3600, false).await
    };
    let expired = f.session(SessionKind::Role, -1, false).await;
    let forged = Creds {
        token: format!("{}A", &good.token[..good.token.len() - 1]),
        ..f.session(SessionKind::Role, 3600, false).await
    };
    for bad in [&wrong_secret, &other_key, &expired, &forged] {
        assert_eq!(f.signin_token(bad, "").await.0, 400);
    }
    // A session of a role that is gone.
    f.app
        .store()
        .delete_entity(EntityKind::Role, ACCOUNT, "Ops")
        .await
        .unwrap();
    f.app.invalidate_caches();
    assert_eq!(f.signin_token(&good, "").await.0, 400);
    // Malformed requests.
    for uri in [
        "/federation",
        "/federation?Action=nothing",
        "/federation?Action=getSigninToken",
        "/federation?Action=getSigninToken&Session=%7B",
    ] {
        assert_eq!(f.get(uri, None).await.0, 400, "{uri}");
    }
}

#[tokio::test]
async fn session_duration_is_for_role_sessions_only() {
    let f = fixture().await;
    let role = f.session(SessionKind::Role, 900, false).await;
    let (status, body) = f.signin_token(&role, "&SessionDuration=43200").await;
    assert_eq!(status, 200);
    let opened = SigninToken::open(&f.app, &token_of(&body)).await.unwrap();
    let now = OffsetDateTime::now_utc().unix_timestamp();
    assert!((now + 43_190..=now + 43_200).contains(&opened.session_end));
    // Without it, the console session lasts as long as the credentials.
    let (_, body) = f.signin_token(&role, "").await;
    let opened = SigninToken::open(&f.app, &token_of(&body)).await.unwrap();
    assert!((now + 890..=now + 900).contains(&opened.session_end));
    for out_of_range in ["899", "43201", "x", ""] {
        let extra = format!("&SessionDuration={out_of_range}");
        assert_eq!(f.signin_token(&role, &extra).await.0, 400, "{out_of_range}");
    }
    // A federated user's session is accepted, but not with SessionDuration.
    let federated = f.session(SessionKind::Federated, 3600, false).await;
    assert_eq!(f.signin_token(&federated, "").await.0, 200);
    assert_eq!(
        f.signin_token(&federated, "&SessionDuration=3600").await.0,
        400
    );
}

#[tokio::test]
async fn session_duration_over_an_hour_is_refused_for_a_chained_role_session() {
    let f = fixture().await;
    let chained = f.session_of(SessionKind::Role, 3600, false, true).await;
    // AWS answers a chained session's SessionDuration above an hour with 400 Bad Request.
    for over in ["3601", "43200"] {
        let (status, body) = f
            .signin_token(&chained, &format!("&SessionDuration={over}"))
            .await;
        assert_eq!((status, body.as_str()), (400, "Bad Request"), "{over}");
    }
    // Up to an hour it is accepted, and so is no SessionDuration at all.
    let (status, body) = f.signin_token(&chained, "&SessionDuration=3600").await;
    assert_eq!(status, 200, "{body}");
    let opened = SigninToken::open(&f.app, &token_of(&body)).await.unwrap();
    let now = OffsetDateTime::now_utc().unix_timestamp();
    assert!((now + 3590..=now + 3600).contains(&opened.session_end));
    assert_eq!(f.signin_token(&chained, "").await.0, 200);
    // A role session had with long-term keys keeps the full range.
    let direct = f.session(SessionKind::Role, 3600, false).await;
    assert_eq!(
        f.signin_token(&direct, "&SessionDuration=43200").await.0,
        200
    );
}

#[tokio::test]
async fn get_session_token_sessions_are_refused_at_login_with_aws_message() {
    let f = fixture().await;
    let creds = f.session(SessionKind::User, 3600, true).await;
    let (status, body) = f.signin_token(&creds, "").await;
    assert_eq!(status, 200);
    let (status, headers, page) = f.login(&token_of(&body), "/console").await;
    assert_eq!(status, 400);
    assert!(header(&headers, "set-cookie").is_none());
    assert!(page.contains(NOT_FEDERATED), "{page}");
}

#[tokio::test]
async fn post_form_federated_login_and_sign_out_ends_the_session() {
    let f = fixture().await;
    let creds = f.session(SessionKind::Federated, 3600, false).await;
    let session = serde_json::json!({"sessionId": creds.id, "sessionKey": creds.secret, "sessionToken": creds.token});
    let form = format!(
        "Action=getSigninToken&Session={}",
        uri_encode(&session.to_string(), false)
    );
    let req = Request::builder()
        .method("POST")
        .uri("/federation")
        .header("host", HOST)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .unwrap();
    let (status, _, body) = f.send(req).await;
    assert_eq!(status, 200, "{body}");
    // Another host's destination is not followed.
    let (status, headers, _) = f
        .login(&token_of(&body), "https://evil.example/steal")
        .await;
    assert_eq!(status, 302);
    assert_eq!(header(&headers, "location"), Some("/console"));
    let cookie = cookie_of(&headers);
    let (status, _, page) = f.get("/console", Some(&cookie)).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("arn:aws:sts::123456789012:federated-user/fed-admin")
            && page.contains("<dd id=\"mfa\">No</dd>")
            && page.contains("arn:aws:iam::123456789012:user/admin"),
        "{page}"
    );

    // Sign-out from another site is refused.
    let post = |origin: &str| {
        Request::builder()
            .method("POST")
            .uri("/console/signout")
            .header("host", HOST)
            .header("origin", origin)
            .header("cookie", cookie.as_str())
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(f.send(post("https://evil.example")).await.0, 403);
    assert_eq!(f.get("/console", Some(&cookie)).await.0, 200);
    let (status, headers, page) = f.send(post(&format!("http://{HOST}"))).await;
    assert_eq!(status, 200);
    assert!(page.contains("You have signed out"), "{page}");
    assert!(page.contains("href=\"https://idp.example/\""), "{page}");
    assert!(
        header(&headers, "set-cookie")
            .unwrap()
            .contains("Max-Age=0")
    );
    // The session is over for every copy of the cookie, not only this browser's.
    let (status, _, page) = f.get("/console", Some(&cookie)).await;
    assert_eq!(status, 401);
    assert!(page.contains("not signed in"), "{page}");
    assert_eq!(f.get("/console", None).await.0, 401);
    assert_eq!(
        f.get("/console", Some("rolecall-console=forged")).await.0,
        401
    );
}

#[test]
fn destinations_stay_on_this_host() {
    let host = Some(HOST);
    for ok in [
        "/console",
        "/console?x=1",
        "http://127.0.0.1:4566/console",
        "HTTPS://127.0.0.1:4566",
        "http://127.0.0.1:4566?x",
    ] {
        assert_eq!(same_host(ok, host), Some(ok), "{ok}");
    }
    for bad in [
        "//evil.example/",
        "https://evil.example/",
        "http://127.0.0.1:4566@evil.example/",
        "http://127.0.0.1:45660/",
        "javascript:alert(1)",
        "/\\evil.example",
        "/console\r\nSet-Cookie: x=y",
        "console",
        "",
    ] {
        assert_eq!(same_host(bad, host), None, "{bad}");
    }
    assert_eq!(same_host("http://127.0.0.1:4566/", None), None);
}

#[test]
fn console_tokens_carry_no_secrets() {
    let claims = SessionClaims {
        kind: SessionKind::Role,
        account: ACCOUNT.into(),
        access_key_id: "ASIAEXAMPLE".into(),
        secret: "secret".into(),
        issued: 0,
        expires: 1,
        mfa_at: None,
        name: "Ops".into(),
        id: "AROA".into(),
        path: "/".into(),
        session_name: "s".into(),
        policy: Some("{}".into()),
        policy_arns: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
        tags: vec![("k".into(), "v".into())],
        transitive: vec!["k".into()],
        source_identity: Some("me".into()),
        chained: false,
    };
    let kept = tokens::identity_only(&claims);
    assert!(kept.secret.is_empty() && kept.policy.is_none() && kept.policy_arns.is_empty());
    assert!(kept.tags.is_empty() && kept.transitive.is_empty());
    assert_eq!(kept.source_identity.as_deref(), Some("me"));
    assert_eq!(kept.access_key_id, "ASIAEXAMPLE");
}

#[tokio::test]
async fn console_login_is_recorded_as_cloudtrail_records_it() {
    let f = fixture().await;
    let creds = f.session(SessionKind::Role, 3600, true).await;
    let claims = f.app.open_token(&creds.token).await.unwrap();
    let principal = crate::auth::session_principal(&creds.id, std::sync::Arc::new(claims));
    let row = crate::audit::console_login(&crate::audit::ConsoleLogin {
        principal: &principal,
        destination: "http://127.0.0.1:4566/console",
        failure: None,
        source_ip: "127.0.0.1",
        user_agent: Some("Chrome"),
        now: OffsetDateTime::now_utc(),
        account_alias: None,
    });
    assert_eq!(
        (row.event_name.as_str(), row.event_source.as_str()),
        ("ConsoleLogin", "signin.amazonaws.com")
    );
    assert_eq!(row.username.as_deref(), Some("console-test"));
    let r: serde_json::Value = serde_json::from_str(&row.record).unwrap();
    assert_eq!(r["eventType"], "AwsConsoleSignIn");
    assert_eq!(r["awsRegion"], "us-east-1");
    assert_eq!(
        r["responseElements"],
        serde_json::json!({"ConsoleLogin": "Success"})
    );
    assert_eq!(r["additionalEventData"]["MFAUsed"], "Yes");
    assert_eq!(
        r["additionalEventData"]["LoginTo"],
        "http://127.0.0.1:4566/console"
    );
    assert_eq!(r["userIdentity"]["type"], "AssumedRole");
    assert_eq!(
        r["userIdentity"]["arn"],
        "arn:aws:sts::123456789012:assumed-role/Ops/console-test"
    );
    assert!(r["requestParameters"].is_null() && r["recipientAccountId"] == ACCOUNT);
    assert!(r.get("errorCode").is_none() && r.get("requestID").is_none());
}
