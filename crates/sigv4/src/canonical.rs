//! The canonical request: path normalisation, query and header canonicalization, payload hash.

use sha2::{Digest, Sha256};

/// The parts of an HTTP request that SigV4 covers, as received on the wire.
#[derive(Debug, Clone, Copy)]
pub struct CanonicalInput<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The path as sent (still percent-encoded), without the query.
    pub path: &'a str,
    /// The raw query string without `?` (may be empty).
    pub query: &'a str,
    /// Every header, in the order received; names in any case.
    pub headers: &'a [(String, String)],
    /// The raw body.
    pub body: &'a [u8],
}

/// Lowercase hex SHA-256.
#[must_use]
pub fn hex_sha256(data: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(data))
}

/// RFC 3986 encoding as SigV4 wants it: unreserved characters kept, everything else `%XX`.
/// With `keep_slash`, `/` is kept too (for paths).
#[must_use]
pub fn uri_encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes (malformed ones are kept as they are; invalid UTF-8 is replaced, as
/// Python's `unquote` does). `+` is not a space here.
#[must_use]
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(hi), Some(lo)) = (hex_digit(bytes[i + 1]), hex_digit(bytes[i + 2]))
        {
            out.push(hi << 4 | lo);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_digit(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// Removes `.` and `..` segments and empty segments, keeping a trailing slash.
fn normalize_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let trailing = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    let mut out = String::from("/");
    out.push_str(&segments.join("/"));
    if trailing && !segments.is_empty() {
        out.push('/');
    }
    out
}

fn canonical_query(query: &str, presigned: bool) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&percent_decode(k), false),
                uri_encode(&percent_decode(v), false),
            )
        })
        .filter(|(k, _)| !(presigned && k == "X-Amz-Signature"))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Trims a header value and folds every run of white space (line breaks included) to one space.
fn fold_value(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The payload hash written for presigned requests whose body is not signed.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Builds the canonical request for the given signed header names (lowercase, sorted).
/// `presigned` drops `X-Amz-Signature` from the query; `payload_hash` is the hex SHA-256 of
/// the body or [`UNSIGNED_PAYLOAD`].
#[must_use]
pub fn canonical_request(
    input: &CanonicalInput<'_>,
    signed_headers: &[String],
    presigned: bool,
    payload_hash: &str,
) -> String {
    let mut out = String::with_capacity(256 + input.query.len());
    out.push_str(input.method);
    out.push('\n');
    out.push_str(&uri_encode(&normalize_path(input.path), true));
    out.push('\n');
    out.push_str(&canonical_query(input.query, presigned));
    out.push('\n');
    for name in signed_headers {
        let values: Vec<String> = input
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| fold_value(v))
            .collect();
        out.push_str(name);
        out.push(':');
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(payload_hash);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_paths_like_the_vectors() {
        for (raw, want) in [
            ("/", "/"),
            ("//", "/"),
            ("/./", "/"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("/./example", "/example"),
            ("//example//", "/example/"),
            ("", "/"),
        ] {
            assert_eq!(normalize_path(raw), want, "{raw}");
        }
    }

    #[test]
    fn decodes_percent_sequences_and_leaves_broken_ones() {
        assert_eq!(percent_decode("a%20b"), "a b");
        assert_eq!(percent_decode("%E1%88%B4"), "ሴ");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%ሴ4"), "%ሴ4");
    }
}
