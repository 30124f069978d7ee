//! Groups and membership.

use rolecall_arn::IdKind;
use rolecall_store::{Entity, EntityKind, StoreError};
use rolecall_wire::{AwsError, XmlWriter};

use super::{authorized_entity, write_entity};
use crate::call::{Call, Reply, truncation};
use crate::errors::{Noun, no_such, on_entity, on_rename, store_failure};

pub(crate) async fn create_group(call: &Call<'_>) -> Reply {
    let name = call.req("GroupName");
    let path = call.get("Path").unwrap_or("/");
    let arn = rolecall_arn::Arn::iam(call.account(), "group", path, name).to_string();
    call.authorize("iam:CreateGroup", &arn, &arn)?;
    let group = Entity {
        account_id: call.account().to_owned(),
        name: name.to_owned(),
        path: path.to_owned(),
        id: rolecall_arn::new_id(IdKind::Group),
        created_at: call.now.unix_timestamp(),
        boundary_arn: None,
    };
    call.app
        .store()
        .create_entity(EntityKind::Group, &group)
        .await
        .map_err(on_entity(Noun::Group, name))?;
    call.wrote();
    let mut w = XmlWriter::new();
    w.open("Group");
    write_entity(&mut w, EntityKind::Group, &group);
    w.close("Group");
    Ok(Some(w))
}

pub(crate) async fn get_group(call: &Call<'_>) -> Reply {
    let (marker, max) = call.paging();
    let group = authorized_entity(
        call,
        EntityKind::Group,
        Noun::Group,
        call.req("GroupName"),
        "iam:GetGroup",
    )
    .await?;
    let users = call
        .app
        .store()
        .users_in_group(call.account(), &group.name)
        .await
        .map_err(store_failure)?;
    let (users, next) = crate::call::page_of(users, marker.as_deref(), max)?;
    let mut w = XmlWriter::new();
    w.open("Group");
    write_entity(&mut w, EntityKind::Group, &group);
    w.close("Group");
    w.list("Users", &users, |w, u| write_entity(w, EntityKind::User, u));
    truncation(&mut w, next.as_deref());
    Ok(Some(w))
}

pub(crate) async fn list_groups(call: &Call<'_>) -> Reply {
    super::list_entities(call, EntityKind::Group, "Groups", |_, w, g| {
        write_entity(w, EntityKind::Group, g);
        Box::pin(async { Ok(()) })
    })
    .await
}

pub(crate) async fn update_group(call: &Call<'_>) -> Reply {
    let name = call.req("GroupName");
    authorized_entity(
        call,
        EntityKind::Group,
        Noun::Group,
        name,
        "iam:UpdateGroup",
    )
    .await?;
    let new_name = call.get("NewGroupName");
    call.app
        .store()
        .update_entity(
            EntityKind::Group,
            call.account(),
            name,
            new_name,
            call.get("NewPath"),
        )
        .await
        .map_err(on_rename(Noun::Group, name, new_name))?;
    call.wrote();
    Ok(None)
}

pub(crate) async fn delete_group(call: &Call<'_>) -> Reply {
    let name = call.req("GroupName");
    authorized_entity(
        call,
        EntityKind::Group,
        Noun::Group,
        name,
        "iam:DeleteGroup",
    )
    .await?;
    call.app
        .store()
        .delete_entity(EntityKind::Group, call.account(), name)
        .await
        .map_err(on_entity(Noun::Group, name))?;
    call.wrote();
    Ok(None)
}

pub(crate) async fn add_user_to_group(call: &Call<'_>) -> Reply {
    membership(call, true).await
}

pub(crate) async fn remove_user_from_group(call: &Call<'_>) -> Reply {
    membership(call, false).await
}

async fn membership(call: &Call<'_>, add: bool) -> Reply {
    let (group, user) = (call.req("GroupName"), call.req("UserName"));
    let action = if add {
        "iam:AddUserToGroup"
    } else {
        "iam:RemoveUserFromGroup"
    };
    let group = authorized_entity(call, EntityKind::Group, Noun::Group, group, action).await?;
    let user = super::find(call, EntityKind::User, user)
        .await?
        .ok_or_else(|| no_such(Noun::User, user))?;
    let store = call.app.store();
    if add {
        store
            .add_user_to_group(call.account(), &group.name, &user.name)
            .await
            .map_err(store_failure)?;
    } else {
        store
            .remove_user_from_group(call.account(), &group.name, &user.name)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => AwsError::no_such_entity(format!(
                    "User {} is not in group {}.",
                    user.name, group.name
                )),
                other => store_failure(other),
            })?;
    }
    call.wrote();
    Ok(None)
}

pub(crate) async fn list_groups_for_user(call: &Call<'_>) -> Reply {
    let (marker, max) = call.paging();
    let user = authorized_entity(
        call,
        EntityKind::User,
        Noun::User,
        call.req("UserName"),
        "iam:ListGroupsForUser",
    )
    .await?;
    let groups = call
        .app
        .store()
        .groups_for_user(call.account(), &user.name)
        .await
        .map_err(store_failure)?;
    let (groups, next) = crate::call::page_of(groups, marker.as_deref(), max)?;
    let mut w = XmlWriter::new();
    w.list("Groups", &groups, |w, g| {
        write_entity(w, EntityKind::Group, g)
    });
    truncation(&mut w, next.as_deref());
    Ok(Some(w))
}
