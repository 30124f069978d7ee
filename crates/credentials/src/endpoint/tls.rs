//! HTTPS for the credential endpoint: a certificate authority made at start, whose key lives
//! only in memory and is gone when the process ends, and a server certificate it signs for
//! the loopback names plus the hosts asked for. Clients trust the CA certificate (PEM) the
//! caller writes out; SDKs accept an `https` `AWS_CONTAINER_CREDENTIALS_FULL_URI` on any
//! host, which is how a container reaches an endpoint on its host.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SerialNumber,
};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName,
};
use tokio_rustls::server::TlsStream;

/// The names every certificate is valid for: a client on the same machine.
const LOOPBACK: [&str; 3] = ["localhost", "127.0.0.1", "::1"];
/// How long the certificates are valid: under the 398 days that some clients allow a server
/// certificate; the CA's key does not outlive the process anyway.
const VALIDITY: time::Duration = time::Duration::days(397);
/// A client's clock may run behind ours (a container, a VM): certificates start an hour ago.
const BACKDATE: time::Duration = time::Duration::hours(1);
/// A connection that has not finished its handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the certificates could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A host that is neither an IP address nor a DNS name.
    #[error("{0:?} is neither an IP address nor a DNS name")]
    Host(String),
    /// Key generation or signing failed.
    #[error("cannot make the certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    /// rustls refused the configuration.
    #[error("cannot configure TLS: {0}")]
    Config(#[from] tokio_rustls::rustls::Error),
}

/// A certificate authority made for this process and the server certificate it signed.
#[derive(Clone)]
pub struct Certificate {
    ca_pem: String,
    hosts: Vec<String>,
    config: Arc<ServerConfig>,
}

impl std::fmt::Debug for Certificate {
    // The server's private key is inside the rustls configuration: never shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("hosts", &self.hosts)
            .finish_non_exhaustive()
    }
}

impl Certificate {
    /// Makes a CA and a server certificate valid for `localhost`, `127.0.0.1`, `::1` and
    /// each of `hosts` (IP addresses or DNS names).
    ///
    /// # Errors
    /// A host that is neither an IP address nor a DNS name; a failure of the key generator.
    pub fn generate(hosts: &[String]) -> Result<Self, TlsError> {
        let mut names: Vec<String> = LOOPBACK.iter().map(|h| (*h).to_owned()).collect();
        for host in hosts {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            if !names.iter().any(|n| n.eq_ignore_ascii_case(host)) {
                names.push(host.to_owned());
            }
        }
        let now = time::OffsetDateTime::now_utc();
        let id = crate::endpoint::random_token();

        let mut ca = CertificateParams::default();
        ca.distinguished_name = rcgen::DistinguishedName::new();
        ca.distinguished_name.push(
            DnType::CommonName,
            format!("rolecall credential-server CA {}", &id[..8]),
        );
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca.serial_number = Some(serial());
        ca.not_before = now - BACKDATE;
        ca.not_after = now + VALIDITY;
        let ca_key = KeyPair::generate()?;
        let ca_cert = ca.self_signed(&ca_key)?;
        let issuer = Issuer::new(ca, ca_key);

        let mut server = CertificateParams::new(Vec::<String>::new())?;
        for name in &names {
            if ServerName::try_from(name.as_str()).is_err() {
                return Err(TlsError::Host(name.clone()));
            }
            let one = CertificateParams::new(vec![name.clone()])
                .map_err(|_| TlsError::Host(name.clone()))?;
            server.subject_alt_names.extend(one.subject_alt_names);
        }
        server.distinguished_name = rcgen::DistinguishedName::new();
        server
            .distinguished_name
            .push(DnType::CommonName, "rolecall credential-server");
        server.is_ca = IsCa::ExplicitNoCa;
        server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        server.use_authority_key_identifier_extension = true;
        server.serial_number = Some(serial());
        server.not_before = now - BACKDATE;
        server.not_after = now + VALIDITY;
        let server_key = KeyPair::generate()?;
        let server_cert = server.signed_by(&server_key, &issuer)?;

        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
        let chain: Vec<CertificateDer<'static>> =
            vec![server_cert.der().clone(), ca_cert.der().clone()];
        let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            ca_pem: pem(ca_cert.der()),
            hosts: names,
            config: Arc::new(config),
        })
    }

    /// The CA certificate in PEM: what clients are told to trust. It holds no key.
    #[must_use]
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The names and addresses the server certificate is valid for.
    #[must_use]
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }
}

/// The CA certificate written for clients to read: `ca.pem` (mode 0600) in a private
/// directory (mode 0700) of its own, both removed when this is dropped.
#[derive(Debug)]
pub struct CaFile {
    dir: tempfile::TempDir,
    path: PathBuf,
}

impl CaFile {
    /// Writes `certificate`'s CA in a new directory under `parent` (a temporary directory).
    ///
    /// # Errors
    /// When the directory or the file cannot be written.
    pub fn write(parent: &Path, certificate: &Certificate) -> std::io::Result<Self> {
        let mut builder = tempfile::Builder::new();
        builder.prefix("rolecall-tls-");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o700));
        }
        let dir = builder.tempdir_in(parent)?;
        let path = dir.path().join("ca.pem");
        crate::files::replace_file(&path, certificate.ca_pem().as_bytes())?;
        Ok(Self { dir, path })
    }

    /// The file's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The private directory holding it.
    #[must_use]
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// A random positive serial number, so that no two certificates made here share one.
fn serial() -> SerialNumber {
    let mut bytes = [0u8; 16];
    rolecall_arn::random_bytes(&mut bytes);
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01;
    SerialNumber::from_slice(&bytes)
}

/// DER as PEM (64 base64 characters a line).
fn pem(der: &[u8]) -> String {
    let body = data_encoding::BASE64.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// Connections that have finished their TLS handshake. Handshakes run in their own tasks,
/// so a client that never finishes one holds up nobody else.
pub(crate) struct TlsListener {
    done: tokio::sync::mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    acceptor: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    /// Starts accepting on `listener` (inside a Tokio runtime).
    pub(crate) fn new(listener: TcpListener, certificate: &Certificate) -> std::io::Result<Self> {
        let local = listener.local_addr()?;
        let tls = TlsAcceptor::from(certificate.config.clone());
        let (sender, done) = tokio::sync::mpsc::channel(64);
        let acceptor = tokio::spawn(async move {
            let mut listener = listener;
            loop {
                let (tcp, peer) = axum::serve::Listener::accept(&mut listener).await;
                let (tls, sender) = (tls.clone(), sender.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(tcp)).await {
                        Ok(Ok(stream)) => {
                            let _ = sender.send((stream, peer)).await;
                        }
                        Ok(Err(e)) => tracing::warn!(
                            %peer,
                            error = %e,
                            "TLS handshake failed (does the client trust the CA certificate?)"
                        ),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(Self {
            done,
            local,
            acceptor,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.done.recv().await {
            Some(connection) => connection,
            // The accepting task is gone (it only ends when aborted): nothing more comes.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_certificate_is_pem_and_the_hosts_include_loopback() {
        let c = Certificate::generate(&["host.docker.internal".into(), "[::1]".into()]).unwrap();
        assert!(c.ca_pem().starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(c.ca_pem().ends_with("-----END CERTIFICATE-----\n"));
        assert!(c.ca_pem().lines().all(|l| l.len() <= 64));
        assert_eq!(
            c.hosts(),
            ["localhost", "127.0.0.1", "::1", "host.docker.internal"]
        );
        assert!(!format!("{c:?}").contains("PRIVATE"));
    }

    #[test]
    fn the_ca_file_is_private_and_removed_when_dropped() {
        use std::os::unix::fs::PermissionsExt;
        let parent = tempfile::tempdir().unwrap();
        let c = Certificate::generate(&[]).unwrap();
        let file = CaFile::write(parent.path(), &c).unwrap();
        assert_eq!(std::fs::read_to_string(file.path()).unwrap(), c.ca_pem());
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(file.path()), 0o600);
        assert_eq!(mode(file.dir()), 0o700);
        let dir = file.dir().to_owned();
        drop(file);
        assert!(!dir.exists());
    }

    #[test]
    fn a_host_that_cannot_be_named_is_refused() {
        let e = Certificate::generate(&["bad host\u{7f}".into()]).unwrap_err();
        assert!(matches!(e, TlsError::Host(..)), "{e}");
    }
}
