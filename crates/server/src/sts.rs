//! STS: AssumeRole, GetCallerIdentity, GetSessionToken, GetFederationToken, GetAccessKeyInfo.

use rolecall_arn::{
    Arn, IdKind, account_from_access_key_id, new_access_key_id, new_secret_access_key,
};
use rolecall_policy::{
    AssumeRoleInput, PolicyKind, PrincipalType, evaluate_assume_role, parse_policy,
};
use rolecall_wire::{AwsError, Constraint, ErrorKind, Validator, XmlWriter};

use crate::app::App;
use crate::authz::{Question, enforce};
use crate::call::{Call, Reply, with_request_tags, with_resource_tags};
use crate::errors::{denied_message, store_failure};
use crate::principal::CachedRole;
use crate::token::{SessionClaims, SessionKind};

/// Chained role sessions last at most an hour.
const CHAIN_LIMIT: i64 = 3600;
/// Packed session policies and tags may use this many characters, and so may the plaintext
/// of a session policy.
const PACKED_LIMIT: usize = 2048;
/// At most this many managed session policies.
const POLICY_ARNS_LIMIT: usize = 10;

/// AssumeRole's `Policy`: AWS documents that a session policy's plaintext "can't exceed 2,048
/// characters", but AssumeRole's model leaves the type unbounded (GetFederationToken's states
/// the bound itself).
pub(crate) fn session_policy_plaintext_limit(call: &Call<'_>, v: &mut Validator) {
    v.string(
        "policy",
        call.get("Policy"),
        false,
        &[Constraint::MaxLen(PACKED_LIMIT)],
    );
}

/// `PolicyArns`: AWS documents "up to 10 managed policy ARNs" and refuses more, in words the
/// model (which bounds no list of them) cannot give.
///
/// # Errors
/// `MalformedQueryString` for a list index that is not a positive number.
pub(crate) fn policy_arns_limit(call: &Call<'_>, v: &mut Validator) -> Result<(), AwsError> {
    let given = call.params.member_indices("PolicyArns")?.len();
    if given > POLICY_ARNS_LIMIT {
        v.custom(format!("Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to {POLICY_ARNS_LIMIT} (got {given})"));
    }
    Ok(())
}

/// Verifies an MFA code for the caller's device; `Ok(None)` when no MFA was given.
async fn verify_mfa(
    call: &Call<'_>,
    bad_code: &str,
    not_associated: &str,
) -> Result<Option<i64>, AwsError> {
    let (serial, code) = (call.get("SerialNumber"), call.get("TokenCode"));
    let (serial, code) = match (serial, code) {
        (None, None) => return Ok(None),
        (Some(s), Some(c)) => (s, c),
        _ => {
            return Err(AwsError::access_denied(
                "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code.",
            ));
        }
    };
    let store = call.app.store();
    let device = store.get_mfa_device(serial).await.map_err(store_failure)?;
    let owner_ok = |d: &rolecall_store::MfaDevice| match (&call.p.user, &d.user_lower) {
        (Some(u), Some(owner)) => d.account_id == call.account() && u.name.to_lowercase() == *owner,
        _ => false,
    };
    let Some(device) = device.filter(owner_ok) else {
        return Err(AwsError::access_denied(not_associated));
    };
    let secret = call
        .app
        .mfa_secret(&device)
        .ok_or_else(AwsError::internal)?;
    let now = call.now.unix_timestamp();
    let Some(step) = crate::totp::matching_step(&secret, code, now) else {
        return Err(AwsError::access_denied(bad_code));
    };
    // Each code is good once: a replay, even a concurrent one, is refused.
    if !store
        .claim_mfa_step(&device.serial, step)
        .await
        .map_err(store_failure)?
    {
        return Err(AwsError::access_denied(bad_code));
    }
    Ok(Some(now))
}

/// The managed session policies of `PolicyArns`.
fn policy_arns(call: &Call<'_>) -> Result<Vec<String>, AwsError> {
    Ok(call
        .params
        .struct_list("PolicyArns", &["arn"])?
        .into_iter()
        .filter_map(|f| f.into_iter().next().flatten())
        .collect())
}

/// Validates the session policy and computes the packed size (percent of the allowance).
/// Managed session policies must be the session's `account`'s own or AWS managed: another
/// account's is refused like a missing one, so its existence is never revealed.
async fn check_session_policy(
    call: &Call<'_>,
    account: &str,
    arns: &[String],
    tags: &[(String, String)],
) -> Result<Option<i64>, AwsError> {
    let policy = call.get("Policy");
    if let Some(text) = policy {
        parse_policy(text, PolicyKind::Session)
            .map_err(|e| AwsError::malformed_policy(e.message))?;
    }
    for arn in arns {
        let owner = crate::arn_params::session_policy_arn(arn)?.account;
        let reachable = owner == account || owner == rolecall_arn::AWS_MANAGED_ACCOUNT;
        // An AWS managed policy is stored from here on, for the session's requests to load.
        if !reachable || !crate::aws_policies::session_policy_exists(call.app.store(), arn).await? {
            return Err(AwsError::new(
                ErrorKind::InvalidParameterValue,
                format!("Policy {arn} does not exist or is not attachable."),
            ));
        }
    }
    if policy.is_none() && arns.is_empty() && tags.is_empty() {
        return Ok(None);
    }
    let packed = policy.map_or(0, rolecall_policy::non_whitespace_len)
        + arns.iter().map(String::len).sum::<usize>()
        + tags.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>();
    let percent = i64::try_from(packed * 100 / PACKED_LIMIT)
        .unwrap_or(i64::MAX)
        .max(1);
    if packed > PACKED_LIMIT {
        return Err(AwsError::new(
            ErrorKind::PackedPolicyTooLarge,
            format!(
                "Packed policy consumes {percent}% of allotted space, please use smaller policy."
            ),
        ));
    }
    Ok(Some(percent))
}

/// A role and its parsed trust policy, from the cache or the store; `None` inside when the
/// role does not exist.
async fn cached_role(
    app: &App,
    account: &str,
    name: &str,
) -> Result<std::sync::Arc<Option<CachedRole>>, AwsError> {
    app.cached_role(account, name, || load_role(app, account, name))
        .await
}

/// [`cached_role`] from the store. A stored trust policy that no longer parses fails closed.
async fn load_role(app: &App, account: &str, name: &str) -> Result<Option<CachedRole>, AwsError> {
    let role = match app.store().get_role(account, name).await {
        Ok(role) => role,
        Err(rolecall_store::StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(store_failure(e)),
    };
    let trust = parse_policy(&role.trust_policy, PolicyKind::Trust).map_err(|e| {
        tracing::error!(role = %role.entity.name, error = %e, "a stored trust policy no longer parses; failing closed");
        AwsError::internal()
    })?;
    let tags = app
        .store()
        .tags(account, "role", &role.entity.name)
        .await
        .map_err(store_failure)?
        .into_iter()
        .map(|t| (t.key, t.value))
        .collect();
    Ok(Some(CachedRole { role, trust, tags }))
}

/// Seals the claims into a session token and writes the `Credentials` element.
async fn issue(call: &Call<'_>, claims: &SessionClaims) -> XmlWriter {
    let token = call.app.seal_token(claims).await;
    let mut w = XmlWriter::new();
    w.open("Credentials");
    w.elem("AccessKeyId", &claims.access_key_id);
    w.elem("SecretAccessKey", &claims.secret);
    w.elem("SessionToken", &token);
    w.elem("Expiration", &crate::call::iso(claims.expires));
    w.close("Credentials");
    w
}

/// A session of the caller itself (GetSessionToken, GetFederationToken): the caller's user, or
/// the root, with fresh keys for `DurationSeconds` (12 hours by default, one at most for the
/// root) and nothing else; the operation fills in the rest.
fn caller_session(call: &Call<'_>, kind: SessionKind, duration: Option<i64>) -> SessionClaims {
    let p = call.p;
    let mut seconds = duration.unwrap_or(43_200);
    if p.is_root() {
        seconds = seconds.min(3600);
    }
    let issued = call.now.unix_timestamp();
    let user = p.user.as_ref();
    SessionClaims {
        kind,
        account: p.account().to_owned(),
        access_key_id: new_access_key_id(IdKind::TemporaryAccessKey, p.account()),
        secret: new_secret_access_key(),
        issued,
        expires: issued + seconds,
        mfa_at: None,
        name: user.map(|u| u.name.clone()).unwrap_or_default(),
        id: user.map_or_else(|| p.account().to_owned(), |u| u.id.clone()),
        path: user.map(|u| u.path.clone()).unwrap_or_default(),
        session_name: String::new(),
        policy: None,
        policy_arns: Vec::new(),
        tags: Vec::new(),
        transitive: Vec::new(),
        source_identity: None,
        chained: false,
    }
}

/// Session tags (`Tags.member.N`), validated as STS does: two keys that differ only in case
/// are an `InvalidParameterValue` there (IAM's tagging operations call it `InvalidInput`).
fn session_tags(call: &Call<'_>) -> Result<Vec<(String, String)>, AwsError> {
    call.tags().map_err(|e| {
        if e.kind == ErrorKind::InvalidInput {
            AwsError::new(ErrorKind::InvalidParameterValue, e.message)
        } else {
            e
        }
    })
}

/// The session tag rules of a role chain: each `TransitiveTagKeys` key must be one of the
/// request's tags, and a tag key that the calling session carries as transitive cannot be set
/// again, in any letter case.
fn check_transitive_tags(
    request_tags: &[(String, String)],
    transitive: &[String],
    inherited_transitive: &[String],
) -> Result<(), AwsError> {
    let invalid = |m: &str| Err(AwsError::new(ErrorKind::InvalidParameterValue, m));
    if !transitive
        .iter()
        .all(|t| request_tags.iter().any(|(k, _)| k.eq_ignore_ascii_case(t)))
    {
        return invalid("The specified transitive tag key must be included in the requested tags.");
    }
    if request_tags.iter().any(|(k, _)| {
        inherited_transitive
            .iter()
            .any(|t| t.eq_ignore_ascii_case(k))
    }) {
        return invalid(
            "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session.",
        );
    }
    Ok(())
}

pub(crate) async fn assume_role(call: &Call<'_>) -> Reply {
    let duration = call.number("DurationSeconds");
    let arns = policy_arns(call)?;
    let mut tags = session_tags(call)?;
    // The tags this request passes (inherited transitive tags are added to `tags` below).
    let request_tags = tags.clone();
    let transitive = call.params.string_list("TransitiveTagKeys")?;

    let role_arn = call.req("RoleArn");
    let session_name = call.req("RoleSessionName");
    let p = call.p;
    // A role session (role chaining): its transitive tags and source identity carry over.
    let caller_session = p.session.as_ref().filter(|s| s.kind == SessionKind::Role);
    check_transitive_tags(
        &request_tags,
        &transitive,
        caller_session.map_or(&[][..], |s| s.transitive.as_slice()),
    )?;
    // A source identity, once set, cannot change along the chain.
    let requested_source_identity = call.get("SourceIdentity");
    let source_identity = match (
        caller_session.and_then(|s| s.source_identity.as_deref()),
        requested_source_identity,
    ) {
        (Some(set), Some(asked)) if set != asked => {
            return Err(AwsError::new(
                ErrorKind::InvalidParameterValue,
                "The specified source identity can't be set because it conflicts with the source identity from the calling session.",
            ));
        }
        (Some(set), _) => Some(set.to_owned()),
        (None, asked) => asked.map(str::to_owned),
    };
    let bare_denial =
        |action: &str| AwsError::access_denied(denied_message(p, action, role_arn, ""));
    if p.is_root() {
        return Err(AwsError::access_denied(
            "Roles may not be assumed by root accounts.",
        ));
    }
    if p.caller.kind == PrincipalType::FederatedUser {
        return Err(bare_denial("sts:AssumeRole"));
    }
    // A missing role is refused exactly like a denied one: existence is never revealed. The
    // role is looked up by name as IAM does (names are unique without regard to case), and
    // from here on it is the stored role, under its own ARN, that is authorized.
    let asked = crate::arn_params::role_arn(role_arn)?;
    let cached = cached_role(call.app, &asked.account, &asked.name).await?;
    let Some(cached) = cached
        .as_ref()
        .as_ref()
        .filter(|c| c.role.entity.path == asked.path)
    else {
        return Err(bare_denial("sts:AssumeRole"));
    };
    let role = &cached.role;
    let canonical_arn = Arn::iam(
        &role.entity.account_id,
        "role",
        &role.entity.path,
        &role.entity.name,
    )
    .to_string();
    let mfa_at = verify_mfa(
        call,
        "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
        "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.",
    )
    .await?;

    // Transitive tags of a chained session carry over (none of them can be set again: checked
    // above).
    let mut carried_transitive = Vec::new();
    if let Some(s) = caller_session {
        for key in &s.transitive {
            if let Some((k, val)) = s.tags.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)) {
                tags.push((k.clone(), val.clone()));
                carried_transitive.push(k.clone());
            }
        }
    }

    let mut ctx = call.ctx.clone();
    ctx.set("sts:RoleSessionName", session_name);
    if let Some(e) = call.get("ExternalId") {
        ctx.set("sts:ExternalId", e);
    }
    // The source identity the new session will carry: the calling session's, if it has one.
    if let Some(si) = &source_identity {
        ctx.set("sts:SourceIdentity", si.clone());
    }
    // The role's own tags are its resource tags for this decision.
    with_resource_tags(&mut ctx, &cached.tags);
    with_request_tags(&mut ctx, &request_tags);
    if !transitive.is_empty() {
        ctx.set_multi("sts:TransitiveTagKeys", transitive.clone());
    }
    if mfa_at.is_some() {
        ctx.set("aws:MultiFactorAuthPresent", "true");
        ctx.set("aws:MultiFactorAuthAge", "0");
    }
    let mut actions = vec!["sts:AssumeRole"];
    if !request_tags.is_empty() || !transitive.is_empty() {
        actions.push("sts:TagSession");
    }
    if source_identity.is_some() {
        actions.push("sts:SetSourceIdentity");
    }
    let input = AssumeRoleInput {
        caller: &p.caller,
        caller_side: call.policies.side(),
        role_arn: &canonical_arn,
        role_account: &role.entity.account_id,
        trust: &cached.trust,
        actions: &actions,
        context: &ctx,
    };
    let question = Question {
        action: "sts:AssumeRole",
        display: role_arn,
        with_reason: false,
    };
    enforce(call.app, p, &question, |explain| {
        evaluate_assume_role(&input, explain)
    })?;

    // Role chaining, and a GetSessionToken session assuming a role, are held to an hour.
    let chained = p.caller.kind == PrincipalType::AssumedRole
        || p.session
            .as_ref()
            .is_some_and(|s| s.kind == SessionKind::User);
    let seconds = match duration {
        Some(d) if chained && d > CHAIN_LIMIT => {
            return Err(AwsError::validation(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
            ));
        }
        Some(d) if d > role.max_session_duration => {
            return Err(AwsError::validation(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            ));
        }
        Some(d) => d,
        None => 3600,
    };
    let packed = check_session_policy(call, &role.entity.account_id, &arns, &request_tags).await?;

    let account = role.entity.account_id.clone();
    let issued = call.now.unix_timestamp();
    let mut all_transitive = carried_transitive;
    all_transitive.extend(transitive);
    let claims = SessionClaims {
        kind: SessionKind::Role,
        account: account.clone(),
        access_key_id: new_access_key_id(IdKind::TemporaryAccessKey, &account),
        secret: new_secret_access_key(),
        issued,
        expires: issued + seconds,
        mfa_at,
        name: role.entity.name.clone(),
        id: role.entity.id.clone(),
        path: role.entity.path.clone(),
        session_name: session_name.to_owned(),
        policy: call.get("Policy").map(str::to_owned),
        policy_arns: arns,
        tags,
        transitive: all_transitive,
        source_identity: source_identity.clone(),
        chained,
    };
    let mut w = issue(call, &claims).await;
    call.app
        .note_role_use(&account, &role.entity.name, issued)
        .await;
    w.open("AssumedRoleUser");
    w.elem(
        "AssumedRoleId",
        &format!("{}:{session_name}", role.entity.id),
    );
    w.elem(
        "Arn",
        &Arn::assumed_role(&account, &role.entity.name, session_name).to_string(),
    );
    w.close("AssumedRoleUser");
    if let Some(size) = packed {
        w.num("PackedPolicySize", size);
    }
    w.opt("SourceIdentity", source_identity.as_deref());
    Ok(Some(w))
}

pub(crate) fn get_caller_identity(call: &Call<'_>) -> Reply {
    let p = call.p;
    let mut w = XmlWriter::new();
    w.elem("UserId", &p.user_id());
    w.elem("Account", p.account());
    w.elem("Arn", &p.caller.arn);
    Ok(Some(w))
}

pub(crate) async fn get_session_token(call: &Call<'_>) -> Reply {
    let duration = call.number("DurationSeconds");
    let p = call.p;
    if p.session.is_some() {
        return Err(AwsError::access_denied(
            "Cannot call GetSessionToken with session credentials",
        ));
    }
    let not_valid = "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.";
    let mfa_at = verify_mfa(call, not_valid, not_valid).await?;
    let claims = SessionClaims {
        mfa_at,
        ..caller_session(call, SessionKind::User, duration)
    };
    Ok(Some(issue(call, &claims).await))
}

pub(crate) async fn get_federation_token(call: &Call<'_>) -> Reply {
    let duration = call.number("DurationSeconds");
    let arns = policy_arns(call)?;
    let tags = session_tags(call)?;
    let p = call.p;
    if p.session.is_some() {
        return Err(AwsError::access_denied(
            "Cannot call GetFederationToken with session credentials",
        ));
    }
    let name = call.req("Name");
    let fed_arn = Arn::federated_user(p.account(), name).to_string();
    call.authorize_with("sts:GetFederationToken", &fed_arn, &fed_arn, |ctx| {
        with_request_tags(ctx, &tags)
    })?;
    let packed = check_session_policy(call, p.account(), &arns, &tags).await?;
    let claims = SessionClaims {
        session_name: name.to_owned(),
        policy: call.get("Policy").map(str::to_owned),
        policy_arns: arns,
        tags,
        ..caller_session(call, SessionKind::Federated, duration)
    };
    let mut w = issue(call, &claims).await;
    w.open("FederatedUser");
    w.elem("FederatedUserId", &format!("{}:{name}", p.account()));
    w.elem("Arn", &fed_arn);
    w.close("FederatedUser");
    // GetFederationToken always reports it, 0 without a session policy or tags.
    w.num("PackedPolicySize", packed.unwrap_or(0));
    Ok(Some(w))
}

pub(crate) fn get_access_key_info(call: &Call<'_>) -> Reply {
    call.authorize("sts:GetAccessKeyInfo", "*", "")?;
    let id = call.req("AccessKeyId");
    let account = account_from_access_key_id(id)
        .filter(|_| rolecall_arn::access_key_kind(id).is_some())
        .ok_or_else(|| {
            AwsError::new(
                ErrorKind::InvalidParameterValue,
                format!("Access key {id} is not valid"),
            )
        })?;
    let mut w = XmlWriter::new();
    w.elem("Account", &account);
    Ok(Some(w))
}
