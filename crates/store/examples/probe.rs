//! Temporary probe.
use rolecall_store::{EventQuery, LookupAttribute, Store};
use std::time::Instant;
fn main() {
    let server = std::env::var("ROLECALL_TEST_DATABASE_URL").unwrap();
    let url = rolecall_test_support::fresh_postgres_database(&server);
    println!("{url}");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let s = Store::connect(&url).await.unwrap();
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        for st in [
            "ALTER TABLE events SET (autovacuum_enabled = false)",
            "ALTER TABLE event_resources SET (autovacuum_enabled = false)",
            "INSERT INTO events SELECT lpad(to_hex(i), 12, '0'), (ARRAY['111122223333','222233334444','333344445555','444455556666'])[1 + (i * 7) % 4], 1792224000 + i * 7, 'ListUsers', 'iam.amazonaws.com', i % 2, 'user-' || ((i * 13) % 200), 'ASIA' || ((i * 13) % 200), '14:AWS::IAM::User5:carol', repeat('x', 700) FROM generate_series(1, 1000000) i",
            "INSERT INTO event_resources SELECT event_id, 0, account_id, event_time, 'AWS::IAM::User', 'arn:aws:iam::' || account_id || ':user/t' || (event_time % 1000) FROM events",
        ] { let t = Instant::now(); sqlx::query(sqlx::AssertSqlSafe(st.to_owned())).execute(&pool).await.unwrap(); println!("{:.1}s {}", t.elapsed().as_secs_f64(), &st[..40]); }
        for phase in ["no stats", "analyzed"] {
            if phase == "analyzed" { sqlx::query("ANALYZE").execute(&pool).await.unwrap(); }
            for attr in [Some(LookupAttribute::Username), Some(LookupAttribute::ResourceType), None] {
                let mut times = Vec::new();
                for k in 0..100u32 {
                    let start = 1_792_224_000 + i64::from(k) * 50_000;
                    let q = EventQuery { account_id: "111122223333".into(), attribute: attr.map(|a| (a, if a == LookupAttribute::Username { format!("user-{}", (k * 2) % 200) } else { "AWS::IAM::User".into() })), start: Some(start), end: Some(start + 604_799), limit: 50, after: None };
                    let t = Instant::now();
                    let n = s.lookup_events(&q).await.unwrap().0.len();
                    times.push((t.elapsed().as_secs_f64() * 1000.0, n));
                }
                println!("{phase} {attr:?}: first {:?} then {:?} mid {:?}", &times[..3], &times[10..13], times[50]);
            }
        }
    });
}
