//! The schema: created on a fresh database, applied once however often and however many
//! processes open the store.

use std::sync::Arc;

use rolecall_store::{Backend, EntityKind, Store};
use sqlx::{AnyPool, Row};

use crate::harness::{ACCOUNT, Db, T0, doc, policy, user};

const TABLES: &[&str] = &[
    "accounts",
    "server_keys",
    "users",
    "groups_",
    "roles",
    "instance_profiles",
    "instance_profile_roles",
    "group_members",
    "access_keys",
    "inline_policies",
    "managed_policies",
    "policy_versions",
    "attachments",
    "tags",
    "mfa_devices",
    "trail_events",
    "trail_keys",
    "trail_unindexed",
    "console_spent",
    "trail_chunks",
];

/// The version of every migration, in order.
const VERSIONS: &[i64] = &[1, 2, 3, 4, 5, 6, 7];

/// `(version, applied_at)` of every applied migration.
async fn applied(raw: &AnyPool) -> Vec<(i64, i64)> {
    sqlx::query("SELECT version, applied_at FROM schema_migrations ORDER BY version")
        .fetch_all(raw)
        .await
        .expect("read schema_migrations")
        .iter()
        .map(|r| (r.get::<i64, _>("version"), r.get::<i64, _>("applied_at")))
        .collect()
}

pub(crate) async fn fresh_database_has_every_migration_applied(db: Db) {
    let s = &db.store;
    assert_eq!(s.backend(), db.location.backend());
    let described = match db.location.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgresql",
    };
    assert_eq!(s.describe(), described);

    let raw = db.location.raw().await;
    let migrations = applied(&raw).await;
    let versions: Vec<i64> = migrations.iter().map(|m| m.0).collect();
    assert_eq!(versions, VERSIONS);
    let now = rolecall_store::now_epoch();
    for (version, at) in &migrations {
        assert!(
            (now - 600..=now + 1).contains(at),
            "migration {version}: applied_at {at} is now ({now})"
        );
    }

    // Every table of the schema is there, and empty.
    for table in TABLES {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM {table}"
        )))
        .fetch_one(&raw)
        .await
        .unwrap_or_else(|e| panic!("table {table}: {e}"));
        assert_eq!(row.get::<i64, _>("n"), 0, "table {table} starts empty");
    }
    if db.location.backend() == Backend::Sqlite {
        let row = sqlx::query("PRAGMA journal_mode")
            .fetch_one(&raw)
            .await
            .unwrap();
        assert_eq!(row.get::<String, _>(0).to_lowercase(), "wal");
    }
    raw.close().await;

    assert!(s.list_accounts().await.unwrap().is_empty());
    assert!(s.server_keys().await.unwrap().is_empty());
}

pub(crate) async fn reopen_keeps_data_and_applies_nothing_twice(db: Db) {
    let s = &db.store;
    s.ensure_account(ACCOUNT, T0).await.unwrap();
    let alice = user("Alice");
    s.create_entity(EntityKind::User, &alice).await.unwrap();
    let p = policy("Kept");
    s.create_managed_policy(&p, &doc("s3:*")).await.unwrap();
    let raw = db.location.raw().await;
    let before = applied(&raw).await;
    assert_eq!(before.len(), VERSIONS.len());

    // Another node opens the same database while the first is running.
    let second = db.location.open().await.expect("open a second time");
    assert_eq!(
        second
            .get_entity(EntityKind::User, ACCOUNT, "alice")
            .await
            .unwrap(),
        alice
    );
    second.close().await;
    s.close().await;

    // Restarts: the schema is left alone and the data is all there.
    for _ in 0..2 {
        let reopened: Store = db.location.open().await.expect("reopen");
        assert_eq!(reopened.list_accounts().await.unwrap(), vec![ACCOUNT]);
        assert_eq!(
            reopened
                .get_entity(EntityKind::User, ACCOUNT, "Alice")
                .await
                .unwrap(),
            alice
        );
        assert_eq!(
            reopened.policy_versions(&p.arn).await.unwrap()[0].document,
            doc("s3:*")
        );
        // Still writable.
        assert!(!reopened.ensure_account(ACCOUNT, T0).await.unwrap());
        reopened.close().await;
    }
    assert_eq!(applied(&raw).await, before);
    raw.close().await;
}

pub(crate) async fn concurrent_opens_of_a_fresh_database(db: Db) {
    let fresh = Arc::new(db.location.fresh().await);
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let fresh = Arc::clone(&fresh);
            tokio::spawn(async move {
                let store = fresh.open().await?;
                store.ensure_account(&format!("00000000000{i}"), T0).await?;
                Ok::<_, rolecall_store::StoreError>(store)
            })
        })
        .collect();
    let mut stores = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        match task.await.expect("task") {
            Ok(store) => stores.push(store),
            Err(e) => panic!("concurrent open {i} failed: {e}"),
        }
    }
    for store in &stores {
        assert_eq!(
            store.list_accounts().await.unwrap(),
            vec![
                "000000000000",
                "000000000001",
                "000000000002",
                "000000000003"
            ]
        );
    }
    let raw = fresh.raw().await;
    let migrations = applied(&raw).await;
    let versions: Vec<i64> = migrations.iter().map(|m| m.0).collect();
    assert_eq!(versions, VERSIONS);
    raw.close().await;
    for store in stores {
        store.close().await;
    }
}

pub(crate) async fn version_2_events_are_found_after_the_upgrade(db: Db) {
    use rolecall_store::{EventQuery, LookupAttribute};
    let loc = db.location.fresh().await;
    sqlx::any::install_default_drivers();
    let url = match &loc {
        crate::harness::Location::Sqlite { dir, .. } => {
            std::fs::create_dir_all(dir).unwrap();
            format!("sqlite://{}?mode=rwc", dir.join("rolecall.db").display())
        }
        crate::harness::Location::Postgres { url, .. } => url.clone(),
    };
    let raw: AnyPool = sqlx::pool::PoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap();
    // A database left by a server of schema version 3, with events written as version 2
    // kept them (one row each, resources in a table of their own).
    sqlx::query(
        "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .execute(&raw)
    .await
    .unwrap();
    for (version, sql) in [
        (1, include_str!("../../migrations/0001_initial.sql")),
        (2, include_str!("../../migrations/0002_events.sql")),
        (3, include_str!("../../migrations/0003_console.sql")),
    ] {
        for statement in rolecall_store::migration_statements(sql) {
            sqlx::query(sqlx::AssertSqlSafe(statement))
                .execute(&raw)
                .await
                .unwrap();
        }
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(version)
            .bind(T0)
            .execute(&raw)
            .await
            .unwrap();
    }
    let other = "999988887777";
    for (id, account, time, user, resources) in [
        (
            "old-1",
            ACCOUNT,
            T0,
            Some("alice"),
            vec![
                ("AWS::IAM::Role", "arn:aws:iam::123456789012:role/Admin"),
                ("AWS::IAM::User", "bob"),
            ],
        ),
        ("old-2", ACCOUNT, T0 + 100, None, vec![]),
        (
            "old-3",
            other,
            T0 + 5,
            Some("alice"),
            vec![("AWS::IAM::User", "bob")],
        ),
    ] {
        let encoded: String = resources
            .iter()
            .flat_map(|(k, n)| [*k, *n])
            .map(|p| format!("{}:{p}", p.len()))
            .collect();
        sqlx::query("INSERT INTO events (event_id, account_id, event_time, event_name, event_source, read_only, username, access_key_id, resources, record) VALUES ($1, $2, $3, 'CreateUser', 'iam.amazonaws.com', 0, $4, 'AKIAOLD', $5, $6)")
            .bind(id)
            .bind(account)
            .bind(time)
            .bind(user)
            .bind(encoded)
            .bind(format!("{{\"eventID\":\"{id}\"}}"))
            .execute(&raw)
            .await
            .unwrap();
        for (ordinal, (kind, name)) in resources.iter().enumerate() {
            sqlx::query("INSERT INTO event_resources (event_id, ordinal, account_id, event_time, resource_type, resource_name) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(id)
                .bind(i64::try_from(ordinal).unwrap())
                .bind(account)
                .bind(time)
                .bind(*kind)
                .bind(*name)
                .execute(&raw)
                .await
                .unwrap();
        }
    }

    let store = loc.open().await.expect("upgrade to the current schema");
    assert_eq!(applied(&raw).await.len(), VERSIONS.len());
    let ids = |rows: &[rolecall_store::EventRow]| {
        rows.iter().map(|e| e.event_id.clone()).collect::<Vec<_>>()
    };
    let query = |attribute: Option<(LookupAttribute, &str)>| EventQuery {
        account_id: ACCOUNT.to_owned(),
        attribute: attribute.map(|(a, v)| (a, v.to_owned())),
        start: None,
        end: None,
        limit: 50,
        after: None,
    };
    let (all, _) = store.lookup_events(&query(None)).await.unwrap();
    assert_eq!(ids(&all), ["old-2", "old-1"]);
    assert_eq!(all[1].record, "{\"eventID\":\"old-1\"}");
    assert_eq!(
        all[1].resources,
        [
            (
                "AWS::IAM::Role".to_owned(),
                "arn:aws:iam::123456789012:role/Admin".to_owned()
            ),
            ("AWS::IAM::User".to_owned(), "bob".to_owned()),
        ]
    );
    for (attribute, value, expected) in [
        (LookupAttribute::Username, "alice", vec!["old-1"]),
        (LookupAttribute::ResourceName, "bob", vec!["old-1"]),
        (
            LookupAttribute::ResourceType,
            "AWS::IAM::Role",
            vec!["old-1"],
        ),
        (
            LookupAttribute::EventName,
            "CreateUser",
            vec!["old-2", "old-1"],
        ),
        (
            LookupAttribute::EventSource,
            "iam.amazonaws.com",
            vec!["old-2", "old-1"],
        ),
        (LookupAttribute::ReadOnly, "false", vec!["old-2", "old-1"]),
        (
            LookupAttribute::AccessKeyId,
            "AKIAOLD",
            vec!["old-2", "old-1"],
        ),
        (LookupAttribute::EventId, "old-3", vec![]),
    ] {
        let (rows, _) = store
            .lookup_events(&query(Some((attribute, value))))
            .await
            .unwrap();
        assert_eq!(ids(&rows), expected, "{attribute:?} = {value}");
    }
    // Written after the upgrade, found beside the upgraded ones; pruning takes the old ones.
    assert_eq!(store.prune_events(T0 + 50).await.unwrap(), 2);
    let (all, _) = store.lookup_events(&query(None)).await.unwrap();
    assert_eq!(ids(&all), ["old-2"]);
    store.close().await;
    raw.close().await;
}
