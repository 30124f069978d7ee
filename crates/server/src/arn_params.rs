//! ARN parameters, parsed strictly before anything is authorized: partition `aws`, service
//! `iam`, no region, a twelve-digit account (or `aws` for AWS managed policies), the resource
//! type the parameter needs, a path and a name of IAM's characters. An ARN that is not
//! exactly that is refused with AWS's `ValidationError`, so no other spelling (another
//! partition, a region, doubled slashes) ever reaches an entity. The handler then looks the
//! entity up as IAM does and authorizes against the stored entity's own ARN.

use rolecall_arn::{AWS_MANAGED_ACCOUNT, Arn};
use rolecall_store::EntityKind;
use rolecall_wire::AwsError;

use crate::call::Call;

/// IAM's answer to an ARN it cannot parse (two spaces, as AWS writes it).
const POLICY_ARN_INVALID: &str = "Invalid ARN:  Could not be parsed!";

/// An IAM entity as an ARN parameter names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IamArn {
    /// The account, or `aws` for an AWS managed policy.
    pub(crate) account: String,
    /// The path, with its slashes (`/` when it has none).
    pub(crate) path: String,
    /// The entity's name as written.
    pub(crate) name: String,
}

/// A character of IAM's names (`[\w+=,.@-]`, with the ASCII `\w` AWS means).
fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// Parses `text` as the ARN of an IAM entity of resource type `kind` (`role`, `user`,
/// `policy`, …), strictly; `aws_account` admits the account `aws` of AWS managed policies.
/// `None` for anything else.
pub(crate) fn parse_iam(text: &str, kind: &str, aws_account: bool) -> Option<IamArn> {
    let arn = Arn::parse(text).ok()?;
    let account_ok = rolecall_arn::is_account_id(&arn.account)
        || (aws_account && arn.account == AWS_MANAGED_ACCOUNT);
    if arn.partition != "aws" || arn.service != "iam" || !arn.region.is_empty() || !account_ok {
        return None;
    }
    let rest = arn.resource.strip_prefix(kind)?.strip_prefix('/')?;
    let mut segments: Vec<&str> = rest.split('/').collect();
    let name = segments.pop()?;
    let name_limit = if kind == "policy" { 128 } else { 64 };
    if name.is_empty() || name.len() > name_limit || !name.chars().all(name_char) {
        return None;
    }
    // A policy path is made of name characters; other paths of printable ASCII.
    let segment_ok = |s: &str| {
        !s.is_empty()
            && s.chars().all(|c| {
                if kind == "policy" {
                    name_char(c)
                } else {
                    ('\u{21}'..='\u{7e}').contains(&c)
                }
            })
    };
    if !segments.iter().all(|s| segment_ok(s)) {
        return None;
    }
    let path = if segments.is_empty() {
        "/".to_owned()
    } else {
        format!("/{}/", segments.join("/"))
    };
    if path.len() > 512 {
        return None;
    }
    Some(IamArn {
        account: arn.account,
        path,
        name: name.to_owned(),
    })
}

/// A role ARN parameter (AssumeRole's `RoleArn`).
///
/// # Errors
/// `ValidationError` `<text> is invalid`, as STS answers.
pub(crate) fn role_arn(text: &str) -> Result<IamArn, AwsError> {
    parse_iam(text, "role", false).ok_or_else(|| AwsError::validation(format!("{text} is invalid")))
}

/// A managed policy ARN parameter of IAM (`PolicyArn`, `PermissionsBoundary`).
///
/// # Errors
/// `ValidationError` `Invalid ARN:  Could not be parsed!`, as IAM answers.
pub(crate) fn policy_arn(text: &str) -> Result<IamArn, AwsError> {
    parse_iam(text, "policy", true).ok_or_else(|| AwsError::validation(POLICY_ARN_INVALID))
}

/// A managed session policy ARN of STS (`PolicyArns.member.N.arn`).
///
/// # Errors
/// `ValidationError` `<text> is invalid`, in STS's words.
pub(crate) fn session_policy_arn(text: &str) -> Result<IamArn, AwsError> {
    parse_iam(text, "policy", true)
        .ok_or_else(|| AwsError::validation(format!("{text} is invalid")))
}

/// The kinds of IAM principal whose policies can be simulated (`PolicySourceArn`).
const PRINCIPAL_KINDS: [(&str, EntityKind); 3] = [
    ("user", EntityKind::User),
    ("group", EntityKind::Group),
    ("role", EntityKind::Role),
];

/// SimulatePrincipalPolicy's `PolicySourceArn`: a user, group or role of IAM.
///
/// # Errors
/// `ValidationError` `Invalid ARN:  Could not be parsed!`, IAM's answer to an ARN it cannot
/// read.
pub(crate) fn principal_arn(text: &str) -> Result<(EntityKind, IamArn), AwsError> {
    PRINCIPAL_KINDS
        .iter()
        .find_map(|(kind, entity)| parse_iam(text, kind, false).map(|arn| (*entity, arn)))
        .ok_or_else(|| AwsError::validation(POLICY_ARN_INVALID))
}

/// Checks every ARN parameter of the request, by the parameter's name, after the model's
/// checks and before the handler authorizes anything.
///
/// # Errors
/// The parameter's `ValidationError`; `MalformedQueryString` for a bad list index.
pub(crate) fn check(call: &Call<'_>) -> Result<(), AwsError> {
    if let Some(text) = call.get("RoleArn") {
        role_arn(text)?;
    }
    if let Some(text) = call.get("PolicySourceArn") {
        principal_arn(text)?;
    }
    for name in ["PolicyArn", "PermissionsBoundary"] {
        if let Some(text) = call.get(name) {
            policy_arn(text)?;
        }
    }
    for fields in call.params.struct_list("PolicyArns", &["arn"])? {
        if let Some(text) = fields.into_iter().next().flatten() {
            session_policy_arn(&text)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_one_spelling_iam_writes_is_accepted() {
        let ok = parse_iam("arn:aws:iam::123456789012:role/team/x/Admin", "role", false).unwrap();
        assert_eq!(
            ok,
            IamArn {
                account: "123456789012".into(),
                path: "/team/x/".into(),
                name: "Admin".into(),
            }
        );
        assert_eq!(
            parse_iam(
                "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
                "policy",
                true
            )
            .unwrap()
            .path,
            "/job-function/"
        );
        for bad in [
            "nothing-valid-in-here",
            "arn:aws-cn:iam::123456789012:role/Admin",
            "arn:rolecall:iam::123456789012:role/Admin",
            "arn:AWS:iam::123456789012:role/Admin",
            "arn:aws:iam:us-east-1:123456789012:role/Admin",
            "arn:aws:sts::123456789012:role/Admin",
            "arn:aws:iam::12345678901:role/Admin",
            "arn:aws:iam::aws:role/Admin",
            "arn:aws:iam::123456789012:user/Admin",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:role//Admin",
            "arn:aws:iam::123456789012:role/a//Admin",
            "arn:aws:iam::123456789012:role/Ad:min",
            "arn:aws:iam::123456789012:role/Admín",
            "arn:aws:iam::123456789012:roleAdmin",
        ] {
            assert_eq!(parse_iam(bad, "role", false), None, "{bad}");
        }
    }
}
