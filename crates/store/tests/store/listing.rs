//! Paged listings: order, markers, path prefixes and account isolation.

use rolecall_store::{EntityKind, PolicyScope};

use crate::harness::{ACCOUNT, Db, OTHER_ACCOUNT, doc, entity, names, policy_in, role_in};

pub(crate) async fn users_page_in_case_insensitive_name_order(db: Db) {
    let s = &db.store;
    for name in ["carol", "Alice", "erin", "bob", "Dave"] {
        s.create_entity(
            EntityKind::User,
            &entity(EntityKind::User, ACCOUNT, name, "/"),
        )
        .await
        .unwrap();
    }
    s.create_entity(
        EntityKind::User,
        &entity(EntityKind::User, OTHER_ACCOUNT, "aaron", "/"),
    )
    .await
    .unwrap();

    let all = s
        .list_entities(EntityKind::User, ACCOUNT, "/", None, 100)
        .await
        .unwrap();
    assert_eq!(
        names(&all.items),
        vec!["Alice", "bob", "carol", "Dave", "erin"]
    );
    assert_eq!(all.next, None);

    // Pages of two; the marker is the lower-cased name of the last item.
    let p1 = s
        .list_entities(EntityKind::User, ACCOUNT, "/", None, 2)
        .await
        .unwrap();
    assert_eq!(names(&p1.items), vec!["Alice", "bob"]);
    assert_eq!(p1.next.as_deref(), Some("bob"));
    let p2 = s
        .list_entities(EntityKind::User, ACCOUNT, "/", p1.next.as_deref(), 2)
        .await
        .unwrap();
    assert_eq!(names(&p2.items), vec!["carol", "Dave"]);
    assert_eq!(p2.next.as_deref(), Some("dave"));
    let p3 = s
        .list_entities(EntityKind::User, ACCOUNT, "/", p2.next.as_deref(), 2)
        .await
        .unwrap();
    assert_eq!(names(&p3.items), vec!["erin"]);
    assert_eq!(p3.next, None);

    // A page that ends exactly at the last item has no marker.
    let exact = s
        .list_entities(EntityKind::User, ACCOUNT, "/", None, 5)
        .await
        .unwrap();
    assert_eq!(exact.items.len(), 5);
    assert_eq!(exact.next, None);
    let one = s
        .list_entities(EntityKind::User, ACCOUNT, "/", Some("dave"), 1)
        .await
        .unwrap();
    assert_eq!((names(&one.items), one.next), (vec!["erin"], None));

    // Past the end.
    let none = s
        .list_entities(EntityKind::User, ACCOUNT, "/", Some("erin"), 10)
        .await
        .unwrap();
    assert!(none.items.is_empty());
    assert_eq!(none.next, None);

    // The other account sees only its own.
    let other = s
        .list_entities(EntityKind::User, OTHER_ACCOUNT, "/", None, 10)
        .await
        .unwrap();
    assert_eq!(names(&other.items), vec!["aaron"]);
}

pub(crate) async fn path_prefix_filters_and_reads_ahead(db: Db) {
    let s = &db.store;
    // Nine users; only u1, u5 and u9 are under /eng/ (u9 deeper), so the matches are spread
    // thinly over the name order and a page must read past the non-matching rows.
    for i in 1..=9 {
        let path = match i {
            1 | 5 => "/eng/",
            9 => "/eng/backend/",
            _ => "/sales/",
        };
        s.create_entity(
            EntityKind::User,
            &entity(EntityKind::User, ACCOUNT, &format!("u{i}"), path),
        )
        .await
        .unwrap();
    }

    let eng = s
        .list_entities(EntityKind::User, ACCOUNT, "/eng/", None, 100)
        .await
        .unwrap();
    assert_eq!(names(&eng.items), vec!["u1", "u5", "u9"]);
    assert_eq!(eng.next, None);

    let p1 = s
        .list_entities(EntityKind::User, ACCOUNT, "/eng/", None, 2)
        .await
        .unwrap();
    assert_eq!(names(&p1.items), vec!["u1", "u5"]);
    assert_eq!(p1.next.as_deref(), Some("u5"));
    let p2 = s
        .list_entities(EntityKind::User, ACCOUNT, "/eng/", p1.next.as_deref(), 2)
        .await
        .unwrap();
    assert_eq!(names(&p2.items), vec!["u9"]);
    assert_eq!(p2.next, None);

    // One at a time walks every match and stops.
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = s
            .list_entities(EntityKind::User, ACCOUNT, "/eng/", marker.as_deref(), 1)
            .await
            .unwrap();
        assert!(page.items.len() <= 1);
        seen.extend(page.items.iter().map(|e| e.name.clone()));
        match page.next {
            Some(next) => marker = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, vec!["u1", "u5", "u9"]);

    let deeper = s
        .list_entities(EntityKind::User, ACCOUNT, "/eng/backend/", None, 100)
        .await
        .unwrap();
    assert_eq!(names(&deeper.items), vec!["u9"]);
    let sales = s
        .list_entities(EntityKind::User, ACCOUNT, "/sales/", None, 3)
        .await
        .unwrap();
    assert_eq!(names(&sales.items), vec!["u2", "u3", "u4"]);
    assert_eq!(sales.next.as_deref(), Some("u4"));
    let nothing = s
        .list_entities(EntityKind::User, ACCOUNT, "/nowhere/", None, 2)
        .await
        .unwrap();
    assert!(nothing.items.is_empty());
    assert_eq!(nothing.next, None);
}

pub(crate) async fn roles_and_groups_page_like_users(db: Db) {
    let s = &db.store;
    for (name, path) in [("Zeta", "/svc/"), ("alpha", "/"), ("Beta", "/svc/")] {
        let mut r = role_in(ACCOUNT, name, path);
        r.description = Some(format!("{name} role"));
        s.create_role(&r).await.unwrap();
        s.create_entity(
            EntityKind::Group,
            &entity(EntityKind::Group, ACCOUNT, name, path),
        )
        .await
        .unwrap();
    }
    s.create_role(&role_in(OTHER_ACCOUNT, "aaa", "/"))
        .await
        .unwrap();

    let p1 = s.list_roles(ACCOUNT, "/", None, 2).await.unwrap();
    let got: Vec<(&str, Option<&str>)> = p1
        .items
        .iter()
        .map(|r| (r.entity.name.as_str(), r.description.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![("alpha", Some("alpha role")), ("Beta", Some("Beta role"))]
    );
    assert_eq!(p1.next.as_deref(), Some("beta"));
    let p2 = s
        .list_roles(ACCOUNT, "/", p1.next.as_deref(), 2)
        .await
        .unwrap();
    assert_eq!(p2.items.len(), 1);
    assert_eq!(p2.items[0].entity.name, "Zeta");
    assert_eq!(p2.items[0].max_session_duration, 3600);
    assert_eq!(p2.next, None);

    let svc = s.list_roles(ACCOUNT, "/svc/", None, 10).await.unwrap();
    let svc: Vec<&str> = svc.items.iter().map(|r| r.entity.name.as_str()).collect();
    assert_eq!(svc, vec!["Beta", "Zeta"]);

    let groups = s
        .list_entities(EntityKind::Group, ACCOUNT, "/svc/", None, 1)
        .await
        .unwrap();
    assert_eq!(names(&groups.items), vec!["Beta"]);
    assert_eq!(groups.next.as_deref(), Some("beta"));
    let groups = s
        .list_entities(EntityKind::Group, ACCOUNT, "/svc/", Some("beta"), 1)
        .await
        .unwrap();
    assert_eq!(names(&groups.items), vec!["Zeta"]);
    assert_eq!(groups.next, None);
}

pub(crate) async fn managed_policies_page_by_arn_with_scope_and_prefix(db: Db) {
    let s = &db.store;
    let mut arns = Vec::new();
    for (name, path) in [
        ("p3", "/"),
        ("p1", "/"),
        ("p5", "/team/"),
        ("p2", "/"),
        ("p4", "/team/"),
    ] {
        let p = policy_in(ACCOUNT, name, path);
        s.create_managed_policy(&p, &doc("s3:GetObject"))
            .await
            .unwrap();
        arns.push(p.arn);
    }
    s.create_managed_policy(&policy_in(OTHER_ACCOUNT, "theirs", "/"), &doc("*"))
        .await
        .unwrap();
    arns.sort();

    let listed = |items: &[rolecall_store::ManagedPolicy]| -> Vec<String> {
        items.iter().map(|p| p.arn.clone()).collect()
    };

    let all = s
        .list_managed_policies(ACCOUNT, PolicyScope::Local, false, "/", None, 100)
        .await
        .unwrap();
    assert_eq!(listed(&all.items), arns);
    assert_eq!(all.next, None);

    // Pages of two; the marker is the ARN of the last item.
    let mut got = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = s
            .list_managed_policies(
                ACCOUNT,
                PolicyScope::Local,
                false,
                "/",
                marker.as_deref(),
                2,
            )
            .await
            .unwrap();
        pages += 1;
        assert!(page.items.len() <= 2);
        if let Some(next) = &page.next {
            assert_eq!(Some(next), page.items.last().map(|p| &p.arn));
        }
        got.extend(listed(&page.items));
        match page.next {
            Some(next) => marker = Some(next),
            None => break,
        }
    }
    assert_eq!(got, arns);
    assert_eq!(pages, 3);

    let team = s
        .list_managed_policies(ACCOUNT, PolicyScope::Local, false, "/team/", None, 1)
        .await
        .unwrap();
    assert_eq!(team.items.len(), 1);
    assert_eq!(team.items[0].name, "p4");
    assert_eq!(team.items[0].path, "/team/");
    assert_eq!(team.next.as_deref(), Some(team.items[0].arn.as_str()));
    let team = s
        .list_managed_policies(
            ACCOUNT,
            PolicyScope::Local,
            false,
            "/team/",
            team.next.as_deref(),
            1,
        )
        .await
        .unwrap();
    assert_eq!(team.items.len(), 1);
    assert_eq!(team.items[0].name, "p5");
    assert_eq!(team.next, None);
}
