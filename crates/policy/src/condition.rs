//! Condition operators and their evaluation, with AWS's rules for missing keys, `…IfExists`,
//! `ForAllValues:` / `ForAnyValue:` and negation (NOT of "matches any listed value").

use std::net::IpAddr;

use time::OffsetDateTime;

use crate::context::Context;
use crate::document::Version;
use crate::glob::{Tok, arn_tokens_match, tokens_match};
use crate::variables::{substitute, to_text};

/// The operator without its qualifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)] // The variant names are AWS's operator names.
pub enum OperatorBase {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

const BASES: &[(&str, OperatorBase)] = &[
    ("StringEquals", OperatorBase::StringEquals),
    ("StringNotEquals", OperatorBase::StringNotEquals),
    (
        "StringEqualsIgnoreCase",
        OperatorBase::StringEqualsIgnoreCase,
    ),
    (
        "StringNotEqualsIgnoreCase",
        OperatorBase::StringNotEqualsIgnoreCase,
    ),
    ("StringLike", OperatorBase::StringLike),
    ("StringNotLike", OperatorBase::StringNotLike),
    ("NumericEquals", OperatorBase::NumericEquals),
    ("NumericNotEquals", OperatorBase::NumericNotEquals),
    ("NumericLessThan", OperatorBase::NumericLessThan),
    ("NumericLessThanEquals", OperatorBase::NumericLessThanEquals),
    ("NumericGreaterThan", OperatorBase::NumericGreaterThan),
    (
        "NumericGreaterThanEquals",
        OperatorBase::NumericGreaterThanEquals,
    ),
    ("DateEquals", OperatorBase::DateEquals),
    ("DateNotEquals", OperatorBase::DateNotEquals),
    ("DateLessThan", OperatorBase::DateLessThan),
    ("DateLessThanEquals", OperatorBase::DateLessThanEquals),
    ("DateGreaterThan", OperatorBase::DateGreaterThan),
    ("DateGreaterThanEquals", OperatorBase::DateGreaterThanEquals),
    ("Bool", OperatorBase::Bool),
    ("BinaryEquals", OperatorBase::BinaryEquals),
    ("IpAddress", OperatorBase::IpAddress),
    ("NotIpAddress", OperatorBase::NotIpAddress),
    ("ArnEquals", OperatorBase::ArnEquals),
    ("ArnLike", OperatorBase::ArnLike),
    ("ArnNotEquals", OperatorBase::ArnNotEquals),
    ("ArnNotLike", OperatorBase::ArnNotLike),
    ("Null", OperatorBase::Null),
];

impl OperatorBase {
    /// Negated operators are true when the value matches none of the listed values, and true
    /// when the key is missing.
    #[must_use]
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            Self::StringNotEquals
                | Self::StringNotEqualsIgnoreCase
                | Self::StringNotLike
                | Self::NumericNotEquals
                | Self::DateNotEquals
                | Self::NotIpAddress
                | Self::ArnNotEquals
                | Self::ArnNotLike
        )
    }

    /// The positive operator a negated one is the complement of.
    fn positive(self) -> Self {
        match self {
            Self::StringNotEquals => Self::StringEquals,
            Self::StringNotEqualsIgnoreCase => Self::StringEqualsIgnoreCase,
            Self::StringNotLike => Self::StringLike,
            Self::NumericNotEquals => Self::NumericEquals,
            Self::DateNotEquals => Self::DateEquals,
            Self::NotIpAddress => Self::IpAddress,
            Self::ArnNotEquals => Self::ArnEquals,
            Self::ArnNotLike => Self::ArnLike,
            other => other,
        }
    }

    /// Date operators, whose values are checked at save time.
    #[must_use]
    pub fn is_date(self) -> bool {
        matches!(
            self,
            Self::DateEquals
                | Self::DateNotEquals
                | Self::DateLessThan
                | Self::DateLessThanEquals
                | Self::DateGreaterThan
                | Self::DateGreaterThanEquals
        )
    }

    /// String and ARN operators are the ones whose values may hold policy variables.
    fn takes_variables(self) -> bool {
        matches!(
            self.positive(),
            Self::StringEquals
                | Self::StringEqualsIgnoreCase
                | Self::StringLike
                | Self::ArnEquals
                | Self::ArnLike
        )
    }

    /// AWS's name.
    #[must_use]
    pub fn name(self) -> &'static str {
        BASES
            .iter()
            .find(|(_, b)| *b == self)
            .map_or("", |(n, _)| n)
    }
}

/// `ForAllValues:` or `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    /// Every request value must satisfy the operator; an empty or missing set is true.
    ForAllValues,
    /// At least one request value must satisfy the operator; an empty or missing set is false.
    ForAnyValue,
}

/// A condition operator with its qualifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// As written.
    pub text: String,
    /// The base operator; `None` for an unknown operator with an empty body, which AWS accepts
    /// and which is always true.
    pub base: Option<OperatorBase>,
    /// `…IfExists`.
    pub if_exists: bool,
    /// `ForAllValues:` / `ForAnyValue:`.
    pub set: Option<SetQualifier>,
}

impl Operator {
    /// Parses an operator name. `Err(())` when it is malformed: an unknown base name, `IfExists`
    /// on `Null`, or a bad qualifier.
    pub(crate) fn parse(text: &str) -> Result<Self, ()> {
        let (set, rest) = if let Some(r) = text.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), r)
        } else if let Some(r) = text.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), r)
        } else {
            (None, text)
        };
        let (if_exists, base_name) = match rest.strip_suffix("IfExists") {
            Some(b) => (true, b),
            None => (false, rest),
        };
        let base = BASES
            .iter()
            .find(|(n, _)| *n == base_name)
            .map(|(_, b)| *b)
            .ok_or(())?;
        if if_exists && base == OperatorBase::Null {
            return Err(());
        }
        if rest.contains(':') {
            return Err(());
        }
        Ok(Self {
            text: text.to_owned(),
            base: Some(base),
            if_exists,
            set,
        })
    }
}

/// One `operator: { key: values }` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The operator.
    pub operator: Operator,
    /// The key as written.
    pub key: String,
    pub(crate) key_lower: String,
    /// The listed values (JSON booleans and numbers as their text).
    pub values: Vec<String>,
    /// The values parsed once for their operator (numbers, dates, CIDRs), parallel to `values`.
    parsed: Vec<Parsed>,
}

/// A policy value parsed at load time, so decisions never re-parse it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Parsed {
    /// Not a numeric, date or IP operator, or the value holds a policy variable.
    Text,
    /// A number or a date (epoch seconds).
    Number(f64),
    /// A CIDR block.
    Cidr(IpAddr, u8),
    /// Not a valid value for the operator: it never matches.
    Invalid,
}

fn parse_for(base: Option<OperatorBase>, value: &str) -> Parsed {
    let Some(base) = base.map(OperatorBase::positive) else {
        return Parsed::Text;
    };
    match base {
        OperatorBase::NumericEquals
        | OperatorBase::NumericLessThan
        | OperatorBase::NumericLessThanEquals
        | OperatorBase::NumericGreaterThan
        | OperatorBase::NumericGreaterThanEquals => value
            .trim()
            .parse::<f64>()
            .map_or(Parsed::Invalid, Parsed::Number),
        b if b.is_date() => parse_date(value).map_or(Parsed::Invalid, Parsed::Number),
        OperatorBase::IpAddress => {
            parse_cidr(value).map_or(Parsed::Invalid, |(ip, bits)| Parsed::Cidr(ip, bits))
        }
        _ => Parsed::Text,
    }
}

/// Parses an ISO 8601 date, date-time, or epoch seconds into epoch seconds (fractional).
pub(crate) fn parse_date(text: &str) -> Option<f64> {
    let text = text.trim();
    if let Ok(n) = text.parse::<i64>() {
        return Some(n as f64);
    }
    if let Ok(n) = text.parse::<f64>() {
        return n.is_finite().then_some(n);
    }
    use time::format_description::well_known::{Iso8601, Rfc3339};
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(t.unix_timestamp_nanos() as f64 / 1e9);
    }
    if let Ok(t) = OffsetDateTime::parse(text, &Iso8601::DEFAULT) {
        return Some(t.unix_timestamp_nanos() as f64 / 1e9);
    }
    if let Ok(t) = time::PrimitiveDateTime::parse(text, &Iso8601::DEFAULT) {
        return Some(t.assume_utc().unix_timestamp_nanos() as f64 / 1e9);
    }
    let date = time::Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()?;
    Some(date.midnight().assume_utc().unix_timestamp() as f64)
}

fn parse_cidr(text: &str) -> Option<(IpAddr, u8)> {
    let text = text.trim();
    let (addr, bits) = match text.split_once('/') {
        Some((a, b)) => (a.parse::<IpAddr>().ok()?, Some(b.parse::<u8>().ok()?)),
        None => (text.parse::<IpAddr>().ok()?, None),
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let bits = bits.unwrap_or(max);
    (bits <= max).then_some((addr, bits))
}

fn ip_in(cidr: (IpAddr, u8), ip: IpAddr) -> bool {
    match (cidr.0, ip) {
        (IpAddr::V4(net), IpAddr::V4(ip)) => {
            let mask = if cidr.1 == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(cidr.1))
            };
            u32::from(net) & mask == u32::from(ip) & mask
        }
        (IpAddr::V6(net), IpAddr::V6(ip)) => {
            let mask = if cidr.1 == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(cidr.1))
            };
            u128::from(net) & mask == u128::from(ip) & mask
        }
        (IpAddr::V6(_), IpAddr::V4(v4)) => ip_in(cidr, IpAddr::V6(v4.to_ipv6_mapped())),
        (IpAddr::V4(_), IpAddr::V6(v6)) => v6
            .to_ipv4_mapped()
            .is_some_and(|v4| ip_in(cidr, IpAddr::V4(v4))),
    }
}

impl Condition {
    pub(crate) fn new(operator: Operator, key: &str, values: Vec<String>) -> Self {
        let parsed = values.iter().map(|v| parse_for(operator.base, v)).collect();
        Self {
            operator,
            key: key.to_owned(),
            key_lower: key.to_ascii_lowercase(),
            values,
            parsed,
        }
    }

    /// Does one request value match one policy value under the positive form of `base`?
    fn matches_one(
        &self,
        base: OperatorBase,
        policy_value: &str,
        parsed: Parsed,
        request_value: &str,
        ctx: &Context,
        version: Version,
    ) -> bool {
        let with_vars = version == Version::V2012_10_17
            && base.takes_variables()
            && policy_value.contains("${");
        let pattern = |wildcards: bool| -> Option<Vec<Tok>> {
            if with_vars {
                substitute(policy_value, ctx, wildcards)
            } else {
                Some(
                    policy_value
                        .chars()
                        .map(|c| literal_or_wild(c, wildcards))
                        .collect(),
                )
            }
        };
        match base {
            OperatorBase::StringEquals => {
                if with_vars {
                    pattern(false).is_some_and(|p| to_text(&p) == request_value)
                } else {
                    policy_value == request_value
                }
            }
            OperatorBase::StringEqualsIgnoreCase => {
                let expected = if with_vars {
                    pattern(false).map(|p| to_text(&p))
                } else {
                    Some(policy_value.to_owned())
                };
                expected.is_some_and(|e| e.to_lowercase() == request_value.to_lowercase())
            }
            OperatorBase::StringLike if !with_vars => {
                crate::glob::glob_matches(policy_value, request_value)
            }
            OperatorBase::StringLike => {
                pattern(true).is_some_and(|p| tokens_match(&p, request_value))
            }
            OperatorBase::ArnEquals | OperatorBase::ArnLike if !with_vars => {
                crate::glob::arn_segments(request_value).is_some()
                    && crate::glob::arn_matches(policy_value, request_value)
            }
            OperatorBase::ArnEquals | OperatorBase::ArnLike => {
                crate::glob::arn_segments(request_value).is_some()
                    && pattern(true).is_some_and(|p| arn_tokens_match(&p, request_value))
            }
            OperatorBase::NumericEquals
            | OperatorBase::NumericLessThan
            | OperatorBase::NumericLessThanEquals
            | OperatorBase::NumericGreaterThan
            | OperatorBase::NumericGreaterThanEquals => {
                let (Parsed::Number(p), Ok(r)) = (parsed, request_value.trim().parse::<f64>())
                else {
                    return false;
                };
                compare(base, r, p)
            }
            OperatorBase::DateEquals
            | OperatorBase::DateLessThan
            | OperatorBase::DateLessThanEquals
            | OperatorBase::DateGreaterThan
            | OperatorBase::DateGreaterThanEquals => {
                let (Parsed::Number(p), Some(r)) = (parsed, parse_date(request_value)) else {
                    return false;
                };
                compare(base, r, p)
            }
            OperatorBase::Bool => policy_value.eq_ignore_ascii_case(request_value),
            OperatorBase::BinaryEquals => {
                let decode = |v: &str| data_encoding::BASE64.decode(v.trim().as_bytes()).ok();
                match (decode(policy_value), decode(request_value)) {
                    (Some(a), Some(b)) => a == b,
                    _ => policy_value == request_value,
                }
            }
            OperatorBase::IpAddress => match (parsed, request_value.trim().parse::<IpAddr>()) {
                (Parsed::Cidr(net, bits), Ok(ip)) => ip_in((net, bits), ip),
                _ => false,
            },
            // Negated and Null bases never reach here.
            _ => false,
        }
    }

    /// Does one request value satisfy the operator (positive: matches any listed value;
    /// negated: matches none)?
    fn value_satisfies(
        &self,
        base: OperatorBase,
        request_value: &str,
        ctx: &Context,
        version: Version,
    ) -> bool {
        let positive = base.positive();
        let any = self.values.iter().zip(&self.parsed).any(|(pv, parsed)| {
            self.matches_one(positive, pv, *parsed, request_value, ctx, version)
        });
        if base.is_negated() { !any } else { any }
    }

    /// Evaluates the condition against a context.
    #[must_use]
    pub fn evaluate(&self, ctx: &Context, version: Version) -> bool {
        let Some(base) = self.operator.base else {
            return true;
        };
        let present = ctx.get_lower(&self.key_lower);
        if base == OperatorBase::Null {
            let absent = present.is_none_or(<[String]>::is_empty);
            return self.values.iter().any(|v| {
                if v.eq_ignore_ascii_case("true") {
                    absent
                } else if v.eq_ignore_ascii_case("false") {
                    !absent
                } else {
                    false
                }
            });
        }
        let values = match present {
            Some(v) if !v.is_empty() => v,
            _ => {
                return match self.operator.set {
                    Some(SetQualifier::ForAllValues) => true,
                    Some(SetQualifier::ForAnyValue) => self.operator.if_exists,
                    None => self.operator.if_exists || base.is_negated(),
                };
            }
        };
        match self.operator.set {
            Some(SetQualifier::ForAllValues) => values
                .iter()
                .all(|v| self.value_satisfies(base, v, ctx, version)),
            Some(SetQualifier::ForAnyValue) => values
                .iter()
                .any(|v| self.value_satisfies(base, v, ctx, version)),
            None if base.is_negated() => values
                .iter()
                .all(|v| self.value_satisfies(base, v, ctx, version)),
            None => values
                .iter()
                .any(|v| self.value_satisfies(base, v, ctx, version)),
        }
    }
}

fn literal_or_wild(c: char, wildcards: bool) -> Tok {
    match c {
        '*' if wildcards => Tok::Any,
        '?' if wildcards => Tok::One,
        c => Tok::Lit(c),
    }
}

fn compare(base: OperatorBase, request: f64, policy: f64) -> bool {
    match base {
        OperatorBase::NumericEquals | OperatorBase::DateEquals => {
            (request - policy).abs() < f64::EPSILON
        }
        OperatorBase::NumericLessThan | OperatorBase::DateLessThan => request < policy,
        OperatorBase::NumericLessThanEquals | OperatorBase::DateLessThanEquals => request <= policy,
        OperatorBase::NumericGreaterThan | OperatorBase::DateGreaterThan => request > policy,
        OperatorBase::NumericGreaterThanEquals | OperatorBase::DateGreaterThanEquals => {
            request >= policy
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(op: &str, key: &str, values: &[&str]) -> Condition {
        Condition::new(
            Operator::parse(op).unwrap(),
            key,
            values.iter().map(|v| (*v).to_owned()).collect(),
        )
    }

    fn ctx(pairs: &[(&str, &str)]) -> Context {
        let mut c = Context::default();
        for (k, v) in pairs {
            c.set(k, *v);
        }
        c
    }

    const V: Version = Version::V2012_10_17;

    #[test]
    fn operator_names_parse() {
        assert!(Operator::parse("ForAnyValue:StringEqualsIfExists").is_ok());
        assert!(Operator::parse("NullIfExists").is_err());
        assert!(Operator::parse("StringEqualz").is_err());
        assert!(Operator::parse("ForAnyValue:ForAllValues:StringEquals").is_err());
    }

    #[test]
    fn missing_keys_follow_aws_rules() {
        let empty = Context::default();
        assert!(!cond("StringEquals", "k", &["a"]).evaluate(&empty, V));
        assert!(cond("StringNotEquals", "k", &["a"]).evaluate(&empty, V));
        assert!(cond("StringEqualsIfExists", "k", &["a"]).evaluate(&empty, V));
        assert!(cond("ForAllValues:StringEquals", "k", &["a"]).evaluate(&empty, V));
        assert!(!cond("ForAnyValue:StringEquals", "k", &["a"]).evaluate(&empty, V));
        assert!(cond("Null", "k", &["true"]).evaluate(&empty, V));
        assert!(!cond("Null", "k", &["false"]).evaluate(&empty, V));
    }

    #[test]
    fn negation_is_not_in_set() {
        let c = cond("StringNotEquals", "aws:username", &["alice", "bob"]);
        assert!(!c.evaluate(&ctx(&[("aws:username", "alice")]), V));
        assert!(c.evaluate(&ctx(&[("aws:username", "carol")]), V));
    }

    #[test]
    fn keys_are_case_insensitive_values_are_not() {
        let c = cond("StringEquals", "AWS:RequestTag/Env", &["prod"]);
        assert!(c.evaluate(&ctx(&[("aws:requesttag/env", "prod")]), V));
        assert!(!c.evaluate(&ctx(&[("aws:requesttag/env", "Prod")]), V));
        assert!(cond("StringEqualsIgnoreCase", "k", &["PROD"]).evaluate(&ctx(&[("k", "prod")]), V));
    }

    #[test]
    fn numbers_dates_ips_bools_arns() {
        assert!(
            cond("NumericLessThan", "aws:MultiFactorAuthAge", &["3600"])
                .evaluate(&ctx(&[("aws:MultiFactorAuthAge", "600")]), V)
        );
        assert!(
            !cond("NumericLessThan", "aws:MultiFactorAuthAge", &["3600"])
                .evaluate(&ctx(&[("aws:MultiFactorAuthAge", "7200")]), V)
        );
        assert!(!cond("NumericLessThan", "k", &["abc"]).evaluate(&ctx(&[("k", "1")]), V));
        let now = ctx(&[("aws:CurrentTime", "2026-11-23T10:00:00Z")]);
        assert!(
            !cond("DateLessThan", "aws:CurrentTime", &["2020-01-01T00:00:00Z"]).evaluate(&now, V)
        );
        assert!(cond("DateGreaterThan", "aws:CurrentTime", &["2020-01-01"]).evaluate(&now, V));
        assert!(cond("DateGreaterThan", "aws:CurrentTime", &["1577836800"]).evaluate(&now, V));
        assert!(
            cond("IpAddress", "aws:SourceIp", &["10.0.0.0/8"])
                .evaluate(&ctx(&[("aws:SourceIp", "10.1.2.3")]), V)
        );
        assert!(
            !cond("IpAddress", "aws:SourceIp", &["10.0.0.0/8"])
                .evaluate(&ctx(&[("aws:SourceIp", "127.0.0.1")]), V)
        );
        assert!(
            cond("IpAddress", "aws:SourceIp", &["2001:db8::/32"])
                .evaluate(&ctx(&[("aws:SourceIp", "2001:db8::1")]), V)
        );
        assert!(
            cond("NotIpAddress", "aws:SourceIp", &["192.0.2.1"])
                .evaluate(&ctx(&[("aws:SourceIp", "192.0.2.2")]), V)
        );
        assert!(
            cond("Bool", "aws:SecureTransport", &["True"])
                .evaluate(&ctx(&[("aws:SecureTransport", "true")]), V)
        );
        assert!(
            cond(
                "ArnLike",
                "aws:PrincipalArn",
                &["arn:aws:iam::*:role/app/*"]
            )
            .evaluate(
                &ctx(&[("aws:PrincipalArn", "arn:aws:iam::1:role/app/x")]),
                V
            )
        );
        assert!(
            !cond("ArnLike", "aws:PrincipalArn", &["arn:aws:iam::*:role/*"])
                .evaluate(&ctx(&[("aws:PrincipalArn", "not-an-arn")]), V)
        );
        assert!(cond("BinaryEquals", "k", &["QmluYXJ5"]).evaluate(&ctx(&[("k", "QmluYXJ5")]), V));
    }

    #[test]
    fn set_operators() {
        let mut c = Context::default();
        c.set_multi("aws:TagKeys", vec!["env".into(), "owner".into()]);
        assert!(
            !cond("ForAllValues:StringEquals", "aws:TagKeys", &["env", "team"]).evaluate(&c, V)
        );
        assert!(cond("ForAnyValue:StringEquals", "aws:TagKeys", &["env"]).evaluate(&c, V));
        assert!(cond("ForAllValues:StringNotEquals", "aws:TagKeys", &["secret"]).evaluate(&c, V));
    }

    #[test]
    fn variables_in_condition_values() {
        let c = cond("StringLike", "s3:prefix", &["home/${aws:username}/*"]);
        assert!(c.evaluate(
            &ctx(&[("s3:prefix", "home/alice/x"), ("aws:username", "alice")]),
            V
        ));
        assert!(!c.evaluate(
            &ctx(&[("s3:prefix", "home/alice/x"), ("aws:username", "bob")]),
            V
        ));
        assert!(!c.evaluate(
            &ctx(&[("s3:prefix", "home/alice/x"), ("aws:username", "alice")]),
            Version::V2008_10_17
        ));
    }
}
