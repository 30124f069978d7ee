//! The few STS calls credential resolution needs, signed with rolecall's own SigV4 signer and
//! sent with a blocking HTTP client (no async runtime on the client path).

use std::time::Duration;

use rolecall_wire::Params;
use time::OffsetDateTime;

use crate::{Credentials, CredentialsError};

/// How the client talks HTTP: trust roots, verification, timeouts, retries.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// A PEM bundle of trusted roots (`--ca-bundle`, `AWS_CA_BUNDLE`, `ca_bundle`); Mozilla's
    /// roots (as botocore's certifi) when `None`.
    pub ca_bundle: Option<std::path::PathBuf>,
    /// `false` with `--no-verify-ssl`.
    pub verify: bool,
    /// `--cli-connect-timeout`.
    pub connect_timeout: Duration,
    /// `--cli-read-timeout`.
    pub read_timeout: Duration,
    /// `AWS_MAX_ATTEMPTS` / `max_attempts` (standard retry mode's default is 3).
    pub max_attempts: u32,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            ca_bundle: None,
            verify: true,
            connect_timeout: Duration::from_secs(60),
            read_timeout: Duration::from_secs(60),
            max_attempts: 3,
        }
    }
}

impl HttpOptions {
    /// Builds the HTTP agent (trust roots are loaded only for `https` endpoints).
    ///
    /// # Errors
    /// When the CA bundle cannot be read or holds no certificate.
    pub fn agent(&self, https: bool) -> Result<ureq::Agent, CredentialsError> {
        let mut tls = ureq::tls::TlsConfig::builder().disable_verification(!self.verify);
        // Parsing a large bundle costs milliseconds; plain-HTTP endpoints never need it.
        if let Some(path) = self.ca_bundle.as_ref().filter(|_| https) {
            let pem = std::fs::read(path).map_err(|e| {
                CredentialsError::Invalid(format!(
                    "cannot read the CA bundle {}: {e}",
                    path.display()
                ))
            })?;
            let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(CredentialsError::Invalid(format!(
                    "the CA bundle {} holds no certificate",
                    path.display()
                )));
            }
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
        }
        Ok(ureq::Agent::config_builder()
            .http_status_as_error(false)
            .tls_config(tls.build())
            .timeout_connect(Some(self.connect_timeout))
            .timeout_recv_response(Some(self.read_timeout))
            .build()
            .into())
    }
}

/// Error codes the AWS CLI retries (standard mode), besides 500/502/503/504.
const RETRYABLE_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "SlowDown",
    "TooManyRequestsException",
    "PriorRequestNotComplete",
    "RequestTimeout",
    "IDPCommunicationError",
];

/// A Query-protocol endpoint (STS, IAM), its signing region and service, and the HTTP agent.
#[derive(Debug, Clone)]
pub struct QueryClient {
    endpoint: String,
    region: String,
    service: String,
    version: String,
    agent: ureq::Agent,
    max_attempts: u32,
}

/// The STS client: a [`QueryClient`] for `sts`, API version 2011-06-15.
pub type StsClient = QueryClient;

/// A successful response as it came: status, headers, body.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers (lower-case names).
    pub headers: Vec<(String, String)>,
    /// The XML body.
    pub body: String,
}

/// The fields of an STS response, by element path (`Credentials/AccessKeyId`).
#[derive(Debug, Clone, Default)]
pub struct StsResponse {
    /// `(path, text)` of every leaf element under the `…Result` element.
    pub fields: Vec<(String, String)>,
    /// `RequestId`.
    pub request_id: String,
    /// Response headers (lower-case names), for botocore-shaped cache files.
    pub headers: Vec<(String, String)>,
    /// HTTP status.
    pub status: u16,
}

impl StsResponse {
    /// A field by path.
    #[must_use]
    pub fn get(&self, path: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, v)| v.as_str())
    }

    /// The `Credentials` block as [`Credentials`].
    ///
    /// # Errors
    /// When the response lacks them.
    pub fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let get = |k: &str| {
            self.get(&format!("Credentials/{k}"))
                .map(str::to_owned)
                .ok_or_else(|| {
                    CredentialsError::Transport(format!("the STS response has no Credentials/{k}"))
                })
        };
        Ok(Credentials {
            access_key_id: get("AccessKeyId")?,
            secret_access_key: get("SecretAccessKey")?,
            session_token: Some(get("SessionToken")?),
            expiration: Some(parse_timestamp(&get("Expiration")?).ok_or_else(|| {
                CredentialsError::Transport("the STS response has a malformed Expiration".into())
            })?),
        })
    }
}

/// `GetCallerIdentity`'s answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    /// `UserId`.
    pub user_id: String,
    /// `Account`.
    pub account: String,
    /// `Arn`.
    pub arn: String,
}

/// Parses an ISO 8601 timestamp as STS and botocore write them (`Z` or `+00:00`, optional fractions).
#[must_use]
pub fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
        .ok()
        .or_else(|| {
            OffsetDateTime::parse(
                &format!("{}Z", text.trim()),
                &time::format_description::well_known::Rfc3339,
            )
            .ok()
        })
}

/// Reads every leaf element of a Query-protocol response into `(path, text)` pairs, with the
/// path relative to the `…Result` element (or the `Error` element of an error response).
/// The leaves of a response and its `RequestId`.
type Leaves = (Vec<(String, String)>, Option<String>);

fn leaves(xml: &str) -> Result<Leaves, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let mut text = String::new();
    let mut request_id = None;
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => {
                stack.push(e.local_name().as_ref().to_owned());
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.into_inner()),
            Event::GeneralRef(r) => {
                let name = r.into_inner();
                let resolved = match name.as_ref() {
                    "amp" => "&".to_owned(),
                    "lt" => "<".to_owned(),
                    "gt" => ">".to_owned(),
                    "quot" => "\"".to_owned(),
                    "apos" => "'".to_owned(),
                    other => other
                        .strip_prefix("#x")
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .or_else(|| other.strip_prefix('#').and_then(|d| d.parse().ok()))
                        .and_then(char::from_u32)
                        .map(String::from)
                        .unwrap_or_default(),
                };
                text.push_str(&resolved);
            }
            Event::End(_) => {
                let name = stack.pop().unwrap_or_default();
                if name == "RequestId" {
                    request_id = Some(text.clone());
                }
                let start = stack
                    .iter()
                    .position(|s| s.ends_with("Result") || s == "Error")
                    .map_or(stack.len(), |i| i + 1);
                if !text.is_empty() && start <= stack.len() {
                    let mut path = stack[start..].join("/");
                    if !path.is_empty() {
                        path.push('/');
                    }
                    path.push_str(&name);
                    out.push((path, std::mem::take(&mut text)));
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok((out, request_id))
}

impl QueryClient {
    /// A client for `endpoint`, signing for `region`, with default HTTP options.
    #[must_use]
    pub fn new(endpoint: &str, region: &str) -> Self {
        Self::with_options(endpoint, region, &HttpOptions::default())
            .expect("default options build an agent")
    }

    /// A client with explicit HTTP options.
    ///
    /// # Errors
    /// When the CA bundle is unusable.
    pub fn with_options(
        endpoint: &str,
        region: &str,
        options: &HttpOptions,
    ) -> Result<Self, CredentialsError> {
        Self::for_service(endpoint, region, "sts", "2011-06-15", options)
    }

    /// A client for any Query-protocol service: `service` is the SigV4 signing name,
    /// `version` the API version sent with every request.
    ///
    /// # Errors
    /// When the CA bundle is unusable.
    pub fn for_service(
        endpoint: &str,
        region: &str,
        service: &str,
        version: &str,
        options: &HttpOptions,
    ) -> Result<Self, CredentialsError> {
        Ok(Self {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            region: region.to_owned(),
            service: service.to_owned(),
            version: version.to_owned(),
            agent: options.agent(endpoint.starts_with("https://"))?,
            max_attempts: options.max_attempts.max(1),
        })
    }

    /// Calls an STS action, retrying throttling, server errors and connection failures with
    /// exponential back-off up to the configured number of attempts, as the AWS CLI does.
    ///
    /// # Errors
    /// [`CredentialsError::Service`] with AWS's code and message (with the AWS CLI's
    /// "reached max retries" note when retries ran out), or a transport failure.
    pub fn call(
        &self,
        action: &str,
        params: &[(&str, String)],
        credentials: &Credentials,
    ) -> Result<StsResponse, CredentialsError> {
        let raw = self.call_raw(action, params, credentials)?;
        let (fields, request_id) = leaves(&raw.body)
            .map_err(|e| CredentialsError::Transport(format!("the response is not XML: {e}")))?;
        Ok(StsResponse {
            fields,
            request_id: request_id.unwrap_or_default(),
            headers: raw.headers,
            status: raw.status,
        })
    }

    /// Calls an action and returns the successful response unparsed, with the retries of
    /// [`QueryClient::call`].
    ///
    /// # Errors
    /// As [`QueryClient::call`].
    pub fn call_raw(
        &self,
        action: &str,
        params: &[(&str, String)],
        credentials: &Credentials,
    ) -> Result<RawResponse, CredentialsError> {
        let mut attempt = 1;
        loop {
            let result = self.call_once(action, params, credentials);
            let retryable = match &result {
                Err(CredentialsError::Service { code, .. }) => {
                    RETRYABLE_CODES.contains(&code.as_str())
                        || ["500", "502", "503", "504"].contains(&code.as_str())
                }
                Err(CredentialsError::Transport(_)) => true,
                _ => false,
            };
            if !retryable || attempt >= self.max_attempts {
                return match result {
                    Err(CredentialsError::Service {
                        operation,
                        code,
                        message,
                    }) if retryable && attempt > 1 => Err(CredentialsError::Service {
                        operation: format!(
                            "{operation} operation (reached max retries: {})",
                            attempt - 1
                        ),
                        code,
                        message,
                    }),
                    other => other,
                };
            }
            std::thread::sleep(Duration::from_millis(50 * (1 << attempt.min(6))));
            attempt += 1;
        }
    }

    fn call_once(
        &self,
        action: &str,
        params: &[(&str, String)],
        credentials: &Credentials,
    ) -> Result<RawResponse, CredentialsError> {
        let mut form = Params::default();
        form.set("Action", action);
        form.set("Version", self.version.as_str());
        for (k, v) in params {
            form.set(*k, v.clone());
        }
        let body = form.to_form();
        let authority = self
            .endpoint
            .split("://")
            .nth(1)
            .unwrap_or(&self.endpoint)
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let headers = vec![
            (
                "content-type".to_owned(),
                "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
            ),
            ("host".to_owned(), authority),
        ];
        let amz_date = rolecall_sigv4::format_amz_date(OffsetDateTime::now_utc());
        let signing = rolecall_sigv4::SigningParams {
            access_key_id: &credentials.access_key_id,
            secret_access_key: &credentials.secret_access_key,
            session_token: credentials.session_token.as_deref(),
            region: &self.region,
            service: &self.service,
            amz_date: &amz_date,
        };
        let added =
            rolecall_sigv4::sign_headers("POST", "/", "", &headers, body.as_bytes(), &signing);
        let mut request = self.agent.post(format!("{}/", self.endpoint));
        for (k, v) in headers
            .iter()
            .chain(added.iter())
            .filter(|(k, _)| k != "host")
        {
            request = request.header(k.as_str(), v.as_str());
        }
        tracing::debug!(endpoint = %self.endpoint, region = %self.region, action, access_key_id = %credentials.access_key_id, "Making request");
        let mut response = request.send(body.as_bytes()).map_err(|e| {
            tracing::debug!(error = %e, endpoint = %self.endpoint, "connection failed");
            CredentialsError::Transport(format!(
                "Could not connect to the endpoint URL: \"{}/\"",
                self.endpoint
            ))
        })?;
        let status = response.status().as_u16();
        let response_headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| CredentialsError::Transport(e.to_string()))?;
        if status >= 300 {
            let fields = leaves(&text).map(|(f, _)| f).unwrap_or_default();
            let get = |k: &str| fields.iter().find(|(p, _)| p == k).map(|(_, v)| v.clone());
            return Err(CredentialsError::Service {
                operation: action.to_owned(),
                code: get("Code").unwrap_or_else(|| status.to_string()),
                message: get("Message").unwrap_or_else(|| "Unknown".to_owned()),
            });
        }
        Ok(RawResponse {
            status,
            headers: response_headers,
            body: text,
        })
    }

    /// `GetCallerIdentity`.
    ///
    /// # Errors
    /// See [`StsClient::call`].
    pub fn get_caller_identity(
        &self,
        credentials: &Credentials,
    ) -> Result<CallerIdentity, CredentialsError> {
        let r = self.call("GetCallerIdentity", &[], credentials)?;
        let get = |k: &str| r.get(k).unwrap_or_default().to_owned();
        Ok(CallerIdentity {
            user_id: get("UserId"),
            account: get("Account"),
            arn: get("Arn"),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_result_and_error_leaves() {
        let (f, id) = super::leaves("<AssumeRoleResponse xmlns=\"x\"><AssumeRoleResult><Credentials><AccessKeyId>ASIA</AccessKeyId><Expiration>2026-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><Arn>a&amp;b</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></AssumeRoleResponse>").unwrap();
        assert_eq!(
            f[0],
            ("Credentials/AccessKeyId".to_owned(), "ASIA".to_owned())
        );
        assert!(f.contains(&("AssumedRoleUser/Arn".to_owned(), "a&b".to_owned())));
        assert_eq!(id.as_deref(), Some("r-1"));
        let (f, _) = super::leaves("<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no</Message></Error><RequestId>x</RequestId></ErrorResponse>").unwrap();
        assert!(f.contains(&("Code".to_owned(), "AccessDenied".to_owned())));
        assert!(super::parse_timestamp("2026-11-23T20:55:32Z").is_some());
        assert!(super::parse_timestamp("2026-11-23T20:55:32+00:00").is_some());
        assert!(super::parse_timestamp("2026-11-23T20:55:32.123Z").is_some());
    }
}
