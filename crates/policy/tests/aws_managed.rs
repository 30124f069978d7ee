//! AWS managed policy documents: IAM stores AWS's own documents without holding them to the
//! resource-format checks of a customer's (`arn:*:…` resources, S3 access points with a
//! region), and they decide requests as they read.

use std::sync::Arc;

use rolecall_policy::{
    ContextBuilder, IdentitySide, NamedPolicy, Outcome, PolicyKind, PrincipalType, Request,
    evaluate, parse_policy,
};
use time::macros::datetime;

/// From AWS's AmazonBedrockFullAccess and SageMakerStudioFullAccess.
const AWS_DOCUMENT: &str = r#"{"Version":"2012-10-17","Statement":[{"Action":["kms:DescribeKey"],"Resource":"arn:*:kms:*:*:key/*","Effect":"Allow"},{"Action":"s3:GetObject","Resource":"arn:aws:s3:*:*:accesspoint/env-blueprint-accesspoint*","Effect":"Allow"}]}"#;

#[test]
fn aws_managed_documents_with_wildcard_partitions_parse_as_aws_managed_only() {
    assert_eq!(
        parse_policy(AWS_DOCUMENT, PolicyKind::Managed)
            .unwrap_err()
            .message,
        r#"Partition "*" is not valid for resource "arn:*:kms:*:*:key/*"."#
    );
    parse_policy(AWS_DOCUMENT, PolicyKind::AwsManaged).unwrap();
    // Everything else is checked as for a managed policy.
    for (doc, message) in [
        (
            r#"{"Version":"2008-10-17","Statement":[{"Action":"s3:*","Resource":"*","Effect":"Allow"}]}"#,
            "Policy document must be version 2012-10-17 or greater.",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Action":"s3:*","Effect":"Allow"}]}"#,
            "Policy statement must contain resources.",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Action":"s3:*","Resource":"*","Effect":"Allow","Effect":"Deny"}]}"#,
            "Syntax errors in policy.",
        ),
    ] {
        assert_eq!(
            parse_policy(doc, PolicyKind::AwsManaged)
                .unwrap_err()
                .message,
            message
        );
    }
}

#[test]
fn a_wildcard_partition_matches_any_partition_segment_and_nothing_more() {
    let policy = NamedPolicy {
        name: "AmazonBedrockFullAccess".into(),
        policy: Arc::new(parse_policy(AWS_DOCUMENT, PolicyKind::AwsManaged).unwrap()),
    };
    let ctx = ContextBuilder::new(datetime!(2026-11-23 10:00 UTC))
        .principal(
            PrincipalType::User,
            "arn:aws:iam::111111111111:user/alice",
            "111111111111",
            "AIDAEXAMPLEUSER00001",
            Some("alice"),
        )
        .network("127.0.0.1", false, None, "us-east-1")
        .build();
    let decide = |action: &str, resource: &str| {
        let side = IdentitySide {
            identity: std::slice::from_ref(&policy),
            ..IdentitySide::default()
        };
        evaluate(
            &Request {
                action,
                resource,
                context: &ctx,
            },
            &side,
            false,
        )
        .outcome
    };
    let key = "arn:aws:kms:us-east-1:111111111111:key/1234";
    assert_eq!(decide("kms:DescribeKey", key), Outcome::Allow);
    assert_eq!(
        decide(
            "kms:DescribeKey",
            "arn:aws:kms:us-east-1:111111111111:alias/x"
        ),
        Outcome::ImplicitDeny(rolecall_policy::PolicyType::Identity)
    );
    assert_eq!(
        decide("kms:Decrypt", key),
        Outcome::ImplicitDeny(rolecall_policy::PolicyType::Identity)
    );
}
