//! `rolecall server …`: start the server, or bootstrap an account into its store.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use rolecall_server::{App, ConnectionLimits, Enforcement, crypto};
use rolecall_store::Store;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct ServerArgs {
    #[command(subcommand)]
    action: Option<ServerAction>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Subcommand)]
enum ServerAction {
    /// Create an account (if missing) and an administrator user with a new access key; prints one JSON object.
    Bootstrap(BootstrapArgs),
}

#[derive(Debug, Args)]
struct StoreArgs {
    /// Directory of the embedded database and the master key (default: $XDG_DATA_HOME/rolecall).
    #[arg(long, value_name = "DIR", env = "ROLECALL_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Use PostgreSQL instead of the embedded SQLite store (postgres://user:pass@host/db).
    #[arg(
        long,
        value_name = "URL",
        env = "ROLECALL_DATABASE_URL",
        hide_env_values = true
    )]
    database: Option<String>,
    /// The master key file that seals secrets at rest (default: DATA_DIR/master.key).
    #[arg(long, value_name = "FILE", env = "ROLECALL_MASTER_KEY_FILE")]
    master_key_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:4566", value_name = "ADDR")]
    listen: String,
    /// strict: policies are enforced (default); soft: denials are logged and allowed.
    #[arg(long, default_value = "strict", value_name = "MODE", value_parser = parse_enforcement)]
    enforcement: Enforcement,
    /// Seconds a client has to send a request's headers, from connecting or from its previous answer.
    #[arg(long, value_name = "SECS", default_value_t = LIMITS.header_read_timeout.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_read_timeout: u64,
    /// Seconds a connection without a request in progress may stay silent before it is closed.
    #[arg(long, value_name = "SECS", default_value_t = LIMITS.idle_timeout.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..=3600))]
    idle_timeout: u64,
    /// Connections served at once; a client beyond them sheds the idle ones, or is answered 503.
    #[arg(long, value_name = "N", default_value_t = LIMITS.max_connections,
        value_parser = clap::value_parser!(u32).range(1..=65536))]
    max_connections: u32,
    /// Record nothing in the audit trail (for benchmarking).
    #[arg(long)]
    no_audit: bool,
    /// Also deliver the trail as CloudTrail trail files (gzip JSON under DIR/AWSLogs/…),
    /// every few minutes and on stop.
    #[arg(long, value_name = "DIR")]
    audit_dir: Option<PathBuf>,
    /// Seconds a console sign-in token (`/federation?Action=getSigninToken`) stays valid.
    #[arg(long, value_name = "SECS", default_value_t = rolecall_server::SIGNIN_TOKEN_SECONDS,
        value_parser = clap::value_parser!(i64).range(1..=rolecall_server::SIGNIN_TOKEN_SECONDS))]
    signin_token_seconds: i64,
    /// Days the audit trail keeps events.
    #[arg(long, value_name = "DAYS", default_value_t = 90,
        value_parser = clap::value_parser!(u32).range(1..=36500))]
    audit_retention_days: u32,
    #[command(flatten)]
    store: StoreArgs,
}

const LIMITS: ConnectionLimits = ConnectionLimits::DEFAULT;

impl RunArgs {
    fn limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(self.header_read_timeout),
            idle_timeout: Duration::from_secs(self.idle_timeout),
            max_connections: self.max_connections,
        }
    }
}

#[derive(Debug, Args)]
struct BootstrapArgs {
    /// The twelve-digit account id.
    #[arg(long, value_name = "ID")]
    account_id: String,
    /// The administrator's user name.
    #[arg(
        long,
        default_value = "admin",
        value_name = "NAME",
        conflicts_with = "root"
    )]
    user_name: String,
    /// Give the account root an access key instead (root is not bound by IAM policies).
    #[arg(long)]
    root: bool,
    #[command(flatten)]
    store: StoreArgs,
}

fn parse_enforcement(s: &str) -> Result<Enforcement, String> {
    s.parse()
}

fn default_data_dir() -> anyhow::Result<PathBuf> {
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d).join("rolecall"));
    }
    let home =
        std::env::var_os("HOME").context("neither --data-dir, XDG_DATA_HOME nor HOME is set")?;
    Ok(Path::new(&home).join(".local/share/rolecall"))
}

impl StoreArgs {
    fn data_dir(&self) -> anyhow::Result<PathBuf> {
        self.data_dir.clone().map_or_else(default_data_dir, Ok)
    }

    async fn open(&self) -> anyhow::Result<(Store, crypto::SealingKey)> {
        let dir = self.data_dir()?;
        let store = match &self.database {
            Some(url) => Store::connect(url)
                .await
                .context("cannot open the PostgreSQL store")?,
            None => Store::open_sqlite(&dir)
                .await
                .with_context(|| format!("cannot open the store in {}", dir.display()))?,
        };
        let key_file = self
            .master_key_file
            .clone()
            .unwrap_or_else(|| dir.join("master.key"));
        let master = crypto::load_or_create_master_key(&key_file)?;
        Ok((store, master))
    }
}

pub(crate) fn run(args: ServerArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match args.action {
        Some(ServerAction::Bootstrap(b)) => runtime.block_on(bootstrap(b)),
        None => runtime.block_on(serve(args.run)),
    }
}

async fn bootstrap(args: BootstrapArgs) -> anyhow::Result<()> {
    let (store, master) = args.store.open().await?;
    let out = if args.root {
        rolecall_server::bootstrap_root(&store, &master, &args.account_id).await?
    } else {
        rolecall_server::bootstrap(&store, &master, &args.account_id, &args.user_name).await?
    };
    println!("{}", serde_json::to_string(&out)?);
    store.close().await;
    Ok(())
}

async fn serve(args: RunArgs) -> anyhow::Result<()> {
    init_tracing();
    let (store, master) = args.store.open().await?;
    let accounts = store.list_accounts().await?;
    let (trail, writer) = if args.no_audit {
        (rolecall_server::Trail::disabled(), None)
    } else {
        let (trail, writer) = rolecall_server::Trail::start(
            store.clone(),
            args.audit_retention_days,
            args.audit_dir.clone(),
        );
        (trail, Some(writer))
    };
    let app = App::recording(store.clone(), master, args.enforcement, trail)
        .await?
        .with_console(rolecall_server::ConsoleSettings {
            signin_token_seconds: args.signin_token_seconds,
        });
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let where_ = match &args.store.database {
        Some(_) => "postgresql".to_owned(),
        None => format!(
            "sqlite at {}",
            args.store.data_dir()?.join("rolecall.db").display()
        ),
    };
    let mut line = format!(
        "rolecall server listening on http://{addr} (store: {where_}; enforcement: {})",
        args.enforcement.as_str()
    );
    if accounts.is_empty() {
        line.push_str("; the store is empty: run `rolecall server bootstrap --account-id 123456789012` with the same --data-dir/--database to create an administrator");
    }
    let shutdown = shutdown_signal();
    println!("{line}");
    rolecall_server::serve(listener, app, args.limits(), shutdown).await?;
    // Every request has been answered and the app dropped: commit what the trail holds.
    if let Some(writer) = writer {
        writer.finish().await;
    }
    store.close().await;
    Ok(())
}

/// Registers for SIGINT and SIGTERM now, and returns what completes on the first. Called
/// before the server says it listens: a signal sent as soon as that line is read must stop
/// the server cleanly, not find the default action (which kills it) still in place.
fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        async move {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(term) => {},
                () = wait(int) => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ROLECALL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
