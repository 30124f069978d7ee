//! `rolecall audit`: the audit trail for a person at a terminal, one line per event (time,
//! identity, event, result), newest first, found by role session, role, or user name —
//! CloudTrail's LookupEvents underneath, with the AWS CLI's `cloudtrail lookup-events`
//! grammar left untouched.

use std::time::Duration;

use clap::Args;
use rolecall_service_model::CLOUDTRAIL;
use rolecall_transport::Client;
use serde_json::{Value, json};

use crate::{CliError, GlobalArgs, Rendered, Session};

/// At most this many events are read to answer one `audit` (50 pages).
const MAX_EVENTS: usize = 2500;

/// `rolecall audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    global: GlobalArgs,
    /// The events of a role session (its name, e.g. AWS-CLI-session-1700000000); without a
    /// value, the session of the profile in use.
    #[arg(long, value_name = "NAME", num_args = 0..=1, default_missing_value = "", conflicts_with_all = ["role", "user"])]
    session: Option<String>,
    /// The events of a role: its sessions' calls and the AssumeRole calls that made them.
    #[arg(long, value_name = "ARN", conflicts_with = "user")]
    role: Option<String>,
    /// The events of an IAM user (by name).
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
    /// How far back: 30s, 15m, 1h, 7d, or a sum such as 1h30m.
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_duration)]
    since: Duration,
}

impl AuditArgs {
    /// The global options given to the command.
    #[must_use]
    pub fn global(&self) -> &GlobalArgs {
        &self.global
    }
}

/// `30s`, `15m`, `1h`, `7d`, or a sum of them (`1h30m`); every number needs its unit.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let wrong = || format!("'{text}' is not a duration like 30s, 15m, 1h, 7d or 1h30m");
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(wrong());
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(wrong)?;
        let n: u64 = rest[..digits].parse().map_err(|_| wrong())?;
        let unit = rest[digits..].chars().next().ok_or_else(wrong)?;
        let seconds = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(wrong()),
        };
        total = total.saturating_add(n.saturating_mul(seconds));
        rest = &rest[digits + unit.len_utf8()..];
    }
    Ok(Duration::from_secs(total))
}

/// The lines for `args`.
///
/// # Errors
/// Credentials that cannot be had, a refused lookup.
pub fn run(args: &AuditArgs, session: &Session) -> Result<Rendered, CliError> {
    let credentials = session.credentials()?;
    let region = session.region().unwrap_or_else(|| "us-east-1".to_owned());
    let endpoint = session.endpoint(CLOUDTRAIL.cli_name, &region);
    let http = session.http_options()?;
    let client = Client::new(
        &endpoint,
        &region,
        CLOUDTRAIL.signing_name,
        CLOUDTRAIL.api_version,
        &http,
    )?;
    // The profile's own session: found by its name, kept by its ARN (other roles' sessions,
    // and users, may share the name).
    let (session_name, own_arn) = match args.session.as_deref() {
        Some("") => {
            let (name, arn) = own_session(session, &credentials, &region)?;
            (Some(name), Some(arn))
        }
        other => (other.map(str::to_owned), None),
    };
    let attribute = session_name
        .as_deref()
        .map(|s| ("Username", s.to_owned()))
        .or_else(|| args.user.clone().map(|u| ("Username", u)));
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let since = i64::try_from(args.since.as_secs()).unwrap_or(i64::MAX);
    let mut request = json!({"StartTime": now.saturating_sub(since).max(0), "EndTime": now});
    if let Some((key, value)) = &attribute {
        request["LookupAttributes"] = json!([{"AttributeKey": key, "AttributeValue": value}]);
    }
    let target = format!(
        "{}.LookupEvents",
        CLOUDTRAIL.target_prefix.unwrap_or_default()
    );
    let mut lines = String::new();
    let mut seen = 0;
    loop {
        let raw = client.call_json("LookupEvents", &target, &request.to_string(), &credentials)?;
        let page: Value = serde_json::from_str(&raw.body)
            .map_err(|e| CliError::Other(format!("the LookupEvents response is not JSON: {e}")))?;
        for event in page["Events"].as_array().into_iter().flatten() {
            seen += 1;
            let record: Value = event["CloudTrailEvent"]
                .as_str()
                .and_then(|r| serde_json::from_str(r).ok())
                .unwrap_or_default();
            if let Some(role) = &args.role
                && !concerns_role(&record, role)
            {
                continue;
            }
            if let Some(arn) = &own_arn
                && record["userIdentity"]["arn"] != arn.as_str()
            {
                continue;
            }
            lines.push_str(&line(&record));
        }
        match page["NextToken"].as_str() {
            Some(token) if seen < MAX_EVENTS => request["NextToken"] = json!(token),
            Some(_) => {
                eprintln!(
                    "rolecall audit: only the newest {MAX_EVENTS} events were read; narrow the window with --since or the events with --session, --role or --user"
                );
                break;
            }
            None => break,
        }
    }
    Ok(Rendered::text(lines))
}

/// The session name and ARN of the profile's own credentials (`assumed-role/ROLE/SESSION`).
fn own_session(
    session: &Session,
    credentials: &rolecall_credentials::Credentials,
    region: &str,
) -> Result<(String, String), CliError> {
    let sts = &rolecall_service_model::STS;
    let endpoint = session.endpoint(sts.cli_name, region);
    let client = Client::new(
        &endpoint,
        region,
        sts.signing_name,
        sts.api_version,
        &session.http_options()?,
    )?;
    let raw = client.call_query("GetCallerIdentity", &[], credentials)?;
    let leaves = rolecall_transport::query::Leaves::read(&raw.body)
        .map_err(|e| CliError::Other(format!("the GetCallerIdentity response is not XML: {e}")))?;
    let arn = leaves.get("Arn").unwrap_or_default();
    match arn
        .split_once(":assumed-role/")
        .and_then(|(_, rest)| rest.split_once('/'))
    {
        Some((_, name)) => Ok((name.to_owned(), arn.to_owned())),
        None => Err(CliError::Usage(format!(
            "--session without a name needs a role profile; the profile in use is {arn}"
        ))),
    }
}

/// Whether an event was made by one of the role's sessions, or assumed the role.
fn concerns_role(record: &Value, role: &str) -> bool {
    let issuer = &record["userIdentity"]["sessionContext"]["sessionIssuer"];
    issuer["type"] == "Role" && issuer["arn"] == role
        || record["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| r["ARN"] == role)
}

/// `text` safe to print to a terminal: control characters (which could move the cursor,
/// rewrite lines or set the window title) and the marks that reorder text are shown escaped.
fn printable(text: &str) -> String {
    let unsafe_char = |c: char| {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if unsafe_char(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// One event: time, who, what, and how it ended; every field from the record made
/// [`printable`].
fn line(record: &Value) -> String {
    let s = |v: &Value| printable(v.as_str().unwrap_or("-"));
    let identity = &record["userIdentity"];
    let who = match identity["type"].as_str() {
        // `assumed-role/ROLE/SESSION`, `federated-user/NAME`: the ARN's resource.
        Some("AssumedRole" | "FederatedUser") => rolecall_arn::Arn::parse(&s(&identity["arn"]))
            .map_or_else(|_| s(&identity["arn"]), |a| a.resource),
        Some("IAMUser") => format!("user/{}", s(&identity["userName"])),
        Some("Root") => "root".to_owned(),
        Some("AWSAccount") => format!("account {}", s(&identity["accountId"])),
        _ => s(&identity["type"]),
    };
    let source = s(&record["eventSource"]);
    let service = source.split('.').next().unwrap_or_default();
    let result = printable(record["errorCode"].as_str().unwrap_or("ok"));
    format!(
        "{}  {who:<50}  {service}:{:<28}  {result}\n",
        s(&record["eventTime"]),
        s(&record["eventName"])
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn durations_and_lines() {
        assert_eq!(super::parse_duration("90s").unwrap().as_secs(), 90);
        assert_eq!(super::parse_duration("2h").unwrap().as_secs(), 7200);
        assert_eq!(super::parse_duration("1h30m").unwrap().as_secs(), 5400);
        assert_eq!(super::parse_duration("0s").unwrap().as_secs(), 0);
        assert_eq!(
            super::parse_duration("99999999999999999999d").map_err(|_| ()),
            Err(())
        );
        assert_eq!(
            super::parse_duration("9999999999999999d").unwrap(),
            std::time::Duration::from_secs(u64::MAX)
        );
        for bad in ["soon", "", "3600", "1h30", "h", "-1h", "1w", "1 h", "1hé"] {
            assert!(super::parse_duration(bad).is_err(), "{bad}");
        }
        let record = json!({"eventTime": "2026-12-01T00:00:00Z", "eventSource": "iam.amazonaws.com", "eventName": "CreateUser", "errorCode": "AccessDenied",
            "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/Ops/s1"}});
        let line = super::line(&record);
        assert!(
            line.starts_with("2026-12-01T00:00:00Z  assumed-role/Ops/s1"),
            "{line}"
        );
        assert!(
            line.contains("iam:CreateUser") && line.trim_end().ends_with("AccessDenied"),
            "{line}"
        );
        // Fields from the record never reach the terminal as control sequences.
        let spoof = json!({"eventTime": "2026-12-01T00:00:00Z\u{1b}]0;owned\u{7}", "eventSource": "iam.amazonaws.com", "eventName": "ListUsers",
            "errorCode": "\u{1b}[2K\rok", "userIdentity": {"type": "IAMUser", "userName": "bob\u{202e}nimda"}});
        let line = super::line(&spoof);
        assert!(
            !line.trim_end_matches('\n').chars().any(|c| c.is_control())
                && !line.contains('\u{202e}'),
            "{line:?}"
        );
        assert!(
            line.contains("user/bob\\u{202e}nimda") && line.contains("\\u{1b}[2K"),
            "{line:?}"
        );
        let role = json!({"userIdentity": {"sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::1:role/Ops"}}}});
        assert!(super::concerns_role(&role, "arn:aws:iam::1:role/Ops"));
        assert!(!super::concerns_role(&role, "arn:aws:iam::1:role/Other"));
    }
}
