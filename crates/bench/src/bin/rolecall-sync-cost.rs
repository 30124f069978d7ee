//! `rolecall-sync-cost`: what one durable write costs on a directory's file system, the floor
//! under every audit event that must be on disk before its caller gets an answer.
//!
//! For each pattern it writes a block and calls `fdatasync(2)` in a loop for a bounded time,
//! and prints one JSON line: wall time per sync, the CPU this process spent per sync (user and
//! kernel, from `/proc/self/stat`), the CPU the whole machine spent per sync (from
//! `/proc/stat`, so kernel threads and the hypervisor's interrupts count too), and syncs per
//! second. Patterns: `overwrite` (a preallocated file rewritten in place, as a reset
//! write-ahead log is), `append` (the file grows with every sync, so its size is journaled
//! too), and `overwrite` on several threads at once, each on a file of its own (whether syncs
//! overlap on this device).

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Parser;

#[derive(Debug, Parser)]
struct Args {
    /// Directory on the file system to measure (e.g. the server's `--data-dir`).
    #[arg(long)]
    dir: PathBuf,
    /// Bytes written before each sync.
    #[arg(long, default_value_t = 4096)]
    block: usize,
    /// Seconds per pattern.
    #[arg(long, default_value_t = 2.0)]
    seconds: f64,
    /// At most this many syncs per pattern and thread.
    #[arg(long, default_value_t = 200_000)]
    max_syncs: u64,
    /// Thread counts for the concurrent overwrite pattern.
    #[arg(long, value_delimiter = ',', default_value = "2,4")]
    threads: Vec<usize>,
}

/// Blocks in the preallocated file that the overwrite pattern cycles through.
const SLOTS: u64 = 64;

/// CPU time in clock ticks: this process's (user + system) and the machine's busy time.
#[derive(Clone, Copy)]
struct Ticks {
    process: u64,
    machine: u64,
}

fn ticks() -> anyhow::Result<Ticks> {
    let own = std::fs::read_to_string("/proc/self/stat").context("reading /proc/self/stat")?;
    // Fields after the command name (which may hold spaces) start at the state, field 3;
    // utime and stime are fields 14 and 15.
    let after = own.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let field = |n: usize| -> u64 { fields.get(n - 3).and_then(|f| f.parse().ok()).unwrap_or(0) };
    let machine = std::fs::read_to_string("/proc/stat").context("reading /proc/stat")?;
    let cpu: Vec<u64> = machine
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal …: busy is all but idle and iowait.
    let idle = cpu.get(3).copied().unwrap_or(0) + cpu.get(4).copied().unwrap_or(0);
    Ok(Ticks {
        process: field(14) + field(15),
        machine: cpu.iter().take(8).sum::<u64>() - idle,
    })
}

/// The kernel's clock tick for `/proc` CPU times (USER_HZ, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

#[derive(Clone, Copy)]
enum Pattern {
    Overwrite,
    Append,
}

fn prepare(path: &Path, block: usize, pattern: Pattern) -> anyhow::Result<File> {
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    if let Pattern::Overwrite = pattern {
        // Written, not only allocated: overwriting unwritten extents would journal their
        // conversion on every sync.
        let chunk = vec![0u8; block];
        for _ in 0..SLOTS {
            file.write_all(&chunk)?;
        }
        file.sync_all()?;
    }
    Ok(file)
}

/// Writes and syncs until the deadline; returns the number of syncs.
fn sync_loop(
    file: &File,
    block: usize,
    pattern: Pattern,
    deadline: Instant,
    max: u64,
) -> anyhow::Result<u64> {
    let data = vec![0x5au8; block];
    let mut n = 0u64;
    while n < max && Instant::now() < deadline {
        let offset = match pattern {
            Pattern::Overwrite => (n % SLOTS) * block as u64,
            Pattern::Append => n * block as u64,
        };
        file.write_all_at(&data, offset)?;
        file.sync_data()?;
        n += 1;
    }
    Ok(n)
}

fn measure(args: &Args, name: &str, pattern: Pattern, threads: usize) -> anyhow::Result<()> {
    let files = (0..threads)
        .map(|t| {
            let path = args
                .dir
                .join(format!(".rolecall-sync-cost-{}-{t}", std::process::id()));
            prepare(&path, args.block, pattern).map(|f| (path, f))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let before = ticks()?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(args.seconds);
    let syncs = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .iter()
            .map(|(_, file)| {
                scope.spawn(move || sync_loop(file, args.block, pattern, deadline, args.max_syncs))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("sync thread panicked"))
            .sum::<anyhow::Result<u64>>()
    });
    let elapsed = started.elapsed().as_secs_f64();
    let after = ticks()?;
    for (path, _) in &files {
        let _ = std::fs::remove_file(path);
    }
    let syncs = syncs?.max(1);
    let per_sync_us = |ticks: u64| ticks as f64 / TICKS_PER_SECOND / syncs as f64 * 1e6;
    let line = serde_json::json!({
        "pattern": name,
        "threads": threads,
        "block_bytes": args.block,
        "syncs": syncs,
        "syncs_per_s": syncs as f64 / elapsed,
        "wall_us_per_sync": elapsed * 1e6 * threads as f64 / syncs as f64,
        "process_cpu_us_per_sync": per_sync_us(after.process - before.process),
        "machine_cpu_us_per_sync": per_sync_us(after.machine - before.machine),
    });
    writeln!(std::io::stdout(), "{line}")?;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.block > 0, "--block must be at least 1 byte");
    measure(&args, "overwrite", Pattern::Overwrite, 1)?;
    measure(&args, "append", Pattern::Append, 1)?;
    for &threads in &args.threads {
        measure(&args, "overwrite", Pattern::Overwrite, threads.max(1))?;
    }
    Ok(())
}
