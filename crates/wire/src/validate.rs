//! Input validation with AWS's constraint messages:
//! `2 validation errors detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: …; …`.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use regex::Regex;

use crate::AwsError;

/// A constraint from the service model.
#[derive(Debug, Clone, Copy)]
pub enum Constraint {
    /// Minimum length in characters.
    MinLen(usize),
    /// Maximum length in characters.
    MaxLen(usize),
    /// The model's regular expression, matched against the whole value.
    Pattern(&'static str),
}

static PATTERNS: LazyLock<Mutex<HashMap<&'static str, Regex>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn full_match(pattern: &'static str, value: &str) -> bool {
    let mut cache = PATTERNS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let re = cache.entry(pattern).or_insert_with(|| {
        Regex::new(&format!("^(?:{pattern})$"))
            .expect("model patterns are valid regular expressions")
    });
    re.is_match(value)
}

/// Collects every constraint violation of one request, as AWS reports them all at once.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<String>,
}

impl Validator {
    /// A validator with no errors.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that a required member is missing.
    pub fn missing(&mut self, field: &str) {
        self.errors.push(format!(
            "Value null at '{field}' failed to satisfy constraint: Member must not be null"
        ));
    }

    /// Checks a string member. `None` passes unless `required`.
    pub fn string(
        &mut self,
        field: &str,
        value: Option<&str>,
        required: bool,
        constraints: &[Constraint],
    ) {
        let Some(value) = value else {
            if required {
                self.missing(field);
            }
            return;
        };
        let len = value.chars().count();
        for c in constraints {
            let failed = match *c {
                Constraint::MinLen(n) if len < n => Some(format!(
                    "Member must have length greater than or equal to {n}"
                )),
                Constraint::MaxLen(n) if len > n => {
                    Some(format!("Member must have length less than or equal to {n}"))
                }
                Constraint::Pattern(p) if !full_match(p, value) => Some(format!(
                    "Member must satisfy regular expression pattern: {p}"
                )),
                _ => None,
            };
            if let Some(msg) = failed {
                self.errors.push(format!(
                    "Value '{value}' at '{field}' failed to satisfy constraint: {msg}"
                ));
            }
        }
    }

    /// Checks an integer member against an inclusive range.
    pub fn int_range(&mut self, field: &str, value: Option<i64>, min: i64, max: i64) {
        if let Some(v) = value {
            if v < min {
                self.errors.push(format!(
                    "Value '{v}' at '{field}' failed to satisfy constraint: Member must have value greater than or equal to {min}"
                ));
            }
            if v > max {
                self.errors.push(format!(
                    "Value '{v}' at '{field}' failed to satisfy constraint: Member must have value less than or equal to {max}"
                ));
            }
        }
    }

    /// Records a free-form violation in the same list.
    pub fn custom(&mut self, message: String) {
        self.errors.push(message);
    }

    /// True when nothing failed so far.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok` when nothing failed, otherwise one `ValidationError` listing every failure.
    ///
    /// # Errors
    /// `ValidationError` with AWS's message.
    pub fn finish(self) -> Result<(), AwsError> {
        match self.errors.len() {
            0 => Ok(()),
            1 => Err(AwsError::validation(format!(
                "1 validation error detected: {}",
                self.errors[0]
            ))),
            n => Err(AwsError::validation(format!(
                "{n} validation errors detected: {}",
                self.errors.join("; ")
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproduces_the_observed_duration_message() {
        let mut v = Validator::new();
        v.int_range("durationSeconds", Some(600), 900, 43200);
        assert_eq!(
            v.finish().unwrap_err().message,
            "1 validation error detected: Value '600' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"
        );
    }

    #[test]
    fn lists_every_failure() {
        let mut v = Validator::new();
        v.string(
            "roleSessionName",
            Some("a b"),
            true,
            &[Constraint::MinLen(2), Constraint::Pattern(r"[\w+=,.@-]*")],
        );
        v.missing("roleArn");
        let msg = v.finish().unwrap_err().message;
        assert!(msg.starts_with("2 validation errors detected: Value 'a b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*; Value null at 'roleArn'"), "{msg}");
    }

    #[test]
    fn unicode_tag_pattern_works() {
        let mut v = Validator::new();
        v.string(
            "key",
            Some("Équipe 1"),
            true,
            &[Constraint::Pattern(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+")],
        );
        assert!(v.is_ok());
    }
}
