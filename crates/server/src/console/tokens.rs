//! The two sealed tokens of console sign-in: the sign-in token `getSigninToken` hands out
//! (valid for minutes, single-use) and the console session the cookie carries. Both hold the
//! session's identity without its secret key, session policy or tags, each sealed for its own
//! purpose so that neither opens as the other, nor as a session token.

use data_encoding::BASE64URL_NOPAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::token::SessionClaims;

/// What binds a sealed sign-in token to its purpose.
const SIGNIN_PURPOSE: &[u8] = b"rolecall console sign-in token v1";
/// What binds a sealed console session to its purpose.
const SESSION_PURPOSE: &[u8] = b"rolecall console session v1";

/// A sign-in token's content.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct SigninToken {
    /// Its id: spent on first use.
    pub(super) id: String,
    /// Refused from then on (epoch seconds).
    pub(super) not_after: i64,
    /// When the console session it opens ends (epoch seconds).
    pub(super) session_end: i64,
    /// The federated session signing in.
    pub(super) claims: SessionClaims,
}

/// A console session's content (the cookie).
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct ConsoleSession {
    /// Its id: spent when it signs out.
    pub(super) id: String,
    /// When it ends (epoch seconds).
    pub(super) expires: i64,
    /// Where the user goes when the session ends (the login's `Issuer`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(super) issuer: String,
    /// The federated session signed in.
    pub(super) claims: SessionClaims,
}

/// The session's identity only: no secret key, no session policy, no tags (a cookie stays
/// small, and shows nothing a console page does not).
pub(super) fn identity_only(claims: &SessionClaims) -> SessionClaims {
    SessionClaims {
        secret: String::new(),
        policy: None,
        policy_arns: Vec::new(),
        tags: Vec::new(),
        transitive: Vec::new(),
        ..claims.clone()
    }
}

async fn seal<T: Serialize>(app: &App, purpose: &[u8], value: &T) -> String {
    let plain = serde_json::to_vec(value).expect("console tokens serialize");
    BASE64URL_NOPAD.encode(&app.seal_for(purpose, &plain).await)
}

async fn open<T: DeserializeOwned>(app: &App, purpose: &[u8], text: &str) -> Option<T> {
    let raw = BASE64URL_NOPAD.decode(text.trim().as_bytes()).ok()?;
    let plain = app.open_for(purpose, &raw).await.ok()?;
    serde_json::from_slice(&plain).ok()
}

impl SigninToken {
    /// The token as `getSigninToken` answers it (URL-safe).
    pub(super) async fn seal(&self, app: &App) -> String {
        seal(app, SIGNIN_PURPOSE, self).await
    }

    /// A genuine token's content; `None` for anything this server did not seal as one.
    pub(super) async fn open(app: &App, text: &str) -> Option<Self> {
        open(app, SIGNIN_PURPOSE, text).await
    }
}

impl ConsoleSession {
    /// The cookie's value.
    pub(super) async fn seal(&self, app: &App) -> String {
        seal(app, SESSION_PURPOSE, self).await
    }

    /// A genuine cookie's content; `None` for anything this server did not seal as one.
    pub(super) async fn open(app: &App, text: &str) -> Option<Self> {
        open(app, SESSION_PURPOSE, text).await
    }
}
