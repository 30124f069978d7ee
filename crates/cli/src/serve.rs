//! `rolecall credential-server`, and the endpoint `exec --server` runs beside its command: a
//! profile's credentials served to other programs on a loopback port, in the ECS container
//! shape or EC2's IMDSv2 shape. These are the only client commands that start an async
//! runtime (a single-threaded one), since they serve until stopped.

use std::net::TcpListener;

use clap::Args;
use rolecall_credentials::Env;
use rolecall_credentials::endpoint::{self, Fetch, Shape, tls};

use crate::{CliError, GlobalArgs, Session};

/// `rolecall credential-server`.
#[derive(Debug, Args)]
pub struct CredentialServerArgs {
    #[command(flatten)]
    global: GlobalArgs,
    /// The address to listen on (port 0: any free port); loopback unless --tls.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    listen: String,
    /// Serve EC2's IMDSv2 shape instead of the container endpoint's.
    #[arg(long)]
    imds: bool,
    /// Serve HTTPS with a certificate made at start, and print the CA file clients must trust.
    ///
    /// A certificate authority is made at start (its key never leaves memory) and signs a server
    /// certificate for loopback, the --listen host and each --tls-host. The CA certificate is
    /// written to a private file, removed when the server stops, for clients to trust
    /// (NODE_EXTRA_CA_CERTS for Node; the README says how for the other SDKs).
    #[arg(long)]
    tls: bool,
    /// Another name or address the certificate is valid for (repeatable).
    ///
    /// For a container, e.g. host.docker.internal. The first one given is the host of the
    /// printed URL.
    #[arg(long, value_name = "HOST", requires = "tls")]
    tls_host: Vec<String>,
}

impl CredentialServerArgs {
    /// The global options given to the command.
    #[must_use]
    pub fn global(&self) -> &GlobalArgs {
        &self.global
    }
}

fn bind(address: &str) -> Result<TcpListener, CliError> {
    TcpListener::bind(address)
        .map_err(|e| CliError::Other(format!("cannot listen on {address}: {e}")))
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Other(format!("cannot start the endpoint: {e}")))
}

/// Runs until SIGINT or SIGTERM, after printing the environment a client needs.
///
/// # Errors
/// Credentials that cannot be had or are long-term keys, an address that cannot be bound.
pub fn run(args: &CredentialServerArgs, env: Env) -> Result<(), CliError> {
    let temp_dir = env.temp_dir();
    let session = Session::load(env, args.global.clone())?;
    let plan = session.plan()?;
    let fetch = crate::exec::fetcher(&session, &plan)?;
    // Resolve once now, so that configuration errors and the MFA prompt come at start.
    if fetch()?.expiration.is_none() {
        return Err(CliError::Config(format!(
            "rolecall credential-server: profile {} gives long-term keys; the endpoint serves temporary credentials only (a role profile, or a profile with mfa_serial)",
            session.profile_name()
        )));
    }
    let listener = bind(&args.listen)?;
    let address = listener
        .local_addr()
        .map_err(|e| CliError::Other(e.to_string()))?;
    let token = endpoint::random_token();
    let tls = if args.tls {
        Some(Tls::start(args, address, &temp_dir)?)
    } else {
        None
    };
    let url = tls
        .as_ref()
        .map_or_else(|| format!("http://{address}/"), |t| t.url.clone());
    let shape = if args.imds {
        println!("export AWS_EC2_METADATA_SERVICE_ENDPOINT={url}");
        Shape::InstanceMetadata
    } else {
        println!("export AWS_CONTAINER_CREDENTIALS_FULL_URI={url}");
        println!("export AWS_CONTAINER_AUTHORIZATION_TOKEN={token}");
        Shape::Container
    };
    if let Some(tls) = &tls {
        println!("export NODE_EXTRA_CA_CERTS={}", tls.file.path().display());
        eprintln!(
            "rolecall credential-server: the CA certificate is {} (valid for {}; removed when the server stops). The README says how each SDK trusts it.",
            tls.file.path().display(),
            tls.certificate.hosts().join(", ")
        );
    }
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    let runtime = runtime()?;
    let served = match &tls {
        None => runtime.block_on(endpoint::serve(listener, shape, token, fetch, stopped())),
        Some(tls) => runtime.block_on(endpoint::serve_tls(
            listener,
            &tls.certificate,
            shape,
            token,
            fetch,
            stopped(),
        )),
    };
    // Dropping `tls` removes the CA file.
    drop(tls);
    served.map_err(|e| CliError::Other(format!("the endpoint failed: {e}")))
}

/// `--tls`: the certificates, the CA file clients read, and the URL they use.
struct Tls {
    certificate: tls::Certificate,
    file: tls::CaFile,
    url: String,
}

impl Tls {
    fn start(
        args: &CredentialServerArgs,
        address: std::net::SocketAddr,
        temp_dir: &std::path::Path,
    ) -> Result<Self, CliError> {
        // The host as written in --listen (a name, when it is one), and the address bound.
        let written = args
            .listen
            .rsplit_once(':')
            .map_or(args.listen.as_str(), |(host, _)| host)
            .trim_start_matches('[')
            .trim_end_matches(']');
        let bound = address.ip();
        let mut hosts = args.tls_host.clone();
        if !bound.is_unspecified() {
            hosts.push(bound.to_string());
            if written.parse::<std::net::IpAddr>().is_err() && !written.is_empty() {
                hosts.push(written.to_owned());
            }
        }
        let certificate = tls::Certificate::generate(&hosts).map_err(|e| match e {
            tls::TlsError::Host(_) => CliError::Usage(format!("rolecall credential-server: {e}")),
            e => CliError::Other(format!("rolecall credential-server: {e}")),
        })?;
        let file = tls::CaFile::write(temp_dir, &certificate).map_err(|e| {
            CliError::Other(format!(
                "rolecall credential-server: cannot write the CA certificate under {}: {e}",
                temp_dir.display()
            ))
        })?;
        let host = match args.tls_host.first() {
            Some(h) if h.parse::<std::net::Ipv6Addr>().is_ok() => format!("[{h}]"),
            Some(h) => h.clone(),
            None if bound.is_unspecified() => "127.0.0.1".to_owned(),
            None if bound.is_ipv6() => format!("[{bound}]"),
            None => bound.to_string(),
        };
        Ok(Self {
            certificate,
            file,
            url: format!("https://{host}:{}/", address.port()),
        })
    }
}

/// Completes on SIGINT or SIGTERM.
async fn stopped() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let terminate = tokio::signal::unix::SignalKind::terminate();
        let Ok(mut term) = tokio::signal::unix::signal(terminate) else {
            let _ = interrupt.await;
            return;
        };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

/// An endpoint served from a background thread for as long as a command runs.
#[derive(Debug)]
pub(crate) struct Background {
    url: String,
    token: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    /// Starts `shape` on a free loopback port.
    pub(crate) fn start(shape: Shape, fetch: Fetch) -> Result<Self, CliError> {
        let listener = bind("127.0.0.1:0")?;
        let address = listener
            .local_addr()
            .map_err(|e| CliError::Other(e.to_string()))?;
        let token = endpoint::random_token();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let runtime = runtime()?;
        let served_token = token.clone();
        let thread = std::thread::spawn(move || {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(e) = runtime.block_on(endpoint::serve(
                listener,
                shape,
                served_token,
                fetch,
                shutdown,
            )) {
                tracing::warn!(error = %e, "the credentials endpoint failed");
            }
        });
        Ok(Self {
            url: format!("http://{address}/"),
            token,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The endpoint's URL.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The authorization token clients must send.
    pub(crate) fn token(&self) -> &str {
        &self.token
    }

    /// Stops serving and waits for the thread.
    pub(crate) fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
