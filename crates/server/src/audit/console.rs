//! A console sign-in as CloudTrail records it: `ConsoleLogin` from `signin.amazonaws.com`, an
//! `AwsConsoleSignIn` event of the federated principal itself, with `ConsoleLogin` `Success`
//! or `Failure` in its response elements and the destination in its additional data.

use rolecall_store::EventRow;
use time::OffsetDateTime;

use super::identity;
use super::json::{self, Object};
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
    /// The account's alias, when the record names the principal by it and one is set.
    pub(crate) account_alias: Option<&'a str>,
}

/// The record, in the principal's account.
pub(crate) fn console_login(c: &ConsoleLogin<'_>) -> EventRow {
    let event_id = uuid::Uuid::now_v7().to_string();
    let account = c.principal.account();
    let mfa = c
        .principal
        .session
        .as_ref()
        .is_some_and(|s| s.mfa_at.is_some());
    let mut record = String::with_capacity(2048);
    let mut r = Object::open(&mut record);
    r.str("eventVersion", EVENT_VERSION);
    identity::user_identity(r.key("userIdentity"), c.principal, c.account_alias);
    json::timestamp(r.key("eventTime"), c.now);
    r.str("eventSource", SIGNIN);
    r.str("eventName", "ConsoleLogin");
    r.str("awsRegion", "us-east-1");
    r.str("sourceIPAddress", c.source_ip);
    if let Some(ua) = c.user_agent {
        r.str("userAgent", cut(ua));
    }
    if let Some(message) = c.failure {
        r.str("errorMessage", cut(message));
    }
    r.raw("requestParameters", "null");
    let mut response = Object::open(r.key("responseElements"));
    response.str(
        "ConsoleLogin",
        if c.failure.is_some() {
            "Failure"
        } else {
            "Success"
        },
    );
    response.close();
    let mut additional = Object::open(r.key("additionalEventData"));
    additional.str("LoginTo", cut(c.destination));
    additional.str("MobileVersion", "No");
    additional.str("MFAUsed", if mfa { "Yes" } else { "No" });
    additional.close();
    r.str("eventID", &event_id);
    r.bool("readOnly", false);
    r.str("eventType", "AwsConsoleSignIn");
    r.bool("managementEvent", true);
    r.str("recipientAccountId", account);
    r.str("eventCategory", "Management");
    r.close();
    EventRow {
        event_id,
        account_id: account.to_owned(),
        event_time: c.now.unix_timestamp(),
        event_name: "ConsoleLogin".to_owned(),
        event_source: SIGNIN.to_owned(),
        read_only: false,
        username: identity::username(c.principal),
        access_key_id: Some(c.principal.access_key_id.clone()),
        resources: Vec::new(),
        record,
    }
}
