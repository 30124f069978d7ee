//! Unsigned requests: to the local credential endpoints (the EC2 instance metadata service,
//! the container credentials endpoint), with their short timeout, and [`post_form`] for the
//! unsigned AWS endpoints (the console federation endpoint) under the client's HTTP options.

use std::time::Duration;

use crate::{HttpOptions, TransportError};

/// An answer: status and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The body as text.
    pub body: String,
}

/// A client for local endpoints: every request ends within `timeout`.
#[derive(Debug, Clone)]
pub struct LocalClient {
    agent: ureq::Agent,
}

impl LocalClient {
    /// A client whose requests end within `timeout` (botocore waits one second for these).
    #[must_use]
    pub fn new(timeout: Duration) -> Self {
        Self {
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(timeout))
                .build()
                .into(),
        }
    }

    /// `GET url` with `headers`.
    ///
    /// # Errors
    /// When the endpoint cannot be reached or the body read.
    pub fn get(&self, url: &str, headers: &[(&str, &str)]) -> Result<Answer, String> {
        let mut request = self.agent.get(url);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        read(request.call())
    }

    /// `PUT url` with `headers` and no body.
    ///
    /// # Errors
    /// When the endpoint cannot be reached or the body read.
    pub fn put(&self, url: &str, headers: &[(&str, &str)]) -> Result<Answer, String> {
        let mut request = self.agent.put(url);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        read(request.send_empty())
    }
}

/// `POST url` with a form `body`, unsigned, under `options` (trust roots, verification,
/// timeouts); one attempt. The form, not the URL, carries what the endpoint takes (the
/// federation endpoint's `Session` holds credentials, and URLs end up in logs).
///
/// # Errors
/// [`TransportError::Connect`] when the endpoint cannot be reached,
/// [`TransportError::Response`] when the body cannot be read, [`TransportError::Config`] for
/// unusable options.
pub fn post_form(options: &HttpOptions, url: &str, body: &str) -> Result<Answer, TransportError> {
    let agent = options.agent(url.starts_with("https://"))?;
    let mut response = agent
        .post(url)
        .header("content-type", crate::query::CONTENT_TYPE)
        .send(body.as_bytes())
        .map_err(|e| {
            tracing::debug!(error = %e, endpoint = url, "connection failed");
            TransportError::Connect {
                endpoint: url.to_owned(),
            }
        })?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .read_to_string()
        .map_err(|e| TransportError::Response(e.to_string()))?;
    Ok(Answer { status, body })
}

fn read(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<Answer, String> {
    let mut response = result.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .read_to_string()
        .map_err(|e| e.to_string())?;
    Ok(Answer { status, body })
}
