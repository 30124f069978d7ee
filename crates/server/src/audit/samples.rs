//! Sample answered calls, the same in every byte on every run, for the record's benchmark
//! (`benches/record.rs`) and its golden tests: a GetCallerIdentity by an IAM user, and an
//! AssumeRole with its response by a role session. Not part of the server's interface.

use std::sync::Arc;

use rolecall_store::EventRow;
use rolecall_wire::{AwsError, Params, Service};
use serde_json::Value;
use time::OffsetDateTime;

use super::record::{Answered, EventIds, Uuids, records};
use crate::ops::Op;
use crate::principal::{Principal, UserRef};
use crate::token::{SessionClaims, SessionKind};

/// The sample caller's account.
pub(crate) const ACCOUNT: &str = "111122223333";

/// One answered call, with everything its record is built from.
#[derive(Debug)]
pub struct Sample {
    pub(crate) op: Op,
    pub(crate) principal: Principal,
    pub(crate) params: Option<Params>,
    pub(crate) json_request: Option<Value>,
    pub(crate) error: Option<AwsError>,
    pub(crate) body: String,
    pub(crate) user_agent: Option<String>,
    pub(crate) region: String,
    pub(crate) now: OffsetDateTime,
    pub(crate) account_alias: Option<String>,
}

impl Sample {
    /// The call as the request's exit hands it to the trail.
    pub(crate) fn answered(&self) -> Answered<'_> {
        Answered {
            request_id: "c0ffee00-0000-4000-8000-000000000001",
            service: self.op.service(),
            op: self.op,
            principal: &self.principal,
            error: self.error.as_ref(),
            params: self.params.as_ref(),
            json_request: self.json_request.as_ref(),
            json: self.op.service() == Service::CloudTrail,
            body: &self.body,
            answer: None,
            source_ip: "203.0.113.7",
            user_agent: self.user_agent.as_deref(),
            region: &self.region,
            now: self.now,
            account_alias: self.account_alias.as_deref(),
        }
    }

    /// The record's copies, with ids from `ids`.
    pub(crate) fn records_with(&self, ids: &mut impl EventIds) -> Vec<EventRow> {
        records(&self.answered(), ids)
    }

    /// The record's copies, with fresh ids as the server makes them.
    #[must_use]
    pub fn records(&self) -> Vec<EventRow> {
        self.records_with(&mut Uuids)
    }
}

/// The form of a Query request.
pub(crate) fn form(text: &str) -> Params {
    Params::from_form(text.as_bytes()).unwrap_or_default()
}

/// A call by `principal`, answered with `body`, signed for `us-east-1` by the AWS CLI.
pub(crate) fn call(op: Op, principal: Principal, params: Params, body: &str) -> Sample {
    Sample {
        op,
        principal,
        params: Some(params),
        json_request: None,
        error: None,
        body: body.to_owned(),
        user_agent: Some(
            "aws-cli/2.31.0 md/awscrt#0.27.6 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython m/E,Z cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#sts.get-caller-identity".to_owned(),
        ),
        region: "us-east-1".to_owned(),
        now: OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH),
        account_alias: None,
    }
}

/// The IAM user `alice` (path `/staff/`) of `account`, signing with her long-term key.
pub(crate) fn iam_user(account: &str) -> Principal {
    let user = UserRef {
        name: "alice".to_owned(),
        id: "AIDAQAAAAAAAAAAALICE".to_owned(),
        path: "/staff/".to_owned(),
    };
    Principal::user(account, &user, "AKIAQAAAAAAAAAAALICE", None)
}

/// A session of the role `deploy` (path `/ci/`) of `account`, opened with MFA and a source
/// identity.
pub(crate) fn role_session(account: &str) -> Principal {
    let claims = SessionClaims {
        kind: SessionKind::Role,
        account: account.to_owned(),
        access_key_id: "ASIAQAAAAAAAAADEPLOY".to_owned(),
        secret: "sample-secret".to_owned(),
        issued: 1_789_999_000,
        expires: 1_790_002_600,
        mfa_at: Some(1_789_999_000),
        name: "deploy".to_owned(),
        id: "AROAQAAAAAAAAADEPLOY".to_owned(),
        path: "/ci/".to_owned(),
        session_name: "pipeline-42".to_owned(),
        policy: None,
        policy_arns: Vec::new(),
        tags: Vec::new(),
        transitive: Vec::new(),
        source_identity: Some("alice@example.org".to_owned()),
        chained: false,
    };
    crate::auth::session_principal("ASIAQAAAAAAAAADEPLOY", Arc::new(claims))
}

/// The response of an AssumeRole of `role_arn` as session `s`, as `sts` writes it.
pub(crate) fn assume_role_response(role_arn: &str, role_id: &str) -> String {
    let assumed = role_arn
        .replacen(":iam::", ":sts::", 1)
        .replacen(":role/", ":assumed-role/", 1);
    let token = "IQoJb3JpZ2luX2VjEHcaCXVzLWVhc3QtMSJHMEUCIQ".repeat(12);
    format!(
        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>\
         <Credentials><AccessKeyId>ASIAQAAAAAAAAANEWKEY</AccessKeyId>\
         <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>\
         <SessionToken>{token}</SessionToken><Expiration>2026-09-21T14:13:20Z</Expiration>\
         </Credentials><AssumedRoleUser><AssumedRoleId>{role_id}:s</AssumedRoleId>\
         <Arn>{assumed}/s</Arn></AssumedRoleUser><SourceIdentity>alice@example.org</SourceIdentity>\
         </AssumeRoleResult><ResponseMetadata><RequestId>c0ffee00-0000-4000-8000-000000000001\
         </RequestId></ResponseMetadata></AssumeRoleResponse>"
    )
}

/// GetCallerIdentity by an IAM user with a long-term key.
#[must_use]
pub fn get_caller_identity() -> Sample {
    call(
        Op::GetCallerIdentity,
        iam_user(ACCOUNT),
        form("Action=GetCallerIdentity&Version=2011-06-15"),
        "",
    )
}

/// AssumeRole of a role of the same account by a role session (MFA, source identity), with
/// its response.
#[must_use]
pub fn assume_role() -> Sample {
    let role = format!("arn:aws:iam::{ACCOUNT}:role/app/reader");
    call(
        Op::AssumeRole,
        role_session(ACCOUNT),
        form(&format!(
            "Action=AssumeRole&Version=2011-06-15&RoleArn={}&RoleSessionName=s&DurationSeconds=3600&SourceIdentity=alice%40example.org&Tags.member.1.Key=team&Tags.member.1.Value=blue",
            role.replace(':', "%3A").replace('/', "%2F")
        )),
        &assume_role_response(&role, "AROAQAAAAAAAAAREADER"),
    )
}
