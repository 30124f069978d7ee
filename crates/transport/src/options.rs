//! How the client talks HTTP: trust roots, verification, timeouts, attempts.

use std::time::Duration;

use crate::TransportError;

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
    pub fn agent(&self, https: bool) -> Result<ureq::Agent, TransportError> {
        let mut tls = ureq::tls::TlsConfig::builder().disable_verification(!self.verify);
        // Parsing a large bundle costs milliseconds; plain-HTTP endpoints never need it.
        if let Some(path) = self.ca_bundle.as_ref().filter(|_| https) {
            let pem = std::fs::read(path).map_err(|e| {
                TransportError::Config(format!("cannot read the CA bundle {}: {e}", path.display()))
            })?;
            let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(TransportError::Config(format!(
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
