//! Multi-row changes are one transaction: when a later statement fails, the earlier ones are
//! undone. The failures are provoked by planting, through a plain connection, a row that the
//! public API never leaves behind and that collides with the change's last statements.

use rolecall_store::{EntityKind, PolicyScope, StoreError, Tag};
use sqlx::Row;

use crate::harness::{ACCOUNT, Db, T0, assert_err, doc, group, policy, user};

pub(crate) async fn failed_policy_creation_leaves_no_policy(db: Db) {
    let s = &db.store;
    let p = policy("Planted");
    let raw = db.location.raw().await;
    sqlx::query(
        "INSERT INTO policy_versions (policy_arn, version_id, document, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&p.arn)
    .bind("v1")
    .bind("planted")
    .bind(T0)
    .execute(&raw)
    .await
    .unwrap();

    // The policy row goes in first, then its v1 collides with the planted row.
    assert_err!(
        s.create_managed_policy(&p, &doc("s3:*")).await,
        StoreError::Database(_)
    );
    assert_eq!(s.get_managed_policy(&p.arn).await.unwrap(), None);
    assert!(
        s.list_managed_policies(ACCOUNT, PolicyScope::Local, false, "/", None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(s.policy_counts(ACCOUNT).await.unwrap(), (0, 0));
    let rows = sqlx::query("SELECT document FROM policy_versions WHERE policy_arn = $1")
        .bind(&p.arn)
        .fetch_all(&raw)
        .await
        .unwrap();
    let docs: Vec<String> = rows.iter().map(|r| r.get("document")).collect();
    assert_eq!(docs, vec!["planted"]);

    // Without the plant the same creation succeeds: nothing of the failed one was left over.
    sqlx::query("DELETE FROM policy_versions WHERE policy_arn = $1")
        .bind(&p.arn)
        .execute(&raw)
        .await
        .unwrap();
    raw.close().await;
    s.create_managed_policy(&p, &doc("s3:*")).await.unwrap();
    let versions = s.policy_versions(&p.arn).await.unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].document, doc("s3:*"));
}

pub(crate) async fn failed_policy_version_leaves_counter_and_default(db: Db) {
    let s = &db.store;
    let p = policy("Counted");
    s.create_managed_policy(&p, &doc("v1")).await.unwrap();
    let raw = db.location.raw().await;
    sqlx::query(
        "INSERT INTO policy_versions (policy_arn, version_id, document, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&p.arn)
    .bind("v2")
    .bind("planted")
    .bind(T0)
    .execute(&raw)
    .await
    .unwrap();

    // The counter moves first, then v2 collides; the new default is never reached.
    assert_err!(
        s.create_policy_version(&p.arn, &doc("v2"), true, T0 + 10)
            .await,
        StoreError::Database(_)
    );
    let got = s.get_managed_policy(&p.arn).await.unwrap().unwrap();
    assert_eq!((got.default_version.as_str(), got.updated_at), ("v1", T0));

    sqlx::query("DELETE FROM policy_versions WHERE policy_arn = $1 AND version_id = $2")
        .bind(&p.arn)
        .bind("v2")
        .execute(&raw)
        .await
        .unwrap();
    raw.close().await;
    // The counter was rolled back with the rest: the next version is v2 again.
    assert_eq!(
        s.create_policy_version(&p.arn, &doc("v2"), true, T0 + 20)
            .await
            .unwrap(),
        "v2"
    );
    let got = s.get_managed_policy(&p.arn).await.unwrap().unwrap();
    assert_eq!(
        (got.default_version.as_str(), got.updated_at),
        ("v2", T0 + 20)
    );
}

pub(crate) async fn failed_rename_leaves_the_entity_where_it_was(db: Db) {
    let s = &db.store;
    let a = user("a");
    s.create_entity(EntityKind::User, &a).await.unwrap();
    s.create_entity(EntityKind::Group, &group("team"))
        .await
        .unwrap();
    s.add_user_to_group(ACCOUNT, "team", "a").await.unwrap();
    s.put_inline_policy(ACCOUNT, EntityKind::User, "a", "p", &doc("s3:*"), 10_240)
        .await
        .unwrap();
    let p = policy("Attached");
    s.create_managed_policy(&p, &doc("ec2:*")).await.unwrap();
    s.attach_policy(ACCOUNT, EntityKind::User, "a", &p.arn)
        .await
        .unwrap();
    let tags = vec![Tag {
        key: "k".into(),
        value: "v".into(),
    }];
    s.tag(ACCOUNT, "user", "a", &tags).await.unwrap();

    // A stale inline policy of the same name under the new owner name: the user row is
    // renamed first, then moving the inline policies collides.
    let raw = db.location.raw().await;
    sqlx::query(
        "INSERT INTO inline_policies (account_id, owner_kind, owner_lower, name, document) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(ACCOUNT)
    .bind("user")
    .bind("b")
    .bind("p")
    .bind("planted")
    .execute(&raw)
    .await
    .unwrap();
    raw.close().await;

    assert_err!(
        s.update_entity(EntityKind::User, ACCOUNT, "a", Some("b"), Some("/moved/"))
            .await,
        StoreError::Database(_)
    );

    assert_eq!(
        s.get_entity(EntityKind::User, ACCOUNT, "a").await.unwrap(),
        a
    );
    assert_err!(
        s.get_entity(EntityKind::User, ACCOUNT, "b").await,
        StoreError::NotFound
    );
    assert_eq!(
        s.inline_policies(ACCOUNT, EntityKind::User, "a")
            .await
            .unwrap(),
        vec![("p".to_owned(), doc("s3:*"))]
    );
    assert_eq!(
        s.attached_policies(ACCOUNT, EntityKind::User, "a")
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(s.tags(ACCOUNT, "user", "a").await.unwrap(), tags);
    assert_eq!(
        s.users_in_group(ACCOUNT, "team").await.unwrap(),
        vec![a.clone()]
    );
    assert!(s.tags(ACCOUNT, "user", "b").await.unwrap().is_empty());
}

/// A transaction that reads before it writes (the inline-policy size check) does not fail with
/// "database is locked" while another writer (the audit trail's) commits meanwhile: it waits
/// its turn for the write lock.
pub(crate) async fn reads_then_writes_wait_for_a_concurrent_writer(db: Db) {
    let s = &db.store;
    s.create_entity(EntityKind::User, &user("busy"))
        .await
        .unwrap();
    let store = s.clone();
    let writer = tokio::spawn(async move {
        for i in 0..400_i64 {
            let event = rolecall_store::EventRow {
                event_id: format!("event-{i:04}"),
                account_id: ACCOUNT.to_owned(),
                event_time: T0 + i,
                event_name: "ListUsers".to_owned(),
                event_source: "iam.amazonaws.com".to_owned(),
                read_only: true,
                username: Some("busy".to_owned()),
                access_key_id: None,
                resources: Vec::new(),
                record: "{}".to_owned(),
            };
            store.insert_events(&[event]).await?;
        }
        Ok::<_, StoreError>(())
    });
    for i in 0..200 {
        let name = format!("p{}", i % 4);
        s.put_inline_policy(ACCOUNT, EntityKind::User, "busy", &name, &doc("s3:*"), 2048)
            .await
            .unwrap_or_else(|e| panic!("write {i} failed beside a concurrent writer: {e:?}"));
    }
    writer.await.unwrap().unwrap();
}
