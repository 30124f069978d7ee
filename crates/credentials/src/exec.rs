//! Executing a [`crate::Plan`]: the calls it needs, innermost source first, with the cache.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::HttpOptions;
use crate::cache::{Cache, cache_key};
use crate::plan::{RoleStep, SessionStep, Source};
use crate::sts::StsAnswer;
use crate::{Credentials, CredentialsError};

/// Where MFA codes come from.
pub trait Prompt {
    /// Asks for the code of `serial`.
    ///
    /// # Errors
    /// When no code can be read (no terminal).
    fn mfa_code(&self, serial: &str) -> Result<String, CredentialsError>;
}

/// Reads MFA codes from the controlling terminal without echo, as the AWS CLI does.
#[derive(Debug, Clone, Copy, Default)]
pub struct TerminalPrompt;

impl Prompt for TerminalPrompt {
    fn mfa_code(&self, serial: &str) -> Result<String, CredentialsError> {
        rpassword::prompt_password(format!("Enter MFA code for {serial}: "))
            .map(|c| c.trim().to_owned())
            .map_err(|e| {
                CredentialsError::Prompt(format!(
                    "Cannot read the MFA code for {serial}: no terminal is available ({e})"
                ))
            })
    }
}

/// Gets the credentials a source describes.
///
/// # Errors
/// Whatever the calls or the prompt fail with.
pub fn execute(
    source: &Source,
    cache: &Cache,
    prompt: &dyn Prompt,
    http: &HttpOptions,
    now: OffsetDateTime,
) -> Result<Credentials, CredentialsError> {
    match source {
        Source::Environment(c) | Source::Static { credentials: c, .. } => Ok(c.clone()),
        Source::AssumeRole(step) => assume_role(step, cache, prompt, http, now),
        Source::SessionToken(step) => session_token(step, cache, prompt, http, now),
        Source::Process { command, .. } => process(command, cache, now),
        Source::InstanceMetadata { endpoint, implicit } => crate::metadata::instance_metadata(
            endpoint,
        )
        .map_err(|e| {
            if *implicit {
                tracing::debug!(error = %e, "no credentials from the instance metadata service");
                CredentialsError::NoCredentials
            } else {
                e
            }
        }),
        Source::Container {
            relative_uri,
            full_uri,
            token,
            token_file,
        } => crate::metadata::container(
            relative_uri.as_deref(),
            full_uri.as_deref(),
            token.as_deref(),
            token_file.as_deref(),
        ),
    }
}

/// Splits a command line the way Python's `shlex.split` does for the common cases: white space
/// separates words, single and double quotes group, a backslash escapes the next character.
fn split_command(command: &str) -> Result<Vec<String>, CredentialsError> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = command.chars();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"') | None, '\\') => {
                if let Some(n) = chars.next() {
                    word.push(n);
                }
                in_word = true;
            }
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err(CredentialsError::Invalid(format!(
            "credential_process has an unclosed quote: {command}"
        )));
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// Runs a `credential_process` command and reads its JSON; results with an `Expiration` are
/// cached while they stay valid, so the command is not run for every call.
fn process(
    command: &str,
    cache: &Cache,
    now: OffsetDateTime,
) -> Result<Credentials, CredentialsError> {
    let mut args = Map::new();
    args.insert(
        "CredentialProcess".into(),
        Value::String(command.to_owned()),
    );
    let key = format!("rolecall-process-{}", cache_key(&args));
    if let Some(c) = cache.get(&key, now) {
        return Ok(c);
    }
    let words = split_command(command)?;
    let Some((program, rest)) = words.split_first() else {
        return Err(CredentialsError::Invalid(
            "credential_process is empty".into(),
        ));
    };
    let fail = |m: String| {
        CredentialsError::Invalid(format!(
            "Error when retrieving credentials from custom-process: {m}"
        ))
    };
    let output = std::process::Command::new(program)
        .args(rest)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| fail(format!("cannot run {program}: {e}")))?;
    if !output.status.success() {
        return Err(fail(
            String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        ));
    }
    let v: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| fail(format!("the output is not JSON: {e}")))?;
    if v.get("Version").and_then(Value::as_i64) != Some(1) {
        return Err(fail(
            "Unsupported version '{}' for credential process provider, supported versions: 1"
                .replace(
                    "{}",
                    &v.get("Version")
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                ),
        ));
    }
    let field = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let (Some(access_key_id), Some(secret_access_key)) =
        (field("AccessKeyId"), field("SecretAccessKey"))
    else {
        return Err(fail(
            "the JSON must contain AccessKeyId and SecretAccessKey".into(),
        ));
    };
    let expiration = match field("Expiration") {
        Some(e) => Some(
            rolecall_wire::timestamp::parse(&e)
                .ok_or_else(|| fail(format!("Expiration is not a timestamp: {e}")))?,
        ),
        None => None,
    };
    let credentials = Credentials {
        access_key_id,
        secret_access_key,
        session_token: field("SessionToken"),
        expiration,
    };
    if let (Some(_), Some(token)) = (expiration, &credentials.session_token) {
        let entry = json!({"Credentials": {
            "AccessKeyId": credentials.access_key_id,
            "SecretAccessKey": credentials.secret_access_key,
            "SessionToken": token,
            "Expiration": field("Expiration"),
        }});
        let _lock = cache.lock(&key)?;
        cache.put(&key, &entry)?;
    }
    Ok(credentials)
}

/// The cached credentials, or the fetched ones, holding the entry's lock in between so that
/// concurrent processes call (and prompt) once.
///
/// The source credentials are had first, before the lock is taken: a source may itself be a
/// cached role, and a process never holds two entry locks at once, so a chain that assumes
/// the same role twice, or two chains taking the same roles in opposite orders, cannot wait
/// on each other.
fn cached<S>(
    cache: &Cache,
    key: &str,
    now: OffsetDateTime,
    source: impl FnOnce() -> Result<S, CredentialsError>,
    fetch: impl FnOnce(S) -> Result<(Credentials, Value), CredentialsError>,
) -> Result<Credentials, CredentialsError> {
    if let Some(c) = cache.get(key, now) {
        tracing::debug!("Credentials for role retrieved from cache.");
        return Ok(c);
    }
    let source = source()?;
    let _lock = cache.lock(key)?;
    if let Some(c) = cache.get(key, now) {
        tracing::debug!("Credentials for role retrieved from cache (filled by another process).");
        return Ok(c);
    }
    tracing::debug!(cache_entry = key, "No cached credentials; calling STS.");
    let (credentials, entry) = fetch(source)?;
    cache.put(key, &entry)?;
    tracing::debug!(cache_entry = key, "Cached the new credentials.");
    Ok(credentials)
}

/// The cache entry botocore writes: the response minus nothing, plus `AccountId`.
fn entry(r: &StsAnswer, user_block: &str) -> Value {
    let f = |k: &str| r.get(k).unwrap_or_default().to_owned();
    let arn = f(&format!("{user_block}/Arn"));
    let account = rolecall_arn::Arn::parse(&arn)
        .map(|a| a.account)
        .unwrap_or_default();
    let mut credentials = json!({
        "AccessKeyId": f("Credentials/AccessKeyId"),
        "SecretAccessKey": f("Credentials/SecretAccessKey"),
        "SessionToken": f("Credentials/SessionToken"),
        "Expiration": f("Credentials/Expiration"),
    });
    if !account.is_empty() {
        credentials["AccountId"] = Value::String(account);
    }
    let headers: Map<String, Value> = r
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let mut out = json!({
        "Credentials": credentials,
        "ResponseMetadata": {"RequestId": r.leaves.request_id, "HTTPStatusCode": r.status, "HTTPHeaders": headers, "RetryAttempts": 0},
    });
    if user_block == "AssumedRoleUser" {
        out["AssumedRoleUser"] =
            json!({"AssumedRoleId": f("AssumedRoleUser/AssumedRoleId"), "Arn": arn});
    }
    if let Some(size) = r
        .get("PackedPolicySize")
        .and_then(|s| s.parse::<i64>().ok())
    {
        out["PackedPolicySize"] = Value::from(size);
    }
    out
}

fn assume_role(
    step: &RoleStep,
    cache: &Cache,
    prompt: &dyn Prompt,
    http: &HttpOptions,
    now: OffsetDateTime,
) -> Result<Credentials, CredentialsError> {
    let mut args = Map::new();
    args.insert("RoleArn".into(), Value::String(step.role_arn.clone()));
    if let Some(n) = &step.role_session_name {
        args.insert("RoleSessionName".into(), Value::String(n.clone()));
    }
    if let Some(e) = &step.external_id {
        args.insert("ExternalId".into(), Value::String(e.clone()));
    }
    if let Some(s) = &step.mfa_serial {
        args.insert("SerialNumber".into(), Value::String(s.clone()));
    }
    if let Some(d) = step.duration_seconds {
        args.insert("DurationSeconds".into(), Value::from(d));
    }
    // Tags and source identity are part of the entry's name, so an entry written for the
    // same role without them is never taken for a tagged session.
    if let Some(s) = &step.source_identity {
        args.insert("SourceIdentity".into(), Value::String(s.clone()));
    }
    if !step.tags.is_empty() {
        args.insert(
            "Tags".into(),
            step.tags
                .iter()
                .map(|(k, v)| json!({"Key": k, "Value": v}))
                .collect(),
        );
    }
    if !step.transitive_tag_keys.is_empty() {
        args.insert(
            "TransitiveTagKeys".into(),
            step.transitive_tag_keys
                .iter()
                .cloned()
                .map(Value::String)
                .collect(),
        );
    }
    let source = || execute(&step.source, cache, prompt, http, now);
    cached(cache, &cache_key(&args), now, source, |source| {
        let session_name = step
            .role_session_name
            .clone()
            .unwrap_or_else(|| format!("AWS-CLI-session-{}", now.unix_timestamp()));
        let mut params = vec![
            ("RoleArn", step.role_arn.clone()),
            ("RoleSessionName", session_name),
        ];
        if let Some(e) = &step.external_id {
            params.push(("ExternalId", e.clone()));
        }
        if let Some(d) = step.duration_seconds {
            params.push(("DurationSeconds", d.to_string()));
        }
        let mut tag_params: Vec<(String, String)> = Vec::new();
        if let Some(s) = &step.source_identity {
            tag_params.push(("SourceIdentity".into(), s.clone()));
        }
        for (i, (k, v)) in step.tags.iter().enumerate() {
            tag_params.push((format!("Tags.member.{}.Key", i + 1), k.clone()));
            tag_params.push((format!("Tags.member.{}.Value", i + 1), v.clone()));
        }
        for (i, k) in step.transitive_tag_keys.iter().enumerate() {
            tag_params.push((format!("TransitiveTagKeys.member.{}", i + 1), k.clone()));
        }
        params.extend(tag_params.iter().map(|(k, v)| (k.as_str(), v.clone())));
        // A source that is already an MFA session of the same device carries MFA into this
        // call (aws:MultiFactorAuthPresent), so the user is not asked a second time.
        let source_has_mfa = matches!(&step.source, Source::SessionToken(s) if Some(&s.mfa_serial) == step.mfa_serial.as_ref());
        if let Some(serial) = step.mfa_serial.as_ref().filter(|_| !source_has_mfa) {
            params.push(("SerialNumber", serial.clone()));
            params.push(("TokenCode", prompt.mfa_code(serial)?));
        }
        let r = crate::sts::call(
            &step.endpoint,
            &step.region,
            http,
            "AssumeRole",
            &params,
            &source,
        )?;
        Ok((r.credentials()?, entry(&r, "AssumedRoleUser")))
    })
}

fn session_token(
    step: &SessionStep,
    cache: &Cache,
    prompt: &dyn Prompt,
    http: &HttpOptions,
    now: OffsetDateTime,
) -> Result<Credentials, CredentialsError> {
    let source = execute(&step.source, cache, prompt, http, now)?;
    let mut args = Map::new();
    args.insert(
        "AccessKeyId".into(),
        Value::String(source.access_key_id.clone()),
    );
    args.insert(
        "SerialNumber".into(),
        Value::String(step.mfa_serial.clone()),
    );
    if let Some(d) = step.duration_seconds {
        args.insert("DurationSeconds".into(), Value::from(d));
    }
    // Not a botocore entry (the AWS CLI has no MFA for user profiles): its own name prefix.
    let key = format!("rolecall-session-{}", cache_key(&args));
    cached(
        cache,
        &key,
        now,
        || Ok(()),
        |()| {
            let mut params = vec![
                ("SerialNumber", step.mfa_serial.clone()),
                ("TokenCode", prompt.mfa_code(&step.mfa_serial)?),
            ];
            if let Some(d) = step.duration_seconds {
                params.push(("DurationSeconds", d.to_string()));
            }
            let r = crate::sts::call(
                &step.endpoint,
                &step.region,
                http,
                "GetSessionToken",
                &params,
                &source,
            )?;
            Ok((r.credentials()?, entry(&r, "")))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::split_command;

    #[test]
    fn splits_like_shlex() {
        assert_eq!(split_command("a b  c").unwrap(), vec!["a", "b", "c"]);
        assert_eq!(
            split_command(r#"/bin/get "my profile" 'x y' z\ w"#).unwrap(),
            vec!["/bin/get", "my profile", "x y", "z w"]
        );
        assert_eq!(split_command(r#"say "a\"b""#).unwrap(), vec!["say", "a\"b"]);
        assert!(split_command("oops 'x").is_err());
        assert!(split_command("").unwrap().is_empty());
    }
}
