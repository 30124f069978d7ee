//! The audit trail's cost per call: building the records of an answered call through the
//! same function the request's exit calls, on one core, for (a) a GetCallerIdentity by an IAM
//! user (no parameters, no response kept) and (b) an AssumeRole by a role session, whose
//! record keeps its request parameters and its response (read back from the XML body).
//! Run with `cargo bench -p rolecall-server --bench record`; `BENCH_MS` sets the time spent
//! on each case (default 2000).

use std::hint::black_box;
use std::time::{Duration, Instant};

use rolecall_server::audit::samples::{self, Sample};

/// Builds `sample`'s records repeatedly for about `budget`; returns microseconds per call.
fn per_call(budget: Duration, sample: &Sample) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..1000 {
            black_box(black_box(sample).records());
        }
        n += 1000;
    }
    start.elapsed().as_secs_f64() * 1e6 / n as f64
}

fn main() {
    let budget = Duration::from_millis(
        std::env::var("BENCH_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2000),
    );
    let cases = [
        (
            "GetCallerIdentity by an IAM user",
            samples::get_caller_identity(),
        ),
        (
            "AssumeRole by a role session, with its response",
            samples::assume_role(),
        ),
    ];
    println!("audit records built per call, one core:");
    for (name, sample) in &cases {
        let rows = sample.records();
        let bytes: usize = rows.iter().map(|r| r.record.len()).sum();
        // Warm up the allocator and caches before timing.
        per_call(budget / 10, sample);
        println!(
            "  {name:<50} {:>7.2} µs  ({} record{}, {bytes} bytes)",
            per_call(budget, sample),
            rows.len(),
            if rows.len() == 1 { "" } else { "s" }
        );
    }
}
