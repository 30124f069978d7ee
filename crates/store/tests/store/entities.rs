//! Users, groups, roles and instance profiles: creation, lookup, renames, membership,
//! boundaries and deletion with its dependents.

use rolecall_store::{Conflict, EntityKind, StoreError, Tag};

use crate::harness::{
    ACCOUNT, Db, OTHER_ACCOUNT, T0, access_key, assert_err, doc, entity, group, mfa_device, names,
    policy, role, trust, user,
};

const BIG: usize = 10_240;

fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.to_owned(),
        value: value.to_owned(),
    }
}

pub(crate) async fn users_roundtrip(db: Db) {
    let s = &db.store;
    let mut alice = entity(EntityKind::User, ACCOUNT, "Alice", "/eng/backend/");
    alice.created_at = T0 + 42;
    s.create_entity(EntityKind::User, &alice).await.unwrap();

    // Looked up in any case, returned as created.
    for name in ["Alice", "alice", "ALICE"] {
        assert_eq!(
            s.get_entity(EntityKind::User, ACCOUNT, name).await.unwrap(),
            alice
        );
    }
    assert_eq!(
        s.entity_by_id(EntityKind::User, &alice.id).await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(
        s.entity_by_id(EntityKind::Role, &alice.id).await.unwrap(),
        None
    );
    assert_eq!(
        s.entity_by_id(EntityKind::User, "AIDANOSUCHID")
            .await
            .unwrap(),
        None
    );

    assert_err!(
        s.get_entity(EntityKind::User, ACCOUNT, "bob").await,
        StoreError::NotFound
    );
    assert_err!(
        s.get_entity(EntityKind::User, OTHER_ACCOUNT, "Alice").await,
        StoreError::NotFound
    );
    assert_err!(
        s.get_entity(EntityKind::Group, ACCOUNT, "Alice").await,
        StoreError::NotFound
    );

    assert_eq!(
        s.count_entities(EntityKind::User, ACCOUNT).await.unwrap(),
        1
    );
    assert_eq!(
        s.count_entities(EntityKind::User, OTHER_ACCOUNT)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        s.count_entities(EntityKind::Group, ACCOUNT).await.unwrap(),
        0
    );
}

pub(crate) async fn names_are_unique_case_insensitively_per_account_and_kind(db: Db) {
    let s = &db.store;
    let alice = user("Alice");
    s.create_entity(EntityKind::User, &alice).await.unwrap();

    assert_err!(
        s.create_entity(EntityKind::User, &user("ALICE")).await,
        StoreError::AlreadyExists
    );
    assert_err!(
        s.create_entity(EntityKind::User, &user("alice")).await,
        StoreError::AlreadyExists
    );
    // The unique id is unique too, whatever the name.
    let mut same_id = user("Carol");
    same_id.id.clone_from(&alice.id);
    assert_err!(
        s.create_entity(EntityKind::User, &same_id).await,
        StoreError::AlreadyExists
    );
    // The refusals left the first user as it was and added nobody.
    assert_eq!(
        s.get_entity(EntityKind::User, ACCOUNT, "alice")
            .await
            .unwrap(),
        alice
    );
    assert_eq!(
        s.count_entities(EntityKind::User, ACCOUNT).await.unwrap(),
        1
    );

    // The same name is free in another account and for other kinds of entity.
    s.create_entity(
        EntityKind::User,
        &entity(EntityKind::User, OTHER_ACCOUNT, "alice", "/"),
    )
    .await
    .unwrap();
    s.create_entity(EntityKind::Group, &group("Alice"))
        .await
        .unwrap();
    s.create_entity(
        EntityKind::InstanceProfile,
        &entity(EntityKind::InstanceProfile, ACCOUNT, "Alice", "/"),
    )
    .await
    .unwrap();
    s.create_role(&role("Alice")).await.unwrap();
    assert_err!(
        s.create_role(&role("aLiCe")).await,
        StoreError::AlreadyExists
    );
    assert_err!(
        s.create_entity(EntityKind::Group, &group("ALICE")).await,
        StoreError::AlreadyExists
    );
    assert_eq!(
        s.get_entity(EntityKind::User, OTHER_ACCOUNT, "ALICE")
            .await
            .unwrap()
            .name,
        "alice"
    );
}

pub(crate) async fn rename_and_move_carry_every_dependent(db: Db) {
    let s = &db.store;
    let bob = user("Bob");
    s.create_entity(EntityKind::User, &bob).await.unwrap();
    s.create_entity(EntityKind::Group, &group("Devs"))
        .await
        .unwrap();
    s.add_user_to_group(ACCOUNT, "Devs", "Bob").await.unwrap();
    s.put_inline_policy(
        ACCOUNT,
        EntityKind::User,
        "Bob",
        "inline",
        &doc("s3:*"),
        BIG,
    )
    .await
    .unwrap();
    let p = policy("ReadAll");
    s.create_managed_policy(&p, &doc("*:Get*")).await.unwrap();
    s.attach_policy(ACCOUNT, EntityKind::User, "Bob", &p.arn)
        .await
        .unwrap();
    s.tag(ACCOUNT, "user", "Bob", &[tag("team", "core")])
        .await
        .unwrap();
    s.create_access_key(&access_key("AKIABOB1", Some("Bob"), "sealed-1", T0))
        .await
        .unwrap();
    let device = mfa_device(ACCOUNT, "bob-phone", "sealed-seed");
    s.create_mfa_device(&device).await.unwrap();
    s.enable_mfa_device(&device.serial, "Bob", T0, 7)
        .await
        .unwrap();

    s.update_entity(
        EntityKind::User,
        ACCOUNT,
        "bob",
        Some("Robert"),
        Some("/staff/"),
    )
    .await
    .unwrap();

    assert_err!(
        s.get_entity(EntityKind::User, ACCOUNT, "Bob").await,
        StoreError::NotFound
    );
    let robert = s
        .get_entity(EntityKind::User, ACCOUNT, "robert")
        .await
        .unwrap();
    assert_eq!(robert.name, "Robert");
    assert_eq!(robert.path, "/staff/");
    assert_eq!(robert.id, bob.id, "the unique id survives a rename");
    assert_eq!(robert.created_at, bob.created_at);

    // Everything that hung off the old name now hangs off the new one.
    assert_eq!(
        s.inline_policies(ACCOUNT, EntityKind::User, "Robert")
            .await
            .unwrap(),
        vec![("inline".to_owned(), doc("s3:*"))]
    );
    assert!(
        s.inline_policies(ACCOUNT, EntityKind::User, "Bob")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.attached_policies(ACCOUNT, EntityKind::User, "Robert")
            .await
            .unwrap(),
        vec![("ReadAll".to_owned(), p.arn.clone(), "/".to_owned())]
    );
    assert!(
        s.attached_policies(ACCOUNT, EntityKind::User, "Bob")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.tags(ACCOUNT, "user", "Robert").await.unwrap(),
        vec![tag("team", "core")]
    );
    assert!(s.tags(ACCOUNT, "user", "Bob").await.unwrap().is_empty());
    assert_eq!(
        names(&s.groups_for_user(ACCOUNT, "Robert").await.unwrap()),
        vec!["Devs"]
    );
    assert_eq!(
        names(&s.users_in_group(ACCOUNT, "Devs").await.unwrap()),
        vec!["Robert"]
    );
    let keys = s.list_access_keys(ACCOUNT, Some("Robert")).await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].user_lower.as_deref(), Some("robert"));
    assert!(
        s.list_access_keys(ACCOUNT, Some("Bob"))
            .await
            .unwrap()
            .is_empty()
    );
    let devices = s.list_mfa_devices(ACCOUNT, Some("Robert")).await.unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].user_lower.as_deref(), Some("robert"));
    let entities = s.entities_for_policy(ACCOUNT, &p.arn).await.unwrap();
    assert_eq!(
        entities,
        vec![("user".to_owned(), "Robert".to_owned(), bob.id.clone())]
    );

    // A change of case only renames the display name.
    s.update_entity(EntityKind::User, ACCOUNT, "Robert", Some("ROBERT"), None)
        .await
        .unwrap();
    let upper = s
        .get_entity(EntityKind::User, ACCOUNT, "robert")
        .await
        .unwrap();
    assert_eq!(
        (upper.name.as_str(), upper.path.as_str()),
        ("ROBERT", "/staff/")
    );
    assert_eq!(
        s.tags(ACCOUNT, "user", "ROBERT").await.unwrap(),
        vec![tag("team", "core")]
    );

    // A move only changes the path.
    s.update_entity(EntityKind::User, ACCOUNT, "robert", None, Some("/"))
        .await
        .unwrap();
    let moved = s
        .get_entity(EntityKind::User, ACCOUNT, "ROBERT")
        .await
        .unwrap();
    assert_eq!((moved.name.as_str(), moved.path.as_str()), ("ROBERT", "/"));

    assert_err!(
        s.update_entity(EntityKind::User, ACCOUNT, "nobody", Some("x"), None)
            .await,
        StoreError::NotFound
    );
}

pub(crate) async fn group_rename_carries_members_and_attachments(db: Db) {
    let s = &db.store;
    s.create_entity(EntityKind::Group, &group("devs"))
        .await
        .unwrap();
    for name in ["zed", "amy"] {
        s.create_entity(EntityKind::User, &user(name))
            .await
            .unwrap();
        s.add_user_to_group(ACCOUNT, "devs", name).await.unwrap();
    }
    let p = policy("DevAccess");
    s.create_managed_policy(&p, &doc("ec2:*")).await.unwrap();
    s.attach_policy(ACCOUNT, EntityKind::Group, "devs", &p.arn)
        .await
        .unwrap();
    s.put_inline_policy(ACCOUNT, EntityKind::Group, "devs", "g", &doc("sqs:*"), BIG)
        .await
        .unwrap();

    s.update_entity(EntityKind::Group, ACCOUNT, "devs", Some("Developers"), None)
        .await
        .unwrap();

    assert_eq!(
        names(&s.users_in_group(ACCOUNT, "developers").await.unwrap()),
        vec!["amy", "zed"]
    );
    assert!(s.users_in_group(ACCOUNT, "devs").await.unwrap().is_empty());
    assert_eq!(
        names(&s.groups_for_user(ACCOUNT, "amy").await.unwrap()),
        vec!["Developers"]
    );
    assert_eq!(
        s.attached_policies(ACCOUNT, EntityKind::Group, "Developers")
            .await
            .unwrap(),
        vec![("DevAccess".to_owned(), p.arn.clone(), "/".to_owned())]
    );
    assert_eq!(
        s.inline_policies(ACCOUNT, EntityKind::Group, "DEVELOPERS")
            .await
            .unwrap(),
        vec![("g".to_owned(), doc("sqs:*"))]
    );

    // Renaming onto a taken name is refused.
    s.create_entity(EntityKind::Group, &group("Ops"))
        .await
        .unwrap();
    assert_err!(
        s.update_entity(EntityKind::Group, ACCOUNT, "Developers", Some("OPS"), None)
            .await,
        StoreError::AlreadyExists
    );
    assert_eq!(
        names(&s.users_in_group(ACCOUNT, "Developers").await.unwrap()),
        vec!["amy", "zed"]
    );
    assert!(s.users_in_group(ACCOUNT, "ops").await.unwrap().is_empty());
}

pub(crate) async fn delete_user_names_each_dependent_in_turn(db: Db) {
    let s = &db.store;
    s.create_entity(EntityKind::User, &user("Dora"))
        .await
        .unwrap();
    s.create_entity(EntityKind::Group, &group("g"))
        .await
        .unwrap();
    s.add_user_to_group(ACCOUNT, "g", "Dora").await.unwrap();
    s.create_access_key(&access_key("AKIADORA", Some("Dora"), "sealed", T0))
        .await
        .unwrap();
    let device = mfa_device(ACCOUNT, "dora", "seed");
    s.create_mfa_device(&device).await.unwrap();
    s.enable_mfa_device(&device.serial, "Dora", T0, 1)
        .await
        .unwrap();
    let p = policy("P");
    s.create_managed_policy(&p, &doc("s3:*")).await.unwrap();
    s.attach_policy(ACCOUNT, EntityKind::User, "Dora", &p.arn)
        .await
        .unwrap();
    s.put_inline_policy(ACCOUNT, EntityKind::User, "Dora", "i", &doc("s3:*"), BIG)
        .await
        .unwrap();
    s.tag(ACCOUNT, "user", "Dora", &[tag("k", "v")])
        .await
        .unwrap();

    let delete = || s.delete_entity(EntityKind::User, ACCOUNT, "DORA");
    assert_err!(delete().await, StoreError::Conflict(Conflict::AccessKeys));
    s.delete_access_key(ACCOUNT, Some("Dora"), "AKIADORA")
        .await
        .unwrap();
    assert_err!(
        delete().await,
        StoreError::Conflict(Conflict::GroupMembership)
    );
    s.remove_user_from_group(ACCOUNT, "g", "Dora")
        .await
        .unwrap();
    assert_err!(delete().await, StoreError::Conflict(Conflict::MfaDevices));
    s.deactivate_mfa_device(&device.serial, "Dora")
        .await
        .unwrap();
    assert_err!(
        delete().await,
        StoreError::Conflict(Conflict::AttachedPolicies)
    );
    s.detach_policy(ACCOUNT, EntityKind::User, "Dora", &p.arn)
        .await
        .unwrap();
    assert_err!(
        delete().await,
        StoreError::Conflict(Conflict::InlinePolicies)
    );
    // Every refusal left the user and its tags in place.
    assert_eq!(
        s.get_entity(EntityKind::User, ACCOUNT, "Dora")
            .await
            .unwrap()
            .name,
        "Dora"
    );
    assert_eq!(
        s.tags(ACCOUNT, "user", "Dora").await.unwrap(),
        vec![tag("k", "v")]
    );
    s.delete_inline_policy(ACCOUNT, EntityKind::User, "Dora", "i")
        .await
        .unwrap();

    delete().await.unwrap();
    assert_err!(
        s.get_entity(EntityKind::User, ACCOUNT, "Dora").await,
        StoreError::NotFound
    );
    assert_err!(delete().await, StoreError::NotFound);
    // The tags went with the user: a new user of the same name starts bare.
    assert!(s.tags(ACCOUNT, "user", "Dora").await.unwrap().is_empty());
    s.create_entity(EntityKind::User, &user("dora"))
        .await
        .unwrap();
    assert!(s.tags(ACCOUNT, "user", "dora").await.unwrap().is_empty());
    assert_eq!(
        s.count_entities(EntityKind::User, ACCOUNT).await.unwrap(),
        1
    );
}

pub(crate) async fn groups_and_membership(db: Db) {
    let s = &db.store;
    for g in ["Writers", "admins", "Readers"] {
        s.create_entity(EntityKind::Group, &group(g)).await.unwrap();
    }
    for u in ["carol", "Alice", "bob"] {
        s.create_entity(EntityKind::User, &user(u)).await.unwrap();
    }
    s.add_user_to_group(ACCOUNT, "writers", "CAROL")
        .await
        .unwrap();
    s.add_user_to_group(ACCOUNT, "Writers", "alice")
        .await
        .unwrap();
    s.add_user_to_group(ACCOUNT, "Writers", "bob")
        .await
        .unwrap();
    // Adding twice is not an error and adds nothing.
    s.add_user_to_group(ACCOUNT, "WRITERS", "Alice")
        .await
        .unwrap();
    s.add_user_to_group(ACCOUNT, "Readers", "Alice")
        .await
        .unwrap();
    s.add_user_to_group(ACCOUNT, "admins", "Alice")
        .await
        .unwrap();

    // Members and groups come back by name, case-insensitively ordered, as created.
    assert_eq!(
        names(&s.users_in_group(ACCOUNT, "writers").await.unwrap()),
        vec!["Alice", "bob", "carol"]
    );
    assert_eq!(
        names(&s.groups_for_user(ACCOUNT, "alice").await.unwrap()),
        vec!["admins", "Readers", "Writers"]
    );
    assert_eq!(
        names(&s.groups_for_user(ACCOUNT, "bob").await.unwrap()),
        vec!["Writers"]
    );
    let readers = s
        .get_entity(EntityKind::Group, ACCOUNT, "readers")
        .await
        .unwrap();
    assert_eq!(
        s.groups_for_user(ACCOUNT, "alice").await.unwrap()[1],
        readers
    );
    assert!(
        s.groups_for_user(OTHER_ACCOUNT, "alice")
            .await
            .unwrap()
            .is_empty()
    );

    s.remove_user_from_group(ACCOUNT, "Writers", "Bob")
        .await
        .unwrap();
    assert_err!(
        s.remove_user_from_group(ACCOUNT, "Writers", "Bob").await,
        StoreError::NotFound
    );
    assert_eq!(
        names(&s.users_in_group(ACCOUNT, "Writers").await.unwrap()),
        vec!["Alice", "carol"]
    );

    assert_err!(
        s.delete_entity(EntityKind::Group, ACCOUNT, "Writers").await,
        StoreError::Conflict(Conflict::GroupMembership)
    );
    assert_err!(
        s.delete_entity(EntityKind::User, ACCOUNT, "carol").await,
        StoreError::Conflict(Conflict::GroupMembership)
    );
    s.remove_user_from_group(ACCOUNT, "Writers", "carol")
        .await
        .unwrap();
    s.remove_user_from_group(ACCOUNT, "Writers", "alice")
        .await
        .unwrap();
    s.delete_entity(EntityKind::Group, ACCOUNT, "writers")
        .await
        .unwrap();
    s.delete_entity(EntityKind::User, ACCOUNT, "carol")
        .await
        .unwrap();
    assert_eq!(
        names(&s.groups_for_user(ACCOUNT, "alice").await.unwrap()),
        vec!["admins", "Readers"]
    );
    assert_eq!(
        s.count_entities(EntityKind::Group, ACCOUNT).await.unwrap(),
        2
    );
}

pub(crate) async fn roles_roundtrip(db: Db) {
    let s = &db.store;
    let mut r = role("Deployer");
    r.entity.path = "/ci/".to_owned();
    r.description = Some("runs deployments".to_owned());
    r.max_session_duration = 7200;
    r.entity.boundary_arn = Some(format!("arn:aws:iam::{ACCOUNT}:policy/Boundary"));
    s.create_role(&r).await.unwrap();

    assert_eq!(s.get_role(ACCOUNT, "deployer").await.unwrap(), r);
    assert_eq!(
        s.get_entity(EntityKind::Role, ACCOUNT, "DEPLOYER")
            .await
            .unwrap(),
        r.entity
    );
    assert_eq!(
        s.entity_by_id(EntityKind::Role, &r.entity.id)
            .await
            .unwrap(),
        Some(r.entity.clone())
    );
    assert_err!(s.get_role(ACCOUNT, "nobody").await, StoreError::NotFound);
    assert_err!(
        s.get_role(OTHER_ACCOUNT, "Deployer").await,
        StoreError::NotFound
    );

    // A description alone keeps the session limit, and the other way round.
    s.update_role(ACCOUNT, "deployer", Some("ships it"), None)
        .await
        .unwrap();
    let got = s.get_role(ACCOUNT, "Deployer").await.unwrap();
    assert_eq!(got.description.as_deref(), Some("ships it"));
    assert_eq!(got.max_session_duration, 7200);
    s.update_role(ACCOUNT, "Deployer", None, Some(43_200))
        .await
        .unwrap();
    let got = s.get_role(ACCOUNT, "Deployer").await.unwrap();
    assert_eq!(got.description.as_deref(), Some("ships it"));
    assert_eq!(got.max_session_duration, 43_200);
    assert_err!(
        s.update_role(ACCOUNT, "nobody", Some("x"), None).await,
        StoreError::NotFound
    );

    let new_trust = trust("AROAOTHERROLEID");
    s.update_trust_policy(ACCOUNT, "DEPLOYER", &new_trust)
        .await
        .unwrap();
    assert_eq!(
        s.get_role(ACCOUNT, "Deployer").await.unwrap().trust_policy,
        new_trust
    );
    assert_err!(
        s.update_trust_policy(ACCOUNT, "nobody", &new_trust).await,
        StoreError::NotFound
    );

    assert_eq!(
        s.get_role(ACCOUNT, "Deployer").await.unwrap().last_used_at,
        None
    );
    s.touch_role(ACCOUNT, "deployer", T0 + 500).await.unwrap();
    let got = s.get_role(ACCOUNT, "Deployer").await.unwrap();
    assert_eq!(got.last_used_at, Some(T0 + 500));
    // Everything else is as it was.
    assert_eq!(got.entity, r.entity);

    assert_eq!(
        s.count_entities(EntityKind::Role, ACCOUNT).await.unwrap(),
        1
    );
    s.delete_entity(EntityKind::Role, ACCOUNT, "Deployer")
        .await
        .unwrap();
    assert_err!(s.get_role(ACCOUNT, "Deployer").await, StoreError::NotFound);
    assert_eq!(
        s.count_entities(EntityKind::Role, ACCOUNT).await.unwrap(),
        0
    );
}

pub(crate) async fn instance_profiles_hold_one_role(db: Db) {
    let s = &db.store;
    for name in ["web", "Batch"] {
        s.create_entity(
            EntityKind::InstanceProfile,
            &entity(EntityKind::InstanceProfile, ACCOUNT, name, "/"),
        )
        .await
        .unwrap();
    }
    let app = role("App");
    s.create_role(&app).await.unwrap();
    s.create_role(&role("Other")).await.unwrap();

    s.add_role_to_instance_profile(ACCOUNT, "WEB", "app")
        .await
        .unwrap();
    assert_err!(
        s.add_role_to_instance_profile(ACCOUNT, "web", "Other")
            .await,
        StoreError::LimitExceeded
    );
    assert_err!(
        s.add_role_to_instance_profile(ACCOUNT, "web", "App").await,
        StoreError::LimitExceeded
    );
    s.add_role_to_instance_profile(ACCOUNT, "batch", "App")
        .await
        .unwrap();

    assert_eq!(
        s.roles_in_instance_profile(ACCOUNT, "web").await.unwrap(),
        vec![app.clone()]
    );
    assert_eq!(
        names(&s.instance_profiles_for_role(ACCOUNT, "APP").await.unwrap()),
        vec!["Batch", "web"]
    );
    assert!(
        s.instance_profiles_for_role(ACCOUNT, "Other")
            .await
            .unwrap()
            .is_empty()
    );

    assert_err!(
        s.delete_entity(EntityKind::Role, ACCOUNT, "App").await,
        StoreError::Conflict(Conflict::InstanceProfiles)
    );
    assert_err!(
        s.delete_entity(EntityKind::InstanceProfile, ACCOUNT, "web")
            .await,
        StoreError::Conflict(Conflict::InstanceProfiles)
    );

    s.remove_role_from_instance_profile(ACCOUNT, "web", "App")
        .await
        .unwrap();
    assert_err!(
        s.remove_role_from_instance_profile(ACCOUNT, "web", "App")
            .await,
        StoreError::NotFound
    );
    assert!(
        s.roles_in_instance_profile(ACCOUNT, "web")
            .await
            .unwrap()
            .is_empty()
    );
    // Now empty, the profile can take another role.
    s.add_role_to_instance_profile(ACCOUNT, "web", "Other")
        .await
        .unwrap();
    assert_eq!(
        s.roles_in_instance_profile(ACCOUNT, "web").await.unwrap()[0]
            .entity
            .name,
        "Other"
    );
    s.remove_role_from_instance_profile(ACCOUNT, "web", "other")
        .await
        .unwrap();
    s.delete_entity(EntityKind::InstanceProfile, ACCOUNT, "web")
        .await
        .unwrap();
    s.remove_role_from_instance_profile(ACCOUNT, "Batch", "App")
        .await
        .unwrap();
    s.delete_entity(EntityKind::Role, ACCOUNT, "App")
        .await
        .unwrap();
    assert_eq!(
        s.count_entities(EntityKind::InstanceProfile, ACCOUNT)
            .await
            .unwrap(),
        1
    );
}

pub(crate) async fn permissions_boundaries(db: Db) {
    let s = &db.store;
    let boundary = policy("Boundary");
    s.create_managed_policy(&boundary, &doc("s3:*"))
        .await
        .unwrap();
    s.create_entity(EntityKind::User, &user("u")).await.unwrap();
    s.create_role(&role("r")).await.unwrap();

    s.set_boundary(EntityKind::User, ACCOUNT, "U", Some(&boundary.arn))
        .await
        .unwrap();
    assert_eq!(
        s.get_entity(EntityKind::User, ACCOUNT, "u")
            .await
            .unwrap()
            .boundary_arn
            .as_deref(),
        Some(boundary.arn.as_str())
    );
    assert_eq!(
        s.get_managed_policy(&boundary.arn)
            .await
            .unwrap()
            .unwrap()
            .boundary_usage_count,
        1
    );
    s.set_boundary(EntityKind::Role, ACCOUNT, "R", Some(&boundary.arn))
        .await
        .unwrap();
    assert_eq!(
        s.get_role(ACCOUNT, "r")
            .await
            .unwrap()
            .entity
            .boundary_arn
            .as_deref(),
        Some(boundary.arn.as_str())
    );
    let got = s.get_managed_policy(&boundary.arn).await.unwrap().unwrap();
    assert_eq!((got.boundary_usage_count, got.attachment_count), (2, 0));

    assert_err!(
        s.set_boundary(EntityKind::User, ACCOUNT, "nobody", Some(&boundary.arn))
            .await,
        StoreError::NotFound
    );
    assert_err!(
        s.delete_managed_policy(&boundary.arn).await,
        StoreError::Conflict(Conflict::PolicyIsBoundary)
    );

    s.set_boundary(EntityKind::User, ACCOUNT, "u", None)
        .await
        .unwrap();
    assert_eq!(
        s.get_entity(EntityKind::User, ACCOUNT, "u")
            .await
            .unwrap()
            .boundary_arn,
        None
    );
    assert_eq!(
        s.get_managed_policy(&boundary.arn)
            .await
            .unwrap()
            .unwrap()
            .boundary_usage_count,
        1
    );
    s.set_boundary(EntityKind::Role, ACCOUNT, "r", None)
        .await
        .unwrap();
    s.delete_managed_policy(&boundary.arn).await.unwrap();
    assert_eq!(s.get_managed_policy(&boundary.arn).await.unwrap(), None);
}

/// What a write racing a deletion may leave keyed to a name (an attachment, an inline policy,
/// a membership, a tag, an access key, an MFA assignment) is not inherited by the next entity
/// of that name; a creation refused because the name is taken touches nothing.
pub(crate) async fn a_new_entity_inherits_nothing_left_under_its_name(db: Db) {
    let s = &db.store;
    let p = policy("P");
    s.create_managed_policy(&p, &doc("s3:*")).await.unwrap();
    s.create_entity(EntityKind::Group, &group("g"))
        .await
        .unwrap();
    // What races can leave under the name of a user that is gone (the store refuses each of
    // these for a missing owner, and locks the owner against its deletion): planted here as
    // they were left, with the user removed from under them.
    s.create_entity(EntityKind::User, &user("ghost"))
        .await
        .unwrap();
    s.create_access_key(&access_key("AKIAGHOST", Some("ghost"), "sealed", T0))
        .await
        .unwrap();
    s.attach_policy(ACCOUNT, EntityKind::User, "ghost", &p.arn)
        .await
        .unwrap();
    s.put_inline_policy(ACCOUNT, EntityKind::User, "ghost", "i", &doc("s3:*"), BIG)
        .await
        .unwrap();
    s.tag(ACCOUNT, "user", "ghost", &[tag("k", "v")])
        .await
        .unwrap();
    s.add_user_to_group(ACCOUNT, "g", "ghost").await.unwrap();
    let device = mfa_device(ACCOUNT, "ghost", "seed");
    s.create_mfa_device(&device).await.unwrap();
    s.enable_mfa_device(&device.serial, "ghost", T0, 1)
        .await
        .unwrap();
    let raw = db.location.raw().await;
    sqlx::query("DELETE FROM users WHERE name_lower = 'ghost'")
        .execute(&raw)
        .await
        .unwrap();
    raw.close().await;
    // Nothing is written for an owner that does not exist.
    assert_err!(
        s.attach_policy(ACCOUNT, EntityKind::Role, "nobody", &p.arn)
            .await,
        StoreError::NotFound
    );
    assert_err!(
        s.put_inline_policy(ACCOUNT, EntityKind::Role, "nobody", "i", &doc("s3:*"), BIG)
            .await,
        StoreError::NotFound
    );
    assert_err!(
        s.add_user_to_group(ACCOUNT, "g", "nobody").await,
        StoreError::NotFound
    );
    s.create_entity(EntityKind::User, &user("Ghost"))
        .await
        .unwrap();
    assert!(
        s.attached_policies(ACCOUNT, EntityKind::User, "Ghost")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.inline_policies(ACCOUNT, EntityKind::User, "Ghost")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(s.tags(ACCOUNT, "user", "Ghost").await.unwrap().is_empty());
    assert!(
        s.groups_for_user(ACCOUNT, "Ghost")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.list_access_keys(ACCOUNT, Some("Ghost"))
            .await
            .unwrap()
            .is_empty()
    );
    let device = s.get_mfa_device(&device.serial).await.unwrap().unwrap();
    assert_eq!(device.user_lower, None, "the device stays, unassigned");

    // A role of a taken name is refused, and the role keeps what it has.
    s.create_role(&role("R")).await.unwrap();
    s.attach_policy(ACCOUNT, EntityKind::Role, "R", &p.arn)
        .await
        .unwrap();
    assert_err!(s.create_role(&role("r")).await, StoreError::AlreadyExists);
    assert_eq!(
        s.attached_policies(ACCOUNT, EntityKind::Role, "R")
            .await
            .unwrap()
            .len(),
        1
    );
    // A boundary is set, and a policy attached, only while the policy exists; the error says
    // which of the two names is missing. A policy in use as a boundary stays.
    let gone = format!("arn:aws:iam::{ACCOUNT}:policy/none");
    assert_err!(
        s.set_boundary(EntityKind::User, ACCOUNT, "Ghost", Some(&gone))
            .await,
        StoreError::PolicyNotFound
    );
    assert_err!(
        s.set_boundary(EntityKind::User, ACCOUNT, "nobody", Some(&p.arn))
            .await,
        StoreError::NotFound
    );
    assert_err!(
        s.attach_policy(ACCOUNT, EntityKind::Role, "R", &gone).await,
        StoreError::PolicyNotFound
    );
    s.set_boundary(EntityKind::User, ACCOUNT, "Ghost", Some(&p.arn))
        .await
        .unwrap();
    s.detach_policy(ACCOUNT, EntityKind::Role, "R", &p.arn)
        .await
        .unwrap();
    assert_err!(
        s.delete_managed_policy(&p.arn).await,
        StoreError::Conflict(Conflict::PolicyIsBoundary)
    );
}
