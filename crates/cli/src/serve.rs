//! `rolecall credential-server`, and the endpoint `exec --server` runs beside its command: a
//! profile's credentials served to other programs on a loopback port, in the ECS container
//! shape or EC2's IMDSv2 shape. These are the only client commands that start an async
//! runtime (a single-threaded one), since they serve until stopped.

use std::net::TcpListener;

use clap::Args;
use rolecall_credentials::Env;
use rolecall_credentials::endpoint::{self, Fetch, Shape};

use crate::{CliError, GlobalArgs, Session};

/// `rolecall credential-server`.
#[derive(Debug, Args)]
pub struct CredentialServerArgs {
    #[command(flatten)]
    global: GlobalArgs,
    /// The loopback address to listen on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    listen: String,
    /// Serve EC2's IMDSv2 shape instead of the container endpoint's.
    #[arg(long)]
    imds: bool,
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
    let shape = if args.imds {
        println!("export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://{address}/");
        Shape::InstanceMetadata
    } else {
        println!("export AWS_CONTAINER_CREDENTIALS_FULL_URI=http://{address}/");
        println!("export AWS_CONTAINER_AUTHORIZATION_TOKEN={token}");
        Shape::Container
    };
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    runtime()?
        .block_on(endpoint::serve(listener, shape, token, fetch, stopped()))
        .map_err(|e| CliError::Other(format!("the endpoint failed: {e}")))
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
