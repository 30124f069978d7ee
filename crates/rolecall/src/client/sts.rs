//! `rolecall sts …`: STS operations with the AWS CLI's option names and output.

use clap::{Args, Subcommand};
use rolecall_credentials::{CredentialsError, StsClient, StsResponse, parse_timestamp};
use serde_json::{Map, Value, json};

use super::output::render;
use super::{CliError, Session};

#[derive(Debug, Subcommand)]
pub(crate) enum StsCommand {
    /// Returns details about the IAM user or role whose credentials are used to call the operation.
    GetCallerIdentity,
    /// Returns temporary security credentials for a role.
    AssumeRole(AssumeRoleArgs),
    /// Returns temporary credentials for an IAM user, optionally with MFA.
    GetSessionToken(SessionTokenArgs),
    /// Returns the account an access key belongs to.
    GetAccessKeyInfo(AccessKeyInfoArgs),
    /// Returns temporary credentials for a federated user.
    GetFederationToken(FederationArgs),
}

#[derive(Debug, Args)]
pub(crate) struct FederationArgs {
    #[arg(long)]
    name: String,
    #[arg(long)]
    policy: Option<String>,
    /// Managed session policies: `arn=ARN arn=ARN` (shorthand) or a JSON list.
    #[arg(long = "policy-arns", num_args = 1..)]
    policy_arns: Vec<String>,
    #[arg(long = "duration-seconds")]
    duration_seconds: Option<i64>,
    /// Session tags: `Key=k,Value=v Key=k2,Value=v2` (shorthand) or a JSON list.
    #[arg(long, num_args = 1..)]
    tags: Vec<String>,
}

/// Parses a list of structures given in the AWS CLI's shorthand (`Key=k,Value=v` per item)
/// or as JSON (`[{"Key": "k", "Value": "v"}]`).
fn structures(
    items: &[String],
    option: &str,
) -> Result<Vec<serde_json::Map<String, Value>>, CliError> {
    if let [one] = items
        && one.trim_start().starts_with('[')
    {
        let v: Value = serde_json::from_str(one).map_err(|e| {
            CliError::Usage(format!(
                "Error parsing parameter '{option}': Invalid JSON: {e}"
            ))
        })?;
        return v
            .as_array()
            .map(|a| a.iter().filter_map(|i| i.as_object().cloned()).collect())
            .ok_or_else(|| {
                CliError::Usage(format!(
                    "Error parsing parameter '{option}': expected a list"
                ))
            });
    }
    items
        .iter()
        .map(|item| {
            let mut m = serde_json::Map::new();
            for pair in item.split(',') {
                let (k, v) = pair.split_once('=').ok_or_else(|| {
                    CliError::Usage(format!("Error parsing parameter '{option}': Expected: '=', received: '{pair}' for input: {item}"))
                })?;
                m.insert(k.trim().to_owned(), Value::String(v.trim().to_owned()));
            }
            Ok(m)
        })
        .collect()
}

#[derive(Debug, Args)]
pub(crate) struct AssumeRoleArgs {
    #[arg(long = "role-arn")]
    role_arn: String,
    #[arg(long = "role-session-name")]
    role_session_name: String,
    #[arg(long = "duration-seconds")]
    duration_seconds: Option<i64>,
    #[arg(long = "external-id")]
    external_id: Option<String>,
    #[arg(long = "serial-number")]
    serial_number: Option<String>,
    #[arg(long = "token-code")]
    token_code: Option<String>,
    #[arg(long)]
    policy: Option<String>,
    #[arg(long = "source-identity")]
    source_identity: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct SessionTokenArgs {
    #[arg(long = "duration-seconds")]
    duration_seconds: Option<i64>,
    #[arg(long = "serial-number")]
    serial_number: Option<String>,
    #[arg(long = "token-code")]
    token_code: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct AccessKeyInfoArgs {
    #[arg(long = "access-key-id")]
    access_key_id: String,
}

/// A timestamp as AWS CLI v2 prints it (ISO 8601 with `+00:00`).
fn timestamp(raw: &str) -> Value {
    match parse_timestamp(raw) {
        Some(t) => {
            let t = t.to_offset(time::UtcOffset::UTC);
            Value::String(format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            ))
        }
        None => Value::String(raw.to_owned()),
    }
}

fn credentials_block(r: &StsResponse) -> Value {
    let f = |k: &str| {
        Value::String(
            r.get(&format!("Credentials/{k}"))
                .unwrap_or_default()
                .to_owned(),
        )
    };
    json!({
        "AccessKeyId": f("AccessKeyId"),
        "SecretAccessKey": f("SecretAccessKey"),
        "SessionToken": f("SessionToken"),
        "Expiration": timestamp(r.get("Credentials/Expiration").unwrap_or_default()),
    })
}

fn push(params: &mut Vec<(&'static str, String)>, name: &'static str, value: Option<&String>) {
    if let Some(v) = value {
        params.push((name, v.clone()));
    }
}

pub(crate) fn run(command: &StsCommand, session: &Session) -> Result<String, CliError> {
    let credentials = session.credentials()?;
    let region = session.region().unwrap_or_else(|| "us-east-1".to_owned());
    let client = StsClient::with_options(
        &session.endpoint("sts", &region),
        &region,
        &session.http_options()?,
    )?;
    let call = |action: &str, params: &[(&str, String)]| -> Result<StsResponse, CliError> {
        client
            .call(action, params, &credentials)
            .map_err(|e| match e {
                CredentialsError::Service { .. } => CliError::Service(e.to_string()),
                other => CliError::Other(other.to_string()),
            })
    };
    let value = match command {
        StsCommand::GetCallerIdentity => {
            let r = call("GetCallerIdentity", &[])?;
            let f = |k: &str| Value::String(r.get(k).unwrap_or_default().to_owned());
            json!({"UserId": f("UserId"), "Account": f("Account"), "Arn": f("Arn")})
        }
        StsCommand::AssumeRole(a) => {
            let mut params = vec![
                ("RoleArn", a.role_arn.clone()),
                ("RoleSessionName", a.role_session_name.clone()),
            ];
            push(
                &mut params,
                "DurationSeconds",
                a.duration_seconds.map(|d| d.to_string()).as_ref(),
            );
            push(&mut params, "ExternalId", a.external_id.as_ref());
            push(&mut params, "SerialNumber", a.serial_number.as_ref());
            push(&mut params, "TokenCode", a.token_code.as_ref());
            push(&mut params, "Policy", a.policy.as_ref());
            push(&mut params, "SourceIdentity", a.source_identity.as_ref());
            let r = call("AssumeRole", &params)?;
            let mut out = Map::new();
            out.insert("Credentials".into(), credentials_block(&r));
            out.insert(
                "AssumedRoleUser".into(),
                json!({
                    "AssumedRoleId": r.get("AssumedRoleUser/AssumedRoleId").unwrap_or_default(),
                    "Arn": r.get("AssumedRoleUser/Arn").unwrap_or_default(),
                }),
            );
            if let Some(size) = r
                .get("PackedPolicySize")
                .and_then(|s| s.parse::<i64>().ok())
            {
                out.insert("PackedPolicySize".into(), Value::from(size));
            }
            if let Some(si) = r.get("SourceIdentity") {
                out.insert("SourceIdentity".into(), Value::String(si.to_owned()));
            }
            Value::Object(out)
        }
        StsCommand::GetSessionToken(a) => {
            let mut params = Vec::new();
            push(
                &mut params,
                "DurationSeconds",
                a.duration_seconds.map(|d| d.to_string()).as_ref(),
            );
            push(&mut params, "SerialNumber", a.serial_number.as_ref());
            push(&mut params, "TokenCode", a.token_code.as_ref());
            let r = call("GetSessionToken", &params)?;
            json!({"Credentials": credentials_block(&r)})
        }
        StsCommand::GetFederationToken(a) => {
            let mut params = vec![("Name", a.name.clone())];
            push(&mut params, "Policy", a.policy.as_ref());
            push(
                &mut params,
                "DurationSeconds",
                a.duration_seconds.map(|d| d.to_string()).as_ref(),
            );
            let mut owned: Vec<(String, String)> = Vec::new();
            for (i, m) in structures(&a.policy_arns, "--policy-arns")?
                .iter()
                .enumerate()
            {
                let arn = m.get("arn").and_then(Value::as_str).unwrap_or_default();
                owned.push((format!("PolicyArns.member.{}.arn", i + 1), arn.to_owned()));
            }
            for (i, m) in structures(&a.tags, "--tags")?.iter().enumerate() {
                for field in ["Key", "Value"] {
                    let v = m.get(field).and_then(Value::as_str).unwrap_or_default();
                    owned.push((format!("Tags.member.{}.{field}", i + 1), v.to_owned()));
                }
            }
            let mut all: Vec<(&str, String)> = params;
            all.extend(owned.iter().map(|(k, v)| (k.as_str(), v.clone())));
            let r = call("GetFederationToken", &all)?;
            let mut out = Map::new();
            out.insert("Credentials".into(), credentials_block(&r));
            out.insert(
                "FederatedUser".into(),
                json!({
                    "FederatedUserId": r.get("FederatedUser/FederatedUserId").unwrap_or_default(),
                    "Arn": r.get("FederatedUser/Arn").unwrap_or_default(),
                }),
            );
            if let Some(size) = r
                .get("PackedPolicySize")
                .and_then(|s| s.parse::<i64>().ok())
            {
                out.insert("PackedPolicySize".into(), Value::from(size));
            }
            Value::Object(out)
        }
        StsCommand::GetAccessKeyInfo(a) => {
            let r = call(
                "GetAccessKeyInfo",
                &[("AccessKeyId", a.access_key_id.clone())],
            )?;
            json!({"Account": r.get("Account").unwrap_or_default()})
        }
    };
    let value =
        super::output::query(&value, session.global.query.as_deref()).map_err(CliError::Usage)?;
    Ok(render(&value, &session.output()))
}
