//! One answered call as CloudTrail records it: the record's fields in CloudTrail's order,
//! one copy per account that receives it (two for a cross-account AssumeRole), and the
//! columns the trail is looked up by.

use rolecall_arn::Arn;
use rolecall_store::EventRow;
use rolecall_wire::{AwsError, Service};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::identity;
use crate::principal::Principal;

/// CloudTrail's record version.
pub(super) const EVENT_VERSION: &str = "1.11";
/// `userAgent`, `errorCode`, `errorMessage` are cut at 1 KB, as CloudTrail cuts them.
const FIELD_LIMIT: usize = 1024;
/// `requestParameters` and `responseElements` over 100 KB are omitted, as CloudTrail omits them.
const ELEMENTS_LIMIT: usize = 100 * 1024;

/// What is known of a call once it is answered.
#[derive(Debug)]
pub(crate) struct Answered<'a> {
    /// The request id the client received.
    pub(crate) request_id: &'a str,
    /// The service that answered.
    pub(crate) service: Service,
    /// The operation's name.
    pub(crate) event_name: &'a str,
    /// The authenticated caller.
    pub(crate) principal: &'a Principal,
    /// The error the client received, if any.
    pub(crate) error: Option<&'a AwsError>,
    /// `requestParameters` (already free of secrets).
    pub(crate) request_parameters: Value,
    /// `responseElements` (already free of secrets); recorded for mutating calls and
    /// AssumeRole, and only on success.
    pub(crate) response_elements: Value,
    /// Whether the call changes nothing.
    pub(crate) read_only: bool,
    /// Resources the record names (`resources`), and further ones LookupEvents finds it by.
    pub(crate) resources: Vec<Resource>,
    /// The role assumed, for AssumeRole: its owner receives a copy too when it is another
    /// account.
    pub(crate) assumed_role: Option<Arn>,
    /// The caller's address.
    pub(crate) source_ip: &'a str,
    /// `User-Agent`.
    pub(crate) user_agent: Option<&'a str>,
    /// The region the request was signed for.
    pub(crate) region: &'a str,
    /// When the call was answered.
    pub(crate) now: OffsetDateTime,
}

/// A resource an event concerns.
#[derive(Debug, Clone)]
pub(crate) struct Resource {
    /// `AWS::IAM::Role`, `AWS::IAM::User`, …
    pub(crate) kind: &'static str,
    /// The name or ARN LookupEvents matches `ResourceName` against.
    pub(crate) name: String,
    /// Written into the record's `resources` (with its ARN), not only indexed.
    pub(crate) in_record: Option<(String, String)>,
}

/// Whether an operation is read-only as CloudTrail marks it: reads by their verb, and
/// AssumeRole (which CloudTrail logs as read-only); GetSessionToken and GetFederationToken
/// issue credentials and are not.
#[must_use]
pub(crate) fn is_read_only(event_name: &str) -> bool {
    match event_name {
        "AssumeRole" => true,
        "GetSessionToken" | "GetFederationToken" => false,
        n => ["Get", "List", "Simulate", "Generate", "Lookup", "Describe"]
            .iter()
            .any(|verb| n.starts_with(verb)),
    }
}

/// Whether the record keeps the call's `responseElements`: a successful call that changes
/// something, or AssumeRole (which CloudTrail logs as read-only, with its response). The
/// response is not even read for any other call.
#[must_use]
pub(crate) fn keeps_response(event_name: &str, read_only: bool, failed: bool) -> bool {
    !failed && (!read_only || event_name == "AssumeRole")
}

/// `requestParameters` or `responseElements` as recorded: over the limit, the content is
/// omitted and `omitted` says so.
fn bounded(v: &Value) -> Value {
    if v.is_null() || v.to_string().len() <= ELEMENTS_LIMIT {
        v.clone()
    } else {
        json!({ "omitted": true })
    }
}

pub(super) fn cut(text: &str) -> String {
    if text.len() <= FIELD_LIMIT {
        return text.to_owned();
    }
    let mut end = FIELD_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// The copies of the record, one per receiving account.
pub(crate) fn records(a: &Answered<'_>) -> Vec<EventRow> {
    let caller_account = a.principal.caller.account.clone();
    let owner = a
        .assumed_role
        .as_ref()
        .filter(|role| a.error.is_none() && role.account != caller_account)
        .map(|role| role.account.clone());
    let shared = owner.as_ref().map(|_| uuid::Uuid::new_v4().to_string());
    let mut out = vec![row(
        a,
        &caller_account,
        identity::user_identity(a.principal),
        shared.as_deref(),
        identity::username(a.principal),
        Some(a.principal.access_key_id.clone()),
    )];
    if let Some(owner) = owner {
        out.push(row(
            a,
            &owner,
            identity::as_other_account(a.principal),
            shared.as_deref(),
            // The role owner's copy names the caller's account, not the caller's key.
            None,
            None,
        ));
    }
    out
}

fn row(
    a: &Answered<'_>,
    recipient: &str,
    user_identity: Value,
    shared_event_id: Option<&str>,
    username: Option<String>,
    access_key_id: Option<String>,
) -> EventRow {
    // Time-ordered ids (UUIDv7): events of the same second list newest first too.
    let event_id = uuid::Uuid::now_v7().to_string();
    let region = match a.service {
        Service::Iam => "us-east-1",
        _ => a.region,
    };
    let mut r = Map::new();
    r.insert("eventVersion".into(), json!(EVENT_VERSION));
    r.insert("userIdentity".into(), user_identity);
    r.insert("eventTime".into(), json!(rolecall_wire::iso8601(a.now)));
    r.insert(
        "eventSource".into(),
        json!(format!("{}.amazonaws.com", a.service.signing_name())),
    );
    r.insert("eventName".into(), json!(a.event_name));
    r.insert("awsRegion".into(), json!(region));
    r.insert("sourceIPAddress".into(), json!(a.source_ip));
    if let Some(ua) = a.user_agent {
        r.insert("userAgent".into(), json!(cut(ua)));
    }
    if let Some(e) = a.error {
        // The code exactly as the client received it: AWS JSON services (CloudTrail) name
        // their errors differently (`AccessDeniedException`).
        let code = if a.service == Service::CloudTrail {
            e.kind.json_code()
        } else {
            e.kind.code()
        };
        r.insert("errorCode".into(), json!(cut(code)));
        r.insert("errorMessage".into(), json!(cut(&e.message)));
    }
    r.insert("requestParameters".into(), bounded(&a.request_parameters));
    let keep_response = keeps_response(a.event_name, a.read_only, a.error.is_some());
    r.insert(
        "responseElements".into(),
        if keep_response {
            bounded(&a.response_elements)
        } else {
            Value::Null
        },
    );
    r.insert("requestID".into(), json!(a.request_id));
    r.insert("eventID".into(), json!(event_id));
    r.insert("readOnly".into(), json!(a.read_only));
    let listed: Vec<Value> = a
        .resources
        .iter()
        .filter_map(|res| {
            res.in_record
                .as_ref()
                .map(|(account, arn)| json!({"accountId": account, "type": res.kind, "ARN": arn}))
        })
        .collect();
    if !listed.is_empty() {
        r.insert("resources".into(), Value::Array(listed));
    }
    r.insert("eventType".into(), json!("AwsApiCall"));
    r.insert("managementEvent".into(), json!(true));
    r.insert("recipientAccountId".into(), json!(recipient));
    if let Some(shared) = shared_event_id {
        r.insert("sharedEventID".into(), json!(shared));
    }
    r.insert("eventCategory".into(), json!("Management"));
    EventRow {
        event_id,
        account_id: recipient.to_owned(),
        event_time: a.now.unix_timestamp(),
        event_name: a.event_name.to_owned(),
        event_source: format!("{}.amazonaws.com", a.service.signing_name()),
        read_only: a.read_only,
        username,
        access_key_id,
        resources: a
            .resources
            .iter()
            .map(|res| (res.kind.to_owned(), res.name.clone()))
            .collect(),
        record: Value::Object(r).to_string(),
    }
}

/// The resources of a request, from its parameters: the role assumed, and the IAM entities
/// an IAM call names.
pub(crate) fn resources(params: &rolecall_wire::Params) -> (Vec<Resource>, Option<Arn>) {
    let mut out = Vec::new();
    let mut assumed = None;
    if let Some(role) = params.get("RoleArn").and_then(|t| Arn::parse(t).ok()) {
        out.push(Resource {
            kind: "AWS::IAM::Role",
            name: role.to_string(),
            in_record: Some((role.account.clone(), role.to_string())),
        });
        assumed = Some(role);
    }
    for (param, kind) in [
        ("UserName", "AWS::IAM::User"),
        ("RoleName", "AWS::IAM::Role"),
        ("GroupName", "AWS::IAM::Group"),
        ("PolicyArn", "AWS::IAM::Policy"),
        ("InstanceProfileName", "AWS::IAM::InstanceProfile"),
        ("AccessKeyId", "AWS::IAM::AccessKey"),
    ] {
        if let Some(name) = params.get(param) {
            out.push(Resource {
                kind,
                name: name.to_owned(),
                in_record: None,
            });
        }
    }
    (out, assumed)
}

#[cfg(test)]
mod tests {
    #[test]
    fn elements_over_100_kb_are_omitted() {
        use serde_json::json;
        let small = json!({"userName": "alice"});
        assert_eq!(super::bounded(&small), small);
        assert_eq!(
            super::bounded(&serde_json::Value::Null),
            serde_json::Value::Null
        );
        let big = json!({"policyInputList": ["x".repeat(101 * 1024)]});
        assert_eq!(super::bounded(&big), json!({"omitted": true}));
    }

    #[test]
    fn only_kept_responses_are_read() {
        use super::keeps_response;
        assert!(keeps_response("CreateUser", false, false));
        assert!(keeps_response("AssumeRole", true, false));
        assert!(!keeps_response("SimulateCustomPolicy", true, false));
        assert!(!keeps_response("CreateUser", false, true));
    }

    #[test]
    fn read_only_as_cloudtrail_marks_it() {
        use super::is_read_only;
        assert!(
            is_read_only("AssumeRole")
                && is_read_only("ListUsers")
                && is_read_only("GetCallerIdentity")
        );
        assert!(
            !is_read_only("GetSessionToken")
                && !is_read_only("CreateUser")
                && !is_read_only("AttachRolePolicy")
        );
    }
}
