//! One answered call as CloudTrail records it: the record's fields in CloudTrail's order,
//! one copy per account that receives it (two for a cross-account AssumeRole), and the
//! columns the trail is looked up by.

use rolecall_store::EventRow;
use rolecall_wire::{AwsError, Params, Service, Tape};
use serde_json::Value;
use time::OffsetDateTime;

use super::json::{self, Object};
use super::{elements, identity};
use crate::ops::Op;
use crate::principal::Principal;

/// CloudTrail's record version.
pub(super) const EVENT_VERSION: &str = "1.11";
/// `userAgent`, `errorCode`, `errorMessage` are cut at 1 KB, as CloudTrail cuts them.
const FIELD_LIMIT: usize = 1024;
/// `requestParameters` and `responseElements` over 100 KB are omitted, as CloudTrail omits them.
const ELEMENTS_LIMIT: usize = 100 * 1024;

/// An answered call, as its outcome knows it at the request's single exit: everything the
/// trail records of it.
pub(crate) struct Answered<'a> {
    /// The request id the client received.
    pub(crate) request_id: &'a str,
    /// The service that answered.
    pub(crate) service: Service,
    /// The operation.
    pub(crate) op: Op,
    /// The authenticated caller.
    pub(crate) principal: &'a Principal,
    /// The error the client received, if any.
    pub(crate) error: Option<&'a AwsError>,
    /// The request's parameters (Query protocol), once the caller was known.
    pub(crate) params: Option<&'a Params>,
    /// The request's JSON body (AWS JSON protocol), once the caller was known.
    pub(crate) json_request: Option<&'a Value>,
    /// Whether the request spoke the AWS JSON protocol (its answer is JSON).
    pub(crate) json: bool,
    /// The response body the client received; read only when the record keeps it.
    pub(crate) body: &'a str,
    /// The Query protocol result's contents within `body` and their tape, when the server
    /// wrote them: the answer read without parsing it again.
    pub(crate) answer: Option<(&'a str, &'a Tape)>,
    /// The caller's address.
    pub(crate) source_ip: &'a str,
    /// `User-Agent`.
    pub(crate) user_agent: Option<&'a str>,
    /// The region the request was signed for.
    pub(crate) region: &'a str,
    /// When the call was answered.
    pub(crate) now: OffsetDateTime,
    /// The account's alias, when the record names the caller by it (see
    /// [`super::identity::shows_account_alias`]) and one is set.
    pub(crate) account_alias: Option<&'a str>,
}

/// All but the response body, which holds the credentials a call issued.
impl std::fmt::Debug for Answered<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answered")
            .field("request_id", &self.request_id)
            .field("service", &self.service)
            .field("op", &self.op)
            .field("principal", &self.principal)
            .field("error", &self.error)
            .field("params", &self.params)
            .field("json", &self.json)
            .field("body_bytes", &self.body.len())
            .field("source_ip", &self.source_ip)
            .field("region", &self.region)
            .field("now", &self.now)
            .field("account_alias", &self.account_alias)
            .finish_non_exhaustive()
    }
}

impl Answered<'_> {
    /// Whether the caller waits until the record is committed: a successful call that
    /// changes IAM or issues credentials.
    pub(crate) fn durable(&self) -> bool {
        self.error.is_none()
            && (!is_read_only(self.op.name())
                || matches!(
                    self.op,
                    Op::AssumeRole | Op::GetSessionToken | Op::GetFederationToken
                ))
    }
}

/// Where a record's ids come from: fresh UUIDs in the server ([`Uuids`]), fixed ones in tests.
pub(crate) trait EventIds {
    /// A copy's `eventID`.
    fn event_id(&mut self) -> String;
    /// The `sharedEventID` the copies of one call share.
    fn shared_event_id(&mut self) -> String;
}

/// The server's ids: time-ordered `eventID`s (UUIDv7, so that events of the same second list
/// newest first too) and random `sharedEventID`s (UUIDv4).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Uuids;

impl EventIds for Uuids {
    fn event_id(&mut self) -> String {
        let mut text = uuid::Uuid::encode_buffer();
        uuid::Uuid::now_v7()
            .hyphenated()
            .encode_lower(&mut text)
            .to_owned()
    }

    fn shared_event_id(&mut self) -> String {
        uuid::Uuid::new_v4().to_string()
    }
}

/// A resource an event concerns.
#[derive(Debug, Clone)]
struct Resource {
    /// `AWS::IAM::Role`, `AWS::IAM::User`, …
    kind: &'static str,
    /// The name or ARN LookupEvents matches `ResourceName` against.
    name: String,
    /// For a resource written into the record's `resources` (`name` being its ARN), not
    /// only indexed: its account.
    in_record: Option<String>,
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

/// `requestParameters` or `responseElements` as written (JSON, serialized once; `None` for
/// `null`): over the limit, the content is omitted and `omitted` says so.
fn bounded(json: Option<String>) -> Option<String> {
    json.map(|text| {
        if text.len() <= ELEMENTS_LIMIT {
            text
        } else {
            OMITTED.to_owned()
        }
    })
}

/// What is written instead of elements over the limit.
const OMITTED: &str = r#"{"omitted":true}"#;

/// `text` cut at 1 KB, on a character boundary.
pub(super) fn cut(text: &str) -> &str {
    if text.len() <= FIELD_LIMIT {
        return text;
    }
    let mut end = FIELD_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A record's `eventSource`: the service's signing name under `amazonaws.com`.
fn event_source(service: Service) -> &'static str {
    match service {
        Service::Iam => "iam.amazonaws.com",
        Service::Sts => "sts.amazonaws.com",
        Service::CloudTrail => "cloudtrail.amazonaws.com",
    }
}

/// The copies of the record, one per receiving account (two for a cross-account AssumeRole).
pub(crate) fn records(a: &Answered<'_>, ids: &mut impl EventIds) -> Vec<EventRow> {
    let empty = Params::default();
    let params = a.params.unwrap_or(&empty);
    let event_name = a.op.name();
    let read_only = is_read_only(event_name);
    let (resources, role_account) = resources(params);
    let request_parameters = bounded(match a.json_request {
        Some(v) => Some(elements::camel_case(v)),
        None => elements::request_parameters(a.op, params),
    });
    // Only a response the record keeps is read: a read's answer can be megabytes.
    let response_elements = if !a.json && keeps_response(event_name, read_only, a.error.is_some()) {
        bounded(elements::response_elements(a.op, a.body, a.answer))
    } else {
        None
    };
    let caller_account = a.principal.account();
    let owner = role_account.filter(|account| a.error.is_none() && *account != caller_account);
    let call = Call {
        a,
        event_name,
        event_source: event_source(a.service),
        read_only,
        request_parameters,
        response_elements,
        resources,
        shared_event_id: owner.map(|_| ids.shared_event_id()),
    };
    let mut out = Vec::with_capacity(if owner.is_some() { 2 } else { 1 });
    out.push(call.row(caller_account, false, ids.event_id()));
    if let Some(owner) = owner {
        out.push(call.row(owner, true, ids.event_id()));
    }
    out
}

/// What every copy of one call's record shares, each part built once.
struct Call<'a> {
    a: &'a Answered<'a>,
    event_name: &'static str,
    event_source: &'static str,
    read_only: bool,
    /// Already JSON, bounded; `None` for `null`.
    request_parameters: Option<String>,
    /// Already JSON, bounded; `None` for `null`.
    response_elements: Option<String>,
    resources: Vec<Resource>,
    shared_event_id: Option<String>,
}

impl Call<'_> {
    /// The copy `recipient` receives: the caller's own, or the role owner's (`owner_copy`),
    /// which names the caller's account rather than the caller and the caller's key.
    fn row(&self, recipient: &str, owner_copy: bool, event_id: String) -> EventRow {
        let a = self.a;
        let p = a.principal;
        let region = match a.service {
            Service::Iam => "us-east-1",
            _ => a.region,
        };
        let user_agent = a.user_agent.map(cut);
        let error = a.error.map(|e| {
            // The code exactly as the client received it: AWS JSON services (CloudTrail)
            // name their errors differently (`AccessDeniedException`).
            let code = if a.service == Service::CloudTrail {
                e.kind.json_code()
            } else {
                e.kind.code_in(a.service)
            };
            (cut(code), cut(&e.message))
        });
        let mut record = String::with_capacity(
            1024 + user_agent.map_or(0, str::len)
                + error.map_or(0, |(c, m)| c.len() + m.len())
                + self.request_parameters.as_ref().map_or(0, String::len)
                + self.response_elements.as_ref().map_or(0, String::len),
        );
        let mut r = Object::open(&mut record);
        r.str("eventVersion", EVENT_VERSION);
        if owner_copy {
            identity::as_other_account(r.key("userIdentity"), p);
        } else {
            identity::user_identity(r.key("userIdentity"), p, a.account_alias);
        }
        json::timestamp(r.key("eventTime"), a.now);
        r.str("eventSource", self.event_source);
        r.str("eventName", self.event_name);
        r.str("awsRegion", region);
        r.str("sourceIPAddress", a.source_ip);
        if let Some(ua) = user_agent {
            r.str("userAgent", ua);
        }
        if let Some((code, message)) = error {
            r.str("errorCode", code);
            r.str("errorMessage", message);
        }
        r.raw(
            "requestParameters",
            self.request_parameters.as_deref().unwrap_or("null"),
        );
        r.raw(
            "responseElements",
            self.response_elements.as_deref().unwrap_or("null"),
        );
        r.str("requestID", a.request_id);
        r.str("eventID", &event_id);
        r.bool("readOnly", self.read_only);
        let mut listed = self
            .resources
            .iter()
            .filter_map(|res| res.in_record.as_ref().map(|account| (res, account)))
            .peekable();
        if listed.peek().is_some() {
            let out = r.key("resources");
            out.push('[');
            for (i, (res, account)) in listed.enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let mut o = Object::open(out);
                o.str("accountId", account);
                o.str("type", res.kind);
                o.str("ARN", &res.name);
                o.close();
            }
            out.push(']');
        }
        r.str("eventType", "AwsApiCall");
        r.bool("managementEvent", true);
        r.str("recipientAccountId", recipient);
        if let Some(shared) = &self.shared_event_id {
            r.str("sharedEventID", shared);
        }
        r.str("eventCategory", "Management");
        r.close();
        EventRow {
            event_id,
            account_id: recipient.to_owned(),
            event_time: a.now.unix_timestamp(),
            event_name: self.event_name.to_owned(),
            event_source: self.event_source.to_owned(),
            read_only: self.read_only,
            username: if owner_copy {
                None
            } else {
                identity::username(p)
            },
            access_key_id: (!owner_copy).then(|| p.access_key_id.clone()),
            resources: self
                .resources
                .iter()
                .map(|res| (res.kind.to_owned(), res.name.clone()))
                .collect(),
            record,
        }
    }
}

/// The resources of a request, from its parameters: the role assumed, and the IAM entities
/// an IAM call names; and the account of the role assumed, when there is one.
fn resources(params: &Params) -> (Vec<Resource>, Option<&str>) {
    // The role's ARN as the request gave it, and its account.
    let role = params
        .get("RoleArn")
        .and_then(|text| Some((text, rolecall_arn::split(text)?[3])));
    let mut out: Vec<Resource> = role
        .iter()
        .map(|&(text, account)| Resource {
            kind: "AWS::IAM::Role",
            name: text.to_owned(),
            in_record: Some(account.to_owned()),
        })
        .collect();
    // One pass over the request's handful of parameters, in the order of `NAMED`.
    let mut found: [Option<&str>; NAMED.len()] = [None; NAMED.len()];
    for (param, value) in params.iter() {
        if let Some(i) = NAMED.iter().position(|(name, _)| *name == param) {
            found[i] = Some(value);
        }
    }
    for ((_, kind), name) in NAMED.iter().zip(found) {
        if let Some(name) = name {
            out.push(Resource {
                kind,
                name: name.to_owned(),
                in_record: None,
            });
        }
    }
    (out, role.map(|(_, account)| account))
}

/// The parameters that name a resource the event concerns, and its type, in the order the
/// event lists them.
const NAMED: [(&str, &str); 6] = [
    ("UserName", "AWS::IAM::User"),
    ("RoleName", "AWS::IAM::Role"),
    ("GroupName", "AWS::IAM::Group"),
    ("PolicyArn", "AWS::IAM::Policy"),
    ("InstanceProfileName", "AWS::IAM::InstanceProfile"),
    ("AccessKeyId", "AWS::IAM::AccessKey"),
];

#[cfg(test)]
mod golden;

#[cfg(test)]
mod tests {
    #[test]
    fn the_event_source_is_the_signing_name_under_amazonaws_com() {
        use super::{Service, event_source};
        for service in [Service::Iam, Service::Sts, Service::CloudTrail] {
            assert_eq!(
                event_source(service),
                format!("{}.amazonaws.com", service.signing_name())
            );
        }
    }

    #[test]
    fn elements_over_100_kb_are_omitted() {
        let small = r#"{"userName":"alice"}"#;
        assert_eq!(super::bounded(Some(small.to_owned())).unwrap(), small);
        assert_eq!(super::bounded(None), None);
        let big = format!(r#"{{"policyInputList":["{}"]}}"#, "x".repeat(101 * 1024));
        assert_eq!(super::bounded(Some(big)).unwrap(), r#"{"omitted":true}"#);
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
