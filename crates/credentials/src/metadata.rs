//! Credentials from the EC2 instance metadata service (IMDSv2 token flow, falling back to
//! IMDSv1 when no token can be had) and from the ECS container credentials endpoint.

use std::time::Duration;

use rolecall_transport::plain::LocalClient;
use rolecall_wire::timestamp::parse as parse_timestamp;

use crate::{Credentials, CredentialsError};

fn agent() -> LocalClient {
    // botocore waits one second per metadata request: these endpoints are local or absent.
    LocalClient::new(Duration::from_secs(1))
}

fn fail(source: &str, m: impl std::fmt::Display) -> CredentialsError {
    CredentialsError::Invalid(format!(
        "Error when retrieving credentials from {source}: {m}"
    ))
}

/// Reads the JSON both services return: `AccessKeyId`, `SecretAccessKey`, `Token`, `Expiration`.
fn parse(source: &str, body: &str) -> Result<Credentials, CredentialsError> {
    let v: serde_json::Value = serde_json::from_str(body)
        .map_err(|e| fail(source, format!("the answer is not JSON: {e}")))?;
    let field = |k: &str| {
        v.get(k)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    let (Some(access_key_id), Some(secret_access_key)) =
        (field("AccessKeyId"), field("SecretAccessKey"))
    else {
        return Err(fail(
            source,
            "the answer lacks AccessKeyId or SecretAccessKey",
        ));
    };
    Ok(Credentials {
        access_key_id,
        secret_access_key,
        session_token: field("Token"),
        expiration: field("Expiration").and_then(|e| parse_timestamp(&e)),
    })
}

fn get(
    agent: &LocalClient,
    url: &str,
    headers: &[(&str, &str)],
    source: &str,
) -> Result<String, CredentialsError> {
    let answer = agent
        .get(url, headers)
        .map_err(|e| fail(source, format!("cannot reach {url}: {e}")))?;
    if answer.status != 200 {
        return Err(fail(
            source,
            format!("{url} answered HTTP {}", answer.status),
        ));
    }
    Ok(answer.body)
}

/// The instance's role credentials from IMDS at `endpoint` (`http://169.254.169.254`).
///
/// # Errors
/// When the service cannot be reached or answers something else than credentials.
pub(crate) fn instance_metadata(endpoint: &str) -> Result<Credentials, CredentialsError> {
    let source = "the EC2 instance metadata service";
    let base = endpoint.trim_end_matches('/');
    let agent = agent();
    let token = agent
        .put(
            &format!("{base}/latest/api/token"),
            &[("X-aws-ec2-metadata-token-ttl-seconds", "21600")],
        )
        .ok()
        .filter(|a| a.status == 200)
        .map(|a| a.body);
    let headers: Vec<(&str, &str)> = token
        .as_deref()
        .map(|t| vec![("X-aws-ec2-metadata-token", t)])
        .unwrap_or_default();
    let roles = get(
        &agent,
        &format!("{base}/latest/meta-data/iam/security-credentials/"),
        &headers,
        source,
    )?;
    let role = roles
        .lines()
        .next()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| fail(source, "the instance has no role"))?;
    parse(
        source,
        &get(
            &agent,
            &format!("{base}/latest/meta-data/iam/security-credentials/{role}"),
            &headers,
            source,
        )?,
    )
}

/// Hosts a full container-credentials URI may name over plain HTTP, as the SDKs allow.
fn allowed_http_host(host: &str) -> bool {
    matches!(
        host,
        "localhost" | "127.0.0.1" | "[::1]" | "169.254.170.2" | "169.254.170.23" | "[fd00:ec2::23]"
    ) || host.starts_with("127.")
}

/// The task's credentials from the ECS container endpoint: `relative` under
/// `http://169.254.170.2`, or a `full` URI (HTTPS, or HTTP to a loopback or ECS address),
/// with the authorization token from the variable or the file.
///
/// # Errors
/// When the endpoint is not allowed, unreachable, or answers something else than credentials.
pub(crate) fn container(
    relative: Option<&str>,
    full: Option<&str>,
    token: Option<&str>,
    token_file: Option<&str>,
) -> Result<Credentials, CredentialsError> {
    let source = "the container credentials endpoint";
    let url = match (relative, full) {
        (Some(r), _) => format!("http://169.254.170.2{r}"),
        (None, Some(f)) => {
            let rest = f.strip_prefix("http://");
            if let Some(rest) = rest {
                let host = rest.split(['/', ':']).next().unwrap_or_default();
                let host = if rest.starts_with('[') {
                    rest.split(']')
                        .next()
                        .map(|h| format!("{h}]"))
                        .unwrap_or_default()
                } else {
                    host.to_owned()
                };
                if !allowed_http_host(&host) {
                    return Err(fail(
                        source,
                        format!("{f} must use HTTPS or a loopback address"),
                    ));
                }
            } else if !f.starts_with("https://") {
                return Err(fail(source, format!("{f} is not an http(s) URL")));
            }
            f.to_owned()
        }
        (None, None) => {
            return Err(fail(
                source,
                "neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set",
            ));
        }
    };
    let token = match (token, token_file) {
        (_, Some(path)) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| fail(source, format!("cannot read {path}: {e}")))?
                .trim()
                .to_owned(),
        ),
        (Some(t), None) => Some(t.to_owned()),
        (None, None) => None,
    };
    if token.as_deref().is_some_and(|t| t.contains(['\r', '\n'])) {
        return Err(fail(source, "the authorization token holds a line break"));
    }
    let headers: Vec<(&str, &str)> = token
        .as_deref()
        .map(|t| vec![("Authorization", t)])
        .unwrap_or_default();
    parse(source, &get(&agent(), &url, &headers, source)?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn refuses_remote_plain_http() {
        let e = super::container(None, Some("http://example.com/creds"), None, None).unwrap_err();
        assert!(
            e.to_string()
                .contains("must use HTTPS or a loopback address"),
            "{e}"
        );
        assert!(super::allowed_http_host("127.0.0.1"));
        assert!(!super::allowed_http_host("10.0.0.1"));
    }
}
