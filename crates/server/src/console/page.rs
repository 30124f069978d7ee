//! `/console`: who the console session is (the ARN, the account, the session name, when it
//! ends, MFA or not) and a sign-out that ends the session on the server, not only in this
//! browser; and the pages that tell a refused sign-in.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use rolecall_arn::Arn;
use time::OffsetDateTime;

use super::respond;
use super::tokens::ConsoleSession;
use crate::app::App;
use crate::token::SessionKind;

/// The console session cookie.
pub(super) const COOKIE: &str = "rolecall-console";

const HTML: &str = "text/html; charset=utf-8";

/// Whether the browser reached the server over HTTPS (through a TLS-terminating proxy):
/// the cookie is then `Secure`.
pub(super) fn behind_https(parts: &Parts) -> bool {
    super::header_text(parts, "x-forwarded-proto")
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
}

/// Text made safe inside HTML elements and double-quoted attribute values (the XML escaping
/// the Query responses use serves HTML too).
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    rolecall_wire::escape_into(&mut out, text);
    out
}

/// A whole page around `body`.
fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} · rolecall console</title>\
<style>\
body{{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;background:#f2f3f3;color:#16191f}}\
header{{background:#232f3e;color:#fff;padding:12px 24px;font-weight:600;font-size:18px}}\
main{{max-width:760px;margin:32px auto;background:#fff;padding:24px 32px;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15)}}\
h1{{font-size:22px;margin-top:0}}\
dl{{display:grid;grid-template-columns:max-content 1fr;gap:10px 24px}}\
dt{{font-weight:600;color:#545b64}}dd{{margin:0;font-family:ui-monospace,Menlo,monospace;word-break:break-all}}\
button{{background:#ec7211;color:#fff;border:0;border-radius:4px;padding:8px 18px;font-size:15px;cursor:pointer}}\
p.error{{color:#d13212;font-weight:600}}\
</style></head><body><header>rolecall console</header><main>{body}</main></body></html>\n",
        title = esc(title),
    )
}

/// A refused sign-in, or a page that cannot be shown: `message` as the page says it.
pub(super) fn refused(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<h1>Sign-in refused</h1><p class=\"error\" id=\"error\">{}</p>",
        esc(message)
    );
    respond(status, HTML, page("Sign-in refused", &body))
}

/// The console session the request's cookie carries, if it is genuine, live and not signed
/// out.
async fn current(app: &App, parts: &Parts, now: i64) -> Option<ConsoleSession> {
    let value = parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())?;
    let session = ConsoleSession::open(app, &value).await?;
    if session.expires <= now {
        return None;
    }
    match app.store().console_id_spent(&session.id).await {
        Ok(false) => Some(session),
        Ok(true) => None,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the signed-out console sessions");
            None
        }
    }
}

fn not_signed_in() -> Response {
    respond(
        StatusCode::UNAUTHORIZED,
        HTML,
        page(
            "Not signed in",
            "<h1>Not signed in</h1><p id=\"signed-out\">You are not signed in. Sign in with <code>rolecall login</code>.</p>",
        ),
    )
}

/// `GET /console`.
pub(super) async fn console(State(app): State<App>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let Some(session) = current(&app, &parts, now).await else {
        return not_signed_in();
    };
    let c = &session.claims;
    let principal = crate::auth::session_principal(&c.access_key_id, Arc::new(c.clone()));
    let at = |t: i64| rolecall_wire::timestamp::iso8601_from_epoch(t);
    let mut rows = vec![
        ("arn", "ARN", principal.caller.arn),
        ("account", "Account", c.account.clone()),
    ];
    match c.kind {
        SessionKind::Role => {
            rows.push(("session-name", "Session name", c.session_name.clone()));
            rows.push((
                "role",
                "Role",
                Arn::iam(&c.account, "role", &c.path, &c.name).to_string(),
            ));
        }
        SessionKind::Federated => {
            rows.push(("session-name", "Federated user", c.session_name.clone()));
            let issuer = if c.name.is_empty() {
                Arn::root(&c.account).to_string()
            } else {
                Arn::iam(&c.account, "user", &c.path, &c.name).to_string()
            };
            rows.push(("issuer", "Issued by", issuer));
        }
        SessionKind::User => {}
    }
    if let Some(source) = &c.source_identity {
        rows.push(("source-identity", "Source identity", source.clone()));
    }
    rows.push(("expires", "Session expires", at(session.expires)));
    rows.push((
        "mfa",
        "MFA",
        if c.mfa_at.is_some() { "Yes" } else { "No" }.to_owned(),
    ));
    let mut body = String::from("<h1>Signed in</h1><dl id=\"identity\">");
    for (id, label, value) in rows {
        let _ = write!(body, "<dt>{label}</dt><dd id=\"{id}\">{}</dd>", esc(&value));
    }
    body.push_str("</dl><form method=\"post\" action=\"/console/signout\"><button id=\"signout\" type=\"submit\">Sign out</button></form>");
    respond(StatusCode::OK, HTML, page("Signed in", &body))
}

/// `POST /console/signout`: the session ends for every copy of its cookie (its id is spent
/// until it would have expired), and the cookie is cleared.
pub(super) async fn sign_out(State(app): State<App>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    // A form posted from another site is refused (the cookie is SameSite=Lax already).
    let host = super::header_text(&parts, "host");
    if let Some(origin) = super::header_text(&parts, "origin")
        && origin != "null"
        && super::federation::same_host(origin, host).is_none()
    {
        return refused(
            StatusCode::FORBIDDEN,
            "Sign-out from another site is refused.",
        );
    }
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let mut issuer = String::new();
    if let Some(session) = current(&app, &parts, now).await {
        if let Err(e) = app
            .store()
            .spend_console_id(&session.id, session.expires, now)
            .await
        {
            tracing::error!(error = %e, "cannot record a signed-out console session");
            return refused(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The sign-out could not be completed. Try again.",
            );
        }
        issuer = session.issuer;
    }
    let mut body = String::from("<h1>Signed out</h1><p id=\"signed-out\">You have signed out.</p>");
    let lower = issuer.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        let _ = write!(
            body,
            "<p><a id=\"issuer\" href=\"{0}\">Return to {0}</a></p>",
            esc(&issuer)
        );
    }
    let mut r = respond(StatusCode::OK, HTML, page("Signed out", &body));
    let clear = format!(
        "{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{}",
        if behind_https(&parts) { "; Secure" } else { "" }
    );
    if let Ok(v) = HeaderValue::from_str(&clear) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}
