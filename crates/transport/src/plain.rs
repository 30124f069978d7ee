//! Unsigned requests to the local credential endpoints (the EC2 instance metadata service,
//! the container credentials endpoint), with their short timeout.

use std::time::Duration;

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

fn read(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<Answer, String> {
    let mut response = result.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .read_to_string()
        .map_err(|e| e.to_string())?;
    Ok(Answer { status, body })
}
