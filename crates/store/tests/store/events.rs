//! The audit trail: events written in batches, looked up by one attribute within an account
//! and a time range, newest first, paged by keyset cursor, and pruned by age.

use std::collections::BTreeSet;

use rolecall_store::{EventQuery, EventRow, LookupAttribute, StoreError};
use sqlx::Row;

use crate::harness::{ACCOUNT, Db, OTHER_ACCOUNT, T0, assert_err};

/// An IAM `ListUsers` by `alice` in [`ACCOUNT`] at `time`, without resources.
fn event(id: &str, time: i64) -> EventRow {
    EventRow {
        event_id: id.to_owned(),
        account_id: ACCOUNT.to_owned(),
        event_time: time,
        event_name: "ListUsers".to_owned(),
        event_source: "iam.amazonaws.com".to_owned(),
        read_only: true,
        username: Some("alice".to_owned()),
        access_key_id: Some("AKIAALICE00000000001".to_owned()),
        resources: Vec::new(),
        record: format!(r#"{{"eventID":"{id}","eventTime":{time}}}"#),
    }
}

fn resource(kind: &str, name: &str) -> (String, String) {
    (kind.to_owned(), name.to_owned())
}

/// A query of [`ACCOUNT`]'s whole trail, fifty to a page.
fn query() -> EventQuery {
    EventQuery {
        account_id: ACCOUNT.to_owned(),
        attribute: None,
        start: None,
        end: None,
        limit: 50,
        after: None,
    }
}

fn by(attribute: LookupAttribute, value: &str) -> EventQuery {
    EventQuery {
        attribute: Some((attribute, value.to_owned())),
        ..query()
    }
}

fn ids(rows: &[EventRow]) -> Vec<&str> {
    rows.iter().map(|e| e.event_id.as_str()).collect()
}

/// Every row the query matches, page by page, checking that only the last page has no cursor.
async fn all_pages(db: &Db, mut q: EventQuery) -> Vec<EventRow> {
    let mut out = Vec::new();
    for _ in 0..1000 {
        let (rows, next) = db.store.lookup_events(&q).await.unwrap();
        assert!(rows.len() <= q.limit as usize);
        out.extend(rows);
        match next {
            Some(cursor) => q.after = Some(cursor),
            None => return out,
        }
    }
    panic!("paging did not end");
}

/// How many events the whole database holds: rows of their own and events in chunks (SQLite;
/// the table is empty on PostgreSQL), counted in the tables themselves.
async fn events_stored(db: &Db) -> i64 {
    let raw = db.location.raw().await;
    let in_chunks =
        sqlx::query("SELECT CAST(COALESCE(SUM(events), 0) AS BIGINT) AS n FROM trail_chunks")
            .fetch_one(&raw)
            .await
            .unwrap()
            .get::<i64, _>("n");
    raw.close().await;
    rows_in(db, "trail_events").await + in_chunks
}

/// How many rows `table` holds in the whole database, counted in the table itself.
async fn rows_in(db: &Db, table: &str) -> i64 {
    let raw = db.location.raw().await;
    let n = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) AS n FROM {table}"
    )))
    .fetch_one(&raw)
    .await
    .unwrap()
    .get::<i64, _>("n");
    raw.close().await;
    n
}

pub(crate) async fn events_roundtrip_every_field(db: Db) {
    let s = &db.store;
    let assume = EventRow {
        event_id: "5f3c1a9e-0b7d-4c1e-9a3f-2d8e7b6c5a41".to_owned(),
        account_id: ACCOUNT.to_owned(),
        event_time: T0,
        event_name: "AssumeRole".to_owned(),
        event_source: "sts.amazonaws.com".to_owned(),
        read_only: true,
        username: Some("alice".to_owned()),
        access_key_id: Some("AKIAALICE00000000001".to_owned()),
        resources: vec![
            resource("AWS::IAM::AccessKey", "ASIASESSION000000001"),
            resource("AWS::STS::AssumedRole", "AWS-CLI-session-1700000000"),
            resource(
                "AWS::STS::AssumedRole",
                "AROATEST0000000000001:AWS-CLI-session-1700000000",
            ),
            resource(
                "AWS::IAM::Role",
                &format!("arn:aws:iam::{ACCOUNT}:role/admin"),
            ),
            // Text that looks like the column's own encoding, an empty type, non-ASCII.
            resource("", "12:ab:3:x"),
            resource("AWS::IAM::User", "ünï:cödé 9:"),
        ],
        record: r#"{"eventVersion":"1.11","userIdentity":{"type":"IAMUser","userName":"alice"},"eventName":"AssumeRole","requestParameters":{"roleSessionName":"AWS-CLI-session-1700000000","note":"quotes \" and 'ünïcödé'"}}"#.to_owned(),
    };
    // A service's call: no user, no key, no resources, a write.
    let service = EventRow {
        event_id: "0a1b2c3d-0000-4000-8000-000000000002".to_owned(),
        event_time: T0 + 1,
        event_name: "CreateServiceLinkedRole".to_owned(),
        event_source: "iam.amazonaws.com".to_owned(),
        read_only: false,
        username: None,
        access_key_id: None,
        resources: Vec::new(),
        ..event("unused", T0)
    };
    s.insert_events(&[assume.clone(), service.clone()])
        .await
        .unwrap();
    s.insert_events(&[]).await.unwrap();

    let (rows, next) = s.lookup_events(&query()).await.unwrap();
    assert_eq!(rows, vec![service.clone(), assume.clone()]);
    assert_eq!(next, None);
    let (rows, _) = s
        .lookup_events(&by(LookupAttribute::EventId, &assume.event_id))
        .await
        .unwrap();
    assert_eq!(rows, vec![assume.clone()]);
    assert_eq!(s.count_events(ACCOUNT).await.unwrap(), 2);
    assert_eq!(s.count_events(OTHER_ACCOUNT).await.unwrap(), 0);

    // The record's text never reaches Debug output.
    let shown = format!("{assume:?}");
    assert!(shown.contains("AssumeRole") && !shown.contains("eventVersion"));
}

pub(crate) async fn a_batch_with_a_repeated_event_id_writes_nothing(db: Db) {
    let s = &db.store;
    s.insert_events(&[event("kept", T0)]).await.unwrap();
    let mut fresh = event("fresh", T0 + 1);
    fresh.resources = vec![resource("AWS::IAM::User", "bob")];
    assert_err!(
        s.insert_events(&[fresh.clone(), event("kept", T0 + 2)])
            .await,
        StoreError::AlreadyExists
    );
    assert_err!(
        s.insert_events(&[fresh.clone(), fresh.clone()]).await,
        StoreError::AlreadyExists
    );
    let (rows, _) = s.lookup_events(&query()).await.unwrap();
    assert_eq!(ids(&rows), ["kept"]);
    assert_eq!(events_stored(&db).await, 1);
}

pub(crate) async fn each_lookup_attribute_filters(db: Db) {
    let s = &db.store;
    let mut alice = event("e1", T0);
    alice.resources = vec![resource("AWS::IAM::User", "carol")];
    let mut session = event("e2", T0 + 1);
    session.event_name = "CreateUser".to_owned();
    session.read_only = false;
    session.username = Some("AWS-CLI-session-1700000000".to_owned());
    session.access_key_id = Some("ASIASESSION000000001".to_owned());
    session.resources = vec![resource("AWS::IAM::User", "dave")];
    let mut assume = event("e3", T0 + 2);
    assume.event_name = "AssumeRole".to_owned();
    assume.event_source = "sts.amazonaws.com".to_owned();
    assume.resources = vec![
        resource("AWS::IAM::AccessKey", "ASIASESSION000000001"),
        resource("AWS::STS::AssumedRole", "AWS-CLI-session-1700000000"),
        resource(
            "AWS::STS::AssumedRole",
            "AROATEST0000000000001:AWS-CLI-session-1700000000",
        ),
    ];
    let mut service = event("e4", T0 + 3);
    service.username = None;
    service.access_key_id = None;
    service.read_only = false;
    service.event_name = "CreateServiceLinkedRole".to_owned();
    let mut upper = event("e5", T0 + 4);
    upper.username = Some("Alice".to_owned());
    s.insert_events(&[alice, session, assume, service, upper])
        .await
        .unwrap();

    let cases: &[(LookupAttribute, &str, &[&str])] = &[
        (LookupAttribute::EventId, "e2", &["e2"]),
        (LookupAttribute::EventId, "E2", &[]),
        (LookupAttribute::EventName, "CreateUser", &["e2"]),
        (LookupAttribute::EventName, "ListUsers", &["e5", "e1"]),
        (LookupAttribute::EventName, "createuser", &[]),
        (LookupAttribute::ReadOnly, "true", &["e5", "e3", "e1"]),
        (LookupAttribute::ReadOnly, "false", &["e4", "e2"]),
        (LookupAttribute::ReadOnly, "TRUE", &[]),
        (LookupAttribute::ReadOnly, "1", &[]),
        (LookupAttribute::Username, "alice", &["e3", "e1"]),
        (LookupAttribute::Username, "Alice", &["e5"]),
        (
            LookupAttribute::Username,
            "AWS-CLI-session-1700000000",
            &["e2"],
        ),
        (
            LookupAttribute::ResourceType,
            "AWS::IAM::User",
            &["e2", "e1"],
        ),
        // Two resources of the type: the event once.
        (
            LookupAttribute::ResourceType,
            "AWS::STS::AssumedRole",
            &["e3"],
        ),
        (LookupAttribute::ResourceType, "AWS::IAM::Role", &[]),
        (LookupAttribute::ResourceName, "carol", &["e1"]),
        (
            LookupAttribute::ResourceName,
            "AWS-CLI-session-1700000000",
            &["e3"],
        ),
        // Exact names only: no substrings.
        (LookupAttribute::ResourceName, "AWS-CLI-session", &[]),
        (
            LookupAttribute::ResourceName,
            "ASIASESSION000000001",
            &["e3"],
        ),
        (LookupAttribute::EventSource, "sts.amazonaws.com", &["e3"]),
        (
            LookupAttribute::EventSource,
            "iam.amazonaws.com",
            &["e5", "e4", "e2", "e1"],
        ),
        (
            LookupAttribute::AccessKeyId,
            "ASIASESSION000000001",
            &["e2"],
        ),
        (
            LookupAttribute::AccessKeyId,
            "AKIAALICE00000000001",
            &["e5", "e3", "e1"],
        ),
    ];
    for (attribute, value, expected) in cases {
        let (rows, next) = s.lookup_events(&by(*attribute, value)).await.unwrap();
        assert_eq!(ids(&rows), *expected, "{attribute:?} = {value:?}");
        assert_eq!(next, None);
    }
    // Every attribute was exercised, and the wire names read back.
    let seen: BTreeSet<&str> = cases.iter().map(|(a, _, _)| a.as_str()).collect();
    assert_eq!(seen.len(), LookupAttribute::ALL.len());
    for attribute in LookupAttribute::ALL {
        assert_eq!(LookupAttribute::parse(attribute.as_str()), Some(attribute));
    }
    assert_eq!(LookupAttribute::parse("username"), None);
    // A matching row carries all its resources, in order, not just the matched one.
    let (rows, _) = s
        .lookup_events(&by(LookupAttribute::ResourceName, "ASIASESSION000000001"))
        .await
        .unwrap();
    assert_eq!(rows[0].resources.len(), 3);
    assert_eq!(rows[0].resources[0].0, "AWS::IAM::AccessKey");
    assert_eq!(
        rows[0].resources[2].1,
        "AROATEST0000000000001:AWS-CLI-session-1700000000"
    );
}

pub(crate) async fn time_range_is_inclusive_at_both_ends(db: Db) {
    let s = &db.store;
    let events: Vec<EventRow> = (0..10)
        .map(|i| {
            let mut e = event(&format!("t{i}"), T0 + i * 10);
            e.resources = vec![resource("AWS::IAM::User", "bob")];
            e
        })
        .collect();
    s.insert_events(&events).await.unwrap();
    let window = |mut q: EventQuery, start: Option<i64>, end: Option<i64>| {
        q.start = start;
        q.end = end;
        q
    };
    for base in [
        query(),
        by(LookupAttribute::Username, "alice"),
        by(LookupAttribute::ResourceName, "bob"),
    ] {
        let cases: &[(Option<i64>, Option<i64>, &[&str])] = &[
            (Some(T0 + 20), Some(T0 + 50), &["t5", "t4", "t3", "t2"]),
            (Some(T0 + 21), Some(T0 + 49), &["t4", "t3"]),
            (Some(T0 + 30), Some(T0 + 30), &["t3"]),
            (Some(T0 + 31), Some(T0 + 39), &[]),
            (None, Some(T0 + 10), &["t1", "t0"]),
            (Some(T0 + 80), None, &["t9", "t8"]),
            // A start after the end matches nothing.
            (Some(T0 + 50), Some(T0 + 20), &[]),
        ];
        for (start, end, expected) in cases {
            let (rows, next) = s
                .lookup_events(&window(base.clone(), *start, *end))
                .await
                .unwrap();
            assert_eq!(ids(&rows), *expected, "{base:?} from {start:?} to {end:?}");
            assert_eq!(next, None);
        }
    }
}

pub(crate) async fn newest_first_with_ties_broken_by_event_id(db: Db) {
    let s = &db.store;
    // Inserted in an order that is neither time nor id order.
    let events = vec![
        event("b", T0 + 5),
        event("a", T0 + 9),
        event("d", T0 + 5),
        event("c", T0 + 5),
        event("z", T0),
        event("y", T0 + 9),
    ];
    s.insert_events(&events).await.unwrap();
    let (rows, _) = s.lookup_events(&query()).await.unwrap();
    assert_eq!(ids(&rows), ["y", "a", "d", "c", "b", "z"]);
    let times: Vec<i64> = rows.iter().map(|e| e.event_time).collect();
    assert_eq!(times, [T0 + 9, T0 + 9, T0 + 5, T0 + 5, T0 + 5, T0]);

    // Paging two at a time walks the same order through the ties.
    let (page, next) = s
        .lookup_events(&EventQuery {
            limit: 2,
            ..query()
        })
        .await
        .unwrap();
    assert_eq!(ids(&page), ["y", "a"]);
    assert_eq!(next, Some((T0 + 9, "a".to_owned())));
    let rest = all_pages(
        &db,
        EventQuery {
            limit: 2,
            after: next,
            ..query()
        },
    )
    .await;
    assert_eq!(ids(&rest), ["d", "c", "b", "z"]);
}

pub(crate) async fn cursor_pages_return_every_row_exactly_once(db: Db) {
    let s = &db.store;
    // 137 events, seven to a second (many ties), half of them bob's, each with a resource.
    let events: Vec<EventRow> = (0..137)
        .map(|i| {
            let mut e = event(&format!("p{i:04}"), T0 + i / 7);
            if i % 2 == 0 {
                e.username = Some("bob".to_owned());
            }
            e.resources = vec![
                resource("AWS::IAM::User", "carol"),
                resource("AWS::IAM::User", "dave"),
            ];
            e
        })
        .collect();
    // In batches, as the server writes them.
    for batch in events.chunks(40) {
        s.insert_events(batch).await.unwrap();
    }
    let mut newest_first = events.clone();
    newest_first.sort_by(|x, y| (y.event_time, &y.event_id).cmp(&(x.event_time, &x.event_id)));
    let expected = |keep: &dyn Fn(&EventRow) -> bool| -> Vec<String> {
        newest_first
            .iter()
            .filter(|e| keep(e))
            .map(|e| e.event_id.clone())
            .collect()
    };
    let all = expected(&|_| true);
    let bobs = expected(&|e| e.username.as_deref() == Some("bob"));
    let cases = [
        (query(), all.clone()),
        (by(LookupAttribute::Username, "bob"), bobs),
        (
            by(LookupAttribute::ResourceType, "AWS::IAM::User"),
            all.clone(),
        ),
        (by(LookupAttribute::ResourceName, "dave"), all.clone()),
        (
            EventQuery {
                limit: 7,
                ..query()
            },
            all.clone(),
        ),
        (
            EventQuery {
                limit: 1,
                start: Some(T0 + 10),
                end: Some(T0 + 12),
                ..query()
            },
            expected(&|e| (T0 + 10..=T0 + 12).contains(&e.event_time)),
        ),
    ];
    for (q, want) in cases {
        let got = all_pages(&db, q.clone()).await;
        let got: Vec<String> = got.into_iter().map(|e| e.event_id).collect();
        assert_eq!(got, want, "{q:?}");
    }
    // Fifty a page: 50, 50, 37; the first page's rows carry their resources.
    let (first, next) = s.lookup_events(&query()).await.unwrap();
    assert_eq!(first.len(), 50);
    assert_eq!(first[0], newest_first[0]);
    let (second, next) = s
        .lookup_events(&EventQuery {
            after: next,
            ..query()
        })
        .await
        .unwrap();
    assert_eq!(second.len(), 50);
    let (third, next) = s
        .lookup_events(&EventQuery {
            after: next,
            ..query()
        })
        .await
        .unwrap();
    assert_eq!(third.len(), 37);
    assert_eq!(next, None);

    // A page that ends exactly at the last row says there is no more.
    let (page, next) = s
        .lookup_events(&EventQuery {
            limit: 37,
            after: Some((second[49].event_time, second[49].event_id.clone())),
            ..query()
        })
        .await
        .unwrap();
    assert_eq!(page.len(), 37);
    assert_eq!(next, None);

    // Limits outside 1..=50 are brought inside.
    let (page, _) = s
        .lookup_events(&EventQuery {
            limit: 500,
            ..query()
        })
        .await
        .unwrap();
    assert_eq!(page.len(), 50);
    let (page, _) = s
        .lookup_events(&EventQuery {
            limit: 0,
            ..query()
        })
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
}

pub(crate) async fn lookups_see_only_their_own_account(db: Db) {
    let s = &db.store;
    // The two copies of a cross-account AssumeRole: one per account, each its own id.
    let mut caller = event("caller-copy", T0);
    caller.event_name = "AssumeRole".to_owned();
    caller.resources = vec![resource(
        "AWS::IAM::Role",
        "arn:aws:iam::444455556666:role/x",
    )];
    let mut owner = caller.clone();
    owner.event_id = "owner-copy".to_owned();
    owner.account_id = OTHER_ACCOUNT.to_owned();
    s.insert_events(&[caller, owner]).await.unwrap();
    s.insert_events(&[event("mine", T0 + 1)]).await.unwrap();

    let other = |mut q: EventQuery| {
        q.account_id = OTHER_ACCOUNT.to_owned();
        q
    };
    let cases: &[(EventQuery, &[&str], &[&str])] = &[
        (query(), &["mine", "caller-copy"], &["owner-copy"]),
        (
            by(LookupAttribute::Username, "alice"),
            &["mine", "caller-copy"],
            &["owner-copy"],
        ),
        (
            by(LookupAttribute::EventId, "owner-copy"),
            &[],
            &["owner-copy"],
        ),
        (by(LookupAttribute::EventId, "mine"), &["mine"], &[]),
        (
            by(LookupAttribute::ResourceType, "AWS::IAM::Role"),
            &["caller-copy"],
            &["owner-copy"],
        ),
        (
            by(
                LookupAttribute::ResourceName,
                "arn:aws:iam::444455556666:role/x",
            ),
            &["caller-copy"],
            &["owner-copy"],
        ),
    ];
    for (q, mine, theirs) in cases {
        let (rows, _) = s.lookup_events(q).await.unwrap();
        assert_eq!(ids(&rows), *mine, "{q:?}");
        let (rows, _) = s.lookup_events(&other(q.clone())).await.unwrap();
        assert_eq!(ids(&rows), *theirs, "{q:?} in the other account");
    }
    let (rows, _) = s
        .lookup_events(&EventQuery {
            account_id: "999999999999".to_owned(),
            ..query()
        })
        .await
        .unwrap();
    assert!(rows.is_empty());
    assert_eq!(s.count_events(ACCOUNT).await.unwrap(), 2);
    assert_eq!(s.count_events(OTHER_ACCOUNT).await.unwrap(), 1);
}

pub(crate) async fn prune_removes_only_older_events_and_their_resources(db: Db) {
    let s = &db.store;
    let cutoff = T0 + 10_000;
    // More old events than one pruning batch, in both accounts, each with two resources.
    let mut events: Vec<EventRow> = (0..1203)
        .map(|i| {
            let mut e = event(&format!("old{i:05}"), T0 + i);
            if i % 3 == 0 {
                e.account_id = OTHER_ACCOUNT.to_owned();
            }
            e.resources = vec![
                resource("AWS::IAM::User", &format!("u{i}")),
                resource("AWS::IAM::Role", "r"),
            ];
            e
        })
        .collect();
    let mut at_cutoff = event("at-cutoff", cutoff);
    at_cutoff.resources = vec![resource("AWS::IAM::Role", "r")];
    let mut newer = event("newer", cutoff + 1);
    newer.account_id = OTHER_ACCOUNT.to_owned();
    newer.resources = vec![resource("AWS::IAM::Role", "r")];
    events.push(at_cutoff);
    events.push(newer);
    for batch in events.chunks(300) {
        s.insert_events(batch).await.unwrap();
    }
    assert_eq!(events_stored(&db).await, 1205);

    assert_eq!(s.prune_events(cutoff).await.unwrap(), 1203);
    assert_eq!(events_stored(&db).await, 2);
    // No key row is left wholly before the cut.
    let raw = db.location.raw().await;
    let stale: i64 = sqlx::query("SELECT COUNT(*) AS n FROM trail_keys WHERE newest < $1")
        .bind(cutoff - 60)
        .fetch_one(&raw)
        .await
        .unwrap()
        .get("n");
    raw.close().await;
    assert_eq!(stale, 0);
    let (rows, _) = s.lookup_events(&query()).await.unwrap();
    assert_eq!(ids(&rows), ["at-cutoff"]);
    assert_eq!(rows[0].resources, vec![resource("AWS::IAM::Role", "r")]);
    let (rows, _) = s
        .lookup_events(&EventQuery {
            account_id: OTHER_ACCOUNT.to_owned(),
            ..by(LookupAttribute::ResourceName, "r")
        })
        .await
        .unwrap();
    assert_eq!(ids(&rows), ["newer"]);
    let (rows, _) = s
        .lookup_events(&by(LookupAttribute::ResourceName, "u3"))
        .await
        .unwrap();
    assert!(rows.is_empty());

    // Nothing left to prune; the same id can be written again once pruned.
    assert_eq!(s.prune_events(cutoff).await.unwrap(), 0);
    s.insert_events(&[event("old00001", T0 + 1)]).await.unwrap();
    assert_eq!(s.count_events(ACCOUNT).await.unwrap(), 2);
}

pub(crate) async fn empty_lookup_returns_no_cursor(db: Db) {
    let s = &db.store;
    for attribute in LookupAttribute::ALL {
        let (rows, next) = s.lookup_events(&by(attribute, "anything")).await.unwrap();
        assert!(rows.is_empty());
        assert_eq!(next, None);
    }
    s.insert_events(&[event("only", T0)]).await.unwrap();
    let cases = [
        query(),
        EventQuery {
            start: Some(T0 + 1),
            ..query()
        },
        EventQuery {
            after: Some((T0, "only".to_owned())),
            ..query()
        },
        by(LookupAttribute::Username, "nobody"),
    ];
    let (rows, next) = s.lookup_events(&cases[0]).await.unwrap();
    assert_eq!(ids(&rows), ["only"]);
    assert_eq!(next, None);
    for q in &cases[1..] {
        let (rows, next) = s.lookup_events(q).await.unwrap();
        assert!(rows.is_empty(), "{q:?}");
        assert_eq!(next, None, "{q:?}");
    }
}

pub(crate) async fn nul_characters_cannot_fail_a_batch(db: Db) {
    let s = &db.store;
    let mut odd = event("odd", T0 + 1);
    odd.event_name = "Create\0User".to_owned();
    odd.username = Some("mal\0lory".to_owned());
    odd.resources = vec![resource("AWS::IAM::User", "a\0b")];
    odd.record = "{\"userName\":\"a\0b\"}".to_owned();
    s.insert_events(&[event("plain", T0), odd]).await.unwrap();
    let (rows, _) = s.lookup_events(&query()).await.unwrap();
    assert_eq!(ids(&rows), ["odd", "plain"]);
    assert_eq!(rows[0].event_name, "Create\u{FFFD}User");
    assert_eq!(rows[0].username.as_deref(), Some("mal\u{FFFD}lory"));
    assert_eq!(
        rows[0].resources,
        vec![resource("AWS::IAM::User", "a\u{FFFD}b")]
    );
    assert_eq!(rows[0].record, "{\"userName\":\"a\u{FFFD}b\"}");
    assert_eq!(rows[1], event("plain", T0));
    let (rows, _) = s
        .lookup_events(&by(LookupAttribute::ResourceName, "a\u{FFFD}b"))
        .await
        .unwrap();
    assert_eq!(ids(&rows), ["odd"]);
}

/// A small deterministic generator (xorshift64), so that a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[usize::try_from(self.below(from.len() as u64)).unwrap()]
    }
}

pub(crate) async fn lookups_match_a_plain_reading_of_the_trail(db: Db) {
    let s = &db.store;
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let users = ["alice", "bob", "carol", "AWS-CLI-session-1", "root"];
    let names = ["ListUsers", "AssumeRole", "CreateRole"];
    let kinds = ["AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Policy"];
    let targets = ["r1", "r2", "u1", "p1", "arn:aws:iam::123456789012:role/x"];
    // Events over two and a half minutes with many ties, in small commits; ids partly time-ordered (as the server's are) and
    // partly random, so that the ranges of different commits overlap.
    let mut events: Vec<EventRow> = (0..700)
        .map(|i| {
            let time = T0 + i64::try_from(rng.below(150)).unwrap();
            let id = if rng.below(10) != 0 {
                format!("{time:012}-{i:05}")
            } else {
                format!("{:012x}-{i:05}", rng.below(1 << 40))
            };
            let mut e = event(&id, time);
            if rng.below(4) == 0 {
                e.account_id = OTHER_ACCOUNT.to_owned();
            }
            e.event_name = rng.pick(&names).to_owned();
            e.read_only = e.event_name != "CreateRole";
            e.username = (rng.below(6) != 0).then(|| rng.pick(&users).to_owned());
            e.access_key_id = e.username.as_ref().map(|u| format!("AKIA{}", u.len()));
            e.resources = (0..rng.below(3))
                .map(|_| resource(rng.pick(&kinds), rng.pick(&targets)))
                .collect();
            e
        })
        .collect();
    let mut written = 0;
    while written < events.len() {
        let n = usize::try_from(1 + rng.below(40))
            .unwrap()
            .min(events.len() - written);
        s.insert_events(&events[written..written + n])
            .await
            .unwrap();
        written += n;
    }
    events.sort_by(|a, b| (b.event_time, &b.event_id).cmp(&(a.event_time, &a.event_id)));

    let mut queries: Vec<(LookupAttribute, String)> = Vec::new();
    for u in users {
        queries.push((LookupAttribute::Username, u.to_owned()));
        queries.push((LookupAttribute::AccessKeyId, format!("AKIA{}", u.len())));
    }
    for n in names {
        queries.push((LookupAttribute::EventName, n.to_owned()));
    }
    for k in kinds {
        queries.push((LookupAttribute::ResourceType, k.to_owned()));
    }
    for t in targets {
        queries.push((LookupAttribute::ResourceName, t.to_owned()));
    }
    queries.push((LookupAttribute::ReadOnly, "false".to_owned()));
    queries.push((LookupAttribute::EventSource, "iam.amazonaws.com".to_owned()));
    queries.push((LookupAttribute::EventId, events[17].event_id.clone()));
    let matches = |e: &EventRow, (attribute, value): &(LookupAttribute, String)| match attribute {
        LookupAttribute::Username => e.username.as_deref() == Some(value.as_str()),
        LookupAttribute::AccessKeyId => e.access_key_id.as_deref() == Some(value.as_str()),
        LookupAttribute::EventName => &e.event_name == value,
        LookupAttribute::EventSource => &e.event_source == value,
        LookupAttribute::ReadOnly => e.read_only.to_string() == *value,
        LookupAttribute::EventId => &e.event_id == value,
        LookupAttribute::ResourceType => e.resources.iter().any(|(k, _)| k == value),
        LookupAttribute::ResourceName => e.resources.iter().any(|(_, n)| n == value),
    };
    for account in [ACCOUNT, OTHER_ACCOUNT] {
        for attribute in queries.iter().map(Some).chain([None]) {
            for (start, end, limit) in [(None, None, 50), (Some(T0 + 30), Some(T0 + 120), 7)] {
                let q = EventQuery {
                    account_id: account.to_owned(),
                    attribute: attribute.cloned(),
                    start,
                    end,
                    limit,
                    after: None,
                };
                let expected: Vec<&str> = events
                    .iter()
                    .filter(|e| e.account_id == account)
                    .filter(|e| attribute.is_none_or(|a| matches(e, a)))
                    .filter(|e| start.is_none_or(|t| e.event_time >= t))
                    .filter(|e| end.is_none_or(|t| e.event_time <= t))
                    .map(|e| e.event_id.as_str())
                    .collect();
                let got = all_pages(&db, q.clone()).await;
                assert_eq!(ids(&got), expected, "{q:?}");
                for e in &got {
                    assert_eq!(
                        e.record,
                        format!(
                            r#"{{"eventID":"{}","eventTime":{}}}"#,
                            e.event_id, e.event_time
                        )
                    );
                }
            }
        }
    }
}

pub(crate) async fn ties_across_commits_are_ordered_by_event_id(db: Db) {
    let s = &db.store;
    // Two commits whose newest events share a second: the second commit's range starts lower
    // but holds the highest id of that second, which must head the page.
    s.insert_events(&[event("x", T0 + 10), event("y", T0 + 10)])
        .await
        .unwrap();
    s.insert_events(&[event("m", T0 + 9), event("z", T0 + 10)])
        .await
        .unwrap();
    let first = EventQuery {
        limit: 1,
        ..query()
    };
    let (rows, next) = s.lookup_events(&first).await.unwrap();
    assert_eq!(ids(&rows), ["z"]);
    assert!(next.is_some());
    assert_eq!(ids(&all_pages(&db, first).await), ["z", "y", "x", "m"]);
}

/// The server's writer: its batches are durable when it returns, and found by every lookup
/// within the second the trail promises (on SQLite their key rows follow a moment later,
/// merged with their neighbours'); nothing is left unindexed afterwards.
pub(crate) async fn the_servers_batches_are_found_within_a_second(db: Db) {
    let mut writer = db.store.event_writer();
    let mut written = Vec::new();
    for batch in 0..20 {
        let mut events: Vec<EventRow> = (0..5)
            .map(|i| {
                let mut e = event(&format!("w{batch:02}{i}"), T0 + batch);
                e.username = Some(if i % 2 == 0 { "alice" } else { "bob" }.to_owned());
                e
            })
            .collect();
        writer.insert(&mut events).await.unwrap();
        // The rows come back as they were given.
        assert_eq!(events.len(), 5);
        assert_eq!(events[0].event_id, format!("w{batch:02}0"));
        written.extend(events);
    }
    assert_eq!(events_stored(&db).await, 100);
    let started = std::time::Instant::now();
    let alice: BTreeSet<&str> = written
        .iter()
        .filter(|e| e.username.as_deref() == Some("alice"))
        .map(|e| e.event_id.as_str())
        .collect();
    loop {
        let everything = all_pages(&db, query()).await;
        let by_alice = all_pages(&db, by(LookupAttribute::Username, "alice")).await;
        if everything.len() == 100 && by_alice.len() == alice.len() {
            assert_eq!(ids(&by_alice).into_iter().collect::<BTreeSet<_>>(), alice);
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "{} of 100 events and {} of alice's found after a second",
            everything.len(),
            by_alice.len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Held key rows are written on time even with no further batch.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(rows_in(&db, "trail_unindexed").await, 0);
}

/// Closing the store writes the key rows the server's writer holds: a clean stop leaves the
/// next start nothing to index.
pub(crate) async fn closing_writes_the_key_rows_held(db: Db) {
    let mut writer = db.store.event_writer();
    let mut events = vec![event("h1", T0), event("h2", T0 + 1)];
    writer.insert(&mut events).await.unwrap();
    // As the server stops: the writer goes (with the connection it keeps), then the store.
    drop(writer);
    db.store.close().await;
    assert_eq!(rows_in(&db, "trail_unindexed").await, 0);
    let reopened = db.location.open().await.unwrap();
    let (rows, _) = reopened
        .lookup_events(&by(LookupAttribute::Username, "alice"))
        .await
        .unwrap();
    assert_eq!(ids(&rows), ["h2", "h1"]);
    reopened.close().await;
}

/// A crash may leave events committed without their key rows, the id to start from in
/// `trail_unindexed`: opening the store indexes them before it serves a lookup.
pub(crate) async fn events_a_crash_left_unindexed_are_indexed_on_opening(db: Db) {
    if db.location.backend() == rolecall_store::Backend::Postgres {
        // PostgreSQL's writer commits key rows with their events; it never holds any.
        return;
    }
    let events: Vec<EventRow> = (0..30)
        .map(|i| {
            let mut e = event(&format!("c{i:02}"), T0 + i);
            if i % 3 == 0 {
                e.username = Some("carol".to_owned());
                e.resources = vec![resource("AWS::IAM::Role", "arn:aws:iam::1:role/r")];
            }
            e
        })
        .collect();
    db.store.insert_events(&events[..10]).await.unwrap();
    db.store.insert_events(&events[10..]).await.unwrap();
    // The state a crash leaves: the key rows of the events from `c10` on never written.
    let raw = db.location.raw().await;
    sqlx::query("DELETE FROM trail_keys WHERE first_id >= 'c10'")
        .execute(&raw)
        .await
        .unwrap();
    sqlx::query("INSERT INTO trail_unindexed (id, first_id) VALUES (1, 'c10')")
        .execute(&raw)
        .await
        .unwrap();
    raw.close().await;
    assert_eq!(all_pages(&db, query()).await.len(), 10, "the crash's state");

    let reopened = Db {
        store: db.location.open().await.unwrap(),
        location: db.location,
    };
    let everything = all_pages(&reopened, query()).await;
    assert_eq!(everything.len(), 30);
    let carol = all_pages(&reopened, by(LookupAttribute::Username, "carol")).await;
    assert_eq!(carol.len(), 10);
    let role = all_pages(
        &reopened,
        by(LookupAttribute::ResourceName, "arn:aws:iam::1:role/r"),
    )
    .await;
    assert_eq!(ids(&role), ids(&carol));
    assert_eq!(rows_in(&reopened, "trail_unindexed").await, 0);
    reopened.store.close().await;
}

/// Key rows may share their newest time and first event, as indexing again after a crash
/// leaves them (a range rewritten narrower or wider than before): a lookup reads every one of
/// them, even where a read of key rows ends between two of them.
pub(crate) async fn key_rows_with_the_same_start_are_all_read(db: Db) {
    let s = &db.store;
    // One key row per minute for `alice`, newest first: e39 … e09 fill the first read of
    // key rows (32 of them with the narrow row below), e08's rows straddle its end.
    for i in 0..40 {
        let mut batch = vec![event(&format!("e{i:02}"), T0 + i * 60)];
        if i == 8 {
            batch.push(event("e08b", T0 + 8 * 60));
        }
        s.insert_events(&batch).await.unwrap();
    }
    // The narrow copy of e08's rows, written later: it covers e08 but not e08b.
    let raw = db.location.raw().await;
    sqlx::query(
        "INSERT INTO trail_keys (account_id, lookup_key, newest, oldest, first_id, last_id) \
         SELECT account_id, lookup_key, newest, oldest, first_id, first_id FROM trail_keys \
         WHERE first_id = 'e08' AND last_id = 'e08b'",
    )
    .execute(&raw)
    .await
    .unwrap();
    raw.close().await;
    let found = all_pages(&db, by(LookupAttribute::Username, "alice")).await;
    assert_eq!(found.len(), 41, "{:?}", ids(&found));
    assert!(ids(&found).contains(&"e08b"));
}

/// On SQLite the writer packs records in chunks (see `events::chunk`), or alone in a row of
/// their own (`events::packed`) for an event below a chunk already stored, and rows an earlier
/// version stored as JSON text are read alongside; either way a lookup returns the record
/// exactly as written.
pub(crate) async fn records_read_back_exactly_whether_packed_or_stored_as_text(db: Db) {
    let long = format!(
        r#"{{"eventVersion":"1.11","eventID":"p00","note":"{}","unicode":"é😀"}}"#,
        "arn:aws:iam::123456789012:role/Ops ".repeat(300)
    );
    let mut packed = event("p00", T0);
    packed.record.clone_from(&long);
    db.store.insert_events(&[packed]).await.unwrap();

    let raw = db.location.raw().await;
    // Below the chunk just stored: a row of its own.
    let mut alone = event("o99", T0 + 2);
    alone.record.clone_from(&long);
    db.store.insert_events(&[alone]).await.unwrap();
    if db.location.backend() == rolecall_store::Backend::Sqlite {
        for sql in [
            "SELECT typeof(body) AS kind, length(body) AS n FROM trail_chunks WHERE first_id = 'p00' AND last_id = 'p00'",
            "SELECT typeof(record) AS kind, length(record) AS n FROM trail_events WHERE event_id = 'o99'",
        ] {
            let stored = sqlx::query(sql).fetch_one(&raw).await.unwrap();
            assert_eq!(stored.get::<String, _>("kind"), "blob");
            let n = usize::try_from(stored.get::<i64, _>("n")).unwrap();
            assert!(n * 4 < long.len(), "{n} bytes stored for {}", long.len());
        }
    }
    // A row as schema 5 wrote it: the record as text, and its key row.
    let text = r#"{"eventVersion":"1.11","eventID":"p01","text":true}"#;
    sqlx::query("INSERT INTO trail_events (event_id, account_id, event_time, event_name, event_source, read_only, username, access_key_id, resources, record) VALUES ('p01', $1, $2, 'ListUsers', 'iam.amazonaws.com', 1, 'alice', NULL, '', $3)")
        .bind(ACCOUNT)
        .bind(T0 + 1)
        .bind(text)
        .execute(&raw)
        .await
        .unwrap();
    sqlx::query("INSERT INTO trail_keys (account_id, lookup_key, newest, oldest, first_id, last_id) VALUES ($1, '*', $2, $2, 'p01', 'p01')")
        .bind(ACCOUNT)
        .bind(T0 + 1)
        .execute(&raw)
        .await
        .unwrap();
    raw.close().await;

    let rows = all_pages(&db, query()).await;
    assert_eq!(ids(&rows), ["o99", "p01", "p00"]);
    assert_eq!(rows[0].record, long);
    assert_eq!(rows[1].record, text);
    assert_eq!(rows[2].record, long);
}

/// Pruning is exact to the second even where the cut falls among the events of one batch (on
/// SQLite one chunk holds them: it is written again with the newer events only).
pub(crate) async fn pruning_cuts_through_a_batch_exactly(db: Db) {
    let s = &db.store;
    let batch: Vec<EventRow> = (0..10)
        .map(|i| event(&format!("c{i}"), T0 - 5 + i))
        .collect();
    s.insert_events(&batch).await.unwrap();
    assert_eq!(s.prune_events(T0).await.unwrap(), 5);
    assert_eq!(events_stored(&db).await, 5);
    assert_eq!(
        ids(&all_pages(&db, query()).await),
        ["c9", "c8", "c7", "c6", "c5"]
    );
    let (old, _) = s
        .lookup_events(&by(LookupAttribute::EventId, "c2"))
        .await
        .unwrap();
    assert!(old.is_empty());
    let (kept, _) = s
        .lookup_events(&by(LookupAttribute::EventId, "c7"))
        .await
        .unwrap();
    assert_eq!(ids(&kept), ["c7"]);
    // Nothing more to prune at the same cut; the rest goes with a later one.
    assert_eq!(s.prune_events(T0).await.unwrap(), 0);
    assert_eq!(s.prune_events(T0 + 100).await.unwrap(), 5);
    assert_eq!(events_stored(&db).await, 0);
}

/// An event of the server's writer whose id is below an id already committed (its call was
/// slower to hand it over) is stored and found like the others, in its place.
pub(crate) async fn an_event_committed_after_a_newer_one_is_found_in_its_place(db: Db) {
    let mut writer = db.store.event_writer();
    writer
        .insert(&mut vec![event("e3", T0 + 3), event("e5", T0 + 5)])
        .await
        .unwrap();
    writer
        .insert(&mut vec![event("e4", T0 + 4), event("e6", T0 + 6)])
        .await
        .unwrap();
    writer.insert(&mut vec![event("e1", T0 + 1)]).await.unwrap();
    // Its key rows are written on closing (once the writer gives its connection back).
    drop(writer);
    db.store.close().await;
    let s = db.location.open().await.expect("reopen");
    assert_eq!(s.count_events(ACCOUNT).await.unwrap(), 5);
    let mut q = query();
    q.limit = 2;
    let mut seen = Vec::new();
    loop {
        let (rows, next) = s.lookup_events(&q).await.unwrap();
        seen.extend(rows.iter().map(|e| e.event_id.clone()));
        let Some(after) = next else { break };
        q.after = Some(after);
    }
    assert_eq!(seen, ["e6", "e5", "e4", "e3", "e1"]);
    if db.location.backend() == rolecall_store::Backend::Sqlite {
        // e4 and e1 came below an id stored in a chunk already: rows of their own.
        assert_eq!(rows_in(&db, "trail_events").await, 2);
        assert_eq!(events_stored(&db).await, 5);
    }
    for id in ["e1", "e4"] {
        let (rows, _) = s
            .lookup_events(&by(LookupAttribute::EventId, id))
            .await
            .unwrap();
        assert_eq!(ids(&rows), [id]);
    }
    s.close().await;
}

/// A record larger than a packed value may hold (16 MB; the server's are at most a few hundred
/// kilobytes) is stored and read back whole all the same.
pub(crate) async fn a_record_too_large_to_pack_is_stored_whole(db: Db) {
    let mut huge = event("h1", T0);
    huge.record = format!(r#"{{"eventID":"h1","big":"{}"}}"#, "x".repeat(17 << 20));
    db.store
        .insert_events(&[event("h0", T0), huge.clone(), event("h2", T0)])
        .await
        .unwrap();
    let rows = all_pages(&db, query()).await;
    assert_eq!(ids(&rows), ["h2", "h1", "h0"]);
    assert_eq!(rows[1].record, huge.record);
}
