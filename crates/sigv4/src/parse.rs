//! Reading the signature out of a request: the `Authorization` header or presigned query fields.

use crate::{ALGORITHM, SigV4Error};

/// Where the signature was carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthStyle {
    /// `Authorization: AWS4-HMAC-SHA256 ...`.
    Header,
    /// `X-Amz-Signature` and friends in the query string.
    Presigned,
}

/// The signature fields of a request.
#[derive(Clone, PartialEq, Eq)]
pub struct ParsedAuth {
    /// Header or presigned.
    pub style: AuthStyle,
    /// The access key id of the credential scope.
    pub access_key_id: String,
    /// `yyyymmdd` of the scope.
    pub date: String,
    /// Region of the scope.
    pub region: String,
    /// Service of the scope (`sts`, `iam`).
    pub service: String,
    /// Lowercase header names, as the client listed them.
    pub signed_headers: Vec<String>,
    /// Hex signature.
    pub signature: String,
    /// `X-Amz-Date` (or the `Date` header converted to that form).
    pub amz_date: String,
    /// `X-Amz-Security-Token`, header or query.
    pub security_token: Option<String>,
    /// `X-Amz-Expires` of a presigned request, seconds.
    pub expires: Option<i64>,
}

impl std::fmt::Debug for ParsedAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParsedAuth")
            .field("style", &self.style)
            .field("access_key_id", &self.access_key_id)
            .field("scope", &self.scope())
            .field("signed_headers", &self.signed_headers)
            .field("amz_date", &self.amz_date)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "** redacted **"),
            )
            .finish_non_exhaustive()
    }
}

impl ParsedAuth {
    /// `date/region/service/aws4_request`.
    #[must_use]
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn query_param(query: &str, name: &str) -> Option<String> {
    form_decode_pairs(query)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn form_decode_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(text: &str) -> String {
    // Presign fields never contain spaces, so '+' is kept literally as SigV4 does.
    let mut out = Vec::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hi = char::from(b[i + 1]).to_digit(16);
            let lo = char::from(b[i + 2]).to_digit(16);
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits `KEY/DATE/REGION/SERVICE/aws4_request`.
fn split_credential(credential: &str) -> Result<(String, String, String, String), SigV4Error> {
    let parts: Vec<&str> = credential.split('/').collect();
    if parts.len() != 5 {
        return Err(SigV4Error::IncompleteSignature(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
        )));
    }
    if parts[4] != "aws4_request" {
        return Err(SigV4Error::SignatureDoesNotMatch(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'. ",
            parts[4]
        )));
    }
    Ok((
        parts[0].to_owned(),
        parts[1].to_owned(),
        parts[2].to_owned(),
        parts[3].to_owned(),
    ))
}

fn split_signed_headers(list: &str) -> Vec<String> {
    list.split(';').map(str::to_ascii_lowercase).collect()
}

/// Converts an RFC 1123 `Date` header into `yyyymmddThhmmssZ`.
fn date_header_to_amz(value: &str) -> Option<String> {
    let format = time::format_description::well_known::Rfc2822;
    let parsed = time::OffsetDateTime::parse(value.trim(), &format)
        .or_else(|_| time::OffsetDateTime::parse(&value.trim().replace("GMT", "+0000"), &format))
        .ok()?;
    Some(crate::format_amz_date(parsed))
}

/// Reads the signature fields of a request.
///
/// Returns `Ok(None)` when the request carries no signature at all.
///
/// # Errors
/// [`SigV4Error::IncompleteSignature`] or [`SigV4Error::SignatureDoesNotMatch`] with AWS's
/// messages when the fields are malformed.
pub fn parse_authorization(
    headers: &[(String, String)],
    query: &str,
) -> Result<Option<ParsedAuth>, SigV4Error> {
    if let Some(value) = header(headers, "authorization") {
        return parse_header(value, headers).map(Some);
    }
    if query_param(query, "X-Amz-Algorithm").is_some() {
        return parse_presigned(query, headers).map(Some);
    }
    Ok(None)
}

fn parse_header(value: &str, headers: &[(String, String)]) -> Result<ParsedAuth, SigV4Error> {
    let value = value.trim();
    let (algorithm, rest) = value.split_once(' ').unwrap_or((value, ""));
    if algorithm != ALGORITHM {
        return Err(SigV4Error::IncompleteSignature(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'"
        )));
    }
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim();
        if let Some((k, v)) = part.split_once('=') {
            match k.trim() {
                "Credential" => credential = Some(v.trim()),
                "SignedHeaders" => signed = Some(v.trim()),
                "Signature" => signature = Some(v.trim()),
                _ => {}
            }
        }
    }
    let amz_date = match header(headers, "x-amz-date") {
        Some(d) => Some(d.trim().to_owned()),
        None => header(headers, "date").and_then(date_header_to_amz),
    };
    let mut missing = String::new();
    if credential.is_none() {
        missing.push_str("Authorization header requires 'Credential' parameter. ");
    }
    if signature.is_none() {
        missing.push_str("Authorization header requires 'Signature' parameter. ");
    }
    if signed.is_none() {
        missing.push_str("Authorization header requires 'SignedHeaders' parameter. ");
    }
    if amz_date.is_none() {
        missing.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    let (Some(credential), Some(signed), Some(signature), Some(amz_date)) =
        (credential, signed, signature, amz_date)
    else {
        return Err(SigV4Error::IncompleteSignature(format!(
            "{missing}Authorization={value}"
        )));
    };
    let (access_key_id, date, region, service) = split_credential(credential)?;
    let auth = ParsedAuth {
        style: super::AuthStyle::Header,
        access_key_id,
        date,
        region,
        service,
        signed_headers: split_signed_headers(signed),
        signature: signature.to_owned(),
        amz_date,
        security_token: header(headers, "x-amz-security-token").map(|t| t.trim().to_owned()),
        expires: None,
    };
    check_common(&auth)?;
    Ok(auth)
}

fn parse_presigned(query: &str, headers: &[(String, String)]) -> Result<ParsedAuth, SigV4Error> {
    let pairs = form_decode_pairs(query);
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let algorithm = get("X-Amz-Algorithm").unwrap_or_default();
    if algorithm != ALGORITHM {
        return Err(SigV4Error::IncompleteSignature(format!(
            "X-Amz-Algorithm only supports \"{ALGORITHM}\""
        )));
    }
    let mut missing = Vec::new();
    for name in [
        "X-Amz-Credential",
        "X-Amz-Signature",
        "X-Amz-SignedHeaders",
        "X-Amz-Date",
    ] {
        if get(name).is_none() {
            missing.push(format!("'{name}'"));
        }
    }
    if !missing.is_empty() {
        return Err(SigV4Error::IncompleteSignature(format!(
            "AWS query-string parameters must include {}. Re-examine the query-string parameters.",
            missing.join(", ")
        )));
    }
    let (access_key_id, date, region, service) =
        split_credential(&get("X-Amz-Credential").unwrap_or_default())?;
    let expires = match get("X-Amz-Expires") {
        None => None,
        Some(text) => match text.parse::<i64>() {
            Ok(v) if (0..=604_800).contains(&v) => Some(v),
            _ => {
                return Err(SigV4Error::IncompleteSignature(
                    "X-Amz-Expires must be a number between 0 and 604800 seconds".to_owned(),
                ));
            }
        },
    };
    let auth = ParsedAuth {
        style: super::AuthStyle::Presigned,
        access_key_id,
        date,
        region,
        service,
        signed_headers: split_signed_headers(&get("X-Amz-SignedHeaders").unwrap_or_default()),
        signature: get("X-Amz-Signature").unwrap_or_default(),
        amz_date: get("X-Amz-Date").unwrap_or_default(),
        security_token: get("X-Amz-Security-Token")
            .or_else(|| header(headers, "x-amz-security-token").map(str::to_owned)),
        expires,
    };
    check_common(&auth)?;
    Ok(auth)
}

fn check_common(auth: &ParsedAuth) -> Result<(), SigV4Error> {
    if crate::parse_amz_date(&auth.amz_date).is_none() {
        return Err(SigV4Error::IncompleteSignature(format!(
            "Date must be in ISO-8601 'basic format'. Got '{}'. See http://en.wikipedia.org/wiki/ISO_8601",
            auth.amz_date
        )));
    }
    if auth.amz_date.get(..8) != Some(auth.date.as_str()) {
        return Err(SigV4Error::SignatureDoesNotMatch(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{}'.",
            auth.date,
            auth.amz_date.get(..8).unwrap_or_default(),
            auth.amz_date
        )));
    }
    if !auth.signed_headers.iter().any(|h| h == "host") {
        return Err(SigV4Error::SignatureDoesNotMatch(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".to_owned(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn no_signature_is_none() {
        assert_eq!(
            parse_authorization(&h(&[("host", "x")]), "Action=A"),
            Ok(None)
        );
    }

    #[test]
    fn missing_parts_are_listed() {
        let err = parse_authorization(
            &h(&[(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request",
            )]),
            "",
        )
        .unwrap_err();
        let SigV4Error::IncompleteSignature(msg) = err else {
            panic!("wrong kind")
        };
        assert!(msg.contains("requires 'Signature' parameter"), "{msg}");
        assert!(msg.contains("requires 'SignedHeaders' parameter"), "{msg}");
        assert!(msg.contains("'X-Amz-Date' or a 'Date' header"), "{msg}");
    }

    #[test]
    fn short_credential_is_incomplete() {
        let headers = h(&[
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKID/20150830, SignedHeaders=host, Signature=00",
            ),
            ("x-amz-date", "20150830T123600Z"),
        ]);
        assert!(matches!(
            parse_authorization(&headers, ""),
            Err(SigV4Error::IncompleteSignature(_))
        ));
    }

    #[test]
    fn scope_date_must_match() {
        let headers = h(&[
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKID/20150831/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
            ),
            ("x-amz-date", "20150830T123600Z"),
        ]);
        assert!(
            matches!(parse_authorization(&headers, ""), Err(SigV4Error::SignatureDoesNotMatch(m)) if m.starts_with("Date in Credential scope"))
        );
    }

    #[test]
    fn garbage_never_panics() {
        for value in [
            "",
            " ",
            "AWS4-HMAC-SHA256",
            "AWS4-HMAC-SHA256 ,,,,===",
            "AWS4-HMAC-SHA256 Credential=%%%/ሴ//x/y, SignedHeaders=, Signature=",
        ] {
            let _ = parse_authorization(&h(&[("authorization", value), ("x-amz-date", "ሴሴሴ")]), "");
        }
        let _ = parse_authorization(&[], "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=%ff%");
    }
}
