//! `rolecall-bench`: a load generator over keep-alive HTTP/1.1 connections (plain, or TLS
//! trusting a given CA) that reports throughput and latency percentiles as JSON. It sends
//! correctly signed STS requests to the server, or fetches credentials from the credential
//! endpoint that `rolecall credential-server` and `exec --server` serve: the container
//! shape's GET with its authorization token, or IMDSv2's token-then-GET flow.
//!
//! Each STS request is signed once per run (a SigV4 signature stays valid for 15 minutes), so
//! the generator spends its time on the wire, not on signing; runs are bounded in time and
//! count.

mod connection;
mod requests;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Parser;

use connection::{Target, timed_roundtrip};
use requests::{Statuses, Work};

#[derive(Debug, Parser)]
struct Args {
    /// `http://127.0.0.1:PORT[/PATH]`, or `https://…` with --ca-file.
    #[arg(long)]
    endpoint: String,
    /// Signs the STS operations.
    #[arg(long, default_value = "")]
    access_key_id: String,
    /// Signs the STS operations.
    #[arg(long, default_value = "")]
    secret_access_key: String,
    /// `assume-role`, `get-caller-identity`, `container-credentials` (GET with --token as
    /// `Authorization`) or `imds-credentials` (PUT the token, GET the role name, GET its
    /// credentials: one iteration is three requests).
    #[arg(long)]
    op: String,
    /// Role to assume (assume-role).
    #[arg(long, default_value = "")]
    role_arn: String,
    /// The container endpoint's authorization token (container-credentials).
    #[arg(long, default_value = "")]
    token: String,
    /// PEM certificates to trust for an https endpoint (e.g. credential-server --tls's CA).
    #[arg(long)]
    ca_file: Option<String>,
    /// Concurrent connections.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Target total rate in iterations per second (0: as fast as possible).
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// At most this many iterations in all.
    #[arg(long, default_value_t = 5_000_000)]
    max_requests: u64,
    /// Only wait until the endpoint answers GetCallerIdentity, then print the milliseconds taken.
    #[arg(long)]
    wait_first: bool,
}

const GET_CALLER_IDENTITY: &str = "Action=GetCallerIdentity&Version=2011-06-15";

async fn wait_first(args: &Args, target: &Target) -> anyhow::Result<()> {
    let start = Instant::now();
    let request = requests::signed_sts(
        target,
        &args.access_key_id,
        &args.secret_access_key,
        GET_CALLER_IDENTITY,
    );
    while start.elapsed() < Duration::from_secs(10) {
        if let Ok(mut connection) = target.connect().await
            && let Ok(r) = timed_roundtrip(&mut connection, &request).await
            && r.status == 200
        {
            println!("{:.1}", start.elapsed().as_secs_f64() * 1000.0);
            return Ok(());
        }
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
    bail!("no answer within 10 s")
}

fn work(args: &Args, target: &Target) -> anyhow::Result<Work> {
    let sts = |body: &str| {
        Work::Fixed(Arc::new(requests::signed_sts(
            target,
            &args.access_key_id,
            &args.secret_access_key,
            body,
        )))
    };
    Ok(match args.op.as_str() {
        "assume-role" => {
            let mut p = rolecall_wire::Params::default();
            p.set("Action", "AssumeRole");
            p.set("Version", "2011-06-15");
            p.set("RoleArn", args.role_arn.clone());
            p.set("RoleSessionName", "bench");
            sts(&p.to_form())
        }
        "get-caller-identity" => sts(GET_CALLER_IDENTITY),
        "container-credentials" => {
            if args.token.is_empty() {
                bail!("container-credentials needs --token");
            }
            Work::Fixed(Arc::new(requests::container_get(target, &args.token)))
        }
        "imds-credentials" => Work::Imds,
        other => bail!("unknown op {other}"),
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let target = Target::parse(&args.endpoint, args.ca_file.as_deref())?;
    if args.wait_first {
        return wait_first(&args, &target).await;
    }
    let work = work(&args, &target)?;
    let deadline = Instant::now() + Duration::from_secs_f64(args.seconds);
    let per_conn_interval =
        (args.rate > 0.0).then(|| Duration::from_secs_f64(args.connections as f64 / args.rate));
    let per_conn_max = args.max_requests / args.connections as u64 + 1;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.connections {
        let work = work.clone();
        let target = target.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies: Vec<u32> = Vec::new();
            let mut errors = 0u64;
            let mut statuses = Statuses::new();
            let mut connection = target.connect().await?;
            let mut next = Instant::now();
            while Instant::now() < deadline && (latencies.len() as u64) < per_conn_max {
                if let Some(i) = per_conn_interval {
                    if next > Instant::now() {
                        tokio::time::sleep_until(next.into()).await;
                    }
                    next += i;
                }
                let t = Instant::now();
                match requests::iterate(&work, &mut connection, &target, &mut statuses).await {
                    Ok(()) => {
                        latencies.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
                    }
                    Err(_) => {
                        errors += 1;
                        connection = target.connect().await?;
                    }
                }
            }
            anyhow::Ok((latencies, errors, statuses))
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    let mut statuses = Statuses::new();
    for t in tasks {
        let (l, e, s) = t.await??;
        all.extend(l);
        errors += e;
        for (k, v) in s {
            *statuses.entry(k).or_default() += v;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_unstable();
    // Nearest-rank percentile in integer arithmetic; `permille` is 500 for p50, 990 for p99.
    let pct = |permille: usize| {
        let index = (all.len() * permille / 1000).min(all.len().saturating_sub(1));
        f64::from(all.get(index).copied().unwrap_or(0)) / 1000.0
    };
    let out = serde_json::json!({
        "op": args.op,
        "requests": all.len(),
        "http_requests_per_iteration": work.requests(),
        "errors": errors,
        "statuses": statuses.iter().map(|(k, v)| (k.to_string(), *v)).collect::<std::collections::BTreeMap<_, _>>(),
        "seconds": elapsed,
        "rps": all.len() as f64 / elapsed,
        "p50_ms": pct(500),
        "p99_ms": pct(990),
        "max_ms": all.last().copied().unwrap_or(0) as f64 / 1000.0,
        "connections": args.connections,
        "target_rate": args.rate,
    });
    println!("{out}");
    Ok(())
}
