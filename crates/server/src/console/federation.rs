//! `/federation`: `Action=getSigninToken` (a GET query or a POST form, as the tools send it)
//! turns temporary credentials into a sign-in token; `Action=login` turns that token, once,
//! into a console session cookie and sends the browser on.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use rolecall_wire::Params;
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use super::page::{self, COOKIE};
use super::tokens::{ConsoleSession, SigninToken, identity_only};
use super::{header_text, peer_ip, respond};
use crate::app::App;
use crate::audit::{ConsoleLogin, console_login};
use crate::principal::Principal;
use crate::token::SessionKind;

/// The largest request body read (a `Session` is a few kilobytes).
const MAX_BODY: usize = 64 * 1024;
/// A client that has not sent its body by then is cut off.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// `SessionDuration`'s range.
const SESSION_DURATION: std::ops::RangeInclusive<i64> = 900..=43_200;
/// The longest `SessionDuration` of a session had by role chaining (AWS gives longer console
/// sessions only to roles assumed with long-term keys).
const CHAINED_SESSION_DURATION: i64 = 3600;
/// The longest `Issuer` kept with a console session (it travels in the cookie).
const MAX_ISSUER: usize = 1024;
/// What AWS's console answers a GetSessionToken session with.
pub(super) const NOT_FEDERATED: &str = "Only federation tokens or assume role tokens may be used for federated login. Please contact your administrator.";

/// The `Session` parameter of `getSigninToken`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionParam {
    session_id: String,
    session_key: String,
    #[serde(default)]
    session_token: Option<String>,
}

/// Serves `/federation`.
pub(super) async fn federation(State(app): State<App>, req: Request) -> Response {
    let now = OffsetDateTime::now_utc();
    let (parts, body) = req.into_parts();
    let params = match read_params(&parts, body).await {
        Ok(p) => p,
        Err(why) => return bad_request(&why),
    };
    match params.get("Action") {
        Some("getSigninToken") => get_signin_token(&app, &params, now).await,
        Some("login") => login(&app, &parts, &params, now).await,
        Some(other) => bad_request(&format!("unknown Action {other}")),
        None => bad_request("no Action"),
    }
}

/// The query's parameters, and a POSTed form's.
async fn read_params(parts: &Parts, body: Body) -> Result<Params, String> {
    let mut params = Params::default();
    params
        .extend_from_form(parts.uri.query().unwrap_or("").as_bytes())
        .map_err(|e| e.message)?;
    let is_form = header_text(parts, "content-type").is_none_or(|ct| {
        ct.to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    });
    if parts.method == axum::http::Method::POST && is_form {
        let bytes = tokio::time::timeout(BODY_TIMEOUT, to_bytes(body, MAX_BODY))
            .await
            .map_err(|_| "timed out reading the request body".to_owned())?
            .map_err(|_| format!("the request body is over {MAX_BODY} bytes"))?;
        params.extend_from_form(&bytes).map_err(|e| e.message)?;
    }
    Ok(params)
}

/// A refused `getSigninToken` or malformed request: AWS answers `400 Bad Request`, without
/// saying which check failed. The reason is logged.
fn bad_request(why: &str) -> Response {
    tracing::debug!(reason = why, "federation request refused");
    respond(
        StatusCode::BAD_REQUEST,
        "text/plain; charset=utf-8",
        "Bad Request".to_owned(),
    )
}

/// `Action=getSigninToken`: temporary credentials, verified as a signed request's are, in
/// exchange for a sign-in token. Role and federated-user sessions are accepted, and
/// GetSessionToken sessions too (AWS's console refuses those at `login`, with its message);
/// long-term keys are refused. `SessionDuration` sets the console session's length, for role
/// sessions only, and at most an hour for a session had by role chaining; without it the
/// session lasts as long as the credentials.
async fn get_signin_token(app: &App, params: &Params, now: OffsetDateTime) -> Response {
    let Some(session) = params
        .get("Session")
        .and_then(|s| serde_json::from_str::<SessionParam>(s).ok())
    else {
        return bad_request("no Session, or not the JSON of sessionId, sessionKey, sessionToken");
    };
    let Some(token) = session.session_token.as_deref().filter(|t| !t.is_empty()) else {
        return bad_request("long-term credentials (no sessionToken)");
    };
    let duration = match params.get("SessionDuration") {
        None => None,
        Some(d) => match d.parse::<i64>() {
            Ok(d) if SESSION_DURATION.contains(&d) => Some(d),
            _ => return bad_request("SessionDuration is not a number of seconds in 900..43200"),
        },
    };
    let principal = match crate::auth::verify_temporary(
        app,
        &session.session_id,
        &session.session_key,
        token,
        now,
    )
    .await
    {
        Ok(p) => p,
        Err(e) => return bad_request(&format!("the credentials are refused: {}", e.kind.code())),
    };
    let Some(claims) = principal.session.as_deref() else {
        return bad_request("not a session");
    };
    let session_end = match (claims.kind, duration) {
        (SessionKind::Role, Some(d)) if claims.chained && d > CHAINED_SESSION_DURATION => {
            return bad_request("SessionDuration is over an hour for a session of role chaining");
        }
        (SessionKind::Role, Some(d)) => now.unix_timestamp() + d,
        (_, Some(_)) => {
            return bad_request("SessionDuration is accepted for role sessions only");
        }
        (_, None) => claims.expires,
    };
    let signin = SigninToken {
        id: uuid::Uuid::new_v4().to_string(),
        not_after: now.unix_timestamp() + app.console().signin_token_seconds,
        session_end,
        claims: identity_only(claims),
    };
    tracing::debug!(caller = %principal.caller.arn, "sign-in token issued");
    respond(
        StatusCode::OK,
        "application/json",
        json!({ "SigninToken": signin.seal(app).await }).to_string(),
    )
}

/// Why a sign-in token opened but was refused.
enum Refusal {
    Expired,
    Used,
    NotFederated,
    StoreFailed,
}

impl Refusal {
    fn message(&self) -> &'static str {
        match self {
            Self::Expired => "This sign-in link has expired. Request a new one.",
            Self::Used => "This sign-in link has already been used. Request a new one.",
            Self::NotFederated => NOT_FEDERATED,
            Self::StoreFailed => "The sign-in could not be completed. Try again.",
        }
    }
}

/// `Action=login`: spends the sign-in token, sets the console session cookie and redirects to
/// `Destination` when it is on this host (else to `/console`). The sign-in is recorded in the
/// audit trail, refused or not, once the token is known to be genuine.
async fn login(app: &App, parts: &Parts, params: &Params, now: OffsetDateTime) -> Response {
    let token = params.get("SigninToken").unwrap_or_default();
    let Some(signin) = SigninToken::open(app, token).await else {
        if app.trail().is_recording() {
            app.trail().unattributed("InvalidSigninToken");
        }
        return page::refused(
            StatusCode::BAD_REQUEST,
            "This sign-in link is not valid. Request a new one.",
        );
    };
    let host = header_text(parts, "host");
    let destination = params
        .get("Destination")
        .and_then(|d| same_host(d, host))
        .unwrap_or("/console")
        .to_owned();
    let principal = crate::auth::session_principal(
        &signin.claims.access_key_id,
        Arc::new(signin.claims.clone()),
    );
    let at = now.unix_timestamp();
    let refusal = if signin.not_after <= at || signin.session_end <= at {
        Some(Refusal::Expired)
    } else {
        match app
            .store()
            .spend_console_id(&signin.id, signin.not_after, at)
            .await
        {
            Ok(true) if signin.claims.kind == SessionKind::User => Some(Refusal::NotFederated),
            Ok(true) => None,
            Ok(false) => Some(Refusal::Used),
            Err(e) => {
                tracing::error!(error = %e, "cannot record a used sign-in token");
                Some(Refusal::StoreFailed)
            }
        }
    };
    if !record(app, parts, &principal, &destination, refusal.as_ref(), now).await {
        return page::refused(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The sign-in could not be recorded. Try again with a new sign-in link.",
        );
    }
    if let Some(refusal) = refusal {
        return page::refused(StatusCode::BAD_REQUEST, refusal.message());
    }
    let issuer = params
        .get("Issuer")
        .filter(|i| i.len() <= MAX_ISSUER)
        .unwrap_or_default()
        .to_owned();
    let session = ConsoleSession {
        id: uuid::Uuid::new_v4().to_string(),
        expires: signin.session_end,
        issuer,
        claims: signin.claims,
    };
    let cookie = format!(
        "{COOKIE}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{}",
        session.seal(app).await,
        session.expires - at,
        if page::behind_https(parts) {
            "; Secure"
        } else {
            ""
        }
    );
    let mut r = respond(
        StatusCode::FOUND,
        "text/plain; charset=utf-8",
        String::new(),
    );
    let location =
        HeaderValue::from_str(&destination).unwrap_or(HeaderValue::from_static("/console"));
    r.headers_mut().insert(header::LOCATION, location);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// Records the sign-in as CloudTrail does (`ConsoleLogin`); a successful one is committed
/// before the browser is sent on, and false when it could not be.
async fn record(
    app: &App,
    parts: &Parts,
    principal: &Principal,
    destination: &str,
    refusal: Option<&Refusal>,
    now: OffsetDateTime,
) -> bool {
    let trail = app.trail();
    if !trail.is_recording() {
        return true;
    }
    let ip = peer_ip(parts);
    let alias = crate::audit::account_alias(app, principal).await;
    let row = console_login(&ConsoleLogin {
        principal,
        destination,
        failure: refusal.map(Refusal::message),
        source_ip: &ip,
        user_agent: header_text(parts, "user-agent"),
        now,
        account_alias: alias.as_deref(),
    });
    trail.record(vec![row], refusal.is_none(), None).await
}

/// `destination` when it stays on this host: a path (`/console`), or an `http(s)` URL whose
/// authority is the request's `Host`. Anything else would make the endpoint an open redirect.
pub(super) fn same_host<'a>(destination: &'a str, host: Option<&str>) -> Option<&'a str> {
    let plain = |s: &str| !s.bytes().any(|b| b.is_ascii_control() || b == b'\\');
    if !plain(destination) {
        return None;
    }
    if destination.starts_with('/') {
        return (!destination.starts_with("//")).then_some(destination);
    }
    let lower = destination.to_ascii_lowercase();
    let scheme = if lower.starts_with("https://") {
        8
    } else if lower.starts_with("http://") {
        7
    } else {
        return None;
    };
    let rest = &destination[scheme..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = host?;
    (!authority.is_empty() && !authority.contains('@') && authority.eq_ignore_ascii_case(host))
        .then_some(destination)
}
