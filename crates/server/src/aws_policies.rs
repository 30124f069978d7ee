//! The AWS managed policies a fresh account can attach, with documents that grant what AWS's
//! grant for the services rolecall serves (IAM and STS) and the read-only actions of a few
//! others. AWS's own read-only documents list hundreds of services by name; wildcards in the
//! service prefix are not valid policy syntax, so these name the services explicitly too.

use rolecall_store::{ManagedPolicy, Store};

/// `(name, path, id, document)`.
const POLICIES: &[(&str, &str, &str, &str)] = &[
    (
        "AdministratorAccess",
        "/",
        "ANPAIWMBCKSKIEE64ZLYK",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    ),
    (
        "PowerUserAccess",
        "/",
        "ANPAJYRXTHIB4FOVS3ZXS",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},{"Effect":"Allow","Action":["iam:CreateServiceLinkedRole","iam:DeleteServiceLinkedRole","iam:ListRoles","organizations:DescribeOrganization","account:ListRegions","account:GetAccountInformation"],"Resource":"*"}]}"#,
    ),
    (
        "ReadOnlyAccess",
        "/",
        "ANPAILL3HVNFSB6DCOWYQ",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*","iam:Generate*","iam:Simulate*","sts:GetAccessKeyInfo","sts:GetCallerIdentity","sts:GetSessionToken","cloudtrail:Describe*","cloudtrail:Get*","cloudtrail:List*","cloudtrail:LookupEvents","ec2:Describe*","ec2:Get*","s3:Get*","s3:List*","organizations:Describe*","organizations:List*","account:Get*","account:List*"],"Resource":"*"}]}"#,
    ),
    (
        "IAMFullAccess",
        "/",
        "ANPAI7XKCFMBPM3QQRRVQ",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","organizations:DescribeAccount","organizations:DescribeOrganization","organizations:DescribeOrganizationalUnit","organizations:DescribePolicy","organizations:ListChildren","organizations:ListParents","organizations:ListPoliciesForTarget","organizations:ListRoots","organizations:ListPolicies","organizations:ListTargetsForPolicy"],"Resource":"*"}]}"#,
    ),
    (
        "IAMReadOnlyAccess",
        "/",
        "ANPAJKSO7NDY4T57MWDSQ",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails","iam:Get*","iam:List*","iam:SimulateCustomPolicy","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}"#,
    ),
    (
        "ViewOnlyAccess",
        "/job-function/",
        "ANPAID22R6XPJATWOFDK6",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:List*","iam:GetAccountSummary","iam:GetAccountPasswordPolicy","cloudtrail:DescribeTrails","cloudtrail:LookupEvents","ec2:Describe*","s3:ListAllMyBuckets","s3:GetBucketLocation","organizations:Describe*","organizations:List*"],"Resource":"*"}]}"#,
    ),
    (
        "SecurityAudit",
        "/",
        "ANPAIX2T3QCXHR2OGGCTO",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails","iam:Get*","iam:List*","iam:SimulateCustomPolicy","iam:SimulatePrincipalPolicy","sts:GetAccessKeyInfo","cloudtrail:Describe*","cloudtrail:Get*","cloudtrail:List*","cloudtrail:LookupEvents","ec2:Describe*","s3:GetBucketPolicy","s3:GetBucketAcl","s3:ListAllMyBuckets","organizations:Describe*","organizations:List*"],"Resource":"*"}]}"#,
    ),
    (
        "IAMUserChangePassword",
        "/",
        "ANPAJ4L4MM2A7QIEB56MS",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ChangePassword"],"Resource":["arn:aws:iam::*:user/${aws:username}"]},{"Effect":"Allow","Action":["iam:GetAccountPasswordPolicy"],"Resource":"*"}]}"#,
    ),
];

/// Creates the AWS managed policies in the store (idempotent; refreshes their documents).
///
/// # Errors
/// When the store fails.
pub(crate) async fn seed(store: &Store) -> anyhow::Result<()> {
    let existing = store.aws_policy_documents().await?;
    let created = 1_486_080_000; // 2017-02-03, a date AWS managed policies commonly show.
    for (name, path, id, doc) in POLICIES {
        let p = ManagedPolicy {
            arn: rolecall_arn::Arn::aws_managed_policy(path, name).to_string(),
            account_id: "aws".into(),
            name: (*name).to_owned(),
            path: (*path).to_owned(),
            id: (*id).to_owned(),
            default_version: "v1".into(),
            description: None,
            created_at: created,
            updated_at: created,
            attachment_count: 0,
            boundary_usage_count: 0,
        };
        // Most starts find every policy already current: one query, no writes.
        if existing.iter().any(|(arn, d)| *arn == p.arn && d == doc) {
            continue;
        }
        store.upsert_aws_policy(&p, doc).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_document_is_a_valid_managed_policy() {
        for (name, _, _, doc) in super::POLICIES {
            rolecall_policy::parse_policy(doc, rolecall_policy::PolicyKind::Managed)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
