//! How fast `LookupEvents` lookups stay as the audit trail grows.
//!
//! Fills a store with a million events (four accounts, two hundred usernames each, ninety days,
//! one resource each, written in batches of a thousand, one transaction per batch as the server
//! writes them), then times 200 lookups by Username within a seven-day window, fifty to a page
//! (the goal: p99 under 20 ms); for comparison, 200 by Username over the whole trail, by
//! ResourceType and without an attribute, and 200 second pages reached by cursor (each set after
//! 20 untimed warm-up lookups); then prunes the oldest day and says how long that took. No
//! ANALYZE is run: the plans must not depend on statistics. Runs on SQLite, and on PostgreSQL
//! too when `ROLECALL_TEST_DATABASE_URL` names a server (a fresh database is created on it):
//!
//! ```text
//! cargo bench -p rolecall-store --bench events
//! # with PostgreSQL as well (scripts/lib/postgres.sh starts a throwaway server):
//! bash -c '. scripts/lib/postgres.sh && pg_start && \
//!   ROLECALL_TEST_DATABASE_URL="$PG_URL" cargo bench -p rolecall-store --bench events'
//! ```
//!
//! `ROLECALL_BENCH_EVENTS` changes the number of events (default 1000000);
//! `ROLECALL_BENCH_FILL_SECS` bounds the time spent filling each store (default 1200): when it
//! runs out, the lookups run on what was written by then, and the output says how much that was.
//! `ROLECALL_BENCH_SQLITE_DIR` keeps the SQLite database in that directory (one that holds a
//! trail from an earlier run is measured again without filling); `ROLECALL_BENCH_POSTGRES_URL`
//! measures that PostgreSQL database instead of a fresh one, the same way;
//! `ROLECALL_BENCH_SKIP_SQLITE` measures PostgreSQL alone.

use std::time::{Duration, Instant};

use rolecall_store::{EventQuery, EventRow, LookupAttribute, Store};

const ACCOUNTS: [&str; 4] = [
    "111122223333",
    "222233334444",
    "333344445555",
    "444455556666",
];
const USERS_PER_ACCOUNT: u64 = 200;
const BATCH: u64 = 1000;
const LOOKUPS: usize = 200;
const WARM_UP: usize = 20;
/// The trail covers ninety days ending here.
const END: i64 = 1_800_000_000;
const SPAN: i64 = 90 * 86_400;
const WINDOW: i64 = 7 * 86_400;
const ACTIONS: [(&str, &str, bool); 6] = [
    ("ListUsers", "iam.amazonaws.com", true),
    ("GetUser", "iam.amazonaws.com", true),
    ("CreateUser", "iam.amazonaws.com", false),
    ("AttachRolePolicy", "iam.amazonaws.com", false),
    ("AssumeRole", "sts.amazonaws.com", true),
    ("GetCallerIdentity", "sts.amazonaws.com", true),
];

/// A small deterministic generator (xorshift64), so every run asks the same questions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn username(user: u64) -> String {
    if user.is_multiple_of(2) {
        format!("user-{user:03}")
    } else {
        format!("AWS-CLI-session-{}", 1_700_000_000 + user)
    }
}

/// Event number `i` of `total`: times rise with `i` across the ninety days.
fn event(i: u64, total: u64, rng: &mut Rng) -> EventRow {
    let account = ACCOUNTS[usize::try_from(rng.below(4)).unwrap_or(0)];
    let user = rng.below(USERS_PER_ACCOUNT);
    let (name, source, read_only) = ACTIONS[usize::try_from(rng.below(6)).unwrap_or(0)];
    let offset = i64::try_from(i * u64::try_from(SPAN).unwrap_or(0) / total.max(1)).unwrap_or(0);
    let time = END - SPAN + offset;
    let id = format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        i,
        rng.below(0x1_0000),
        rng.below(0x1000),
        rng.below(0x1000),
        rng.next() & 0xffff_ffff_ffff
    );
    let who = username(user);
    let key = format!("ASIA{account}{user:08}");
    let target = format!("arn:aws:iam::{account}:user/target-{}", rng.below(1000));
    let record = format!(
        concat!(
            r#"{{"eventVersion":"1.11","userIdentity":{{"type":"AssumedRole","principalId":"AROAEXAMPLE:{who}","#,
            r#""arn":"arn:aws:sts::{account}:assumed-role/admin/{who}","accountId":"{account}","accessKeyId":"{key}"}},"#,
            r#""eventTime":"{time}","eventSource":"{source}","eventName":"{name}","awsRegion":"us-east-1","#,
            r#""sourceIPAddress":"127.0.0.1","userAgent":"aws-cli/2.31.0","requestParameters":{{"userName":"{target}"}},"#,
            r#""responseElements":null,"requestID":"{id}","eventID":"{id}","readOnly":{read_only},"#,
            r#""eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"{account}","eventCategory":"Management"}}"#
        ),
        who = who,
        account = account,
        key = key,
        time = time,
        source = source,
        name = name,
        target = target,
        id = id,
        read_only = read_only,
    );
    EventRow {
        event_id: id,
        account_id: account.to_owned(),
        event_time: time,
        event_name: name.to_owned(),
        event_source: source.to_owned(),
        read_only,
        username: Some(who),
        access_key_id: Some(key),
        resources: vec![("AWS::IAM::User".to_owned(), target)],
        record,
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Writes up to `total` events in batches, stopping at `budget`.
async fn fill(store: &Store, total: u64, budget: Duration) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let started = Instant::now();
    let mut written = 0;
    while written < total {
        if started.elapsed() > budget {
            println!("  fill stopped by ROLECALL_BENCH_FILL_SECS after {written} events");
            break;
        }
        let n = BATCH.min(total - written);
        let batch: Vec<EventRow> = (written..written + n)
            .map(|i| event(i, total, &mut rng))
            .collect();
        store.insert_events(&batch).await.expect("insert a batch");
        written += n;
        if written.is_multiple_of(100_000) {
            println!(
                "  {written} events after {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    let secs = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let rate = written as f64 / secs.max(1e-9);
    println!("  filled {written} events in {secs:.1} s ({rate:.0} events/s)");
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Times `LOOKUPS` queries made by `make` (after `WARM_UP` untimed ones) and prints the
/// percentiles and the mean page size.
async fn measure(store: &Store, label: &str, make: &dyn Fn(&mut Rng) -> EventQuery) {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for _ in 0..WARM_UP {
        store.lookup_events(&make(&mut rng)).await.expect("lookup");
    }
    let mut times = Vec::with_capacity(LOOKUPS);
    let mut rows = 0;
    for _ in 0..LOOKUPS {
        let q = make(&mut rng);
        let started = Instant::now();
        let (page, _) = store.lookup_events(&q).await.expect("lookup");
        times.push(started.elapsed());
        rows += page.len();
    }
    times.sort();
    let p50 = times[LOOKUPS / 2];
    let p99 = times[LOOKUPS * 99 / 100];
    let max = times[LOOKUPS - 1];
    println!(
        "  {label:<44} p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms  ({:.1} rows/page)",
        ms(p50),
        ms(p99),
        ms(max),
        f64::from(u32::try_from(rows).unwrap_or(u32::MAX))
            / f64::from(u32::try_from(LOOKUPS).unwrap_or(1)),
    );
}

fn window(rng: &mut Rng) -> (i64, i64) {
    let start = END - SPAN
        + i64::try_from(rng.below(u64::try_from(SPAN - WINDOW).unwrap_or(1))).unwrap_or(0);
    (start, start + WINDOW - 1)
}

fn account(rng: &mut Rng) -> String {
    ACCOUNTS[usize::try_from(rng.below(4)).unwrap_or(0)].to_owned()
}

async fn run(store: &Store, total: u64, budget: Duration) {
    if store.count_events(ACCOUNTS[0]).await.expect("count") > 0 {
        println!("  the store holds a trail already: measuring it as it is");
    } else {
        fill(store, total, budget).await;
    }
    println!(
        "  {} events in account {}",
        store.count_events(ACCOUNTS[0]).await.expect("count"),
        ACCOUNTS[0]
    );
    measure(store, "Username + 7-day window, limit 50", &|rng| {
        let (start, end) = window(rng);
        EventQuery {
            account_id: account(rng),
            attribute: Some((
                LookupAttribute::Username,
                username(rng.below(USERS_PER_ACCOUNT)),
            )),
            start: Some(start),
            end: Some(end),
            limit: 50,
            after: None,
        }
    })
    .await;
    measure(store, "Username, whole trail, limit 50", &|rng| {
        EventQuery {
            account_id: account(rng),
            attribute: Some((
                LookupAttribute::Username,
                username(rng.below(USERS_PER_ACCOUNT)),
            )),
            start: None,
            end: None,
            limit: 50,
            after: None,
        }
    })
    .await;
    measure(store, "ResourceType + 7-day window, limit 50", &|rng| {
        let (start, end) = window(rng);
        EventQuery {
            account_id: account(rng),
            attribute: Some((LookupAttribute::ResourceType, "AWS::IAM::User".to_owned())),
            start: Some(start),
            end: Some(end),
            limit: 50,
            after: None,
        }
    })
    .await;
    measure(store, "no attribute + 7-day window, limit 50", &|rng| {
        let (start, end) = window(rng);
        EventQuery {
            account_id: account(rng),
            attribute: None,
            start: Some(start),
            end: Some(end),
            limit: 50,
            after: None,
        }
    })
    .await;
    // The second page of a Username lookup, through the cursor of the first.
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut second = Vec::new();
    for _ in 0..LOOKUPS {
        let q = EventQuery {
            account_id: account(&mut rng),
            attribute: Some((
                LookupAttribute::Username,
                username(rng.below(USERS_PER_ACCOUNT)),
            )),
            start: None,
            end: None,
            limit: 50,
            after: None,
        };
        let (_, next) = store.lookup_events(&q).await.expect("lookup");
        let q = EventQuery { after: next, ..q };
        let started = Instant::now();
        store.lookup_events(&q).await.expect("lookup");
        second.push(started.elapsed());
    }
    second.sort();
    println!(
        "  {:<44} p50 {:>7.2} ms  p99 {:>7.2} ms",
        "Username, second page by cursor",
        ms(second[LOOKUPS / 2]),
        ms(second[LOOKUPS * 99 / 100])
    );
    // A day's pruning: the oldest day of the ninety goes.
    let started = Instant::now();
    let pruned = store
        .prune_events(END - SPAN + 86_400)
        .await
        .expect("prune");
    println!(
        "  pruned the oldest day ({pruned} events) in {:.2} s",
        started.elapsed().as_secs_f64()
    );
}

fn main() {
    let total = env_u64("ROLECALL_BENCH_EVENTS", 1_000_000);
    let budget = Duration::from_secs(env_u64("ROLECALL_BENCH_FILL_SECS", 1200));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");

    if std::env::var_os("ROLECALL_BENCH_SKIP_SQLITE").is_none() {
        let tmp = tempfile::tempdir().expect("temp dir");
        // A directory to keep the SQLite database in, for a look at it afterwards.
        let dir = std::env::var_os("ROLECALL_BENCH_SQLITE_DIR")
            .map_or_else(|| tmp.path().to_owned(), std::path::PathBuf::from);
        println!("SQLite ({total} events)");
        runtime.block_on(async {
            let store = Store::open_sqlite(&dir).await.expect("open SQLite");
            run(&store, total, budget).await;
            store.close().await;
        });
        drop(tmp);
    }

    let kept = std::env::var("ROLECALL_BENCH_POSTGRES_URL").ok();
    let postgres = kept.or_else(|| {
        std::env::var("ROLECALL_TEST_DATABASE_URL")
            .ok()
            .map(|server| rolecall_test_support::fresh_postgres_database(&server))
    });
    match postgres {
        Some(url) => {
            println!("PostgreSQL ({total} events)");
            runtime.block_on(async {
                let store = Store::connect(&url).await.expect("connect to PostgreSQL");
                run(&store, total, budget).await;
                store.close().await;
            });
        }
        None => println!(
            "PostgreSQL skipped: neither ROLECALL_TEST_DATABASE_URL nor ROLECALL_BENCH_POSTGRES_URL is set"
        ),
    }
}
