//! Parsing and validation of policy documents, with IAM's check order and messages
//! (`Syntax errors in policy.`, `The policy failed legacy parsing`, …). IAM reports only the
//! first failing check, so the checks run in stages over the whole document.

use serde_json::{Map, Value};

use crate::condition::{Condition, Operator, parse_date};
use crate::document::{
    ActionBlock, ActionPattern, Effect, Policy, PrincipalBlock, PrincipalSet, ResourceBlock,
    Statement, Version,
};
use crate::unique_keys::JsonError;

/// Which kind of document is being validated; the grammar differs slightly between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// An inline policy of a user, group or role.
    Inline,
    /// A managed policy version (also what boundaries are).
    Managed,
    /// A role trust policy.
    Trust,
    /// A session policy passed to AssumeRole or GetFederationToken.
    Session,
    /// A version of an AWS managed policy: AWS's own document, checked like a managed
    /// policy's except for the format of its resource ARNs, which IAM does not hold AWS's
    /// documents to (several name `arn:*:…` resources, or S3 access points with a region).
    AwsManaged,
}

/// Why a document was refused: the `MalformedPolicyDocument` message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PolicyError {
    /// AWS's message.
    pub message: String,
}

fn err<T>(message: impl Into<String>) -> Result<T, PolicyError> {
    Err(PolicyError {
        message: message.into(),
    })
}

const SYNTAX: &str = "Syntax errors in policy.";
const LEGACY: &str = "The policy failed legacy parsing";

/// The number of characters that count against IAM's size quotas (white space excluded).
#[must_use]
pub fn non_whitespace_len(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// A statement after the syntax stage, before the semantic checks.
struct Raw {
    sid: Option<String>,
    effect: String,
    action: Option<(bool, Vec<String>)>,
    resource: Option<(bool, Vec<String>)>,
    principal: Option<(bool, PrincipalSet)>,
    conditions: Vec<Condition>,
    date_values: Vec<String>,
}

fn string_or_list(v: &Value) -> Result<Vec<String>, PolicyError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned).ok_or(()))
            .collect::<Result<_, _>>()
            .or_else(|()| err(SYNTAX)),
        _ => err(SYNTAX),
    }
}

fn condition_values(v: &Value) -> Result<Vec<String>, PolicyError> {
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match v {
        Value::Array(items) => items
            .iter()
            .map(|i| scalar(i).ok_or(()))
            .collect::<Result<_, _>>()
            .or_else(|()| err(SYNTAX)),
        other => scalar(other)
            .map(|s| vec![s])
            .map_or_else(|| err(SYNTAX), Ok),
    }
}

fn principal_set(v: &Value) -> Result<PrincipalSet, PolicyError> {
    match v {
        Value::String(s) if s == "*" => Ok(PrincipalSet {
            any: true,
            ..PrincipalSet::default()
        }),
        Value::Object(map) => {
            let mut set = PrincipalSet::default();
            for (k, v) in map {
                let values = string_or_list(v)?;
                match k.as_str() {
                    "AWS" => {
                        if values.len() == 1 && values[0] == "*" {
                            set.any = true;
                        }
                        set.aws = values;
                    }
                    "Service" => set.service = values,
                    "Federated" => set.federated = values,
                    "CanonicalUser" => set.canonical_user = values,
                    _ => return err(SYNTAX),
                }
            }
            Ok(set)
        }
        _ => err(SYNTAX),
    }
}

fn parse_conditions(v: &Value, raw: &mut Raw) -> Result<(), PolicyError> {
    let Value::Object(ops) = v else {
        return err(SYNTAX);
    };
    for (op_text, body) in ops {
        let Value::Object(entries) = body else {
            return err(SYNTAX);
        };
        let operator = match Operator::parse(op_text) {
            Ok(op) => op,
            // AWS accepts an unknown operator whose body is empty; anything else is a syntax error.
            Err(()) if entries.is_empty() && !op_text.contains("::") => continue,
            Err(()) => return err(SYNTAX),
        };
        for (key, values) in entries {
            let values = condition_values(values)?;
            if operator
                .base
                .is_some_and(crate::condition::OperatorBase::is_date)
            {
                raw.date_values.extend(values.iter().cloned());
            }
            raw.conditions
                .push(Condition::new(operator.clone(), key, values));
        }
    }
    Ok(())
}

const STATEMENT_MEMBERS: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
];

fn parse_statement(map: &Map<String, Value>) -> Result<Raw, PolicyError> {
    if map.keys().any(|k| !STATEMENT_MEMBERS.contains(&k.as_str())) {
        return err(SYNTAX);
    }
    let both = |a: &str, b: &str| map.contains_key(a) && map.contains_key(b);
    if both("Action", "NotAction")
        || both("Resource", "NotResource")
        || both("Principal", "NotPrincipal")
    {
        return err(SYNTAX);
    }
    let effect = match map.get("Effect") {
        Some(Value::String(e))
            if e.eq_ignore_ascii_case("allow") || e.eq_ignore_ascii_case("deny") =>
        {
            e.clone()
        }
        _ => return err(SYNTAX),
    };
    let sid = match map.get("Sid") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return err(SYNTAX),
    };
    let block = |a: &str, b: &str| -> Result<Option<(bool, Vec<String>)>, PolicyError> {
        match (map.get(a), map.get(b)) {
            (Some(v), _) => Ok(Some((false, string_or_list(v)?))),
            (None, Some(v)) => Ok(Some((true, string_or_list(v)?))),
            (None, None) => Ok(None),
        }
    };
    let action = block("Action", "NotAction")?;
    let resource = block("Resource", "NotResource")?;
    let principal = match (map.get("Principal"), map.get("NotPrincipal")) {
        (Some(v), _) => Some((false, principal_set(v)?)),
        (None, Some(v)) => Some((true, principal_set(v)?)),
        (None, None) => None,
    };
    let mut raw = Raw {
        sid,
        effect,
        action,
        resource,
        principal,
        conditions: Vec::new(),
        date_values: Vec::new(),
    };
    if let Some(c) = map.get("Condition") {
        parse_conditions(c, &mut raw)?;
    }
    Ok(raw)
}

/// Stage 1: JSON and shape.
fn parse_shape(
    text: &str,
    kind: PolicyKind,
) -> Result<(Version, Option<String>, Vec<Raw>), PolicyError> {
    if text
        .chars()
        .any(|c| !(c == '\t' || c == '\n' || c == '\r' || ('\u{20}'..='\u{ff}').contains(&c)))
    {
        return err(SYNTAX);
    }
    let value: Value = match crate::unique_keys::parse(text) {
        Ok(v) => v,
        Err(JsonError::Syntax) if kind == PolicyKind::Trust => {
            return err("This policy contains invalid Json");
        }
        // Duplicate keys would make a document read one way and be evaluated another.
        Err(JsonError::Syntax | JsonError::DuplicateKey) => return err(SYNTAX),
    };
    let Value::Object(top) = value else {
        return err(SYNTAX);
    };
    if top
        .keys()
        .any(|k| !matches!(k.as_str(), "Version" | "Id" | "Statement"))
    {
        return err(SYNTAX);
    }
    let version = match top.get("Version") {
        None => Version::V2008_10_17,
        Some(Value::String(v)) if v == "2012-10-17" => Version::V2012_10_17,
        Some(Value::String(v)) if v == "2008-10-17" => Version::V2008_10_17,
        Some(_) => return err(SYNTAX),
    };
    let id = match top.get("Id") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return err(SYNTAX),
    };
    let statements: Vec<&Map<String, Value>> = match top.get("Statement") {
        Some(Value::Object(one)) => vec![one],
        Some(Value::Array(list)) if !list.is_empty() => list
            .iter()
            .map(|s| s.as_object().ok_or(()))
            .collect::<Result<_, _>>()
            .or_else(|()| err(SYNTAX))?,
        _ => return err(SYNTAX),
    };
    let raws = statements
        .into_iter()
        .map(parse_statement)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((version, id, raws))
}

const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];
const IAM_RESOURCE_TYPES: &[&str] = &[
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
];

fn check_resource_format(r: &str) -> Result<(), PolicyError> {
    if r == "*" {
        return Ok(());
    }
    if !r.contains(':') || !r.starts_with("arn:") {
        return err(format!("Resource {r} must be in ARN format or \"*\"."));
    }
    let parts: Vec<&str> = r.splitn(6, ':').collect();
    let seg = |i: usize| {
        parts
            .get(i)
            .copied()
            .filter(|s| !s.is_empty())
            .unwrap_or("*")
    };
    if !PARTITIONS.contains(&parts[1]) {
        return err(format!(
            "Partition \"{}\" is not valid for resource \"arn:{}:{}:{}:{}:{}\".",
            parts[1],
            parts[1],
            seg(2),
            seg(3),
            seg(4),
            seg(5)
        ));
    }
    let service = parts.get(2).copied().unwrap_or_default();
    if service.is_empty() || service.contains(['*', '?']) || parts.len() < 3 {
        return err("Resource vendor must be fully qualified and cannot contain regexes.");
    }
    let region = parts.get(3).copied().unwrap_or_default();
    if service == "iam" && !region.is_empty() {
        return err(format!(
            "IAM resource {r} cannot contain region information."
        ));
    }
    if service == "s3" && !region.is_empty() {
        return err(format!("Resource {r} can not contain region information."));
    }
    if service == "iam" {
        let resource = parts.get(5).copied().unwrap_or_default();
        if resource != "*"
            && !IAM_RESOURCE_TYPES.iter().any(|t| resource.starts_with(t))
            && !resource.starts_with("root")
        {
            return err(
                "IAM resource path must either be \"*\" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.",
            );
        }
    }
    Ok(())
}

fn check_action_format(a: &str) -> Result<(), PolicyError> {
    if a == "*" {
        return Ok(());
    }
    let Some((vendor, _)) = a.split_once(':') else {
        return err("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
    };
    if a.matches(':').count() > 1 {
        return err("Actions/Condition can contain only one colon.");
    }
    if vendor.is_empty()
        || !vendor
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return err(format!("Vendor {vendor} is not valid"));
    }
    Ok(())
}

const TRUST_ACTIONS: &[&str] = &[
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:tagsession",
    "sts:setsourceidentity",
    "sts:setcontext",
    "sts:*",
    "*",
];

fn is_unique_id(v: &str) -> bool {
    (v.starts_with("AIDA") || v.starts_with("AROA"))
        && v.len() >= 16
        && v.chars().all(|c| c.is_ascii_alphanumeric())
}

fn check_trust_principal(value: &str) -> Result<(), PolicyError> {
    let invalid = || err(format!("Invalid principal in policy: \"AWS\":\"{value}\""));
    if value == "*" || rolecall_arn::is_account_id(value) || is_unique_id(value) {
        return Ok(());
    }
    let Ok(arn) = rolecall_arn::Arn::parse(value) else {
        return invalid();
    };
    if value.contains(['*', '?'])
        || !rolecall_arn::is_account_id(&arn.account)
        || !arn.region.is_empty()
    {
        return invalid();
    }
    let (kind, rest) = arn.resource_type_and_rest();
    let ok = match (arn.service.as_str(), kind) {
        ("iam", "root") => rest.is_empty(),
        ("iam", "user" | "role") => !rest.is_empty(),
        ("sts", "assumed-role") => {
            rest.split('/').count() == 2 && rest.split('/').all(|p| !p.is_empty())
        }
        ("sts", "federated-user") => !rest.is_empty(),
        _ => false,
    };
    if ok { Ok(()) } else { invalid() }
}

/// Parses and validates a policy document of the given kind.
///
/// # Errors
/// [`PolicyError`] with the message IAM gives for the first failing check.
pub fn parse_policy(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
    let (version, id, raws) = parse_shape(text, kind)?;
    if matches!(kind, PolicyKind::Managed | PolicyKind::AwsManaged)
        && version != Version::V2012_10_17
    {
        return err("Policy document must be version 2012-10-17 or greater.");
    }
    for raw in &raws {
        if raw.effect != "Allow" && raw.effect != "Deny" {
            return err(LEGACY);
        }
        if raw.date_values.iter().any(|d| parse_date(d).is_none()) {
            return err(LEGACY);
        }
        if let Some((_, resources)) = &raw.resource
            && resources
                .iter()
                .any(|r| r.starts_with("arn:") && (3..=5).contains(&r.split(':').count()))
        {
            return err(LEGACY);
        }
    }
    let mut sids: Vec<&str> = Vec::new();
    for raw in &raws {
        if let Some(sid) = raw.sid.as_deref().filter(|s| !s.is_empty()) {
            if kind != PolicyKind::Trust && !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
                return err(
                    "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
                );
            }
            if sids.contains(&sid) {
                return err("Statement IDs (SID) in a single policy must be unique.");
            }
            sids.push(sid);
        }
    }
    for raw in &raws {
        if raw.action.as_ref().is_none_or(|(_, a)| a.is_empty()) {
            return err("Policy statement must contain actions.");
        }
    }
    if kind == PolicyKind::Trust {
        check_trust(&raws)?;
    } else {
        check_identity(&raws, kind != PolicyKind::AwsManaged)?;
    }
    Ok(Policy {
        version,
        id,
        statements: raws.into_iter().map(build_statement).collect(),
    })
}

fn check_identity(raws: &[Raw], resource_formats: bool) -> Result<(), PolicyError> {
    if raws.iter().any(|r| r.principal.is_some()) {
        return err("Policy document should not specify a principal.");
    }
    for raw in raws {
        if raw.resource.as_ref().is_none_or(|(_, r)| r.is_empty()) {
            return err("Policy statement must contain resources.");
        }
    }
    for raw in raws.iter().filter(|_| resource_formats) {
        if let Some((_, resources)) = &raw.resource {
            let mut sorted: Vec<&String> = resources.iter().collect();
            sorted.sort_by(|a, b| b.cmp(a));
            for r in sorted {
                check_resource_format(r)?;
            }
        }
    }
    for raw in raws {
        if let Some((_, actions)) = &raw.action {
            for a in actions {
                check_action_format(a)?;
            }
        }
    }
    Ok(())
}

fn check_trust(raws: &[Raw]) -> Result<(), PolicyError> {
    for raw in raws {
        if let Some((not, _)) = &raw.resource {
            return err(if *not {
                "Has prohibited field NotResource"
            } else {
                "Has prohibited field Resource"
            });
        }
    }
    for raw in raws {
        match &raw.principal {
            None => {
                return err(
                    "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!",
                );
            }
            Some((true, _)) => return err("Has prohibited field NotPrincipal"),
            Some((false, set)) => {
                for v in &set.aws {
                    check_trust_principal(v)?;
                }
            }
        }
    }
    for raw in raws {
        if let Some((not, actions)) = &raw.action
            && (*not
                || actions
                    .iter()
                    .any(|a| !TRUST_ACTIONS.contains(&a.to_ascii_lowercase().as_str())))
        {
            return err("AssumeRole policy may only specify STS AssumeRole actions.");
        }
    }
    Ok(())
}

fn build_statement(raw: Raw) -> Statement {
    let (not_action, actions) = raw.action.unwrap_or_default();
    let patterns: Vec<ActionPattern> = actions.iter().map(|a| ActionPattern::new(a)).collect();
    Statement {
        sid: raw.sid,
        effect: if raw.effect == "Allow" {
            Effect::Allow
        } else {
            Effect::Deny
        },
        action: if not_action {
            ActionBlock::NotAction(patterns)
        } else {
            ActionBlock::Action(patterns)
        },
        resource: raw.resource.map(|(not, r)| {
            if not {
                ResourceBlock::NotResource(r)
            } else {
                ResourceBlock::Resource(r)
            }
        }),
        principal: raw.principal.map(|(not, p)| {
            if not {
                PrincipalBlock::NotPrincipal(p)
            } else {
                PrincipalBlock::Principal(p)
            }
        }),
        conditions: raw.conditions,
    }
}
