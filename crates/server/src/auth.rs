//! Authentication: who signed the request. SigV4 fields, clock skew, the access key (long-term
//! from the store, temporary from its sealed session token), then the signature itself, in
//! the order AWS checks them so each failure gets AWS's code.

use std::sync::Arc;

use rolecall_arn::{Arn, IdKind, access_key_kind};
use rolecall_policy::{Caller, PrincipalType};
use rolecall_sigv4::{
    AuthStyle, CanonicalInput, SigV4Error, check_clock_skew, parse_authorization, verify,
};
use rolecall_wire::{AwsError, ErrorKind, Service};
use time::OffsetDateTime;

use crate::app::{App, secret_context};
use crate::errors::denied_message;
use crate::principal::{KeyEntry, Principal, UserRef};
use crate::token::{SessionClaims, SessionKind, TokenError};

/// The request as received.
pub(crate) struct RawRequest<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) query: &'a str,
    pub(crate) headers: &'a [(String, String)],
    pub(crate) body: &'a [u8],
}

/// The method, path and header names only: the query and headers may carry a session token
/// and the body a password.
impl std::fmt::Debug for RawRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query_bytes", &self.query.len())
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

const INVALID_TOKEN: &str = "The security token included in the request is invalid";
const EXPIRED_TOKEN: &str = "The security token included in the request is expired";

fn sig_error(e: SigV4Error) -> AwsError {
    match e {
        SigV4Error::MissingAuthenticationToken => AwsError::new(
            ErrorKind::MissingAuthenticationToken,
            "Request is missing Authentication Token",
        ),
        SigV4Error::IncompleteSignature(m) => AwsError::new(ErrorKind::IncompleteSignature, m),
        SigV4Error::SignatureDoesNotMatch(m) => AwsError::new(ErrorKind::SignatureDoesNotMatch, m),
    }
}

fn valid_region(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 32
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Authenticates a request for `service`. Returns the principal and the region of the scope.
pub(crate) async fn authenticate(
    app: &App,
    req: &RawRequest<'_>,
    service: Service,
    now: OffsetDateTime,
) -> Result<(Principal, String), AwsError> {
    let auth = parse_authorization(req.headers, req.query)
        .map_err(sig_error)?
        .ok_or_else(|| sig_error(SigV4Error::MissingAuthenticationToken))?;
    if auth.service != service.signing_name() {
        return Err(AwsError::new(
            ErrorKind::SignatureDoesNotMatch,
            format!(
                "Credential should be scoped to correct service: '{}'. ",
                service.signing_name()
            ),
        ));
    }
    if !valid_region(&auth.region) {
        return Err(AwsError::new(
            ErrorKind::SignatureDoesNotMatch,
            format!(
                "Credential should be scoped to a valid region, not '{}'. ",
                auth.region
            ),
        ));
    }
    match auth.style {
        AuthStyle::Header => check_clock_skew(&auth.amz_date, now).map_err(sig_error)?,
        AuthStyle::Presigned => {
            let signed_at = rolecall_sigv4::parse_amz_date(&auth.amz_date).unwrap_or(now);
            let expires = auth.expires.unwrap_or(900);
            if now > signed_at + time::Duration::seconds(expires) {
                return Err(AwsError::new(
                    ErrorKind::AccessDenied,
                    "Request has expired",
                ));
            }
            if signed_at > now + time::Duration::seconds(rolecall_sigv4::MAX_CLOCK_SKEW_SECONDS) {
                check_clock_skew(&auth.amz_date, now).map_err(sig_error)?;
            }
        }
    }
    let (principal, secret) = match access_key_kind(&auth.access_key_id) {
        // A long-term key signs alone: AWS refuses one sent with a session token (a stale
        // AWS_SESSION_TOKEN beside user keys) instead of ignoring the token.
        Some(IdKind::AccessKey) if auth.security_token.is_some() => {
            return Err(AwsError::new(
                ErrorKind::InvalidClientTokenId,
                INVALID_TOKEN,
            ));
        }
        Some(IdKind::AccessKey) => long_term(app, &auth.access_key_id).await?,
        Some(IdKind::TemporaryAccessKey) => {
            let token = auth
                .security_token
                .as_deref()
                .ok_or_else(|| AwsError::new(ErrorKind::InvalidClientTokenId, INVALID_TOKEN))?;
            temporary(app, &auth.access_key_id, token, now).await?
        }
        _ => {
            return Err(AwsError::new(
                ErrorKind::InvalidClientTokenId,
                INVALID_TOKEN,
            ));
        }
    };
    let input = CanonicalInput {
        method: req.method,
        path: req.path,
        query: req.query,
        headers: req.headers,
        body: req.body,
    };
    verify(&input, &auth, &secret).map_err(sig_error)?;
    Ok((principal, auth.region))
}

async fn key_entry(app: &App, access_key_id: &str) -> Result<Arc<Option<KeyEntry>>, AwsError> {
    app.cached_key(access_key_id, || load_key_entry(app, access_key_id))
        .await
}

/// An access key from the store, its secret unsealed and its user looked up.
async fn load_key_entry(app: &App, access_key_id: &str) -> Result<Option<KeyEntry>, AwsError> {
    let Some(k) = app
        .store()
        .get_access_key(access_key_id)
        .await
        .map_err(crate::errors::store_failure)?
    else {
        return Ok(None);
    };
    let secret = app
        .master()
        .open_text(&k.secret_sealed, &secret_context(&k.access_key_id))
        .map_err(|_| {
            tracing::error!(
                access_key_id,
                "a stored secret key does not open with this master key"
            );
            AwsError::internal()
        })?;
    let user = match &k.user_lower {
        Some(u) => match app
            .store()
            .get_entity(rolecall_store::EntityKind::User, &k.account_id, u)
            .await
        {
            Ok(e) => Some(UserRef {
                name: e.name,
                id: e.id,
                path: e.path,
            }),
            Err(rolecall_store::StoreError::NotFound) => None,
            Err(e) => return Err(crate::errors::store_failure(e)),
        },
        None => None,
    };
    Ok(Some(KeyEntry {
        account: k.account_id,
        user_lower: k.user_lower,
        user,
        secret,
        active: k.status == "Active",
    }))
}

async fn long_term(app: &App, access_key_id: &str) -> Result<(Principal, String), AwsError> {
    let entry = key_entry(app, access_key_id).await?;
    let entry = entry
        .as_ref()
        .as_ref()
        .filter(|e| e.active)
        .ok_or_else(|| AwsError::new(ErrorKind::InvalidClientTokenId, INVALID_TOKEN))?;
    let principal = match (&entry.user_lower, &entry.user) {
        (None, _) => Principal::root(&entry.account, access_key_id, None),
        (Some(_), Some(user)) => Principal::user(&entry.account, user, access_key_id, None),
        (Some(_), None) => {
            return Err(AwsError::new(
                ErrorKind::InvalidClientTokenId,
                INVALID_TOKEN,
            ));
        }
    };
    Ok((principal, entry.secret.clone()))
}

async fn temporary(
    app: &App,
    access_key_id: &str,
    token: &str,
    now: OffsetDateTime,
) -> Result<(Principal, String), AwsError> {
    let claims = app.open_token(token).await.map_err(|e| {
        if e == TokenError::UnknownKey {
            tracing::debug!("session token sealed by an unknown key");
        }
        AwsError::new(ErrorKind::InvalidClientTokenId, INVALID_TOKEN)
    })?;
    if claims.access_key_id != access_key_id {
        return Err(AwsError::new(
            ErrorKind::InvalidClientTokenId,
            INVALID_TOKEN,
        ));
    }
    if claims.expires <= now.unix_timestamp() {
        return Err(AwsError::new(ErrorKind::ExpiredToken, EXPIRED_TOKEN));
    }
    let secret = claims.secret.clone();
    Ok((session_principal(access_key_id, Arc::new(claims)), secret))
}

/// The caller a session's claims describe, presenting `access_key_id`.
pub(crate) fn session_principal(access_key_id: &str, claims: Arc<SessionClaims>) -> Principal {
    let account = claims.account.clone();
    match claims.kind {
        SessionKind::Role => Principal {
            caller: Caller {
                kind: PrincipalType::AssumedRole,
                account: account.clone(),
                arn: Arn::assumed_role(&account, &claims.name, &claims.session_name).to_string(),
                principal_arn: Arn::iam(&account, "role", &claims.path, &claims.name).to_string(),
                unique_id: Some(claims.id.clone()),
            },
            access_key_id: access_key_id.to_owned(),
            user: None,
            session: Some(claims),
        },
        SessionKind::User if claims.name.is_empty() => {
            Principal::root(&account, access_key_id, Some(claims))
        }
        SessionKind::User => {
            let user = UserRef {
                name: claims.name.clone(),
                id: claims.id.clone(),
                path: claims.path.clone(),
            };
            Principal::user(&account, &user, access_key_id, Some(claims))
        }
        SessionKind::Federated => {
            let arn = Arn::federated_user(&account, &claims.session_name).to_string();
            Principal {
                caller: Caller {
                    kind: PrincipalType::FederatedUser,
                    account,
                    arn: arn.clone(),
                    principal_arn: arn,
                    unique_id: Some(claims.id.clone()),
                },
                access_key_id: access_key_id.to_owned(),
                user: (!claims.name.is_empty()).then(|| UserRef {
                    name: claims.name.clone(),
                    id: claims.id.clone(),
                    path: claims.path.clone(),
                }),
                session: Some(claims),
            }
        }
    }
}

/// Verifies temporary credentials presented as data rather than as a signature (the
/// federation endpoint's `Session`), as a signed request's are: a temporary key id, a
/// session token this server sealed for that key id, the same secret, not expired, and its
/// role or user still there.
///
/// # Errors
/// `InvalidClientTokenId` or `ExpiredToken`, as for a signed request.
pub(crate) async fn verify_temporary(
    app: &App,
    access_key_id: &str,
    secret: &str,
    token: &str,
    now: OffsetDateTime,
) -> Result<Principal, AwsError> {
    if access_key_kind(access_key_id) != Some(IdKind::TemporaryAccessKey) {
        return Err(AwsError::new(
            ErrorKind::InvalidClientTokenId,
            INVALID_TOKEN,
        ));
    }
    let (principal, expected) = temporary(app, access_key_id, token, now).await?;
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        secret.as_bytes(),
        expected.as_bytes(),
    )) {
        return Err(AwsError::new(
            ErrorKind::InvalidClientTokenId,
            INVALID_TOKEN,
        ));
    }
    crate::authz::caller_policies(app, &principal).await?;
    Ok(principal)
}

/// What temporary credentials may call at all, before any policy is looked at: a
/// GetSessionToken session reaches IAM only if it was made with MFA, and STS only for
/// AssumeRole and GetCallerIdentity; a federated session reaches no IAM API and, in STS,
/// only GetCallerIdentity.
pub(crate) fn check_session_scope(p: &Principal, op: crate::ops::Op) -> Result<(), AwsError> {
    use crate::ops::Op;
    let Some(s) = &p.session else { return Ok(()) };
    let denied = || AwsError::access_denied(denied_message(p, op.iam_action(), "", ""));
    match (s.kind, op.service()) {
        (SessionKind::User, Service::Iam) if s.mfa_at.is_none() => Err(AwsError::new(
            ErrorKind::InvalidClientTokenId,
            INVALID_TOKEN,
        )),
        (SessionKind::User, Service::Sts)
            if !matches!(
                op,
                Op::AssumeRole
                    | Op::GetCallerIdentity
                    | Op::GetSessionToken
                    | Op::GetFederationToken
            ) =>
        {
            Err(denied())
        }
        (SessionKind::Federated, Service::Iam) => Err(denied()),
        (SessionKind::Federated, Service::Sts)
            if !matches!(
                op,
                Op::GetCallerIdentity | Op::GetSessionToken | Op::GetFederationToken
            ) =>
        {
            Err(denied())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::SessionClaims;
    use rolecall_sigv4::{SigningParams, format_amz_date, sign_headers};

    #[test]
    fn debug_output_of_a_raw_request_holds_no_token_or_body() {
        let headers = [(
            "x-amz-security-token".to_owned(),
            "FwoGZXIvYXdzEXAMPLETOKEN".to_owned(),
        )];
        let raw = RawRequest {
            method: "POST",
            path: "/",
            query: "X-Amz-Security-Token=FwoGZXIvYXdzEXAMPLETOKEN",
            headers: &headers,
            body: b"Action=CreateLoginProfile&UserName=bob&Password=hunter2hunter2",
        };
        let shown = format!("{raw:?}");
        assert!(shown.contains("x-amz-security-token"), "{shown}");
        assert!(
            !shown.contains("FwoGZXIvYXdzEXAMPLETOKEN") && !shown.contains("hunter2"),
            "{shown}"
        );
    }

    async fn app() -> (App, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = rolecall_store::Store::open_sqlite(dir.path())
            .await
            .unwrap();
        let (master, _) = crate::crypto::SealingKey::generate();
        (
            App::new(store, master, crate::app::Enforcement::Strict)
                .await
                .unwrap(),
            dir,
        )
    }

    fn claims(now: i64, expires: i64) -> SessionClaims {
        SessionClaims {
            kind: SessionKind::User,
            account: "123456789012".into(),
            access_key_id: rolecall_arn::new_access_key_id(
                IdKind::TemporaryAccessKey,
                "123456789012",
            ),
            secret: "s".repeat(40),
            issued: now - 1000,
            expires,
            mfa_at: None,
            name: "alice".into(),
            id: "AIDAEXAMPLEEXAMPLE001".into(),
            path: "/".into(),
            session_name: String::new(),
            policy: None,
            policy_arns: Vec::new(),
            tags: Vec::new(),
            transitive: Vec::new(),
            source_identity: None,
            chained: false,
        }
    }

    async fn call(
        app: &App,
        key_id: &str,
        secret: &str,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<Principal, AwsError> {
        let body = b"Action=GetCallerIdentity&Version=2011-06-15";
        let mut headers = vec![("host".to_owned(), "127.0.0.1".to_owned())];
        let amz_date = format_amz_date(now);
        let params = SigningParams {
            access_key_id: key_id,
            secret_access_key: secret,
            session_token: Some(token),
            region: "us-east-1",
            service: "sts",
            amz_date: &amz_date,
        };
        headers.extend(sign_headers(
            "POST",
            "/",
            "",
            &headers.clone(),
            body,
            &params,
        ));
        let raw = RawRequest {
            method: "POST",
            path: "/",
            query: "",
            headers: &headers,
            body,
        };
        authenticate(app, &raw, Service::Sts, now)
            .await
            .map(|(p, _)| p)
    }

    #[tokio::test]
    async fn session_tokens_are_checked_for_expiry_forgery_and_key() {
        let (app, _dir) = app().await;
        let now = OffsetDateTime::now_utc();
        let t = now.unix_timestamp();

        let live = claims(t, t + 900);
        let token = app.seal_token(&live).await;
        let p = call(&app, &live.access_key_id, &live.secret, &token, now)
            .await
            .unwrap();
        assert_eq!(p.caller.arn, "arn:aws:iam::123456789012:user/alice");

        let expired = claims(t, t - 1);
        let token = app.seal_token(&expired).await;
        let err = call(&app, &expired.access_key_id, &expired.secret, &token, now)
            .await
            .unwrap_err();
        assert_eq!(
            (err.kind, err.message.as_str()),
            (ErrorKind::ExpiredToken, EXPIRED_TOKEN)
        );

        let live_token = app.seal_token(&live).await;
        let mut raw = data_encoding::BASE64.decode(live_token.as_bytes()).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        let forged = data_encoding::BASE64.encode(&raw);
        let err = call(&app, &live.access_key_id, &live.secret, &forged, now)
            .await
            .unwrap_err();
        assert_eq!(
            (err.kind, err.message.as_str()),
            (ErrorKind::InvalidClientTokenId, INVALID_TOKEN)
        );

        let other_key = rolecall_arn::new_access_key_id(IdKind::TemporaryAccessKey, "123456789012");
        let err = call(&app, &other_key, &live.secret, &live_token, now)
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidClientTokenId);

        // A token survives key rotation: old keys still open, new tokens use the new key.
        app.rotate_token_keys().await.unwrap();
        call(&app, &live.access_key_id, &live.secret, &live_token, now)
            .await
            .unwrap();
        let rotated = app.seal_token(&live).await;
        assert_ne!(rotated[..8], live_token[..8]);
        call(&app, &live.access_key_id, &live.secret, &rotated, now)
            .await
            .unwrap();
    }
}
