//! AWS Signature Version 4: one canonicalization shared by the signer (client) and the
//! verifier (server), so that the two can never disagree about what was signed.
//!
//! This crate does no IO and reads no clock: callers pass the time in.

mod canonical;
mod parse;
mod time_check;

pub use canonical::{
    CanonicalInput, UNSIGNED_PAYLOAD, canonical_request, hex_sha256, percent_decode, uri_encode,
};
pub use parse::{AuthStyle, ParsedAuth, parse_authorization};
pub use time_check::{MAX_CLOCK_SKEW_SECONDS, check_clock_skew, format_amz_date, parse_amz_date};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The only algorithm this crate speaks.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Why a request's signature was refused. Each maps to one AWS error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigV4Error {
    /// No `Authorization` header and no `X-Amz-Algorithm` query parameter.
    #[error("Request is missing Authentication Token")]
    MissingAuthenticationToken,
    /// The authorization header or presign parameters are malformed (`IncompleteSignature`).
    #[error("{0}")]
    IncompleteSignature(String),
    /// Signature, scope or time is wrong (`SignatureDoesNotMatch`), with AWS's message.
    #[error("{0}")]
    SignatureDoesNotMatch(String),
}

/// AWS's message for a signature that does not match.
pub const SIGNATURE_MISMATCH_MESSAGE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The signing key for one day, region and service.
#[must_use]
pub fn signing_key(secret_access_key: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac(
        format!("AWS4{secret_access_key}").as_bytes(),
        date.as_bytes(),
    );
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// The string to sign for a canonical request.
#[must_use]
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex_sha256(canonical_request.as_bytes())
    )
}

/// The hex signature of a string to sign.
#[must_use]
pub fn signature(signing_key: &[u8; 32], string_to_sign: &str) -> String {
    data_encoding::HEXLOWER.encode(&hmac(signing_key, string_to_sign.as_bytes()))
}

/// Checks a parsed request against the secret key of the access key it names.
///
/// The canonical request is rebuilt from the client's own `SignedHeaders` list.
///
/// # Errors
/// [`SigV4Error::SignatureDoesNotMatch`] when the signature differs.
pub fn verify(
    input: &CanonicalInput<'_>,
    auth: &ParsedAuth,
    secret_access_key: &str,
) -> Result<(), SigV4Error> {
    let presigned = auth.style == AuthStyle::Presigned;
    let key = signing_key(secret_access_key, &auth.date, &auth.region, &auth.service);
    let body_hash = hex_sha256(input.body);
    // A presigned URL may sign the empty body's hash or the literal UNSIGNED-PAYLOAD,
    // depending on the signer. UNSIGNED-PAYLOAD signs nothing of the body, so it is taken only
    // for a request without one: whoever holds the URL must not add parameters in a body.
    let candidates: &[&str] = if presigned && input.body.is_empty() {
        &[&body_hash, UNSIGNED_PAYLOAD]
    } else {
        &[&body_hash]
    };
    for payload_hash in candidates {
        let canonical = canonical_request(input, &auth.signed_headers, presigned, payload_hash);
        let sts = string_to_sign(&auth.amz_date, &auth.scope(), &canonical);
        let expected = signature(&key, &sts);
        if bool::from(expected.as_bytes().ct_eq(auth.signature.as_bytes())) {
            return Ok(());
        }
    }
    Err(SigV4Error::SignatureDoesNotMatch(
        SIGNATURE_MISMATCH_MESSAGE.to_owned(),
    ))
}

/// What a client needs to sign a request.
#[derive(Clone)]
pub struct SigningParams<'a> {
    /// Access key id.
    pub access_key_id: &'a str,
    /// Secret access key.
    pub secret_access_key: &'a str,
    /// Session token of temporary credentials; signed as `x-amz-security-token`.
    pub session_token: Option<&'a str>,
    /// Region of the scope.
    pub region: &'a str,
    /// Service of the scope (`sts`, `iam`).
    pub service: &'a str,
    /// `yyyymmddThhmmssZ`.
    pub amz_date: &'a str,
}

impl std::fmt::Debug for SigningParams<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningParams")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field("region", &self.region)
            .field("service", &self.service)
            .field("amz_date", &self.amz_date)
            .finish_non_exhaustive()
    }
}

/// Signs a request in header form: returns the headers to add (`x-amz-date`, optionally
/// `x-amz-security-token`, and `authorization`). `headers` must already hold `host` and any
/// other header to be signed; every header given is signed.
#[must_use]
pub fn sign_headers(
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    body: &[u8],
    params: &SigningParams<'_>,
) -> Vec<(String, String)> {
    let mut added = vec![("x-amz-date".to_owned(), params.amz_date.to_owned())];
    if let Some(token) = params.session_token {
        added.push(("x-amz-security-token".to_owned(), token.to_owned()));
    }
    let mut all: Vec<(String, String)> = headers.to_vec();
    all.extend(added.iter().cloned());
    let mut names: Vec<String> = all.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
    names.sort();
    names.dedup();
    let input = CanonicalInput {
        method,
        path,
        query,
        headers: &all,
        body,
    };
    let canonical = canonical_request(&input, &names, false, &hex_sha256(body));
    let date = &params.amz_date[..8];
    let scope = format!("{date}/{}/{}/aws4_request", params.region, params.service);
    let sts = string_to_sign(params.amz_date, &scope, &canonical);
    let sig = signature(
        &signing_key(
            params.secret_access_key,
            date,
            params.region,
            params.service,
        ),
        &sts,
    );
    added.push((
        "authorization".to_owned(),
        format!(
            "{ALGORITHM} Credential={}/{scope}, SignedHeaders={}, Signature={sig}",
            params.access_key_id,
            names.join(";")
        ),
    ));
    added
}
