//! Golden records: every byte of the records of a representative set of calls (each principal
//! type, parameters and responses, refusals, both protocols, a cross-account AssumeRole, the
//! 1 KB cuts and the 100 KB omissions), with fixed ids and times, so that a change to how
//! records are written cannot change what they say.

use std::sync::Arc;

use rolecall_policy::{Caller, PrincipalType};
use rolecall_store::EventRow;
use rolecall_wire::{AwsError, ErrorKind};
use serde_json::json;

use super::EventIds;
use crate::audit::console::{ConsoleLogin, console_login};
use crate::audit::samples::{
    self, ACCOUNT, Sample, assume_role_response, call, form, iam_user, role_session,
};
use crate::ops::Op;
use crate::principal::Principal;
use crate::token::{SessionClaims, SessionKind};

/// The role owner's account in cross-account calls.
const OTHER: &str = "444455556666";

/// Ids counted from one: `eventID`s look like UUIDv7, `sharedEventID`s like UUIDv4.
struct Counted(u32);

impl EventIds for Counted {
    fn event_id(&mut self) -> String {
        self.0 += 1;
        format!("0199a000-0000-7000-8000-{:012}", self.0)
    }

    fn shared_event_id(&mut self) -> String {
        self.0 += 1;
        format!("5ba8ed00-0000-4000-8000-{:012}", self.0)
    }
}

/// A row as text: its columns on one line, then the record.
fn text(r: &EventRow) -> String {
    format!(
        "{} {} {} {} {} {} {:?} {:?} {:?}\n{}",
        r.event_id,
        r.account_id,
        r.event_time,
        r.event_name,
        r.event_source,
        r.read_only,
        r.username,
        r.access_key_id,
        r.resources,
        r.record
    )
}

fn rows(s: &Sample) -> String {
    s.records_with(&mut Counted(0))
        .iter()
        .map(text)
        .collect::<Vec<_>>()
        .join("\n")
}

#[allow(clippy::too_many_arguments)]
fn claims(
    kind: SessionKind,
    account: &str,
    name: &str,
    id: &str,
    path: &str,
    session_name: &str,
    mfa: bool,
    source_identity: Option<&str>,
) -> Arc<SessionClaims> {
    Arc::new(SessionClaims {
        kind,
        account: account.to_owned(),
        access_key_id: "ASIAQAAAAAAASESSION1".to_owned(),
        secret: "s".to_owned(),
        issued: 1_789_990_000,
        expires: 1_790_030_000,
        mfa_at: mfa.then_some(1_789_990_000),
        name: name.to_owned(),
        id: id.to_owned(),
        path: path.to_owned(),
        session_name: session_name.to_owned(),
        policy: None,
        policy_arns: Vec::new(),
        tags: Vec::new(),
        transitive: Vec::new(),
        source_identity: source_identity.map(str::to_owned),
        chained: false,
    })
}

fn session(c: Arc<SessionClaims>) -> Principal {
    crate::auth::session_principal("ASIAQAAAAAAASESSION1", c)
}

fn gci(p: Principal) -> Sample {
    call(
        Op::GetCallerIdentity,
        p,
        form("Action=GetCallerIdentity&Version=2011-06-15"),
        "",
    )
}

fn refused(mut s: Sample, kind: ErrorKind, message: &str) -> Sample {
    s.error = Some(AwsError::new(kind, message));
    s
}

fn encoded(text: &str) -> String {
    text.replace('%', "%25")
        .replace(':', "%3A")
        .replace('/', "%2F")
        .replace('@', "%40")
        .replace('"', "%22")
        .replace('{', "%7B")
        .replace('}', "%7D")
        .replace(' ', "%20")
        .replace('&', "%26")
        .replace('=', "%3D")
        .replace('+', "%2B")
}

fn cross_account_assume_role() -> Sample {
    let role = format!("arn:aws:iam::{OTHER}:role/audit");
    let mut s = call(
        Op::AssumeRole,
        iam_user(ACCOUNT),
        form(&format!(
            "Action=AssumeRole&Version=2011-06-15&RoleArn={}&RoleSessionName=s&DurationSeconds=abc&PolicyArns.member.1.arn={}",
            encoded(&role),
            encoded("arn:aws:iam::aws:policy/ReadOnlyAccess")
        )),
        &assume_role_response(&role, "AROAQAAAAAAAAAAAUDIT"),
    );
    s.user_agent = None;
    s
}

fn create_role() -> Sample {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}"#;
    let description = "Reads \"reports\" & <logs> \\ héllo";
    let body = format!(
        "<CreateRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><CreateRoleResult><Role>\
         <Path>/app/</Path><RoleName>reader</RoleName><RoleId>AROAQAAAAAAAAAREADER</RoleId>\
         <Arn>arn:aws:iam::111122223333:role/app/reader</Arn><CreateDate>2026-09-21T13:13:20Z</CreateDate>\
         <AssumeRolePolicyDocument>{}</AssumeRolePolicyDocument>\
         <Description>Reads &quot;reports&quot; &amp; &lt;logs&gt; \\ héllo</Description>\
         <MaxSessionDuration>7200</MaxSessionDuration>\
         <Tags><member><Key>team</Key><Value>blue</Value></member><member><Key>tier</Key><Value>1</Value></member></Tags>\
         </Role></CreateRoleResult><ResponseMetadata><RequestId>c0ffee00-0000-4000-8000-000000000001</RequestId>\
         </ResponseMetadata></CreateRoleResponse>",
        encoded(trust)
    );
    call(
        Op::CreateRole,
        role_session(ACCOUNT),
        form(&format!(
            "Action=CreateRole&Version=2010-05-08&Path=%2Fapp%2F&RoleName=reader&AssumeRolePolicyDocument={}&Description={}&MaxSessionDuration=7200&Tags.member.1.Key=team&Tags.member.1.Value=blue&Tags.member.2.Key=tier&Tags.member.2.Value=1",
            encoded(trust),
            encoded(description)
        )),
        &body,
    )
}

fn get_session_token() -> Sample {
    let body = "<GetSessionTokenResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetSessionTokenResult>\
         <Credentials><AccessKeyId>ASIAQAAAAAAAAANEWKEY</AccessKeyId>\
         <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>\
         <SessionToken>IQoJb3JpZ2luX2VjEHcaCXVzLWVhc3QtMSJHMEUCIQ</SessionToken>\
         <Expiration>2026-09-22T01:13:20Z</Expiration></Credentials></GetSessionTokenResult>\
         <ResponseMetadata><RequestId>c0ffee00-0000-4000-8000-000000000001</RequestId></ResponseMetadata>\
         </GetSessionTokenResponse>";
    call(
        Op::GetSessionToken,
        iam_user(ACCOUNT),
        form(
            "Action=GetSessionToken&Version=2011-06-15&DurationSeconds=43200&SerialNumber=arn%3Aaws%3Aiam%3A%3A111122223333%3Amfa%2Falice&TokenCode=123456",
        ),
        body,
    )
}

fn create_policy(document: &str, response_document_len: usize) -> Sample {
    let body = format!(
        "<CreatePolicyResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><CreatePolicyResult><Policy>\
         <PolicyName>p</PolicyName><DefaultVersionId>v1</DefaultVersionId><PolicyId>ANPAQAAAAAAAAAAAAAAP</PolicyId>\
         <Path>/</Path><Arn>arn:aws:iam::111122223333:policy/p</Arn><AttachmentCount>0</AttachmentCount>\
         <PermissionsBoundaryUsageCount>0</PermissionsBoundaryUsageCount><IsAttachable>true</IsAttachable>\
         <Description>{}</Description>\
         <CreateDate>2026-09-21T13:13:20Z</CreateDate><UpdateDate>2026-09-21T13:13:20Z</UpdateDate>\
         </Policy></CreatePolicyResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></CreatePolicyResponse>",
        "d".repeat(response_document_len)
    );
    call(
        Op::CreatePolicy,
        iam_user(ACCOUNT),
        form(&format!(
            "Action=CreatePolicy&Version=2010-05-08&PolicyName=p&PolicyDocument={}",
            encoded(document)
        )),
        &body,
    )
}

fn create_policy_version() -> Sample {
    let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}"#;
    let body = format!(
        "<CreatePolicyVersionResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><CreatePolicyVersionResult>\
         <PolicyVersion><Document>{}</Document><VersionId>v2</VersionId><IsDefaultVersion>false</IsDefaultVersion>\
         <CreateDate>2026-09-21T13:13:20Z</CreateDate></PolicyVersion></CreatePolicyVersionResult>\
         <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></CreatePolicyVersionResponse>",
        encoded(document)
    );
    call(
        Op::CreatePolicyVersion,
        iam_user(ACCOUNT),
        form(&format!(
            "Action=CreatePolicyVersion&Version=2010-05-08&PolicyArn={}&PolicyDocument={}&SetAsDefault=maybe",
            encoded("arn:aws:iam::111122223333:policy/p"),
            encoded(document)
        )),
        &body,
    )
}

fn lookup_events(error: bool) -> Sample {
    let mut s = call(
        Op::LookupEvents,
        role_session(ACCOUNT),
        rolecall_wire::Params::default(),
        "{\"Events\":[]}",
    );
    s.params = None;
    s.json_request = Some(json!({
        "LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "alice"}],
        "MaxResults": 5,
        "StartTime": 1_789_000_000.5,
        "NextToken": null,
        "Flag": true,
    }));
    s.region = "eu-west-1".to_owned();
    if error {
        s.error = Some(AwsError::new(
            ErrorKind::AccessDenied,
            "User: arn:aws:sts::111122223333:assumed-role/deploy/pipeline-42 is not authorized to perform: cloudtrail:LookupEvents",
        ));
    }
    s
}

/// Every case, by name.
fn cases() -> Vec<(&'static str, Sample)> {
    let mut long_agent = gci(iam_user(ACCOUNT));
    long_agent.user_agent = Some(format!(
        "quoted \"agent\" back\\slash tab\there \u{1}\u{1f}\u{7f} é ü / {}€€€ and more",
        "x".repeat(1024 - 48)
    ));
    let mut list_users_by_root = call(
        Op::ListUsers,
        Principal::root(ACCOUNT, "AKIAQAAAAAAAAAAAROOT", None),
        form("Action=ListUsers&Version=2010-05-08&PathPrefix=%2Fstaff%2F&MaxItems=10"),
        "<ListUsersResponse/>",
    );
    list_users_by_root.region = "us-west-2".to_owned();
    let bare_role = Principal {
        caller: Caller {
            kind: PrincipalType::AssumedRole,
            account: ACCOUNT.to_owned(),
            arn: "arn:aws:sts::111122223333:assumed-role/r/s".to_owned(),
            principal_arn: "arn:aws:iam::111122223333:role/r".to_owned(),
            unique_id: None,
        },
        access_key_id: "ASIAQAAAAAAASESSION1".to_owned(),
        user: None,
        session: None,
    };
    let bare_federated = Principal {
        caller: Caller {
            kind: PrincipalType::FederatedUser,
            ..bare_role.caller.clone()
        },
        ..bare_role.clone()
    };
    let anonymous = Principal {
        caller: Caller {
            kind: PrincipalType::Anonymous,
            ..bare_role.caller.clone()
        },
        ..bare_role.clone()
    };
    let mut long_error = refused(
        call(
            Op::ListPolicies,
            role_session(ACCOUNT),
            form(
                "Action=ListPolicies&Version=2010-05-08&OnlyAttached=true&MaxItems=%2012%20&Scope=Local&PathPrefix=%2F",
            ),
            "",
        ),
        ErrorKind::ValidationError,
        &format!("{}\"quoted\" \n€ and more", "m".repeat(1012)),
    );
    long_error.region = "ap-south-1".to_owned();
    vec![
        (
            "get caller identity, IAM user",
            samples::get_caller_identity(),
        ),
        (
            "assume role, role session with MFA and source identity",
            samples::assume_role(),
        ),
        ("assume role, cross-account", cross_account_assume_role()),
        (
            "assume role, cross-account, refused",
            refused(
                cross_account_assume_role(),
                ErrorKind::AccessDenied,
                "User: arn:aws:iam::111122223333:user/staff/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::444455556666:role/audit",
            ),
        ),
        (
            "create user, refused",
            refused(
                call(
                    Op::CreateUser,
                    role_session(ACCOUNT),
                    form("Action=CreateUser&Version=2010-05-08&UserName=bob&Path=%2F"),
                    "",
                ),
                ErrorKind::AccessDenied,
                "User: arn:aws:sts::111122223333:assumed-role/deploy/pipeline-42 is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::111122223333:user/bob because no identity-based policy allows the iam:CreateUser action",
            ),
        ),
        (
            "list policies, refused, message cut, typed parameters",
            long_error,
        ),
        ("create policy version, booleans", create_policy_version()),
        (
            "create role, response with document and tags",
            create_role(),
        ),
        (
            "get session token with MFA, secrets left out",
            get_session_token(),
        ),
        ("lookup events, refused", lookup_events(true)),
        ("lookup events", lookup_events(false)),
        ("user agent cut at 1 KB", long_agent),
        (
            "list users by the root, IAM in us-east-1",
            list_users_by_root,
        ),
        (
            "root session",
            gci(session(claims(
                SessionKind::User,
                ACCOUNT,
                "",
                ACCOUNT,
                "/",
                "",
                false,
                None,
            ))),
        ),
        (
            "user session with MFA",
            gci(session(claims(
                SessionKind::User,
                ACCOUNT,
                "alice",
                "AIDAQAAAAAAAAAALICE",
                "/staff/",
                "",
                true,
                None,
            ))),
        ),
        (
            "federated user of a user",
            gci(session(claims(
                SessionKind::Federated,
                ACCOUNT,
                "alice",
                "AIDAQAAAAAAAAAALICE",
                "/staff/",
                "fed-alice",
                false,
                None,
            ))),
        ),
        (
            "federated user of the root",
            gci(session(claims(
                SessionKind::Federated,
                ACCOUNT,
                "",
                ACCOUNT,
                "/",
                "fed-root",
                false,
                None,
            ))),
        ),
        (
            "role session without MFA or source identity",
            gci(session(claims(
                SessionKind::Role,
                OTHER,
                "ops",
                "AROAQAAAAAAAAAAAAOPS",
                "/",
                "s\"1",
                false,
                None,
            ))),
        ),
        ("role without session", gci(bare_role)),
        ("federated without session", gci(bare_federated)),
        ("anonymous", gci(anonymous)),
        (
            "parameters over 100 KB omitted",
            create_policy(&"x".repeat(101 * 1024), 8),
        ),
        (
            "response over 100 KB omitted",
            create_policy("xxxxxxxx", 101 * 1024),
        ),
    ]
}

#[test]
fn records_are_exactly_as_before() {
    let mut wrong = Vec::new();
    for (name, sample) in cases() {
        let got = rows(&sample);
        match EXPECTED.iter().find(|(n, _)| *n == name) {
            Some((_, want)) if *want == got => {}
            _ => wrong.push(format!("=== {name}\n{got}")),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(EXPECTED.len(), cases().len());
}

#[test]
fn elements_are_kept_up_to_100_kb_and_omitted_beyond() {
    // `{"policyName":"p","policyDocument":"…"}` is 38 bytes around the document.
    let limit = 100 * 1024 - 38;
    let document = "x".repeat(limit);
    let kept = rows(&create_policy(&document, 8));
    assert!(kept.contains(&format!("\"policyDocument\":\"{document}\"}},")));
    let omitted = rows(&create_policy(&format!("{document}x"), 8));
    assert!(omitted.contains("\"requestParameters\":{\"omitted\":true},"));
    // What counts is the length written, escapes included: `"` is written `\"`.
    let quotes = "\"".repeat(limit / 2);
    let kept = rows(&create_policy(&quotes, 8));
    assert!(kept.contains(&format!(
        "\"policyDocument\":\"{}\"}},",
        "\\\"".repeat(limit / 2)
    )));
    let omitted = rows(&create_policy(&format!("{quotes}x"), 8));
    assert!(omitted.contains("\"requestParameters\":{\"omitted\":true},"));
}

#[test]
fn console_sign_ins_are_exactly_as_before() {
    let principal = session(claims(
        SessionKind::Role,
        ACCOUNT,
        "deploy",
        "AROAQAAAAAAAAADEPLOY",
        "/ci/",
        "console-\"user\"",
        true,
        Some("alice"),
    ));
    let now = time::OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap();
    let mut got = Vec::new();
    for (failure, agent) in [
        (None, Some("Mozilla/5.0 \"x\"")),
        (
            Some("Only federation tokens or assume role tokens may be used for federated login"),
            None,
        ),
    ] {
        let row = console_login(&ConsoleLogin {
            principal: &principal,
            destination: "https://console.example/?a=1&b=\"2\"",
            failure,
            source_ip: "198.51.100.1",
            user_agent: agent,
            now,
            account_alias: None,
        });
        let fixed = "0199a000-0000-7000-8000-000000000001";
        got.push(text(&row).replace(&row.event_id, fixed));
    }
    let got = got.join("\n");
    assert_eq!(got, CONSOLE, "{got}");
}

/// `requestParameters` of a Query request, as JSON.
fn request_json(op: Op, text: &str) -> String {
    crate::audit::elements::request_parameters(op, &form(text)).unwrap_or_else(|| "null".into())
}

/// `responseElements` of a response body, as JSON.
fn response_json(op: Op, body: &str) -> String {
    crate::audit::elements::response_elements(op, body, None).unwrap_or_else(|| "null".into())
}

#[test]
fn elements_are_exactly_as_before() {
    let got = [
        request_json(
            Op::AssumeRole,
            "Action=AssumeRole&RoleArn=r&RoleSessionName=s&TransitiveTagKeys.member.1=a&TransitiveTagKeys.member.3=c&Tags.member.1.Foo=x&Tags.member.2.Key=k&PolicyArns.member.x.arn=p&Policy=%7B%22a%22%3A1%7D&TokenCode=123456&SerialNumber=m",
        ),
        request_json(
            Op::AssumeRole,
            "Action=AssumeRole&Tags.member.1.Foo=x&DurationSeconds=-0012",
        ),
        request_json(Op::GetCallerIdentity, "Action=GetCallerIdentity"),
        request_json(Op::CreateUser, "Action=CreateUser&Foo=bar"),
        response_json(
            Op::GetAccountSummary,
            "<GetAccountSummaryResponse><GetAccountSummaryResult><SummaryMap>\
             <entry><key>Users</key><value>5</value></entry>\
             <entry><key>Groups</key><value> x </value></entry>\
             <entry><key>Users</key><value>7</value></entry>\
             <entry><key>Roles</key></entry>\
             <entry><key>Policies</key><value> -3 </value></entry>\
             </SummaryMap></GetAccountSummaryResult></GetAccountSummaryResponse>",
        ),
        response_json(
            Op::ListPolicies,
            "<ListPoliciesResponse><ListPoliciesResult><Policies>\
             <member><PolicyName>a&quot;b</PolicyName><IsAttachable> true </IsAttachable><AttachmentCount>2</AttachmentCount></member>\
             <member><IsAttachable>yes</IsAttachable><Tags><member><Key>k</Key></member></Tags></member>\
             <member/></Policies><IsTruncated>false</IsTruncated><Marker></Marker></ListPoliciesResult></ListPoliciesResponse>",
        ),
        response_json(
            Op::GetRolePolicy,
            "<GetRolePolicyResponse><GetRolePolicyResult><RoleName>r</RoleName><PolicyName>p</PolicyName>\
             <PolicyDocument>%7B%22a%22%3A%22%5Cu00e9%22%7D</PolicyDocument></GetRolePolicyResult></GetRolePolicyResponse>",
        ),
        response_json(
            Op::CreateUser,
            "<CreateUserResponse><CreateUserResult></CreateUserResult></CreateUserResponse>",
        ),
        response_json(Op::CreateUser, "<CreateUserResponse><Other/></CreateUserResponse>"),
        response_json(Op::CreateUser, "<oops"),
        response_json(Op::DeleteUser, "<DeleteUserResponse/>"),
    ]
    .join("\n");
    assert_eq!(got, ELEMENTS, "{got}");
}

const ELEMENTS: &str = r#"{"roleArn":"r","roleSessionName":"s","policy":"{\"a\":1}","tags":[{"key":"k"}],"transitiveTagKeys":["a","c"],"serialNumber":"m"}
{"durationSeconds":-12}
null
null
{"summaryMap":{"Users":7,"Groups":" x ","Policies":-3}}
{"policies":[{"policyName":"a\"b","attachmentCount":2,"isAttachable":true},{"isAttachable":false,"tags":[{"key":"k"}]},{}],"isTruncated":false,"marker":""}
{"roleName":"r","policyName":"p","policyDocument":"{\"a\":\"\\u00e9\"}"}
null
null
null
null"#;

const CONSOLE: &str = r#"0199a000-0000-7000-8000-000000000001 111122223333 1790000000 ConsoleLogin signin.amazonaws.com false Some("console-\"user\"") Some("ASIAQAAAAAAASESSION1") []
{"eventVersion":"1.11","userIdentity":{"type":"AssumedRole","principalId":"AROAQAAAAAAAAADEPLOY:console-\"user\"","arn":"arn:aws:sts::111122223333:assumed-role/deploy/console-\"user\"","accountId":"111122223333","accessKeyId":"ASIAQAAAAAAASESSION1","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAQAAAAAAAAADEPLOY","arn":"arn:aws:iam::111122223333:role/ci/deploy","accountId":"111122223333","userName":"deploy"},"webIdFederationData":{},"attributes":{"creationDate":"2026-09-21T11:26:40Z","mfaAuthenticated":"true"},"sourceIdentity":"alice"}},"eventTime":"2026-09-21T14:13:20Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.1","userAgent":"Mozilla/5.0 \"x\"","requestParameters":null,"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"LoginTo":"https://console.example/?a=1&b=\"2\"","MobileVersion":"No","MFAUsed":"Yes"},"eventID":"0199a000-0000-7000-8000-000000000001","readOnly":false,"eventType":"AwsConsoleSignIn","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}
0199a000-0000-7000-8000-000000000001 111122223333 1790000000 ConsoleLogin signin.amazonaws.com false Some("console-\"user\"") Some("ASIAQAAAAAAASESSION1") []
{"eventVersion":"1.11","userIdentity":{"type":"AssumedRole","principalId":"AROAQAAAAAAAAADEPLOY:console-\"user\"","arn":"arn:aws:sts::111122223333:assumed-role/deploy/console-\"user\"","accountId":"111122223333","accessKeyId":"ASIAQAAAAAAASESSION1","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAQAAAAAAAAADEPLOY","arn":"arn:aws:iam::111122223333:role/ci/deploy","accountId":"111122223333","userName":"deploy"},"webIdFederationData":{},"attributes":{"creationDate":"2026-09-21T11:26:40Z","mfaAuthenticated":"true"},"sourceIdentity":"alice"}},"eventTime":"2026-09-21T14:13:20Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.1","errorMessage":"Only federation tokens or assume role tokens may be used for federated login","requestParameters":null,"responseElements":{"ConsoleLogin":"Failure"},"additionalEventData":{"LoginTo":"https://console.example/?a=1&b=\"2\"","MobileVersion":"No","MFAUsed":"Yes"},"eventID":"0199a000-0000-7000-8000-000000000001","readOnly":false,"eventType":"AwsConsoleSignIn","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#;

const EXPECTED: &[(&str, &str)] = &[
    (
        "get caller identity, IAM user",
        r#"0199a000-0000-7000-8000-000000000001 111122223333 1790000000 GetCallerIdentity sts.amazonaws.com true Some("alice") Some("AKIAQAAAAAAAAAAALICE") []
{"eventVersion":"1.11","userIdentity":{"type":"IAMUser","principalId":"AIDAQAAAAAAAAAAALICE","arn":"arn:aws:iam::111122223333:user/staff/alice","accountId":"111122223333","accessKeyId":"AKIAQAAAAAAAAAAALICE","userName":"alice"},"eventTime":"2026-09-21T14:13:20Z","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.31.0 md/awscrt#0.27.6 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython m/E,Z cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#sts.get-caller-identity","requestParameters":null,"responseElements":null,"requestID":"c0ffee00-0000-4000-8000-000000000001","eventID":"0199a000-0000-7000-8000-000000000001","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#,
    ),
    (
        "assume role, role session with MFA and source identity",
        r#"0199a000-0000-7000-8000-000000000001 111122223333 1790000000 AssumeRole sts.amazonaws.com true Some("pipeline-42") Some("ASIAQAAAAAAAAADEPLOY") [("AWS::IAM::Role", "arn:aws:iam::111122223333:role/app/reader")]
{"eventVersion":"1.11","userIdentity":{"type":"AssumedRole","principalId":"AROAQAAAAAAAAADEPLOY:pipeline-42","arn":"arn:aws:sts::111122223333:assumed-role/deploy/pipeline-42","accountId":"111122223333","accessKeyId":"ASIAQAAAAAAAAADEPLOY","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAQAAAAAAAAADEPLOY","arn":"arn:aws:iam::111122223333:role/ci/deploy","accountId":"111122223333","userName":"deploy"},"webIdFederationData":{},"attributes":{"creationDate":"2026-09-21T13:56:40Z","mfaAuthenticated":"true"},"sourceIdentity":"alice@example.org"}},"eventTime":"2026-09-21T14:13:20Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.31.0 md/awscrt#0.27.6 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython m/E,Z cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#sts.get-caller-identity","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/app/reader","roleSessionName":"s","durationSeconds":3600,"tags":[{"key":"team","value":"blue"}],"sourceIdentity":"alice@example.org"},"responseElements":{"credentials":{"accessKeyId":"ASIAQAAAAAAAAANEWKEY","sessionToken":"<redacted>","expiration":"2026-09-21T14:13:20Z"},"assumedRoleUser":{"assumedRoleId":"AROAQAAAAAAAAAREADER:s","arn":"arn:aws:sts::111122223333:assumed-role/app/reader/s"},"sourceIdentity":"alice@example.org"},"requestID":"c0ffee00-0000-4000-8000-000000000001","eventID":"0199a000-0000-7000-8000-000000000001","readOnly":true,"resources":[{"accountId":"111122223333","type":"AWS::IAM::Role","ARN":"arn:aws:iam::111122223333:role/app/reader"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#,
    ),
    (
        "assume role, cross-account",
        r#"0199a000-0000-7000-8000-000000000002 111122223333 1790000000 AssumeRole sts.amazonaws.com true Some("alice") Some("AKIAQAAAAAAAAAAALICE") [("AWS::IAM::Role", "arn:aws:iam::444455556666:role/audit")]
{"eventVersion":"1.11","userIdentity":{"type":"IAMUser","principalId":"AIDAQAAAAAAAAAAALICE","arn":"arn:aws:iam::111122223333:user/staff/alice","accountId":"111122223333","accessKeyId":"AKIAQAAAAAAAAAAALICE","userName":"alice"},"eventTime":"2026-09-21T14:13:20Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","requestParameters":{"roleArn":"arn:aws:iam::444455556666:role/audit","roleSessionName":"s","policyArns":[{"arn":"arn:aws:iam::aws:policy/ReadOnlyAccess"}],"durationSeconds":"abc"},"responseElements":{"credentials":{"accessKeyId":"ASIAQAAAAAAAAANEWKEY","sessionToken":"<redacted>","expiration":"2026-09-21T14:13:20Z"},"assumedRoleUser":{"assumedRoleId":"AROAQAAAAAAAAAAAUDIT:s","arn":"arn:aws:sts::444455556666:assumed-role/audit/s"},"sourceIdentity":"alice@example.org"},"requestID":"c0ffee00-0000-4000-8000-000000000001","eventID":"0199a000-0000-7000-8000-000000000002","readOnly":true,"resources":[{"accountId":"444455556666","type":"AWS::IAM::Role","ARN":"arn:aws:iam::444455556666:role/audit"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","sharedEventID":"5ba8ed00-0000-4000-8000-000000000001","eventCategory":"Management"}
0199a000-0000-7000-8000-000000000003 444455556666 1790000000 AssumeRole sts.amazonaws.com true None None [("AWS::IAM::Role", "arn:aws:iam::444455556666:role/audit")]
{"eventVersion":"1.11","userIdentity":{"type":"AWSAccount","principalId":"AIDAQAAAAAAAAAAALICE","accountId":"111122223333"},"eventTime":"2026-09-21T14:13:20Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","requestParameters":{"roleArn":"arn:aws:iam::444455556666:role/audit","roleSessionName":"s","policyArns":[{"arn":"arn:aws:iam::aws:policy/ReadOnlyAccess"}],"durationSeconds":"abc"},"responseElements":{"credentials":{"accessKeyId":"ASIAQAAAAAAAAANEWKEY","sessionToken":"<redacted>","expiration":"2026-09-21T14:13:20Z"},"assumedRoleUser":{"assumedRoleId":"AROAQAAAAAAAAAAAUDIT:s","arn":"arn:aws:sts::444455556666:assumed-role/audit/s"},"sourceIdentity":"alice@example.org"},"requestID":"c0ffee00-0000-4000-8000-000000000001","eventID":"0199a000-0000-7000-8000-000000000003","readOnly":true,"resources":[{"accountId":"444455556666","type":"AWS::IAM::Role","ARN":"arn:aws:iam::444455556666:role/audit"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"444455556666","sharedEventID":"5ba8ed00-0000-4000-8000-000000000001","eventCategory":"Management"}"#,
    ),
    (
        "assume role, cross-account, refused",
        r#"0199a000-0000-7000-8000-000000000001 111122223333 1790000000 AssumeRole sts.amazonaws.com true Some("alice") Some("AKIAQAAAAAAAAAAALICE") [("AWS::IAM::Role", "arn:aws:iam::444455556666:role/audit")]
{"eventVersion":"1.11","userIdentity":{"type":"IAMUser","principalId":"AIDAQAAAAAAAAAAALICE","arn":"arn:aws:iam::111122223333:user/staff/alice","accountId":"111122223333","accessKeyId":"AKIAQAAAAAAAAAAALICE","userName":"alice"},"eventTime":"2026-09-21T14:13:20Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","errorCode":"AccessDenied","errorMessage":"User: arn:aws:iam::111122223333:user/staff/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::444455556666:role/audit","requestParameters":{"roleArn":"arn:aws:iam::444455556666:role/audit","roleSessionName":"s","policyArns":[{"arn":"arn:aws:iam::aws:policy/ReadOnlyAccess"}],"durationSeconds":"abc"},"responseElements":null,"requestID":"c0ffee00-0000-4000-8000-000000000001","eventID":"0199a000-0000-7000-8000-000000000001","readOnly":true,"resources":[{"accountId":"444455556666","type":"AWS::IAM::Role","ARN":"arn:aws:iam::444455556666:role/audit"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#,
    ),
    (
        "create user, refused",
        r#"0199a000-0000-7000-8000-000000000001 111122223333 1790000000 CreateUser iam.amazonaws.com false Some("pipeline-42") Some("ASIAQAAAAAAAAADEPLOY") [("AWS::IAM::User", "bob")]
{"eventVersion":"1.11","userIdentity":{"type":"AssumedRole","principalId":"AROAQAAAAAAAAADEPLOY:pipeline-42","arn":"arn:aws:sts::111122223333:assumed-role/deploy/pipeline-42","accountId":"111122223333","accessKeyId":"ASIAQAAAAAAAAADEPLOY","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAQAAAAAAAAADEPLOY","arn":"arn:aws:iam::111122223333:role/ci/deploy","accountId":"111122223333","userName":"deploy"},"webIdFederationData":{},"attributes":{"creationDate":"2026-09-21T13:56:40Z","mfaAuthenticated":"true"},"sourceIdentity":"alice@example.org"}},"eventTime":"2026-09-21T14:13:20Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.31.0 md/awscrt#0.27.6 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython m/E,Z cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#sts.get-caller-identity","errorCode":"AccessDenied","errorMessage":"User: arn:aws:sts::111122223333:assumed-role/deploy/pipeline-42 is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::111122223333:user/bob because no identity-based policy allows the iam:CreateUser action","requestParameters":{"path":"/","userName":"bob"},"responseElements":null,"requestID":"c0ffee00-0000-4000-8000-000000000001","eventID":"0199a000-0000-7000-8000-000000000001","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#,
    ),
    (
        "list policies, refused, message cut, typed parameters",
        r#"0199a000-0000-7000-8000-000000000001 111122223333 1790000000 ListPolicies iam.amazonaws.com true Some("pipeline-42") Some("ASIAQAAAAAAAAADEPLOY") []
{"eventVersion":"1.11","userIdentity":{"type":"AssumedRole","principalId":"AROAQAAAAAAAAADEPLOY:pipeline-42","arn":"arn:aws:sts::111122223333:assumed-role/deploy/pipeline-42","accountId":"111122223333","accessKeyId":"ASIAQAAAAAAAAADEPLOY","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAQAAAAAAAAADEPLOY","arn":"arn:aws:iam::111122223333:role/ci/deploy","accountId":"111122223333","userName":"deploy"},"webIdFederationData":{},"attributes":{"creationDate":"2026-09-21T13:56:40Z","mfaAuthenticated":"true"},"sourceIdentity":"alice@example.org"}},"eventTime":"2026-09-21T14:13:20Z","eventSource":"iam.amazonaws.com","eventName":"ListPolicies","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.31.0 md/awscrt#0.27.6 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython m/E,Z cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#sts.get-caller-identity","errorCode":"ValidationError","errorMessage":"mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm\"quoted\" \n","requestParameters":{"scope":"Local","onlyAttached":true,"pathPrefix":"/","maxItems":12},"responseElements":null,"requestID":"c0ffee00-0000-4000-8000-000000000001","eventID":"0199a000-0000-7000-8000-000000000001","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#,
    ),
    (
        "create policy version, booleans",
        r#"0199a000-0000-7000-8000-000000000001 111122223333 1790000000 CreatePolicyVersion iam.amazonaws.com false Some("alice") Some("AKIAQAAAAAAAAAAALICE") [("AWS::IAM::Policy", "arn:aws:iam::111122223333:policy/p")]
{"eventVersion":"1.11","userIdentity":{"type":"IAMUser","principalId":"AIDAQAAAAAAAAAAALICE","arn":"arn:aws:iam::111122223333:user/staff/alice","accountId":"111122223333","accessKeyId":"AKIAQAAAAAAAAAAALICE","userName":"alice"},"eventTime":"2026-09-21T14:13:20Z","eventSource":"iam.amazonaws.com","eventName":"CreatePolicyVersion","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.31.0 md/awscrt#0.27.6 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython m/E,Z cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#sts.get-caller-identity","requestParameters":{"policyArn":"arn:aws:iam::111122223333:policy/p","policyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:Get*\",\"Resource\":\"*\"}]}","setAsDefault":"maybe"},"responseElements":{"policyVersion":{"document":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:Get*\",\"Resource\":\"*\"}]}","versionId":"v2","isDefaultVersion":false,"createDate":"2026-09-21T13:13:20Z"}},"requestID":"c0ffee00-0000-4000-8000-000000000001","eventID":"0199a000-0000-7000-8000-000000000001","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#,
    ),
    (
        "create role, response with document and tags",
        r#"0199a000-0000-7000-8000-000000000001 111122223333 1790000000 CreateRole iam.amazonaws.com false Some("pipeline-42") Some("ASIAQAAAAAAAAADEPLOY") [("AWS::IAM::Role", "reader")]
{"eventVersion":"1.11","userIdentity":{"type":"AssumedRole","principalId":"AROAQAAAAAAAAADEPLOY:pipeline-42","arn":"arn:aws:sts::111122223333:assumed-role/deploy/pipeline-42","accountId":"111122223333","accessKeyId":"ASIAQAAAAAAAAADEPLOY","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAQAAAAAAAAADEPLOY","arn":"arn:aws:iam::111122223333:role/ci/deploy","accountId":"111122223333","userName":"deploy"},"webIdFederationData":{},"attributes":{"creationDate":"2026-09-21T13:56:40Z","mfaAuthenticated":"true"},"sourceIdentity":"alice@example.org"}},"eventTime":"2026-09-21T14:13:20Z","eventSource":"iam.amazonaws.com","eventName":"CreateRole","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.31.0 md/awscrt#0.27.6 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython m/E,Z cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#sts.get-caller-identity","requestParameters":{"path":"/app/","roleName":"reader","assumeRolePolicyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:root\"},\"Action\":\"sts:AssumeRole\"}]}","description":"Reads \"reports\" & <logs> \\ héllo","maxSessionDuration":7200,"tags":[{"key":"team","value":"blue"},{"key":"tier","value":"1"}]},"responseElements":{"role":{"path":"/app/","roleName":"reader","roleId":"AROAQAAAAAAAAAREADER","arn":"arn:aws:iam::111122223333:role/app/reader","createDate":"2026-09-21T13:13:20Z","assumeRolePolicyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:root\"},\"Action\":\"sts:AssumeRole\"}]}","description":"Reads \"reports\" & <logs> \\ héllo","maxSessionDuration":7200,"tags":[{"key":"team","value":"blue"},{"key":"tier","value":"1"}]}},"requestID":"c0ffee00-0000-4000-8000-000000000001","eventID":"0199a000-0000-7000-8000-000000000001","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#,
    ),
    (
        "get session token with MFA, secrets left out",
        r#"0199a000-0000-7000-8000-000000000001 111122223333 1790000000 GetSessionToken sts.amazonaws.com false Some("alice") Some("AKIAQAAAAAAAAAAALICE") []
{"eventVersion":"1.11","userIdentity":{"type":"IAMUser","principalId":"AIDAQAAAAAAAAAAALICE","arn":"arn:aws:iam::111122223333:user/staff/alice","accountId":"111122223333","accessKeyId":"AKIAQAAAAAAAAAAALICE","userName":"alice"},"eventTime":"2026-09-21T14:13:20Z","eventSource":"sts.amazonaws.com","eventName":"GetSessionToken","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.31.0 md/awscrt#0.27.6 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython m/E,Z cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#sts.get-caller-identity","requestParameters":{"durationSeconds":43200,"serialNumber":"arn:aws:iam::111122223333:mfa/alice"},"responseElements":{"credentials":{"accessKeyId":"ASIAQAAAAAAAAANEWKEY","sessionToken":"<redacted>","expiration":"2026-09-22T01:13:20Z"}},"requestID":"c0ffee00-0000-4000-8000-000000000001","eventID":"0199a000-0000-7000-8000-000000000001","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#,
    ),
    (
        "lookup events, refused",
        r#"0199a000-0000-7000-8000-000000000001 111122223333 1790000000 LookupEvents cloudtrail.amazonaws.com true Some("pipeline-42") Some("ASIAQAAAAAAAAADEPLOY") []
{"eventVersion":"1.11","userIdentity":{"type":"AssumedRole","principalId":"AROAQAAAAAAAAADEPLOY:pipeline-42","arn":"arn:aws:sts::111122223333:assumed-role/deploy/pipeline-42","accountId":"111122223333","accessKeyId":"ASIAQAAAAAAAAADEPLOY","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAQAAAAAAAAADEPLOY","arn":"arn:aws:iam::111122223333:role/ci/deploy","accountId":"111122223333","userName":"deploy"},"webIdFederationData":{},"attributes":{"creationDate":"2026-09-21T13:56:40Z","mfaAuthenticated":"true"},"sourceIdentity":"alice@example.org"}},"eventTime":"2026-09-21T14:13:20Z","eventSource":"cloudtrail.amazonaws.com","eventName":"LookupEvents","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.31.0 md/awscrt#0.27.6 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython m/E,Z cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#sts.get-caller-identity","errorCode":"AccessDeniedException","errorMessage":"User: arn:aws:sts::111122223333:assumed-role/deploy/pipeline-42 is not authorized to perform: cloudtrail:LookupEvents","requestParameters":{"lookupAttributes":[{"attributeKey":"Username","attributeValue":"alice"}],"maxResults":5,"startTime":1789000000.5,"nextToken":null,"flag":true},"responseElements":null,"requestID":"c0ffee00-0000-4000-8000-000000000001","eventID":"0199a000-0000-7000-8000-000000000001","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#,
    ),
    (
        "lookup events",
        r#"0199a000-0000-7000-8000-000000000001 111122223333 1790000000 LookupEvents cloudtrail.amazonaws.com true Some("pipeline-42") Some("ASIAQAAAAAAAAADEPLOY") []
{"eventVersion":"1.11","userIdentity":{"type":"AssumedRole","principalId":"AROAQAAAAAAAAADEPLOY:pipeline-42","arn":"arn:aws:sts::111122223333:assumed-role/deploy/pipeline-42","accountId":"111122223333","accessKeyId":"ASIAQAAAAAAAAADEPLOY","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAQAAAAAAAAADEPLOY","arn":"arn:aws:iam::111122223333:role/ci/deploy","accountId":"111122223333","userName":"deploy"},"webIdFederationData":{},"attributes":{"creationDate":"2026-09-21T13:56:40Z","mfaAuthenticated":"true"},"sourceIdentity":"alice@example.org"}},"eventTime":"2026-09-21T14:13:20Z","eventSource":"cloudtrail.amazonaws.com","eventName":"LookupEvents","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.31.0 md/awscrt#0.27.6 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython m/E,Z cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#sts.get-caller-identity","requestParameters":{"lookupAttributes":[{"attributeKey":"Username","attributeValue":"alice"}],"maxResults":5,"startTime":1789000000.5,"nextToken":null,"flag":true},"responseElements":null,"requestID":"c0ffee00-0000-4000-8000-000000000001","eventID":"0199a000-0000-7000-8000-000000000001","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#,
    ),
    (
        "user agent cut at 1 KB",
        r#"0199a000-0000-7000-8000-000000000001 111122223333 1790000000 GetCallerIdentity sts.amazonaws.com true Some("alice") Some("AKIAQAAAAAAAAAAALICE") []
{"eventVersion":"1.11","userIdentity":{"type":"IAMUser","principalId":"AIDAQAAAAAAAAAAALICE","arn":"arn:aws:iam::111122223333:user/staff/alice","accountId":"111122223333","accessKeyId":"AKIAQAAAAAAAAAAALICE","userName":"alice"},"eventTime":"2026-09-21T14:13:20Z","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"quoted \"agent\" back\\slash tab\there \u0001\u001f é ü / xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","requestParameters":null,"responseElements":null,"requestID":"c0ffee00-0000-4000-8000-000000000001","eventID":"0199a000-0000-7000-8000-000000000001","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#,
    ),
    (
        "list users by the root, IAM in us-east-1",
        r#"0199a000-0000-7000-8000-000000000001 111122223333 1790000000 ListUsers iam.amazonaws.com true Some("root") Some("AKIAQAAAAAAAAAAAROOT") []
{"eventVersion":"1.11","userIdentity":{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333","accessKeyId":"AKIAQAAAAAAAAAAAROOT"},"eventTime":"2026-09-21T14:13:20Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.31.0 md/awscrt#0.27.6 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython m/E,Z cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#sts.get-caller-identity","requestParameters":{"pathPrefix":"/staff/","maxItems":10},"responseElements":null,"requestID":"c0ffee00-0000-4000-8000-000000000001","eventID":"0199a000-0000-7000-8000-000000000001","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#,
    ),
    (
        "root session",
        r#"0199a000-0000-7000-8000-000000000001 111122223333 1790000000 GetCallerIdentity sts.amazonaws.com true Some("root") Some("ASIAQAAAAAAASESSION1") []
{"eventVersion":"1.11","userIdentity":{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333","accessKeyId":"ASIAQAAAAAAASESSION1","sessionContext":{"attributes":{"creationDate":"2026-09-21T11:26:40Z","mfaAuthenticated":"false"}}},"eventTime":"2026-09-21T14:13:20Z","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.31.0 md/awscrt#0.27.6 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython m/E,Z cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#sts.get-caller-identity","requestParameters":null,"responseElements":null,"requestID":"c0ffee00-0000-4000-8000-000000000001","eventID":"0199a000-0000-7000-8000-000000000001","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#,
    ),
    (
        "user session with MFA",
        r#"0199a000-0000-7000-8000-000000000001 111122223333 1790000000 GetCallerIdentity sts.amazonaws.com true Some("alice") Some("ASIAQAAAAAAASESSION1") []
{"eventVersion":"1.11","userIdentity":{"type":"IAMUser","principalId":"AIDAQAAAAAAAAAALICE","arn":"arn:aws:iam::111122223333:user/staff/alice","accountId":"111122223333","accessKeyId":"ASIAQAAAAAAASESSION1","userName":"alice","sessionContext":{"attributes":{"creationDate":"2026-09-21T11:26:40Z","mfaAuthenticated":"true"}}},"eventTime":"2026-09-21T14:13:20Z","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.31.0 md/awscrt#0.27.6 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython m/E,Z cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#sts.get-caller-identity","requestParameters":null,"responseElements":null,"requestID":"c0ffee00-0000-4000-8000-000000000001","eventID":"0199a000-0000-7000-8000-000000000001","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#,
    ),
    (
        "federated user of a user",
        r#"0199a000-0000-7000-8000-000000000001 111122223333 1790000000 GetCallerIdentity sts.amazonaws.com true Some("fed-alice") Some("ASIAQAAAAAAASESSION1") []
{"eventVersion":"1.11","userIdentity":{"type":"FederatedUser","principalId":"111122223333:fed-alice","arn":"arn:aws:sts::111122223333:federated-user/fed-alice","accountId":"111122223333","accessKeyId":"ASIAQAAAAAAASESSION1","sessionContext":{"sessionIssuer":{"type":"IAMUser","principalId":"AIDAQAAAAAAAAAALICE","arn":"arn:aws:iam::111122223333:user/staff/alice","accountId":"111122223333","userName":"alice"},"attributes":{"creationDate":"2026-09-21T11:26:40Z","mfaAuthenticated":"false"}}},"eventTime":"2026-09-21T14:13:20Z","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.31.0 md/awscrt#0.27.6 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython m/E,Z cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#sts.get-caller-identity","requestParameters":null,"responseElements":null,"requestID":"c0ffee00-0000-4000-8000-000000000001","eventID":"0199a000-0000-7000-8000-000000000001","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#,
    ),
    (
        "federated user of the root",
        r#"0199a000-0000-7000-8000-000000000001 111122223333 1790000000 GetCallerIdentity sts.amazonaws.com true Some("fed-root") Some("ASIAQAAAAAAASESSION1") []
{"eventVersion":"1.11","userIdentity":{"type":"FederatedUser","principalId":"111122223333:fed-root","arn":"arn:aws:sts::111122223333:federated-user/fed-root","accountId":"111122223333","accessKeyId":"ASIAQAAAAAAASESSION1","sessionContext":{"sessionIssuer":{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"},"attributes":{"creationDate":"2026-09-21T11:26:40Z","mfaAuthenticated":"false"}}},"eventTime":"2026-09-21T14:13:20Z","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.31.0 md/awscrt#0.27.6 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython m/E,Z cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#sts.get-caller-identity","requestParameters":null,"responseElements":null,"requestID":"c0ffee00-0000-4000-8000-000000000001","eventID":"0199a000-0000-7000-8000-000000000001","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#,
    ),
    (
        "role session without MFA or source identity",
        r#"0199a000-0000-7000-8000-000000000001 444455556666 1790000000 GetCallerIdentity sts.amazonaws.com true Some("s\"1") Some("ASIAQAAAAAAASESSION1") []
{"eventVersion":"1.11","userIdentity":{"type":"AssumedRole","principalId":"AROAQAAAAAAAAAAAAOPS:s\"1","arn":"arn:aws:sts::444455556666:assumed-role/ops/s\"1","accountId":"444455556666","accessKeyId":"ASIAQAAAAAAASESSION1","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAQAAAAAAAAAAAAOPS","arn":"arn:aws:iam::444455556666:role/ops","accountId":"444455556666","userName":"ops"},"webIdFederationData":{},"attributes":{"creationDate":"2026-09-21T11:26:40Z","mfaAuthenticated":"false"}}},"eventTime":"2026-09-21T14:13:20Z","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.31.0 md/awscrt#0.27.6 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython m/E,Z cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#sts.get-caller-identity","requestParameters":null,"responseElements":null,"requestID":"c0ffee00-0000-4000-8000-000000000001","eventID":"0199a000-0000-7000-8000-000000000001","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"444455556666","eventCategory":"Management"}"#,
    ),
    (
        "role without session",
        r#"0199a000-0000-7000-8000-000000000001 111122223333 1790000000 GetCallerIdentity sts.amazonaws.com true None Some("ASIAQAAAAAAASESSION1") []
{"eventVersion":"1.11","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/r/s","accountId":"111122223333"},"eventTime":"2026-09-21T14:13:20Z","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.31.0 md/awscrt#0.27.6 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython m/E,Z cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#sts.get-caller-identity","requestParameters":null,"responseElements":null,"requestID":"c0ffee00-0000-4000-8000-000000000001","eventID":"0199a000-0000-7000-8000-000000000001","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#,
    ),
    (
        "federated without session",
        r#"0199a000-0000-7000-8000-000000000001 111122223333 1790000000 GetCallerIdentity sts.amazonaws.com true None Some("ASIAQAAAAAAASESSION1") []
{"eventVersion":"1.11","userIdentity":{"type":"FederatedUser","arn":"arn:aws:sts::111122223333:assumed-role/r/s","accountId":"111122223333"},"eventTime":"2026-09-21T14:13:20Z","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.31.0 md/awscrt#0.27.6 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython m/E,Z cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#sts.get-caller-identity","requestParameters":null,"responseElements":null,"requestID":"c0ffee00-0000-4000-8000-000000000001","eventID":"0199a000-0000-7000-8000-000000000001","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#,
    ),
    (
        "anonymous",
        r#"0199a000-0000-7000-8000-000000000001 111122223333 1790000000 GetCallerIdentity sts.amazonaws.com true None Some("ASIAQAAAAAAASESSION1") []
{"eventVersion":"1.11","userIdentity":{"type":"Unknown"},"eventTime":"2026-09-21T14:13:20Z","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.31.0 md/awscrt#0.27.6 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython m/E,Z cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#sts.get-caller-identity","requestParameters":null,"responseElements":null,"requestID":"c0ffee00-0000-4000-8000-000000000001","eventID":"0199a000-0000-7000-8000-000000000001","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#,
    ),
    (
        "parameters over 100 KB omitted",
        r#"0199a000-0000-7000-8000-000000000001 111122223333 1790000000 CreatePolicy iam.amazonaws.com false Some("alice") Some("AKIAQAAAAAAAAAAALICE") []
{"eventVersion":"1.11","userIdentity":{"type":"IAMUser","principalId":"AIDAQAAAAAAAAAAALICE","arn":"arn:aws:iam::111122223333:user/staff/alice","accountId":"111122223333","accessKeyId":"AKIAQAAAAAAAAAAALICE","userName":"alice"},"eventTime":"2026-09-21T14:13:20Z","eventSource":"iam.amazonaws.com","eventName":"CreatePolicy","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.31.0 md/awscrt#0.27.6 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython m/E,Z cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#sts.get-caller-identity","requestParameters":{"omitted":true},"responseElements":{"policy":{"policyName":"p","policyId":"ANPAQAAAAAAAAAAAAAAP","arn":"arn:aws:iam::111122223333:policy/p","path":"/","defaultVersionId":"v1","attachmentCount":0,"permissionsBoundaryUsageCount":0,"isAttachable":true,"description":"dddddddd","createDate":"2026-09-21T13:13:20Z","updateDate":"2026-09-21T13:13:20Z"}},"requestID":"c0ffee00-0000-4000-8000-000000000001","eventID":"0199a000-0000-7000-8000-000000000001","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#,
    ),
    (
        "response over 100 KB omitted",
        r#"0199a000-0000-7000-8000-000000000001 111122223333 1790000000 CreatePolicy iam.amazonaws.com false Some("alice") Some("AKIAQAAAAAAAAAAALICE") []
{"eventVersion":"1.11","userIdentity":{"type":"IAMUser","principalId":"AIDAQAAAAAAAAAAALICE","arn":"arn:aws:iam::111122223333:user/staff/alice","accountId":"111122223333","accessKeyId":"AKIAQAAAAAAAAAAALICE","userName":"alice"},"eventTime":"2026-09-21T14:13:20Z","eventSource":"iam.amazonaws.com","eventName":"CreatePolicy","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.31.0 md/awscrt#0.27.6 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython m/E,Z cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#sts.get-caller-identity","requestParameters":{"policyName":"p","policyDocument":"xxxxxxxx"},"responseElements":{"omitted":true},"requestID":"c0ffee00-0000-4000-8000-000000000001","eventID":"0199a000-0000-7000-8000-000000000001","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#,
    ),
];

#[test]
fn debug_output_of_an_answered_call_holds_no_secret() {
    let sample = get_session_token();
    let shown = format!("{:?}", sample.answered());
    assert!(shown.contains("GetSessionToken"), "{shown}");
    for secret in [
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
        "IQoJb3JpZ2luX2VjEHcaCXVzLWVhc3QtMSJHMEUCIQ",
        "123456",
    ] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}

#[test]
fn the_root_and_its_federated_sessions_are_named_by_the_account_alias() {
    let root = |alias: Option<&str>| {
        let mut s = gci(Principal::root(ACCOUNT, "AKIAQAAAAAAAAAAAROOT", None));
        s.account_alias = alias.map(str::to_owned);
        s.records()[0].record.clone()
    };
    let named = root(Some("example-corp"));
    assert!(
        named.contains(r#""accessKeyId":"AKIAQAAAAAAAAAAAROOT","userName":"example-corp"}"#),
        "{named}"
    );
    assert!(!root(None).contains("userName"), "{}", root(None));
    // A federated session the root issued: its issuer is named by the alias.
    let mut federated = gci(session(claims(
        SessionKind::Federated,
        ACCOUNT,
        "",
        ACCOUNT,
        "",
        "bob",
        false,
        None,
    )));
    federated.account_alias = Some("example-corp".to_owned());
    let record = federated.records()[0].record.clone();
    assert!(
        record.contains(r#""type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333","userName":"example-corp"}"#),
        "{record}"
    );
}
