//! `rolecall configure …`: the AWS CLI v2 commands that read the files and export credentials.

use clap::{Args, Subcommand};

use crate::{CliError, GlobalArgs, Session};

/// `configure` alone prompts; with a subcommand it does that.
#[derive(Debug, Args)]
pub struct ConfigureArgs {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Option<ConfigureCommand>,
}

impl ConfigureArgs {
    /// The global options given after `configure`.
    #[must_use]
    pub fn global(&self) -> &GlobalArgs {
        &self.global
    }
}

/// The `configure` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigureCommand {
    /// Lists the profiles of the config and credentials files.
    ListProfiles,
    /// Shows where the profile, keys and region come from.
    List,
    /// Prints one setting of the profile.
    Get(GetArgs),
    /// Prints the profile's credentials for other tools.
    ExportCredentials(ExportArgs),
    /// Sets one setting, keeping everything else in the file as it is.
    Set(SetArgs),
}

/// `configure set VARNAME VALUE`.
#[derive(Debug, Args)]
pub struct SetArgs {
    /// `region`, `profile.NAME.region`, `s3.max_concurrent_requests`, `aws_access_key_id`, …
    varname: String,
    /// The value.
    value: String,
}

fn set(a: &SetArgs, session: &Session) -> Result<String, CliError> {
    let (profile, rest) = match a
        .varname
        .strip_prefix("profile.")
        .and_then(|r| r.split_once('.'))
    {
        Some((p, k)) => (p.to_owned(), k.to_owned()),
        None => (session.profile_name(), a.varname.clone()),
    };
    let (block, key) = match rest.split_once('.') {
        Some((b, k)) => (Some(b.to_owned()), k.to_owned()),
        None => (None, rest),
    };
    set_setting(session, &profile, block.as_deref(), &key, &a.value)?;
    Ok(String::new())
}

/// Writes one setting where the AWS CLI puts it: credentials keys in the credentials file
/// under `[NAME]`, everything else in the config file under `[default]` or `[profile NAME]`.
fn set_setting(
    session: &Session,
    profile: &str,
    block: Option<&str>,
    key: &str,
    value: &str,
) -> Result<(), CliError> {
    session
        .env
        .set_value(profile, block, key, value)
        .map_err(|e| CliError::Other(e.to_string()))
}

/// `aws configure`: four prompts on standard output, answers from standard input; an empty
/// answer keeps the current value, which is shown masked for the keys.
pub(crate) fn interactive(session: &Session) -> Result<String, CliError> {
    use std::io::{BufRead, Write};
    let profile = session.profile_name();
    let current = session.profiles.profile(&profile);
    let prompts = [
        ("AWS Access Key ID", "aws_access_key_id", true),
        ("AWS Secret Access Key", "aws_secret_access_key", true),
        ("Default region name", "region", false),
        ("Default output format", "output", false),
    ];
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    for (label, key, secret) in prompts {
        let shown = current.as_ref().and_then(|p| p.get(key)).map_or_else(
            || "None".to_owned(),
            |v| if secret { mask(v) } else { v.to_owned() },
        );
        let mut stdout = std::io::stdout().lock();
        let _ = write!(stdout, "{label} [{shown}]: ");
        let _ = stdout.flush();
        let mut line = String::new();
        input
            .read_line(&mut line)
            .map_err(|e| CliError::Other(format!("cannot read the answer: {e}")))?;
        let answer = line.trim();
        if !answer.is_empty() {
            set_setting(session, &profile, None, key, answer)?;
        }
    }
    Ok(String::new())
}

/// `configure get VARNAME`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// `region`, `aws_access_key_id`, `profile.NAME.region`, `s3.max_concurrent_requests`, …
    varname: String,
}

/// `configure export-credentials --format F`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// process, env, env-no-export, powershell, windows-cmd or fish.
    #[arg(long, default_value = "process", value_parser = ["process", "env", "env-no-export", "powershell", "windows-cmd", "fish"])]
    format: String,
}

/// An expiry as the AWS CLI prints it (`AWS_CREDENTIAL_EXPIRATION`).
pub(crate) fn expiry(c: &rolecall_credentials::Credentials) -> Option<String> {
    // Whole seconds, as the AWS CLI prints an expiry.
    c.expiration
        .map(|t| rolecall_wire::timestamp::cli_v2(t.replace_nanosecond(0).unwrap_or(t)))
}

pub(crate) fn run(command: &ConfigureCommand, session: &Session) -> Result<String, CliError> {
    match command {
        ConfigureCommand::Set(a) => set(a, session),
        ConfigureCommand::List => list(session),
        ConfigureCommand::ListProfiles => {
            let mut out = String::new();
            for name in session.profiles.names() {
                out.push_str(&name);
                out.push('\n');
            }
            Ok(out)
        }
        ConfigureCommand::Get(a) => {
            let (profile, key) = match a
                .varname
                .strip_prefix("profile.")
                .and_then(|r| r.split_once('.'))
            {
                Some((p, k)) => (p.to_owned(), k.to_owned()),
                None => (session.profile_name(), a.varname.clone()),
            };
            let found =
                session
                    .profiles
                    .profile(&profile)
                    .and_then(|p| match key.split_once('.') {
                        Some((block, sub)) => match p.settings.get(block) {
                            Some(rolecall_profile::Value::Nested(m)) => m.get(sub).cloned(),
                            _ => None,
                        },
                        None => p.get_raw(&key).map(str::to_owned),
                    });
            // Like the AWS CLI: a missing value prints nothing and exits 1.
            found.map(|v| format!("{v}\n")).ok_or(CliError::NotFound)
        }
        ConfigureCommand::ExportCredentials(a) => {
            let c = session.credentials()?;
            let mut vars = vec![
                ("AWS_ACCESS_KEY_ID", c.access_key_id.clone()),
                ("AWS_SECRET_ACCESS_KEY", c.secret_access_key.clone()),
            ];
            if let Some(t) = &c.session_token {
                vars.push(("AWS_SESSION_TOKEN", t.clone()));
            }
            if let Some(e) = expiry(&c) {
                vars.push(("AWS_CREDENTIAL_EXPIRATION", e));
            }
            let line = |name: &str, value: &str| match a.format.as_str() {
                "env" => format!("export {name}={value}\n"),
                "env-no-export" => format!("{name}={value}\n"),
                "powershell" => format!("$Env:{name}=\"{value}\"\n"),
                "windows-cmd" => format!("set {name}={value}\n"),
                _ => format!("set -gx {name} {value}\n"),
            };
            if a.format == "process" {
                let mut m = serde_json::Map::new();
                m.insert("Version".into(), 1.into());
                m.insert("AccessKeyId".into(), c.access_key_id.clone().into());
                m.insert("SecretAccessKey".into(), c.secret_access_key.clone().into());
                if let Some(t) = &c.session_token {
                    m.insert("SessionToken".into(), t.clone().into());
                }
                if let Some(e) = expiry(&c) {
                    m.insert("Expiration".into(), e.into());
                }
                let mut buf = Vec::new();
                let mut ser = serde_json::Serializer::with_formatter(
                    &mut buf,
                    serde_json::ser::PrettyFormatter::with_indent(b"  "),
                );
                serde::Serialize::serialize(&serde_json::Value::Object(m), &mut ser)
                    .map_err(|e| CliError::Other(e.to_string()))?;
                return Ok(format!("{}\n", String::from_utf8_lossy(&buf)));
            }
            Ok(vars.iter().map(|(n, v)| line(n, v)).collect())
        }
    }
}

/// `aws configure list`: each setting's value (keys masked), where it came from, and where.
fn list(session: &Session) -> Result<String, CliError> {
    use rolecall_credentials::Source;
    let row = |name: &str, value: &str, kind: &str, location: &str| {
        format!("{name:>10} {value:>24} {kind:>16}    {location}\n")
    };
    let mut out = row("Name", "Value", "Type", "Location");
    out.push_str(&row("----", "-----", "----", "--------"));
    let env_profile = session.env.value("AWS_PROFILE");
    match (&session.global.profile, env_profile) {
        (Some(p), _) => out.push_str(&row("profile", p, "manual", "--profile")),
        (None, Some(p)) => out.push_str(&row(
            "profile",
            p,
            "env",
            "['AWS_DEFAULT_PROFILE', 'AWS_PROFILE']",
        )),
        (None, None) => out.push_str(&row("profile", "<not set>", "None", "None")),
    }
    let plan = session.plan();
    let (kind, keys) = match &plan {
        Ok(plan) => match &plan.source {
            Source::Environment(c) => ("env", Some(c.clone())),
            Source::Static {
                profile,
                credentials,
            } => {
                let in_credentials_file = session
                    .profiles
                    .credentials
                    .profile(profile)
                    .is_some_and(|p| p.contains_key("aws_access_key_id"));
                (
                    if in_credentials_file {
                        "shared-credentials-file"
                    } else {
                        "config-file"
                    },
                    Some(credentials.clone()),
                )
            }
            Source::AssumeRole(_) => ("assume-role", Some(resolved(session, &out)?)),
            Source::SessionToken(_) => ("mfa-session", Some(resolved(session, &out)?)),
            Source::Process { .. } => ("custom-process", Some(resolved(session, &out)?)),
            // Reached by the default chain: no instance role means no credentials, not an error.
            Source::InstanceMetadata { implicit: true, .. } => session
                .credentials()
                .map_or(("None", None), |c| ("iam-role", Some(c))),
            Source::InstanceMetadata { .. } => ("iam-role", Some(resolved(session, &out)?)),
            Source::Container { .. } => ("container-role", Some(resolved(session, &out)?)),
        },
        Err(_) => ("None", None),
    };
    match keys {
        Some(c) => {
            out.push_str(&row("access_key", &mask(&c.access_key_id), kind, ""));
            out.push_str(&row("secret_key", &mask(&c.secret_access_key), kind, ""));
        }
        None => {
            out.push_str(&row("access_key", "<not set>", "None", "None"));
            out.push_str(&row("secret_key", "<not set>", "None", "None"));
        }
    }
    let profile = session.profiles.profile(&session.profile_name());
    let config_location = session
        .env
        .value("AWS_CONFIG_FILE")
        .unwrap_or("~/.aws/config")
        .to_owned();
    // As the AWS CLI does, `--region` is not what `configure list` reports: the configured one is.
    if let Some(r) = session.env.value("AWS_DEFAULT_REGION") {
        out.push_str(&row("region", r, "env", "AWS_DEFAULT_REGION"));
    } else if let Some(r) = session.env.value("AWS_REGION") {
        out.push_str(&row("region", r, "env", "AWS_REGION"));
    } else if let Some(r) = profile.as_ref().and_then(|p| p.get("region")) {
        out.push_str(&row("region", r, "config-file", &config_location));
    } else {
        out.push_str(&row("region", "<not set>", "None", "None"));
    }
    Ok(out)
}

/// Resolves credentials for `configure list`; on failure the rows so far are printed first,
/// as the AWS CLI prints them before its error.
fn resolved(session: &Session, rows: &str) -> Result<rolecall_credentials::Credentials, CliError> {
    session.credentials().inspect_err(|_| {
        use std::io::Write;
        let _ = std::io::stdout().lock().write_all(rows.as_bytes());
    })
}

/// A key as the AWS CLI shows it: sixteen stars and its last four characters.
fn mask(v: &str) -> String {
    let tail: String = v
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{}{tail}", "*".repeat(16))
}
