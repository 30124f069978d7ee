//! `rolecall login [PROFILE]`: any credentials turned into a console sign-in, through the
//! federation endpoint's `getSigninToken` and `login` actions. Role sessions (chained,
//! `credential_process`, MFA ones: the profile resolved as `--profile` resolves it) sign in
//! as they are; long-term user keys first become a federated user's session through
//! GetFederationToken, as aws-vault does (named after the profile, with an allow-all policy:
//! the user's own policies still bound it). The endpoint is AWS's for the profile's partition,
//! or `/federation` on the host of an overridden STS endpoint. The URL opens in the browser
//! (`$BROWSER`, then the platform's opener) or, with `--print-url`, is printed.

use clap::Args;
use rolecall_credentials::{Cache, Credentials, Source, TerminalPrompt};
use rolecall_transport::Client;
use rolecall_transport::query::Leaves;
use rolecall_wire::Params;

use crate::{CliError, GlobalArgs, Rendered, Session};

/// GetFederationToken's policy: everything the user itself may do.
const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
/// GetFederationToken's `Name`: at most 32 characters.
const MAX_NAME: usize = 32;
/// What the login URL names as its issuer.
const ISSUER: &str = "rolecall";

/// `rolecall login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(flatten)]
    global: GlobalArgs,
    /// The profile to sign in as (default: --profile, AWS_PROFILE, the environment's keys,
    /// then `default`).
    #[arg(value_name = "PROFILE")]
    profile_name: Option<String>,
    /// Print the sign-in URL instead of opening the browser.
    #[arg(long)]
    print_url: bool,
    /// The console page to open (default: the console home for the profile's region).
    #[arg(long, value_name = "URL")]
    destination: Option<String>,
    /// How long the console session lasts: `SessionDuration` for a role session (900..43200;
    /// without it, as long as the credentials), GetFederationToken's `DurationSeconds` for
    /// user keys.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(i64).range(900..=43_200))]
    duration_seconds: Option<i64>,
}

impl LoginArgs {
    /// The global options, with the profile named on the command line.
    #[must_use]
    pub fn global(&self) -> GlobalArgs {
        let mut global = self.global.clone();
        if let Some(p) = &self.profile_name {
            global.profile = Some(p.clone());
        }
        global
    }
}

/// Signs in: prints the URL, or opens it.
///
/// # Errors
/// Credentials that cannot be had, a refused GetFederationToken or getSigninToken, no browser.
pub fn run(args: &LoginArgs, session: &Session) -> Result<Rendered, CliError> {
    let plan = session.plan()?;
    let http = session.http_options()?;
    let cache = Cache::new(session.env.cache_dir(), session.env.lock_dir());
    let now = time::OffsetDateTime::now_utc();
    let credentials_of = |source: &Source| {
        rolecall_credentials::execute(source, &cache, &TerminalPrompt, &http, now)
    };
    // An empty region (`AWS_REGION=""`) names no console region.
    let region = session.region().filter(|r| !r.is_empty());
    let (console, session_duration) = match &plan.source {
        Source::AssumeRole(_) => (credentials_of(&plan.source)?, args.duration_seconds),
        // A user profile with mfa_serial: the console takes no GetSessionToken session, so the
        // user's own keys make a federated session, as aws-vault does.
        Source::SessionToken(step) => {
            let keys = credentials_of(&step.source)?;
            (
                federation_token(session, &keys, args.duration_seconds)?,
                None,
            )
        }
        other => {
            let c = credentials_of(other)?;
            if c.session_token.is_some() {
                (c, args.duration_seconds)
            } else {
                (federation_token(session, &c, args.duration_seconds)?, None)
            }
        }
    };
    let endpoint = federation_endpoint(session, region.as_deref());
    let token = signin_token(session, &endpoint, &console, session_duration)?;
    let destination = args
        .destination
        .clone()
        .unwrap_or_else(|| default_destination(session, region.as_deref()));
    let mut query = Params::default();
    query.set("Action", "login");
    query.set("Issuer", ISSUER);
    query.set("Destination", destination);
    query.set("SigninToken", token);
    let url = format!("{endpoint}?{}", query.to_form());
    if args.print_url {
        return Ok(Rendered::text(format!("{url}\n")));
    }
    open_browser(session, &url)?;
    Ok(Rendered::text(String::new()))
}

/// A federated user's session for long-term keys: GetFederationToken named after the profile.
fn federation_token(
    session: &Session,
    keys: &Credentials,
    duration: Option<i64>,
) -> Result<Credentials, CliError> {
    let sts = &rolecall_service_model::STS;
    let region = session.region().unwrap_or_else(|| "us-east-1".to_owned());
    let client = Client::new(
        &session.endpoint(sts.cli_name, &region),
        &region,
        sts.signing_name,
        sts.api_version,
        &session.http_options()?,
    )?;
    let mut params = vec![
        ("Name", federated_name(&session.profile_name())),
        ("Policy", ALLOW_ALL.to_owned()),
    ];
    if let Some(d) = duration {
        params.push(("DurationSeconds", d.to_string()));
    }
    let raw = client.call_query("GetFederationToken", &params, keys)?;
    let leaves = Leaves::read(&raw.body)
        .map_err(|e| CliError::Other(format!("the GetFederationToken response is not XML: {e}")))?;
    let field = |name: &str| {
        leaves
            .get(&format!("Credentials/{name}"))
            .map(str::to_owned)
            .ok_or_else(|| {
                CliError::Other(format!("the GetFederationToken response has no {name}"))
            })
    };
    Ok(Credentials {
        access_key_id: field("AccessKeyId")?,
        secret_access_key: field("SecretAccessKey")?,
        session_token: Some(field("SessionToken")?),
        expiration: None,
    })
}

/// The federated user's name: the profile's, cut to 32 characters, with the characters
/// GetFederationToken refuses replaced.
fn federated_name(profile: &str) -> String {
    let name: String = profile
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(MAX_NAME)
        .collect();
    if name.len() < 2 {
        format!("rolecall-{name}")
    } else {
        name
    }
}

/// `scheme://authority` of a URL.
fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| after_scheme + i);
    &url[..end]
}

/// The partition's hosts: `(sign-in, console)`.
fn partition_hosts(region: Option<&str>) -> (&'static str, &'static str) {
    match region {
        Some(r) if r.starts_with("cn-") => ("signin.amazonaws.cn", "console.amazonaws.cn"),
        Some(r) if r.starts_with("us-gov-") => (
            "signin.amazonaws-us-gov.com",
            "console.amazonaws-us-gov.com",
        ),
        _ => ("signin.aws.amazon.com", "console.aws.amazon.com"),
    }
}

/// AWS's federation endpoint for the profile's partition, or `/federation` on the host of the
/// overridden STS endpoint.
fn federation_endpoint(session: &Session, region: Option<&str>) -> String {
    match session.configured_endpoint(rolecall_service_model::STS.cli_name) {
        Some(sts) => format!("{}/federation", origin(&sts)),
        None => format!("https://{}/federation", partition_hosts(region).0),
    }
}

/// The console home: the overridden endpoint's `/console`, or AWS's for the region.
fn default_destination(session: &Session, region: Option<&str>) -> String {
    if let Some(sts) = session.configured_endpoint(rolecall_service_model::STS.cli_name) {
        return format!("{}/console", origin(&sts));
    }
    let (_, console) = partition_hosts(region);
    match region {
        Some(r) if console == "console.aws.amazon.com" => {
            format!("https://{r}.{console}/console/home?region={r}")
        }
        Some(r) => format!("https://{console}/console/home?region={r}"),
        None => format!("https://{console}/"),
    }
}

/// `getSigninToken`, POSTed as a form (the session's keys stay out of the URL).
fn signin_token(
    session: &Session,
    endpoint: &str,
    credentials: &Credentials,
    session_duration: Option<i64>,
) -> Result<String, CliError> {
    let json = serde_json::json!({
        "sessionId": credentials.access_key_id,
        "sessionKey": credentials.secret_access_key,
        "sessionToken": credentials.session_token,
    });
    let mut form = Params::default();
    form.set("Action", "getSigninToken");
    form.set("Session", json.to_string());
    if let Some(d) = session_duration {
        form.set("SessionDuration", d.to_string());
    }
    tracing::debug!(endpoint, "calling getSigninToken");
    let answer =
        rolecall_transport::plain::post_form(&session.http_options()?, endpoint, &form.to_form())
            .map_err(CliError::from)?;
    if answer.status != 200 {
        let said: String = answer.body.trim().chars().take(200).collect();
        return Err(CliError::Service(format!(
            "Call to getSigninToken failed with {}{}",
            answer.status,
            if said.is_empty() {
                String::new()
            } else {
                format!(": {said}")
            }
        )));
    }
    serde_json::from_str::<serde_json::Value>(&answer.body)
        .ok()
        .and_then(|v| v["SigninToken"].as_str().map(str::to_owned))
        .ok_or_else(|| {
            CliError::Other(format!(
                "the getSigninToken response from {endpoint} holds no SigninToken"
            ))
        })
}

/// Opens `url` with `$BROWSER` (a `:`-separated list of commands, `%s` standing for the URL),
/// then the platform's opener; the first that starts wins.
fn open_browser(session: &Session, url: &str) -> Result<(), CliError> {
    let mut commands: Vec<Vec<String>> = Vec::new();
    for entry in session
        .env
        .non_empty("BROWSER")
        .unwrap_or_default()
        .split(':')
        .filter(|e| !e.trim().is_empty())
    {
        let mut words: Vec<String> = entry
            .split_whitespace()
            .map(|w| w.replace("%s", url))
            .collect();
        if !entry.contains("%s") {
            words.push(url.to_owned());
        }
        commands.push(words);
    }
    let opener: &[&str] = if cfg!(target_os = "macos") {
        &["open"]
    } else if cfg!(windows) {
        &["cmd", "/C", "start", ""]
    } else {
        &["xdg-open"]
    };
    let mut platform: Vec<String> = opener.iter().map(|w| (*w).to_owned()).collect();
    platform.push(url.to_owned());
    commands.push(platform);
    for words in &commands {
        let Some((program, rest)) = words.split_first() else {
            continue;
        };
        let started = std::process::Command::new(program)
            .args(rest)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        match started {
            Ok(_) => {
                tracing::debug!(program, "opened the sign-in URL");
                return Ok(());
            }
            Err(e) => tracing::debug!(program, error = %e, "cannot start the browser"),
        }
    }
    Err(CliError::Other(
        "rolecall login: no browser could be started ($BROWSER, then the platform's opener); run it with --print-url and open the URL yourself".to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_origins_and_partitions() {
        assert_eq!(super::federated_name("default"), "default");
        assert_eq!(
            super::federated_name("team/prod admin with a very long name!"),
            "team-prod-admin-with-a-very-long"
        );
        assert_eq!(super::federated_name("x"), "rolecall-x");
        assert_eq!(
            super::origin("http://127.0.0.1:4566/some/path?x"),
            "http://127.0.0.1:4566"
        );
        assert_eq!(super::origin("https://sts.example"), "https://sts.example");
        assert_eq!(
            super::partition_hosts(Some("cn-north-1")).0,
            "signin.amazonaws.cn"
        );
        assert_eq!(
            super::partition_hosts(Some("us-gov-west-1")).0,
            "signin.amazonaws-us-gov.com"
        );
        assert_eq!(
            super::partition_hosts(Some("eu-west-1")).0,
            "signin.aws.amazon.com"
        );
        assert_eq!(super::partition_hosts(None).1, "console.aws.amazon.com");
    }
}
