//! A console sign-in as CloudTrail records it: `ConsoleLogin` from `signin.amazonaws.com`, an
//! `AwsConsoleSignIn` event of the federated principal itself, with `ConsoleLogin` `Success`
//! or `Failure` in its response elements and the destination in its additional data.

use rolecall_store::EventRow;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::identity;
use super::record::{EVENT_VERSION, cut};
use crate::principal::Principal;

/// The sign-in service's event source.
const SIGNIN: &str = "signin.amazonaws.com";

/// One sign-in through the federation endpoint's `login`.
#[derive(Debug)]
pub(crate) struct ConsoleLogin<'a> {
    /// The federated principal signing in.
    pub(crate) principal: &'a Principal,
    /// Where the sign-in leads (`LoginTo`).
    pub(crate) destination: &'a str,
    /// Why the sign-in was refused, if it was.
    pub(crate) failure: Option<&'a str>,
    /// The browser's address.
    pub(crate) source_ip: &'a str,
    /// The browser's `User-Agent`.
    pub(crate) user_agent: Option<&'a str>,
    /// When.
    pub(crate) now: OffsetDateTime,
}

/// The record, in the principal's account.
pub(crate) fn console_login(c: &ConsoleLogin<'_>) -> EventRow {
    let event_id = uuid::Uuid::now_v7().to_string();
    let account = c.principal.caller.account.clone();
    let mfa = c
        .principal
        .session
        .as_ref()
        .is_some_and(|s| s.mfa_at.is_some());
    let mut r = Map::new();
    r.insert("eventVersion".into(), json!(EVENT_VERSION));
    r.insert("userIdentity".into(), identity::user_identity(c.principal));
    r.insert("eventTime".into(), json!(rolecall_wire::iso8601(c.now)));
    r.insert("eventSource".into(), json!(SIGNIN));
    r.insert("eventName".into(), json!("ConsoleLogin"));
    r.insert("awsRegion".into(), json!("us-east-1"));
    r.insert("sourceIPAddress".into(), json!(c.source_ip));
    if let Some(ua) = c.user_agent {
        r.insert("userAgent".into(), json!(cut(ua)));
    }
    if let Some(message) = c.failure {
        r.insert("errorMessage".into(), json!(cut(message)));
    }
    r.insert("requestParameters".into(), Value::Null);
    r.insert(
        "responseElements".into(),
        json!({ "ConsoleLogin": if c.failure.is_some() { "Failure" } else { "Success" } }),
    );
    r.insert(
        "additionalEventData".into(),
        json!({
            "LoginTo": cut(c.destination),
            "MobileVersion": "No",
            "MFAUsed": if mfa { "Yes" } else { "No" },
        }),
    );
    r.insert("eventID".into(), json!(event_id));
    r.insert("readOnly".into(), json!(false));
    r.insert("eventType".into(), json!("AwsConsoleSignIn"));
    r.insert("managementEvent".into(), json!(true));
    r.insert("recipientAccountId".into(), json!(account));
    r.insert("eventCategory".into(), json!("Management"));
    EventRow {
        event_id,
        account_id: account,
        event_time: c.now.unix_timestamp(),
        event_name: "ConsoleLogin".to_owned(),
        event_source: SIGNIN.to_owned(),
        read_only: false,
        username: identity::username(c.principal),
        access_key_id: Some(c.principal.access_key_id.clone()),
        resources: Vec::new(),
        record: Value::Object(r).to_string(),
    }
}
