//! Authorization: loading the policies that apply to a principal, building the request
//! context, and asking the policy engine. Fails closed: a stored policy that cannot be
//! parsed makes the request fail instead of being skipped.

use std::sync::Arc;

use rolecall_policy::{
    Context, ContextBuilder, Decision, IdentitySide, NamedPolicy, PolicyKind, PrincipalType,
    Request, evaluate, parse_policy,
};
use rolecall_store::EntityKind;
use rolecall_wire::{AwsError, ErrorKind};
use time::OffsetDateTime;

use crate::app::{App, Enforcement};
use crate::errors::{denied_message, store_failure};
use crate::principal::{Loaded, Principal};
use crate::token::SessionKind;

fn parse_stored(name: String, text: &str, kind: PolicyKind) -> Result<NamedPolicy, AwsError> {
    match parse_policy(text, kind) {
        Ok(p) => Ok(NamedPolicy {
            name,
            policy: Arc::new(p),
        }),
        Err(e) => {
            tracing::error!(policy = %name, error = %e, "a stored policy no longer parses; failing closed");
            Err(AwsError::internal())
        }
    }
}

/// What a permissions boundary whose policy cannot be found allows.
const ALLOWS_NOTHING: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;

/// The managed policies named by ARN, parsed; one that does not exist is left out.
pub(crate) async fn managed(app: &App, arns: &[String]) -> Result<Vec<NamedPolicy>, AwsError> {
    let docs = app
        .store()
        .default_documents(arns)
        .await
        .map_err(store_failure)?;
    docs.into_iter()
        .map(|(arn, doc)| {
            let kind = crate::aws_policies::document_kind(&arn);
            parse_stored(arn, &doc, kind)
        })
        .collect()
}

async fn owner_policies(
    app: &App,
    account: &str,
    kind: EntityKind,
    name: &str,
    out: &mut Vec<NamedPolicy>,
) -> Result<(), AwsError> {
    let store = app.store();
    for (policy_name, doc) in store
        .inline_policies(account, kind, name)
        .await
        .map_err(store_failure)?
    {
        out.push(parse_stored(
            format!("{} {name} inline policy {policy_name}", kind.owner_kind()),
            &doc,
            PolicyKind::Inline,
        )?);
    }
    let arns: Vec<String> = store
        .attached_policies(account, kind, name)
        .await
        .map_err(store_failure)?
        .into_iter()
        .map(|(_, arn, _)| arn)
        .collect();
    out.extend(managed(app, &arns).await?);
    Ok(())
}

/// The identity policies, boundary and tags of a user or role, cached.
pub(crate) async fn load(
    app: &App,
    account: &str,
    kind: EntityKind,
    name: &str,
) -> Result<Arc<Loaded>, AwsError> {
    app.cached_policies(account, kind, name, || {
        load_uncached(app, account, kind, name)
    })
    .await
}

/// [`load`] from the store; a missing principal loads as [`Loaded::default`].
async fn load_uncached(
    app: &App,
    account: &str,
    kind: EntityKind,
    name: &str,
) -> Result<Loaded, AwsError> {
    let store = app.store();
    let entity = match store.get_entity(kind, account, name).await {
        Ok(e) => e,
        Err(rolecall_store::StoreError::NotFound) => return Ok(Loaded::default()),
        Err(e) => return Err(store_failure(e)),
    };
    let mut identity = Vec::new();
    owner_policies(app, account, kind, name, &mut identity).await?;
    if kind == EntityKind::User {
        for group in store
            .groups_for_user(account, name)
            .await
            .map_err(store_failure)?
        {
            owner_policies(app, account, EntityKind::Group, &group.name, &mut identity).await?;
        }
    }
    let boundary = match &entity.boundary_arn {
        Some(arn) => Some(match managed(app, std::slice::from_ref(arn)).await?.pop() {
            Some(policy) => policy,
            None => {
                // A boundary whose policy is gone (a deletion that raced the setting of it)
                // limits to nothing: dropping it would lift the limit.
                tracing::warn!(boundary = %arn, principal = name, "a permissions boundary's policy does not exist; it allows nothing");
                parse_stored(
                    arn.clone(),
                    ALLOWS_NOTHING,
                    crate::aws_policies::document_kind(arn),
                )?
            }
        }),
        None => None,
    };
    let tags = store
        .tags(account, kind.owner_kind(), name)
        .await
        .map_err(store_failure)?
        .into_iter()
        .map(|t| (t.key, t.value))
        .collect();
    Ok(Loaded {
        exists: true,
        id: entity.id,
        identity,
        boundary,
        tags,
    })
}

/// Everything needed to decide the caller's requests.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallerPolicies {
    pub(crate) identity: Vec<NamedPolicy>,
    pub(crate) boundary: Option<NamedPolicy>,
    pub(crate) session: Option<Vec<NamedPolicy>>,
    pub(crate) tags: Vec<(String, String)>,
}

impl CallerPolicies {
    pub(crate) fn side(&self) -> IdentitySide<'_> {
        IdentitySide {
            identity: &self.identity,
            boundary: self.boundary.as_ref(),
            session: self.session.as_deref(),
        }
    }
}

/// Loads the caller's policies: a user's (also behind GetSessionToken and federated sessions),
/// or a role session's role policies plus its session policy. A principal whose user or role
/// is gone, or was re-created with a new id, gets no policies at all; a session of one is
/// refused outright, on every call, so that no trust policy naming it still lets it in.
///
/// # Errors
/// `InvalidClientTokenId` for a session whose role or user no longer exists by its unique id;
/// `InternalFailure` for a stored policy that no longer parses.
pub(crate) async fn caller_policies(app: &App, p: &Principal) -> Result<CallerPolicies, AwsError> {
    let account = p.account();
    let mut out = CallerPolicies::default();
    let (kind, name, expected_id) = match (&p.session, &p.user) {
        (Some(s), _) if s.kind == SessionKind::Role => {
            (EntityKind::Role, s.name.clone(), s.id.clone())
        }
        (_, Some(u)) => (EntityKind::User, u.name.clone(), u.id.clone()),
        _ => return Ok(out),
    };
    let loaded = load(app, account, kind, &name).await?;
    let alive = loaded.exists && loaded.id == expected_id;
    // Not under its name: gone, unless it was renamed (users can be), which keeps its id.
    if !alive && p.session.is_some() && !exists_by_id(app, account, kind, &expected_id).await? {
        return Err(AwsError::new(
            ErrorKind::InvalidClientTokenId,
            "The security token included in the request is invalid",
        ));
    }
    if alive {
        out.identity.clone_from(&loaded.identity);
        out.boundary.clone_from(&loaded.boundary);
        out.tags.clone_from(&loaded.tags);
    }
    if let Some(s) = &p.session {
        let has_session_policy = s.policy.is_some() || !s.policy_arns.is_empty();
        if has_session_policy || s.kind == SessionKind::Federated {
            let mut session = Vec::new();
            if let Some(text) = &s.policy {
                session.push(parse_stored(
                    "session policy".into(),
                    text,
                    PolicyKind::Session,
                )?);
            }
            session.extend(managed(app, &s.policy_arns).await?);
            out.session = Some(session);
        }
        // Session tags override the role's tags with the same key.
        for (k, v) in &s.tags {
            out.tags.retain(|(tk, _)| !tk.eq_ignore_ascii_case(k));
            out.tags.push((k.clone(), v.clone()));
        }
    }
    Ok(out)
}

/// Whether the user or role with this unique id still exists in `account`.
async fn exists_by_id(
    app: &App,
    account: &str,
    kind: EntityKind,
    id: &str,
) -> Result<bool, AwsError> {
    Ok(app
        .store()
        .entity_by_id(kind, id)
        .await
        .map_err(store_failure)?
        .is_some_and(|e| e.account_id == account))
}

/// Network facts of a request.
#[derive(Debug, Clone)]
pub(crate) struct Network {
    pub(crate) source_ip: String,
    pub(crate) user_agent: Option<String>,
    pub(crate) region: String,
}

/// The context keys of the caller and the request.
pub(crate) fn base_context(
    p: &Principal,
    tags: &[(String, String)],
    net: &Network,
    now: OffsetDateTime,
) -> Context {
    let userid = p.user_id();
    let username = if p.caller.kind == PrincipalType::User {
        p.user.as_ref().map(|u| u.name.as_str())
    } else {
        None
    };
    let mut b = ContextBuilder::new(now)
        .principal(
            p.caller.kind,
            &p.caller.principal_arn,
            p.account(),
            &userid,
            username,
        )
        .principal_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .network(
            &net.source_ip,
            false,
            net.user_agent.as_deref(),
            &net.region,
        );
    if let Some(s) = &p.session {
        let at = |t: i64| OffsetDateTime::from_unix_timestamp(t).unwrap_or(now);
        b = b
            .temporary_credentials(at(s.issued), s.mfa_at.map(at), now)
            .source_identity(s.source_identity.as_deref());
    }
    b.build()
}

/// Decides one action on one resource for the caller. Root is allowed everything in its
/// account. Denials carry AWS's message; under soft enforcement they are logged and allowed.
pub(crate) fn decide(
    app: &App,
    p: &Principal,
    policies: &CallerPolicies,
    action: &str,
    resource: &str,
    display: &str,
    ctx: &Context,
) -> Result<(), AwsError> {
    if p.is_root() {
        return Ok(());
    }
    let request = Request {
        action,
        resource,
        context: ctx,
    };
    let question = Question {
        action,
        display,
        with_reason: true,
    };
    enforce(app, p, &question, |explain| {
        evaluate(&request, &policies.side(), explain)
    })
}

/// What a denial reports: the action, the resource as shown, and whether the reason is told.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Question<'a> {
    /// The action asked about; a decision that names the action that failed (AssumeRole's
    /// `sts:TagSession`, …) reports that one instead.
    pub(crate) action: &'a str,
    /// The resource as the denial names it (empty: none).
    pub(crate) display: &'a str,
    /// Whether the message ends with the reason (`because no identity-based policy allows …`);
    /// AWS leaves it out for AssumeRole.
    pub(crate) with_reason: bool,
}

/// The one enforcement path of every decision: `evaluate` (given whether to explain) is
/// asked for an explanation only when a log line will show it. A denial is refused with
/// AccessDenied under strict enforcement, or logged and allowed under soft enforcement; its
/// message and explanation are logged either way.
pub(crate) fn enforce(
    app: &App,
    p: &Principal,
    question: &Question<'_>,
    evaluate: impl Fn(bool) -> Decision,
) -> Result<(), AwsError> {
    let debug = tracing::enabled!(tracing::Level::DEBUG);
    let decision = evaluate(debug);
    if decision.is_allowed() {
        return Ok(());
    }
    // Explanations cost a second pass; soft enforcement always logs one.
    let decision = if app.enforcement() == Enforcement::Soft && !debug {
        evaluate(true)
    } else {
        decision
    };
    let action = decision.failed_action.as_deref().unwrap_or(question.action);
    let reason = decision.reason(action);
    let told = if question.with_reason {
        reason.as_str()
    } else {
        ""
    };
    let message = denied_message(p, action, question.display, told);
    match app.enforcement() {
        Enforcement::Strict => {
            tracing::debug!(%message, %reason, explanation = %decision.explanation(), "denied");
            Err(AwsError::access_denied(message))
        }
        Enforcement::Soft => {
            tracing::warn!(%message, %reason, explanation = %decision.explanation(), "would deny; allowed by soft enforcement");
            Ok(())
        }
    }
}
