//! Console sign-in, as AWS's federation endpoint and console do it: `/federation` turns
//! temporary credentials into a single-use sign-in token (`Action=getSigninToken`) and that
//! token into a console session (`Action=login`), and `/console` shows who the session is and
//! signs it out.
//!
//! Sign-in tokens and console sessions are sealed under the session-token keys (each for its
//! own purpose), so any node sharing the store opens them; the store records only the ids of
//! used sign-in tokens and signed-out sessions (`tokens`). The console session travels in an
//! `HttpOnly`, `SameSite=Lax` cookie. Each sign-in is recorded in the audit trail as
//! CloudTrail records it (`ConsoleLogin`).

mod federation;
mod page;
mod tokens;

#[cfg(test)]
mod tests;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::app::App;

/// How long a sign-in token is valid, as AWS's federation endpoint has it: 15 minutes.
pub const SIGNIN_TOKEN_SECONDS: i64 = 900;

/// The console sign-in settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsoleSettings {
    /// Seconds a sign-in token stays valid (1..=900; AWS's is 900).
    pub signin_token_seconds: i64,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        Self {
            signin_token_seconds: SIGNIN_TOKEN_SECONDS,
        }
    }
}

/// The federation endpoint and the console, routed before IAM and STS.
pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route(
            "/federation",
            get(federation::federation).post(federation::federation),
        )
        .route("/console", get(page::console))
        .route("/console/signout", post(page::sign_out))
}

/// The browser's address, as the listener saw it.
fn peer_ip(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(String::new, |ConnectInfo(peer)| peer.ip().to_string())
}

/// A request header as text.
fn header_text<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

/// A page or answer with the headers every console response carries: never cached, never
/// framed, no referrer (the sign-in URL holds a token), no script.
fn respond(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}
