//! Virtual MFA devices: creation with a real seed and QR code, enabling with two consecutive
//! codes, resynchronisation, deactivation and deletion.

use data_encoding::{BASE32_NOPAD, BASE64};
use rolecall_arn::Arn;
use rolecall_store::{Entity, EntityKind, MfaDevice, StoreError};
use rolecall_wire::{AwsError, Constraint, ErrorKind, Validator, XmlWriter};

use super::{authorized_entity, find, to_tags, write_tags};
use crate::app::seed_context;
use crate::call::{Call, Reply, iso, truncation, with_request_tags};
use crate::errors::{Noun, store_failure};

/// The longest `VirtualMFADeviceName` at the root path.
const DEVICE_NAME_LIMIT: usize = 226;

/// `VirtualMFADeviceName`: the device's serial number is its ARN, which serialNumberType
/// bounds at 256 characters; `arn:aws:iam::123456789012:mfa/` leaves 226 for the name. AWS
/// refuses longer names, though the model states no maximum.
pub(crate) fn device_name_fits_its_serial_number(call: &Call<'_>, v: &mut Validator) {
    v.string(
        "virtualMFADeviceName",
        call.get("VirtualMFADeviceName"),
        false,
        &[Constraint::MaxLen(DEVICE_NAME_LIMIT)],
    );
}

/// DeactivateMFADevice's `UserName`: the model lets the root omit it for its own device;
/// rolecall keeps only users' virtual devices, so the user must be named.
pub(crate) fn user_name_required(call: &Call<'_>, v: &mut Validator) {
    if call.get("UserName").is_none() {
        v.missing("userName");
    }
}

fn invalid_codes() -> AwsError {
    AwsError::new(
        ErrorKind::InvalidAuthenticationCode,
        "Authentication code for device is not valid.",
    )
}

fn in_use() -> AwsError {
    AwsError::new(
        ErrorKind::EntityAlreadyExists,
        "MFA Device is already in use.",
    )
}

/// The step of the two consecutive codes the request gives for the device.
fn consecutive_step(call: &Call<'_>, d: &MfaDevice) -> Result<i64, AwsError> {
    let secret = call.app.mfa_secret(d).ok_or_else(AwsError::internal)?;
    crate::totp::consecutive_steps(
        &secret,
        call.req("AuthenticationCode1"),
        call.req("AuthenticationCode2"),
        call.now.unix_timestamp(),
    )
    .ok_or_else(invalid_codes)
}

/// The shared start of EnableMFADevice and ResyncMFADevice: authorizes the operation on the
/// user, requires the user, then the device.
async fn user_and_device(call: &Call<'_>) -> Result<(Entity, MfaDevice), AwsError> {
    let user = authorized_entity(
        call,
        EntityKind::User,
        Noun::User,
        call.req("UserName"),
        call.op.iam_action(),
    )
    .await?;
    let device = device_for(call, call.req("SerialNumber")).await?;
    Ok((user, device))
}

pub(crate) async fn create_virtual_mfa_device(call: &Call<'_>) -> Reply {
    let tags = call.tags()?;
    let name = call.req("VirtualMFADeviceName");
    let path = call.get("Path").unwrap_or("/");
    let serial = Arn::iam(call.account(), "mfa", path, name).to_string();
    call.authorize_with("iam:CreateVirtualMFADevice", &serial, &serial, |ctx| {
        with_request_tags(ctx, &tags)
    })?;
    let mut secret = [0u8; 40];
    rolecall_arn::random_bytes(&mut secret);
    let seed = BASE32_NOPAD.encode(&secret);
    let alias = call
        .app
        .store()
        .account_alias(call.account())
        .await
        .map_err(store_failure)?;
    let label = alias.unwrap_or_else(|| call.account().to_owned());
    let uri = format!("otpauth://totp/{name}@{label}?secret={seed}");
    let png = crate::qr::qr_png(&uri).map_err(|e| {
        tracing::error!(error = %e, "QR code rendering failed");
        AwsError::internal()
    })?;
    let device = MfaDevice {
        serial: serial.clone(),
        account_id: call.account().to_owned(),
        name: name.to_owned(),
        path: path.to_owned(),
        seed_sealed: call.app.master().seal_text(&seed, &seed_context(&serial)),
        user_lower: None,
        enabled_at: None,
        created_at: call.now.unix_timestamp(),
        last_step: None,
    };
    call.app
        .store()
        .create_mfa_device(&device)
        .await
        .map_err(|e| match e {
            StoreError::AlreadyExists => AwsError::new(
                ErrorKind::EntityAlreadyExists,
                "MFADevice entity at the same path and name already exists.",
            ),
            other => store_failure(other),
        })?;
    super::tag_new(call, "mfa", &serial, &tags).await?;
    call.wrote();
    let mut w = XmlWriter::new();
    w.open("VirtualMFADevice");
    w.elem("SerialNumber", &serial);
    w.elem("Base32StringSeed", &BASE64.encode(seed.as_bytes()));
    w.elem("QRCodePNG", &BASE64.encode(&png));
    if !tags.is_empty() {
        write_tags(&mut w, &to_tags(&tags));
    }
    w.close("VirtualMFADevice");
    Ok(Some(w))
}

pub(crate) async fn device_for(call: &Call<'_>, serial: &str) -> Result<MfaDevice, AwsError> {
    call.app
        .store()
        .get_mfa_device(serial)
        .await
        .map_err(store_failure)?
        .filter(|d| d.account_id == call.account())
        .ok_or_else(|| {
            AwsError::no_such_entity(format!(
                "MFA Device with serial number {serial} does not exist."
            ))
        })
}

pub(crate) async fn enable_mfa_device(call: &Call<'_>) -> Reply {
    let (user, device) = user_and_device(call).await?;
    if device.user_lower.is_some() {
        return Err(in_use());
    }
    let step = consecutive_step(call, &device)?;
    call.app
        .store()
        .enable_mfa_device(&device.serial, &user.name, call.now.unix_timestamp(), step)
        .await
        .map_err(|e| match e {
            StoreError::AlreadyExists => in_use(),
            other => store_failure(other),
        })?;
    call.wrote();
    Ok(None)
}

pub(crate) async fn resync_mfa_device(call: &Call<'_>) -> Reply {
    let (user, device) = user_and_device(call).await?;
    if device.user_lower.as_deref() != Some(user.name.to_lowercase().as_str()) {
        return Err(AwsError::no_such_entity(format!(
            "MFA Device with serial number {} does not exist.",
            device.serial
        )));
    }
    let step = consecutive_step(call, &device)?;
    call.app
        .store()
        .set_mfa_step(&device.serial, step)
        .await
        .map_err(store_failure)?;
    Ok(None)
}

pub(crate) async fn deactivate_mfa_device(call: &Call<'_>) -> Reply {
    let user = authorized_entity(
        call,
        EntityKind::User,
        Noun::User,
        call.req("UserName"),
        "iam:DeactivateMFADevice",
    )
    .await?;
    let serial = call.req("SerialNumber");
    call.app
        .store()
        .deactivate_mfa_device(serial, &user.name)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => AwsError::no_such_entity(format!(
                "MFA Device with serial number {serial} does not exist."
            )),
            other => store_failure(other),
        })?;
    call.wrote();
    Ok(None)
}

pub(crate) async fn delete_virtual_mfa_device(call: &Call<'_>) -> Reply {
    let serial = call.req("SerialNumber");
    call.authorize("iam:DeleteVirtualMFADevice", serial, serial)?;
    device_for(call, serial).await?;
    call.app
        .store()
        .delete_mfa_device(serial)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => AwsError::new(
                ErrorKind::DeleteConflict,
                "MFA VirtualDevice in use. Must deactivate first.",
            ),
            StoreError::NotFound => AwsError::no_such_entity(format!(
                "VirtualMFADevice with serial number {serial} doesn't exist."
            )),
            other => store_failure(other),
        })?;
    call.wrote();
    Ok(None)
}

pub(crate) async fn list_mfa_devices(call: &Call<'_>) -> Reply {
    let (marker, max) = call.paging();
    let target = super::users::target_user(call)?;
    let devices = match &target {
        Some(name) => {
            let user = authorized_entity(
                call,
                EntityKind::User,
                Noun::User,
                name,
                "iam:ListMFADevices",
            )
            .await?;
            call.app
                .store()
                .list_mfa_devices(call.account(), Some(&user.name))
                .await
                .map_err(store_failure)?
                .into_iter()
                .map(|d| (user.name.clone(), d))
                .collect()
        }
        None => {
            call.authorize("iam:ListMFADevices", &call.p.caller.arn, &call.p.caller.arn)?;
            Vec::new()
        }
    };
    let (devices, next) = crate::call::page_of(devices, marker.as_deref(), max)?;
    let mut w = XmlWriter::new();
    w.list("MFADevices", &devices, |w, (user, d)| {
        w.elem("UserName", user);
        w.elem("SerialNumber", &d.serial);
        w.elem("EnableDate", &iso(d.enabled_at.unwrap_or(d.created_at)));
    });
    truncation(&mut w, next.as_deref());
    Ok(Some(w))
}

pub(crate) async fn list_virtual_mfa_devices(call: &Call<'_>) -> Reply {
    let (marker, max) = call.paging();
    let resource = rolecall_arn::Arn::iam(call.account(), "mfa", "/", "").to_string();
    call.authorize("iam:ListVirtualMFADevices", &resource, &resource)?;
    let status = call.get("AssignmentStatus").unwrap_or("Any");
    let mut out = Vec::new();
    for d in call
        .app
        .store()
        .list_mfa_devices(call.account(), None)
        .await
        .map_err(store_failure)?
    {
        let assigned = d.user_lower.is_some();
        if (status == "Assigned" && !assigned) || (status == "Unassigned" && assigned) {
            continue;
        }
        let user = match &d.user_lower {
            Some(u) => find(call, EntityKind::User, u).await?,
            None => None,
        };
        out.push((d, user));
    }
    let (out, next) = crate::call::page_of(out, marker.as_deref(), max)?;
    let mut w = XmlWriter::new();
    w.list("VirtualMFADevices", &out, |w, (d, user)| {
        w.elem("SerialNumber", &d.serial);
        if let Some(u) = user {
            w.open("User");
            super::write_entity(w, EntityKind::User, u);
            w.close("User");
            w.elem("EnableDate", &iso(d.enabled_at.unwrap_or(d.created_at)));
        }
    });
    truncation(&mut w, next.as_deref());
    Ok(Some(w))
}
