//! Keep-alive HTTP/1.1 connections to the endpoint under test, plain or over TLS (rustls with
//! the ring provider, trusting only the CA file given), and one request's round trip on them.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// A byte stream a request goes over: a TCP socket, or TLS on one.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// An open connection, buffered for reading responses.
pub(crate) type Connection = BufReader<Box<dyn Stream>>;

/// Where requests go: `http://HOST:PORT/PATH` or `https://HOST:PORT/PATH`.
#[derive(Clone)]
pub(crate) struct Target {
    /// `HOST:PORT`, as sent in the `Host` header and connected to.
    pub(crate) authority: String,
    /// The path of the URL (at least `/`).
    pub(crate) path: String,
    tls: Option<(TlsConnector, ServerName<'static>)>,
}

impl Target {
    /// Parses `endpoint`; an `https` one needs `ca_file`, the PEM certificates to trust.
    pub(crate) fn parse(endpoint: &str, ca_file: Option<&str>) -> anyhow::Result<Self> {
        let (https, rest) = if let Some(rest) = endpoint.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = endpoint.strip_prefix("http://") {
            (false, rest)
        } else {
            bail!("the endpoint must be an http:// or https:// URL: {endpoint}");
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let tls = if https {
            let ca_file = ca_file.context("an https endpoint needs --ca-file")?;
            Some(tls_connector(authority, ca_file)?)
        } else {
            None
        };
        Ok(Self {
            authority: authority.to_owned(),
            path: path.to_owned(),
            tls,
        })
    }

    /// Opens a connection (and completes the TLS handshake, for https), within 10 s.
    pub(crate) async fn connect(&self) -> anyhow::Result<Connection> {
        let open = async {
            let tcp = TcpStream::connect(&self.authority).await?;
            tcp.set_nodelay(true)?;
            let stream: Box<dyn Stream> = match &self.tls {
                None => Box::new(tcp),
                Some((connector, name)) => Box::new(connector.connect(name.clone(), tcp).await?),
            };
            anyhow::Ok(BufReader::new(stream))
        };
        tokio::time::timeout(Duration::from_secs(10), open)
            .await
            .context("no connection within 10 s")?
    }
}

fn tls_connector(
    authority: &str,
    ca_file: &str,
) -> anyhow::Result<(TlsConnector, ServerName<'static>)> {
    let pem = std::fs::read(ca_file).with_context(|| format!("cannot read {ca_file}"))?;
    let mut roots = RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(&pem) {
        roots.add(certificate.context("a certificate in the CA file")?)?;
    }
    if roots.is_empty() {
        bail!("no certificate in {ca_file}");
    }
    let mut config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host)
        .trim_start_matches('[')
        .trim_end_matches(']');
    let name = ServerName::try_from(host.to_owned())
        .with_context(|| format!("{host} is not a server name"))?;
    Ok((TlsConnector::from(Arc::new(config)), name))
}

/// One response: its status, its body, and whether the server asked to close the connection.
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
    pub(crate) close: bool,
}

/// Sends one request on a connection and reads the whole response.
async fn roundtrip(connection: &mut Connection, request: &[u8]) -> anyhow::Result<Response> {
    connection.get_mut().write_all(request).await?;
    let mut line = String::new();
    connection.read_line(&mut line).await?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .context("no status line")?
        .parse()?;
    let mut length = None;
    let mut chunked = false;
    let mut close = false;
    loop {
        line.clear();
        if connection.read_line(&mut line).await? == 0 {
            bail!("connection closed");
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let lower = l.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = Some(v.trim().parse::<usize>()?);
        }
        if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
        if lower.starts_with("connection:") && lower.contains("close") {
            close = true;
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            connection.read_line(&mut line).await?;
            let size = usize::from_str_radix(line.trim(), 16)?;
            let mut chunk = vec![0u8; size + 2];
            connection.read_exact(&mut chunk).await?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        body.resize(length.unwrap_or(0), 0);
        connection.read_exact(&mut body).await?;
    }
    Ok(Response {
        status,
        body,
        close,
    })
}

/// A round trip bounded in time, so a stalled server cannot hang the run.
pub(crate) async fn timed_roundtrip(
    connection: &mut Connection,
    request: &[u8],
) -> anyhow::Result<Response> {
    tokio::time::timeout(Duration::from_secs(10), roundtrip(connection, request))
        .await
        .context("no answer within 10 s")?
}
