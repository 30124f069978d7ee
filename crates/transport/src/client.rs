//! One SigV4-signed HTTP client for every service the client calls.

use std::sync::Arc;

use crate::retry::{backoff, is_retryable};
use crate::{Clock, Credentials, HttpOptions, Sleeper, SystemClock, ThreadSleeper, TransportError};

/// A successful response as it came: status, headers, body.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers (lower-case names).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

/// A service endpoint, its signing region and name, the API version, and the HTTP agent.
#[derive(Debug, Clone)]
pub struct Client {
    endpoint: String,
    region: String,
    service: String,
    version: String,
    agent: ureq::Agent,
    max_attempts: u32,
    sleeper: Arc<dyn Sleeper>,
    clock: Arc<dyn Clock>,
}

impl Client {
    /// A client for `endpoint`, signing as `service` (the SigV4 name) in `region`, sending API
    /// `version`.
    ///
    /// # Errors
    /// When the endpoint URL is not valid (as botocore checks it) or the HTTP options are
    /// unusable (the CA bundle).
    pub fn new(
        endpoint: &str,
        region: &str,
        service: &str,
        version: &str,
        options: &HttpOptions,
    ) -> Result<Self, TransportError> {
        if !crate::endpoint_url::is_valid(endpoint) {
            return Err(TransportError::InvalidEndpoint {
                endpoint: endpoint.to_owned(),
            });
        }
        Ok(Self {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            region: region.to_owned(),
            service: service.to_owned(),
            version: version.to_owned(),
            agent: options.agent(endpoint.starts_with("https://"))?,
            max_attempts: options.max_attempts.max(1),
            sleeper: Arc::new(ThreadSleeper),
            clock: Arc::new(SystemClock),
        })
    }

    /// The same client waiting through `sleeper` and signing at `clock`'s time (tests).
    #[must_use]
    pub fn with_time(mut self, sleeper: Arc<dyn Sleeper>, clock: Arc<dyn Clock>) -> Self {
        self.sleeper = sleeper;
        self.clock = clock;
        self
    }

    /// Calls a Query-protocol action, retrying as the AWS CLI's standard mode does.
    ///
    /// # Errors
    /// [`TransportError::Service`] with the service's code, message and request id (and the
    /// AWS CLI's "reached max retries" note when retries ran out), or a connection failure.
    pub fn call_query(
        &self,
        action: &str,
        params: &[(&str, String)],
        credentials: &Credentials,
    ) -> Result<RawResponse, TransportError> {
        let body = crate::query::body(action, &self.version, params);
        self.with_retries(|| {
            let raw =
                self.send_once(action, crate::query::CONTENT_TYPE, &[], &body, credentials)?;
            if raw.status >= 300 {
                return Err(crate::query::read_error(action, raw.status, &raw.body).into());
            }
            Ok(raw)
        })
    }

    /// Calls a JSON 1.1 operation (`target` is the whole `X-Amz-Target`), retrying as
    /// [`Client::call_query`] does.
    ///
    /// # Errors
    /// As [`Client::call_query`].
    pub fn call_json(
        &self,
        operation: &str,
        target: &str,
        body: &str,
        credentials: &Credentials,
    ) -> Result<RawResponse, TransportError> {
        self.with_retries(|| {
            let raw = self.send_once(
                operation,
                crate::json::CONTENT_TYPE,
                &[("x-amz-target", target)],
                body,
                credentials,
            )?;
            if raw.status >= 300 {
                return Err(crate::json::read_error(
                    operation,
                    raw.status,
                    &raw.headers,
                    &raw.body,
                )
                .into());
            }
            Ok(raw)
        })
    }

    fn with_retries(
        &self,
        mut attempt_once: impl FnMut() -> Result<RawResponse, TransportError>,
    ) -> Result<RawResponse, TransportError> {
        let mut attempt = 1;
        loop {
            let result = attempt_once();
            let Err(error) = result else {
                return result;
            };
            let retryable = is_retryable(&error);
            if !retryable || attempt >= self.max_attempts {
                return Err(match error {
                    TransportError::Service(mut e) => {
                        e.attempts = attempt;
                        e.retries_exhausted = retryable && attempt > 1;
                        TransportError::Service(e)
                    }
                    other => other,
                });
            }
            self.sleeper.sleep(backoff(attempt));
            attempt += 1;
        }
    }

    /// One signed POST of `body` to the endpoint's root.
    fn send_once(
        &self,
        operation: &str,
        content_type: &str,
        extra_headers: &[(&str, &str)],
        body: &str,
        credentials: &Credentials,
    ) -> Result<RawResponse, TransportError> {
        let authority = self
            .endpoint
            .split("://")
            .nth(1)
            .unwrap_or(&self.endpoint)
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let mut headers = vec![
            ("content-type".to_owned(), content_type.to_owned()),
            ("host".to_owned(), authority),
        ];
        headers.extend(
            extra_headers
                .iter()
                .map(|(k, v)| ((*k).to_ascii_lowercase(), (*v).to_owned())),
        );
        let amz_date = rolecall_sigv4::format_amz_date(self.clock.now());
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
        tracing::debug!(endpoint = %self.endpoint, region = %self.region, operation, access_key_id = %credentials.access_key_id, "Making request");
        let mut response = request.send(body.as_bytes()).map_err(|e| {
            tracing::debug!(error = %e, endpoint = %self.endpoint, "connection failed");
            TransportError::Connect {
                endpoint: format!("{}/", self.endpoint),
            }
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
            .map_err(|e| TransportError::Response(e.to_string()))?;
        Ok(RawResponse {
            status,
            headers: response_headers,
            body: text,
        })
    }
}
