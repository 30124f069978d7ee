//! Query-protocol request parameters: the merged query string and form body, with AWS's
//! `Name.member.N` list flattening and typed accessors that answer with AWS errors.

use std::collections::BTreeMap;

use crate::{AwsError, ErrorKind};

/// More parameters than this in one request is refused: no IAM or STS operation needs them,
/// and the cap bounds the work a hostile request can cause.
pub const MAX_PARAMS: usize = 2_000;

/// Decodes one `application/x-www-form-urlencoded` component (`+` is a space); `None` when the
/// bytes are not UTF-8 once decoded.
fn form_decode(raw: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < raw.len() => {
                let hex = |b: u8| char::from(b).to_digit(16);
                if let (Some(hi), Some(lo)) = (hex(raw[i + 1]), hex(raw[i + 2])) {
                    out.push(u8::try_from(hi * 16 + lo).ok()?);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The parameters of one request.
#[derive(Clone, Default)]
pub struct Params {
    map: BTreeMap<String, String>,
}

/// Names every parameter but shows only `Action`'s and `Version`'s values: others may be
/// passwords, MFA codes, tokens or policy text, and `Debug` output reaches logs.
impl std::fmt::Debug for Params {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        struct Hidden(usize);
        impl std::fmt::Debug for Hidden {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "<{} bytes>", self.0)
            }
        }
        let mut map = f.debug_map();
        for (name, value) in &self.map {
            if matches!(name.as_str(), "Action" | "Version") {
                map.entry(name, value);
            } else {
                map.entry(name, &Hidden(value.len()));
            }
        }
        map.finish()
    }
}

impl Params {
    /// Decodes `application/x-www-form-urlencoded` text (query string or body) into the map.
    ///
    /// # Errors
    /// `MalformedQueryString` for bytes that are not UTF-8 after decoding, a parameter given
    /// twice with different values, or too many parameters.
    pub fn extend_from_form(&mut self, form: &[u8]) -> Result<(), AwsError> {
        for pair in form.split(|b| *b == b'&') {
            if pair.is_empty() {
                continue;
            }
            let (key, value) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &[][..]),
            };
            let invalid = || {
                AwsError::new(
                    ErrorKind::MalformedQueryString,
                    "The request contains invalid UTF-8.",
                )
            };
            let key = form_decode(key).ok_or_else(invalid)?;
            let value = form_decode(value).ok_or_else(invalid)?;
            if key.is_empty() {
                continue;
            }
            match self.map.get(&key) {
                Some(existing) if *existing != value => {
                    return Err(AwsError::new(
                        ErrorKind::MalformedQueryString,
                        format!("Parameter '{key}' is given more than once with different values."),
                    ));
                }
                Some(_) => {}
                None => {
                    if self.map.len() >= MAX_PARAMS {
                        return Err(AwsError::new(
                            ErrorKind::MalformedQueryString,
                            "The request has too many parameters.",
                        ));
                    }
                    self.map.insert(key, value);
                }
            }
        }
        Ok(())
    }

    /// Parameters from a form body.
    ///
    /// # Errors
    /// See [`Params::extend_from_form`].
    pub fn from_form(form: &[u8]) -> Result<Self, AwsError> {
        let mut params = Self::default();
        params.extend_from_form(form)?;
        Ok(params)
    }

    /// Sets a parameter (used by clients building requests and by tests).
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.map.insert(key.into(), value.into());
    }

    /// The raw value of a parameter.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.map.get(key).map(String::as_str)
    }

    /// The parameters from `key` on, in key order (looked up without copying `key`).
    fn from<'a>(&'a self, key: &'a str) -> impl Iterator<Item = (&'a String, &'a String)> {
        use std::ops::Bound;
        self.map
            .range::<str, _>((Bound::Included(key), Bound::Unbounded))
    }

    /// True when any parameter starts with `prefix` (a list given as `Name.member.1…` or `Name=`).
    #[must_use]
    pub fn has_prefix(&self, prefix: &str) -> bool {
        self.from(prefix)
            .next()
            .is_some_and(|(k, _)| k.starts_with(prefix))
    }

    /// All `(key, value)` pairs, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Encodes the parameters as a form body.
    #[must_use]
    pub fn to_form(&self) -> String {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.map {
            ser.append_pair(k, v);
        }
        ser.finish()
    }

    /// The indices N of `Name.member.N...` entries, in numeric order. A bare `Name=` (empty list)
    /// yields none. Indices must start at 1 and be contiguous, as every SDK sends them.
    ///
    /// # Errors
    /// `MalformedQueryString` for an index that is not a positive number.
    pub fn member_indices(&self, name: &str) -> Result<Vec<usize>, AwsError> {
        let prefix = format!("{name}.member.");
        let mut indices: Vec<usize> = Vec::new();
        for (key, _) in self.from(&prefix) {
            let Some(rest) = key.strip_prefix(&prefix) else {
                break;
            };
            let index_text = rest.split('.').next().unwrap_or_default();
            let index: usize = index_text.parse().ok().filter(|i| *i >= 1).ok_or_else(|| {
                AwsError::new(
                    ErrorKind::MalformedQueryString,
                    format!("Invalid list index in parameter '{key}'."),
                )
            })?;
            if !indices.contains(&index) {
                indices.push(index);
            }
        }
        indices.sort_unstable();
        Ok(indices)
    }

    /// A list of strings: `Name.member.1`, `Name.member.2`, …
    ///
    /// # Errors
    /// See [`Params::member_indices`].
    pub fn string_list(&self, name: &str) -> Result<Vec<String>, AwsError> {
        Ok(self
            .member_indices(name)?
            .into_iter()
            .filter_map(|i| self.get(&format!("{name}.member.{i}")).map(str::to_owned))
            .collect())
    }

    /// A list of structures: for each N, the fields `Name.member.N.<field>`.
    ///
    /// # Errors
    /// See [`Params::member_indices`].
    pub fn struct_list(
        &self,
        name: &str,
        fields: &[&str],
    ) -> Result<Vec<Vec<Option<String>>>, AwsError> {
        Ok(self
            .member_indices(name)?
            .into_iter()
            .map(|i| {
                fields
                    .iter()
                    .map(|f| {
                        self.get(&format!("{name}.member.{i}.{f}"))
                            .map(str::to_owned)
                    })
                    .collect()
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_shows_no_parameter_values_but_the_action() {
        let p = Params::from_form(
            b"Action=ChangePassword&Version=2010-05-08&OldPassword=hunter2&NewPassword=correct-horse",
        )
        .unwrap();
        let shown = format!("{p:?}");
        assert!(shown.contains("\"Action\": \"ChangePassword\""), "{shown}");
        assert!(shown.contains("\"NewPassword\": <13 bytes>"), "{shown}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("correct-horse"),
            "{shown}"
        );
    }

    #[test]
    fn decodes_lists_and_structs() {
        let p = Params::from_form(
            b"Action=AssumeRole&Tags.member.2.Key=Team&Tags.member.1.Key=Env&Tags.member.1.Value=dev&Tags.member.2.Value=x&TransitiveTagKeys.member.1=Env&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess",
        )
        .unwrap();
        assert_eq!(p.get("Action"), Some("AssumeRole"));
        let tags = p.struct_list("Tags", &["Key", "Value"]).unwrap();
        assert_eq!(
            tags,
            vec![
                vec![Some("Env".into()), Some("dev".into())],
                vec![Some("Team".into()), Some("x".into())]
            ]
        );
        assert_eq!(p.string_list("TransitiveTagKeys").unwrap(), vec!["Env"]);
        assert_eq!(
            p.struct_list("PolicyArns", &["arn"]).unwrap(),
            vec![vec![Some("arn:aws:iam::aws:policy/ReadOnlyAccess".into())]]
        );
    }

    #[test]
    fn ten_sorts_after_nine() {
        let mut form = String::new();
        for i in 1..=11 {
            form.push_str(&format!("L.member.{i}=v{i}&"));
        }
        let p = Params::from_form(form.as_bytes()).unwrap();
        assert_eq!(p.string_list("L").unwrap().last().unwrap(), "v11");
    }

    #[test]
    fn empty_list_marker_is_empty() {
        let p = Params::from_form(b"Tags=&Action=X").unwrap();
        assert!(p.struct_list("Tags", &["Key"]).unwrap().is_empty());
        assert!(p.has_prefix("Tags"));
    }

    #[test]
    fn conflicting_duplicates_are_refused() {
        assert!(Params::from_form(b"A=1&A=1").is_ok());
        let err = Params::from_form(b"A=1&A=2").unwrap_err();
        assert_eq!(err.kind, ErrorKind::MalformedQueryString);
    }

    #[test]
    fn invalid_utf8_is_refused() {
        assert_eq!(
            Params::from_form(b"A=%ff").unwrap_err().kind,
            ErrorKind::MalformedQueryString
        );
    }

    #[test]
    fn bad_index_is_refused() {
        let p = Params::from_form(b"L.member.x=1").unwrap();
        assert!(p.string_list("L").is_err());
        let p = Params::from_form(b"L.member.0=1").unwrap();
        assert!(p.string_list("L").is_err());
    }
}
