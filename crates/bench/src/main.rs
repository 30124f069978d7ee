//! `rolecall-bench`: sends correctly signed STS requests to an endpoint over keep-alive
//! HTTP/1.1 connections and reports throughput and latency percentiles as JSON.
//!
//! Each request is signed once per run (a SigV4 signature stays valid for 15 minutes), so the
//! generator spends its time on the wire, not on signing; runs are bounded in time and count.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[derive(Debug, Parser)]
struct Args {
    /// `http://127.0.0.1:PORT`.
    #[arg(long)]
    endpoint: String,
    #[arg(long)]
    access_key_id: String,
    #[arg(long)]
    secret_access_key: String,
    /// `assume-role` or `get-caller-identity`.
    #[arg(long)]
    op: String,
    /// Role to assume (assume-role).
    #[arg(long, default_value = "")]
    role_arn: String,
    /// Concurrent connections.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// How long to run.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Target total rate in requests per second (0: as fast as possible).
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// At most this many requests in all.
    #[arg(long, default_value_t = 5_000_000)]
    max_requests: u64,
    /// Only wait until the endpoint answers GetCallerIdentity, then print the milliseconds taken.
    #[arg(long)]
    wait_first: bool,
}

fn signed_request(args: &Args, body: &str) -> anyhow::Result<Vec<u8>> {
    let host = args
        .endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let amz_date = rolecall_sigv4::format_amz_date(time::OffsetDateTime::now_utc());
    let headers = vec![
        (
            "content-type".to_owned(),
            "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
        ),
        ("host".to_owned(), host),
    ];
    let params = rolecall_sigv4::SigningParams {
        access_key_id: &args.access_key_id,
        secret_access_key: &args.secret_access_key,
        session_token: None,
        region: "us-east-1",
        service: "sts",
        amz_date: &amz_date,
    };
    let added = rolecall_sigv4::sign_headers("POST", "/", "", &headers, body.as_bytes(), &params);
    let mut req = format!("POST / HTTP/1.1\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers.iter().chain(added.iter()) {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    Ok(req.into_bytes())
}

/// Sends one request on a connection and reads the whole response; returns the status and
/// whether the server asked to close the connection.
async fn roundtrip(
    reader: &mut BufReader<TcpStream>,
    request: &[u8],
) -> anyhow::Result<(u16, bool)> {
    reader.get_mut().write_all(request).await?;
    let mut line = String::new();
    reader.read_line(&mut line).await?;
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
        if reader.read_line(&mut line).await? == 0 {
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
    if chunked {
        loop {
            line.clear();
            reader.read_line(&mut line).await?;
            let size = usize::from_str_radix(line.trim(), 16)?;
            let mut chunk = vec![0u8; size + 2];
            reader.read_exact(&mut chunk).await?;
            if size == 0 {
                break;
            }
        }
    } else {
        let mut body = vec![0u8; length.unwrap_or(0)];
        reader.read_exact(&mut body).await?;
    }
    Ok((status, close))
}

/// A round trip bounded in time, so a stalled server cannot hang the run.
async fn timed_roundtrip(
    reader: &mut BufReader<TcpStream>,
    request: &[u8],
) -> anyhow::Result<(u16, bool)> {
    tokio::time::timeout(Duration::from_secs(10), roundtrip(reader, request))
        .await
        .context("no answer within 10 s")?
}

async fn wait_first(args: &Args) -> anyhow::Result<()> {
    let start = Instant::now();
    let request = signed_request(args, "Action=GetCallerIdentity&Version=2011-06-15")?;
    let addr = args
        .endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    while start.elapsed() < Duration::from_secs(10) {
        if let Ok(stream) = TcpStream::connect(&addr).await {
            let mut reader = BufReader::new(stream);
            if let Ok((200, _)) = timed_roundtrip(&mut reader, &request).await {
                println!("{:.1}", start.elapsed().as_secs_f64() * 1000.0);
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
    bail!("no answer within 10 s")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.wait_first {
        return wait_first(&args).await;
    }
    let body = match args.op.as_str() {
        "assume-role" => {
            let mut p = rolecall_wire::Params::default();
            p.set("Action", "AssumeRole");
            p.set("Version", "2011-06-15");
            p.set("RoleArn", args.role_arn.clone());
            p.set("RoleSessionName", "bench");
            p.to_form()
        }
        "get-caller-identity" => "Action=GetCallerIdentity&Version=2011-06-15".to_owned(),
        other => bail!("unknown op {other}"),
    };
    let request = std::sync::Arc::new(signed_request(&args, &body)?);
    let addr = args
        .endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let deadline = Instant::now() + Duration::from_secs_f64(args.seconds);
    let per_conn_interval =
        (args.rate > 0.0).then(|| Duration::from_secs_f64(args.connections as f64 / args.rate));
    let per_conn_max = args.max_requests / args.connections as u64 + 1;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.connections {
        let request = request.clone();
        let addr = addr.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies: Vec<u32> = Vec::new();
            let mut errors = 0u64;
            let mut statuses = std::collections::BTreeMap::<u16, u64>::new();
            let mut reader = BufReader::new(TcpStream::connect(&addr).await?);
            reader.get_ref().set_nodelay(true)?;
            let mut next = Instant::now();
            while Instant::now() < deadline && (latencies.len() as u64) < per_conn_max {
                if let Some(i) = per_conn_interval {
                    if next > Instant::now() {
                        tokio::time::sleep_until(next.into()).await;
                    }
                    next += i;
                }
                let t = Instant::now();
                match timed_roundtrip(&mut reader, &request).await {
                    Ok((status, close)) => {
                        *statuses.entry(status).or_default() += 1;
                        latencies.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
                        if close {
                            reader = BufReader::new(TcpStream::connect(&addr).await?);
                        }
                    }
                    Err(_) => {
                        errors += 1;
                        reader = BufReader::new(TcpStream::connect(&addr).await?);
                    }
                }
            }
            anyhow::Ok((latencies, errors, statuses))
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    let mut statuses = std::collections::BTreeMap::<u16, u64>::new();
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
