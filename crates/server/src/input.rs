//! An operation's input checked against its shape in the AWS model (`rolecall-service-model`):
//! required members, string lengths, patterns and enums, integer ranges, list lengths, and
//! that numbers and booleans are numbers and booleans, with AWS's messages
//! (`N validation errors detected: …`), all of a request's failures at once.
//!
//! Members are checked in the model's order (AWS's validators are generated from the same
//! model), each list element in turn and each structure's members in theirs. What the model
//! cannot say is checked beside the handler that needs it, by name (see
//! `dispatch::beyond_the_model`).
//!
//! Patterns are the model's Java regular expressions. Java's `\w`, `\d` and `\s` are ASCII
//! (AWS refuses the user name `rté中`) while the regex crate's are Unicode, so those classes
//! are rewritten to their ASCII forms before compiling; `\p{…}` is Unicode in both. Each
//! pattern is compiled once.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use rolecall_service_model::{Kind, Op, Service, ShapeId};
use rolecall_wire::{AwsError, Constraint, Params, Validator};

/// Validates the input of `op` in `params`. The validator holds every violation found, so
/// that the handler's own checks join them in one `ValidationError` at `finish`.
///
/// # Errors
/// `MalformedQueryString` for a list index that is not a positive number.
pub(crate) fn validate(op: Op, params: &Params) -> Result<Validator, AwsError> {
    let mut walk = Walk {
        service: op.tables(),
        params,
        v: Validator::new(),
    };
    if let Some(input) = op.operation().input {
        walk.members(input, "", "")?;
    }
    Ok(walk.v)
}

/// A member's name as AWS's messages write it: `RoleSessionName` → `roleSessionName`.
pub(crate) fn field_name(member: &str) -> String {
    let mut c = member.chars();
    c.next()
        .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// One input being walked.
struct Walk<'a> {
    service: &'static Service,
    params: &'a Params,
    v: Validator,
}

impl Walk<'_> {
    /// The members of the structure `id`: each read from the parameter `key` + its name
    /// (`Tags.member.1.` + `Key`) and reported as `field` + its field name (`tags.1.member.` +
    /// `key`).
    fn members(&mut self, id: ShapeId, key: &str, field: &str) -> Result<(), AwsError> {
        let Kind::Structure { members, required } = &self.service.shape(id).kind else {
            return Ok(());
        };
        for m in *members {
            self.value(
                m.shape,
                &format!("{key}{}", m.name),
                &format!("{field}{}", field_name(m.name)),
                required.contains(&m.name),
            )?;
        }
        Ok(())
    }

    /// One value of shape `id` at the parameter `key`, reported as `field`.
    fn value(
        &mut self,
        id: ShapeId,
        key: &str,
        field: &str,
        required: bool,
    ) -> Result<(), AwsError> {
        let params = self.params;
        match &self.service.shape(id).kind {
            Kind::Structure { .. } => {
                let prefix = format!("{key}.");
                if params.has_prefix(&prefix) {
                    self.members(id, &prefix, &format!("{field}."))?;
                } else if required {
                    self.v.missing(field);
                }
            }
            Kind::List { member, min, max } => {
                self.list(*member, (*min, *max), key, field, required)?;
            }
            // No input of an operation rolecall implements holds a map (a test keeps it so):
            // a map is only checked for presence.
            Kind::Map { .. } => {
                if required && !params.has_prefix(&format!("{key}.")) {
                    self.v.missing(field);
                }
            }
            kind => match params.get(key) {
                Some(raw) => scalar(&mut self.v, kind, field, raw),
                None if required => self.v.missing(field),
                None => {}
            },
        }
        Ok(())
    }

    /// A list (`Name.member.N`) of `member` shapes with the model's length bounds. A list
    /// without elements counts as absent: Query clients send an empty list as nothing or a
    /// bare `Name=`.
    fn list(
        &mut self,
        member: ShapeId,
        (min, max): (Option<i64>, Option<i64>),
        key: &str,
        field: &str,
        required: bool,
    ) -> Result<(), AwsError> {
        let indices = self.params.member_indices(key)?;
        if indices.is_empty() {
            if required {
                self.v.missing(field);
            }
            return Ok(());
        }
        let len = i64::try_from(indices.len()).unwrap_or(i64::MAX);
        if let Some(min) = min.filter(|m| len < *m) {
            self.v.custom(format!(
                "Value at '{field}' failed to satisfy constraint: Member must have length greater than or equal to {min}"
            ));
        }
        if let Some(max) = max.filter(|m| len > *m) {
            self.v.custom(format!(
                "Value at '{field}' failed to satisfy constraint: Member must have length less than or equal to {max}"
            ));
        }
        for (n, i) in indices.iter().enumerate() {
            self.value(
                member,
                &format!("{key}.member.{i}"),
                &format!("{field}.{}.member", n + 1),
                false,
            )?;
        }
        Ok(())
    }
}

/// Checks one present scalar: lengths, then pattern, then enum for strings; the range for
/// integers; the spelling of booleans. Floats, timestamps and blobs carry no constraint.
fn scalar(v: &mut Validator, kind: &Kind, field: &str, raw: &str) {
    match kind {
        Kind::String {
            min,
            max,
            pattern,
            enum_values,
        } => {
            let mut lengths = Vec::with_capacity(2);
            if let Some(n) = min {
                lengths.push(Constraint::MinLen(usize::try_from(*n).unwrap_or(0)));
            }
            if let Some(n) = max {
                lengths.push(Constraint::MaxLen(
                    usize::try_from(*n).unwrap_or(usize::MAX),
                ));
            }
            v.string(field, Some(raw), false, &lengths);
            if let Some(p) = pattern
                && !matches(p, raw)
            {
                v.custom(pattern_failure(raw, field, p));
            }
            // An enum is reported as the alternation of its values, as a pattern.
            if !enum_values.is_empty() && !enum_values.contains(&raw) {
                v.custom(pattern_failure(raw, field, &enum_values.join("|")));
            }
        }
        Kind::Integer { min, max } => match raw.trim().parse::<i64>() {
            Ok(n) => v.int_range(
                field,
                Some(n),
                min.unwrap_or(i64::MIN),
                max.unwrap_or(i64::MAX),
            ),
            Err(_) => v.custom(format!(
                "Value '{raw}' at '{field}' failed to satisfy constraint: Member must be a number"
            )),
        },
        Kind::Boolean if raw != "true" && raw != "false" => v.custom(format!(
            "Value '{raw}' at '{field}' failed to satisfy constraint: Member must be a boolean"
        )),
        _ => {}
    }
}

fn pattern_failure(raw: &str, field: &str, pattern: &str) -> String {
    format!(
        "Value '{raw}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}"
    )
}

/// How one model pattern is matched against a whole value.
enum Matcher {
    /// The pattern, compiled with ASCII `\w`, `\d` and `\s`.
    Regex(Regex),
    /// A hand-written equivalent of a pattern the regex crate cannot run.
    Equivalent(Predicate),
}

/// A hand-written matcher of a whole value.
type Predicate = fn(&str) -> bool;

/// Model patterns beyond the regex crate (it has no look-around), each with a hand-written
/// equivalent.
const EQUIVALENTS: &[(&str, Predicate)] = &[(
    // accountAliasType: no leading, trailing or doubled dash.
    r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$",
    crate::iam::account::is_account_alias,
)];

impl Matcher {
    /// Compiles `pattern` or finds its equivalent. Panics for a pattern that has neither: a
    /// test compiles every pattern of the tables, so a regenerated model that brings one
    /// fails there first.
    fn new(pattern: &str) -> Self {
        match Regex::new(&format!("^(?:{})$", ascii_classes(pattern))) {
            Ok(re) => Self::Regex(re),
            Err(e) => EQUIVALENTS
                .iter()
                .find(|(p, _)| *p == pattern)
                .map(|(_, f)| Self::Equivalent(*f))
                .unwrap_or_else(|| {
                    panic!("model pattern {pattern} does not compile ({e}) and has no equivalent")
                }),
        }
    }

    fn is_match(&self, value: &str) -> bool {
        match self {
            Self::Regex(re) => re.is_match(value),
            Self::Equivalent(f) => f(value),
        }
    }
}

/// Every pattern of both services' tables, compiled on first use, keyed by its text.
static PATTERNS: LazyLock<HashMap<&'static str, Matcher>> = LazyLock::new(|| {
    let mut out = HashMap::new();
    for service in Service::all() {
        for shape in service.shapes {
            if let Kind::String {
                pattern: Some(p), ..
            } = shape.kind
            {
                out.entry(p).or_insert_with(|| Matcher::new(p));
            }
        }
    }
    out
});

/// Whether the whole of `value` matches the model pattern `pattern`. Every pattern checked
/// comes from the tables; one that did not would refuse the value.
fn matches(pattern: &str, value: &str) -> bool {
    PATTERNS.get(pattern).is_some_and(|m| m.is_match(value))
}

/// Java's `\w \W \d \D \s \S` (ASCII) as the regex crate's ASCII classes, inside brackets
/// (`[:word:]`) and outside (`[[:word:]]`); every other character and escape is kept.
fn ascii_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut depth = 0usize;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push(c);
                    break;
                };
                let class = match next {
                    'w' => "word",
                    'W' => "^word",
                    'd' => "digit",
                    'D' => "^digit",
                    's' => "space",
                    'S' => "^space",
                    _ => {
                        out.push(c);
                        out.push(next);
                        continue;
                    }
                };
                if depth > 0 {
                    out.push_str(&format!("[:{class}:]"));
                } else {
                    out.push_str(&format!("[[:{class}:]]"));
                }
            }
            '[' => {
                depth += 1;
                out.push(c);
            }
            ']' if depth > 0 => {
                depth -= 1;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        let mut p = Params::default();
        for (k, v) in pairs {
            p.set(*k, *v);
        }
        p
    }

    fn message(op: Op, pairs: &[(&str, &str)]) -> Option<String> {
        validate(op, &params(pairs))
            .unwrap()
            .finish()
            .err()
            .map(|e| e.message)
    }

    #[test]
    fn every_model_pattern_compiles_or_has_an_equivalent() {
        let mut count = 0;
        for service in Service::all() {
            for shape in service.shapes {
                if let Kind::String {
                    pattern: Some(p), ..
                } = shape.kind
                {
                    assert!(PATTERNS.contains_key(p), "{p}");
                    count += 1;
                }
            }
        }
        assert!(count > 20, "{count} patterns");
    }

    #[test]
    fn word_and_digit_classes_are_ascii() {
        assert_eq!(ascii_classes(r"[\w+=,.@-]+"), "[[:word:]+=,.@-]+");
        assert_eq!(ascii_classes(r"\w+\d"), "[[:word:]]+[[:digit:]]");
        assert_eq!(
            ascii_classes(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+"),
            r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+"
        );
        assert!(matches(r"[\w+=,.@-]+", "Alice_1+=,.@-"));
        assert!(!matches(r"[\w+=,.@-]+", "rté中"));
        assert!(!matches(r"[\w+=,.@-]+", "é"));
        assert!(matches(r"[\d]+", "123456"));
        assert!(!matches(r"[\d]+", "١٢٣٤٥٦"));
        // Explicit Unicode classes stay Unicode, as in Java.
        assert!(matches(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+", "Équipe 1"));
    }

    #[test]
    fn the_account_alias_pattern_has_an_equivalent() {
        let p = r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$";
        for ok in ["abc", "my-alias", "a-b-c", "0a9"] {
            assert!(matches(p, ok), "{ok}");
        }
        for bad in [
            "ab",
            "-abc",
            "abc-",
            "my--alias",
            "Abc",
            "a_b",
            &"a".repeat(64),
        ] {
            assert!(!matches(p, bad), "{bad}");
        }
    }

    #[test]
    fn members_are_checked_in_model_order_with_aws_messages() {
        assert_eq!(
            message(Op::AssumeRole, &[]).unwrap(),
            "2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null; Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null"
        );
        assert_eq!(
            message(
                Op::ListPolicies,
                &[
                    ("Scope", "Mine"),
                    ("MaxItems", "0"),
                    ("OnlyAttached", "yes")
                ]
            )
            .unwrap(),
            "3 validation errors detected: Value 'Mine' at 'scope' failed to satisfy constraint: Member must satisfy regular expression pattern: All|AWS|Local; Value 'yes' at 'onlyAttached' failed to satisfy constraint: Member must be a boolean; Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"
        );
        assert_eq!(
            message(Op::GetSessionToken, &[("DurationSeconds", "soon")]).unwrap(),
            "1 validation error detected: Value 'soon' at 'durationSeconds' failed to satisfy constraint: Member must be a number"
        );
        assert_eq!(message(Op::GetCallerIdentity, &[]), None);
        assert_eq!(message(Op::GetAccountSummary, &[]), None);
    }

    #[test]
    fn list_elements_are_named_by_position() {
        assert_eq!(
            message(
                Op::TagUser,
                &[
                    ("UserName", "u"),
                    ("Tags.member.1.Key", "ok"),
                    ("Tags.member.1.Value", "v"),
                    ("Tags.member.2.Key", ""),
                ]
            )
            .unwrap(),
            "3 validation errors detected: Value '' at 'tags.2.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1; Value '' at 'tags.2.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+; Value null at 'tags.2.member.value' failed to satisfy constraint: Member must not be null"
        );
        // A required list without elements is missing.
        assert_eq!(
            message(Op::UntagUser, &[("UserName", "u"), ("TagKeys", "")]).unwrap(),
            "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null"
        );
        let mut many = vec![("UserName".to_owned(), "u".to_owned())];
        for i in 1..=51 {
            many.push((format!("TagKeys.member.{i}"), format!("k{i}")));
        }
        let pairs: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            message(Op::UntagUser, &pairs).unwrap(),
            "1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to 50"
        );
        let bad_index = validate(Op::UntagUser, &params(&[("TagKeys.member.x", "k")]));
        assert!(bad_index.is_err());
    }

    #[test]
    fn no_input_holds_a_map() {
        fn walk(service: &Service, id: ShapeId, seen: &mut Vec<u16>) {
            if seen.contains(&id.0) {
                return;
            }
            seen.push(id.0);
            match &service.shape(id).kind {
                Kind::Structure { members, .. } => {
                    for m in *members {
                        walk(service, m.shape, seen);
                    }
                }
                Kind::List { member, .. } => walk(service, *member, seen),
                Kind::Map { .. } => panic!("{} is a map", service.shape(id).name),
                _ => {}
            }
        }
        for op in Op::ALL {
            if let Some(input) = op.operation().input {
                walk(op.tables(), input, &mut Vec::new());
            }
        }
    }
}
