//! IAM's URL encoding of policy documents: IAM percent-encodes every document it returns
//! (everything but the unreserved characters), and the AWS CLI decodes them to show JSON.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// Everything but `A-Z a-z 0-9 - _ . ~` is encoded, as IAM does.
const IAM_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Encodes a policy document as IAM returns it.
#[must_use]
pub fn encode(document: &str) -> String {
    utf8_percent_encode(document, IAM_ENCODE).to_string()
}

/// Decodes a returned policy document (`+` stays `+`; invalid UTF-8 is replaced, as
/// Python's `unquote` does).
#[must_use]
pub fn decode(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip_as_iam_writes_it() {
        let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::a b/é~"}]}"#;
        let encoded = super::encode(doc);
        assert!(encoded.starts_with("%7B%22Version%22%3A%222012-10-17%22"));
        assert!(encoded.contains("a%20b%2F%C3%A9~"));
        assert_eq!(super::decode(&encoded), doc);
        assert_eq!(super::decode("a+b%2"), "a+b%2");
    }
}
