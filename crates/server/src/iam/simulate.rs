//! SimulatePrincipalPolicy and SimulateCustomPolicy, answered by the same engine that
//! authorizes real requests, in AWS's shape: one result per action and resource, with the
//! statements that decided (at AWS's positions), the context keys missing, the Organizations
//! and permissions boundary details, and per-resource results when resources are named.
//!
//! A simulation costs at most one page: `MaxItems` results from `Marker` on, and fewer when
//! the page's answer or the policy text it evaluates reaches its budget (AWS's
//! "IAM might return fewer results"), so no request can make the server allocate without
//! bound. A principal can only be simulated in the caller's own account.

use std::sync::Arc;

use rolecall_policy::{
    Context, Effect, IdentitySide, NamedPolicy, Outcome, Policy, PolicyKind, PolicyType, Request,
    StatementOutcome, evaluate, parse_policy,
};
use rolecall_store::EntityKind;
use rolecall_wire::{AwsError, ErrorKind, Validator, XmlWriter};

use crate::call::{Call, Reply, truncation};
use crate::errors::store_failure;

/// `SourcePolicyType` of every identity policy (inline, managed, or given in the request).
const IDENTITY_POLICY: &str = "IAM Policy";
/// `SourcePolicyType` of a permissions boundary.
const BOUNDARY_POLICY: &str = "Permissions Boundary Policy";

/// A page ends once its XML has grown past this (it always holds at least one result).
const PAGE_BYTES: usize = 4 << 20;
/// A page ends once its results' work adds up to this. A result's work is the policy text it
/// evaluates times the length of the action and resource matched against it, the bound of
/// wildcard matching's cost.
const PAGE_WORK: usize = 1 << 31;

/// A line and a column, 1-based, as AWS reports positions.
type Position = (usize, usize);

/// A policy under simulation: the engine's copy, the id and type AWS shows for it, and where
/// each of its statements starts and ends.
struct Source {
    named: NamedPolicy,
    id: String,
    source_type: &'static str,
    spans: Vec<(Position, Position)>,
    text_len: usize,
}

impl Source {
    fn new(key: String, id: String, text: &str, policy: Policy, source_type: &'static str) -> Self {
        Self {
            named: NamedPolicy {
                name: key,
                policy: Arc::new(policy),
            },
            id,
            source_type,
            spans: statement_spans(text),
            text_len: text.len(),
        }
    }
}

/// Where every statement of `text` starts and ends, as AWS reports them: positions just
/// after a token. A lone statement object starts after its `{`; in a statement array the
/// first starts after the `[` and each next one after the `}` of the one before; every
/// statement ends after its `}`.
fn statement_spans(text: &str) -> Vec<(Position, Position)> {
    /// Where the `Statement` value being read is.
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Container {
        None,
        Object,
        Array,
    }
    let mut spans = Vec::new();
    let (mut line, mut col) = (1usize, 0usize);
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut text_of_string = String::new();
    let mut last_string = String::new();
    let mut key = String::new();
    let mut container = Container::None;
    let mut start = (0, 0);
    for c in text.chars() {
        if c == '\n' {
            line += 1;
            col = 0;
        } else {
            col += 1;
        }
        let after = (line, col + 1);
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
                if depth == 1 {
                    std::mem::swap(&mut last_string, &mut text_of_string);
                }
            } else if depth == 1 {
                text_of_string.push(c);
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                text_of_string.clear();
            }
            ':' if depth == 1 => key = std::mem::take(&mut last_string),
            ',' if depth == 1 => key.clear(),
            '{' | '[' => {
                depth += 1;
                if depth == 2 && key == "Statement" {
                    container = if c == '[' {
                        Container::Array
                    } else {
                        Container::Object
                    };
                    start = after;
                }
            }
            '}' | ']' => {
                let ends_statement = c == '}'
                    && ((container == Container::Object && depth == 2)
                        || (container == Container::Array && depth == 3));
                if ends_statement {
                    spans.push((start, after));
                    start = after;
                }
                if depth == 2 {
                    container = Container::None;
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
    }
    spans
}

/// `ContextEntries`: an entry sets the values of a key, so it must name one, which the model
/// (where every member of an entry is optional) does not say.
///
/// # Errors
/// `MalformedQueryString` for a list index that is not a positive number.
pub(crate) fn context_entries_name_their_keys(
    call: &Call<'_>,
    v: &mut Validator,
) -> Result<(), AwsError> {
    let entries = call.params.member_indices("ContextEntries")?;
    for (n, i) in entries.into_iter().enumerate() {
        if call
            .get(&format!("ContextEntries.member.{i}.ContextKeyName"))
            .is_none()
        {
            v.missing(&format!("contextEntries.{}.member.contextKeyName", n + 1));
        }
    }
    Ok(())
}

/// `PermissionsBoundaryPolicyInputList`: "You can input only one permissions boundary", as
/// the operation's documentation says and its model does not.
///
/// # Errors
/// `MalformedQueryString` for a list index that is not a positive number.
pub(crate) fn one_boundary_at_most(call: &Call<'_>, v: &mut Validator) -> Result<(), AwsError> {
    if call
        .params
        .member_indices("PermissionsBoundaryPolicyInputList")?
        .len()
        > 1
    {
        v.custom(
            "Value at 'permissionsBoundaryPolicyInputList' failed to satisfy constraint: Member must have length less than or equal to 1".into(),
        );
    }
    Ok(())
}

/// The request context the simulation evaluates in, from `ContextEntries`.
fn context_entries(call: &Call<'_>) -> Result<Context, AwsError> {
    let mut ctx = Context::default();
    for i in call.params.member_indices("ContextEntries")? {
        let prefix = format!("ContextEntries.member.{i}");
        let Some(key) = call.get(&format!("{prefix}.ContextKeyName")) else {
            continue;
        };
        let values = call
            .params
            .string_list(&format!("{prefix}.ContextKeyValues"))?;
        ctx.set_multi(key, values);
    }
    Ok(ctx)
}

/// The documents of a request list (`PolicyInputList`), parsed, named `List.N` as AWS
/// names them.
fn parse_inputs(
    call: &Call<'_>,
    list: &str,
    source_type: &'static str,
    first_key: usize,
) -> Result<Vec<Source>, AwsError> {
    let mut out = Vec::new();
    for (i, text) in call.params.string_list(list)?.into_iter().enumerate() {
        let policy = parse_policy(&text, PolicyKind::Inline)
            .map_err(|e| AwsError::malformed_policy(e.message))?;
        out.push(Source::new(
            format!("#{}", first_key + i),
            format!("{list}.{}", i + 1),
            &text,
            policy,
            source_type,
        ));
    }
    Ok(out)
}

/// Refuses to simulate a principal of another account: IAM holds no resource-based policy
/// that could grant it, whatever the caller's own policies allow, and nothing about the other
/// account (not even whether the principal exists) is looked at.
fn other_account(call: &Call<'_>, typed: &str) -> AwsError {
    let action = "iam:SimulatePrincipalPolicy";
    AwsError::access_denied(crate::errors::denied_message(
        call.p,
        action,
        typed,
        &format!("because no resource-based policy allows the {action} action"),
    ))
}

/// Resolves `PolicySourceArn` to the stored principal, authorized under its own ARN.
///
/// The ARN is parsed strictly (before the handler runs), the principal looked up as IAM does
/// (names without regard to case, paths exactly), and the action authorized on the stored
/// principal's canonical ARN, so that no other spelling escapes a Deny on it. A denial shows
/// the ARN as typed, so that it reveals nothing about the principal. A principal that does
/// not exist is authorized as typed, then refused as missing.
async fn authorized_principal(
    call: &Call<'_>,
    typed: &str,
) -> Result<(EntityKind, rolecall_store::Entity), AwsError> {
    let action = "iam:SimulatePrincipalPolicy";
    let (kind, asked) = crate::arn_params::principal_arn(typed)?;
    if asked.account != call.account() {
        call.authorize(action, typed, typed)?;
        return Err(other_account(call, typed));
    }
    let entity = super::find(call, kind, &asked.name)
        .await?
        .filter(|e| e.path == asked.path);
    let resource = entity.as_ref().map_or_else(
        || typed.to_owned(),
        |e| rolecall_arn::Arn::iam(call.account(), kind.owner_kind(), &e.path, &e.name).to_string(),
    );
    call.authorize(action, &resource, typed)?;
    let entity = entity
        .ok_or_else(|| AwsError::no_such_entity(format!("Entity {typed} does not exist.")))?;
    Ok((kind, entity))
}

/// The identity policies (inline and attached, with the groups' of a user) and the
/// boundary of a principal of the caller's account.
async fn principal_sources(
    call: &Call<'_>,
    kind: EntityKind,
    entity: &rolecall_store::Entity,
    first_key: usize,
) -> Result<(Vec<Source>, Option<Source>), AwsError> {
    let account = call.account();
    let store = call.app.store();
    let mut owners = vec![(kind, entity.name.clone())];
    if kind == EntityKind::User {
        owners.extend(
            store
                .groups_for_user(account, &entity.name)
                .await
                .map_err(store_failure)?
                .into_iter()
                .map(|g| (EntityKind::Group, g.name)),
        );
    }
    let mut sources = Vec::new();
    for (k, owner) in owners {
        for (pname, doc) in store
            .inline_policies(account, k, &owner)
            .await
            .map_err(store_failure)?
        {
            let policy =
                parse_policy(&doc, PolicyKind::Inline).map_err(|_| AwsError::internal())?;
            let key = format!("#{}", first_key + sources.len());
            sources.push(Source::new(key, pname, &doc, policy, IDENTITY_POLICY));
        }
        for (_, parn, _) in store
            .attached_policies(account, k, &owner)
            .await
            .map_err(store_failure)?
        {
            let key = format!("#{}", first_key + sources.len());
            sources.push(managed_source(call, &parn, key, IDENTITY_POLICY).await?);
        }
    }
    let boundary = match &entity.boundary_arn {
        Some(b) => Some(managed_source(call, b, "#boundary".into(), BOUNDARY_POLICY).await?),
        None => None,
    };
    Ok((sources, boundary))
}

/// A managed policy's default version, shown by the policy's name.
async fn managed_source(
    call: &Call<'_>,
    arn: &str,
    key: String,
    source_type: &'static str,
) -> Result<Source, AwsError> {
    let docs = call
        .app
        .store()
        .default_documents(&[arn.to_owned()])
        .await
        .map_err(store_failure)?;
    let (_, doc) = docs
        .into_iter()
        .next()
        .ok_or_else(|| AwsError::no_such_entity(format!("Policy {arn} was not found.")))?;
    let policy = parse_policy(&doc, crate::aws_policies::document_kind(arn))
        .map_err(|_| AwsError::internal())?;
    let name = rolecall_arn::Arn::parse(arn).map_or_else(|_| arn.to_owned(), |a| a.name().into());
    Ok(Source::new(key, name, &doc, policy, source_type))
}

/// One action on one resource, decided.
struct Simulated {
    decision: &'static str,
    /// The statements that decided: `(source, statement)` indices.
    matched: Vec<(usize, usize)>,
    missing: Vec<String>,
    /// Whether the boundary allows the request, when there is one.
    boundary_allows: Option<bool>,
}

fn simulate_one(
    sources: &[&Source],
    side: &IdentitySide<'_>,
    action: &str,
    resource: &str,
    ctx: &Context,
) -> Simulated {
    let d = evaluate(
        &Request {
            action,
            resource,
            context: ctx,
        },
        side,
        true,
    );
    let (decision, wanted) = match d.outcome {
        Outcome::Allow => ("allowed", Some(Effect::Allow)),
        Outcome::ExplicitDeny(_) => ("explicitDeny", Some(Effect::Deny)),
        Outcome::ImplicitDeny(_) => ("implicitDeny", None),
    };
    let mut out = Simulated {
        decision,
        matched: Vec::new(),
        missing: Vec::new(),
        boundary_allows: None,
    };
    for trace in &d.traces {
        let Some(source) = sources.iter().position(|s| s.named.name == trace.name) else {
            continue;
        };
        if trace.policy_type == PolicyType::Boundary {
            let applied = |effect| {
                trace
                    .statements
                    .iter()
                    .any(|s| s.effect == effect && s.outcome == StatementOutcome::Applied)
            };
            out.boundary_allows = Some(applied(Effect::Allow) && !applied(Effect::Deny));
        }
        for st in &trace.statements {
            if st.outcome == StatementOutcome::Applied && Some(st.effect) == wanted {
                out.matched.push((source, st.index));
            }
            if let StatementOutcome::ConditionFailed {
                key,
                request_values: None,
                ..
            } = &st.outcome
                && !out.missing.contains(key)
            {
                out.missing.push(key.clone());
            }
        }
    }
    out
}

fn write_position(w: &mut XmlWriter, element: &str, (line, column): Position) {
    w.open(element);
    w.num("Line", i64::try_from(line).unwrap_or(i64::MAX));
    w.num("Column", i64::try_from(column).unwrap_or(i64::MAX));
    w.close(element);
}

fn write_matched(w: &mut XmlWriter, sources: &[&Source], matched: &[(usize, usize)]) {
    w.open("MatchedStatements");
    for &(source, statement) in matched {
        let s = sources[source];
        w.open("member");
        w.elem("SourcePolicyId", &s.id);
        w.elem("SourcePolicyType", s.source_type);
        if let Some(&(start, end)) = s.spans.get(statement) {
            write_position(w, "StartPosition", start);
            write_position(w, "EndPosition", end);
        }
        w.close("member");
    }
    w.close("MatchedStatements");
}

fn write_boundary_detail(w: &mut XmlWriter, allows: Option<bool>) {
    if let Some(allowed) = allows {
        w.open("PermissionsBoundaryDecisionDetail");
        w.bool("AllowedByPermissionsBoundary", allowed);
        w.close("PermissionsBoundaryDecisionDetail");
    }
}

/// One `EvaluationResults` member. With named resources (`per_resource`) the missing keys
/// are told per resource, in `ResourceSpecificResults`, as AWS tells them.
fn write_result(
    w: &mut XmlWriter,
    sources: &[&Source],
    (action, resource): (&str, &str),
    r: &Simulated,
    per_resource: bool,
) {
    w.open("member");
    w.elem("EvalActionName", action);
    w.elem("EvalResourceName", resource);
    w.elem("EvalDecision", r.decision);
    write_matched(w, sources, &r.matched);
    w.string_list(
        "MissingContextValues",
        if per_resource { &[] } else { &r.missing },
    );
    // rolecall has no service control policies: Organizations never stands in the way.
    w.open("OrganizationsDecisionDetail");
    w.bool("AllowedByOrganizations", true);
    w.close("OrganizationsDecisionDetail");
    write_boundary_detail(w, r.boundary_allows);
    if per_resource {
        // Present and empty for a simulation within one account that names its resources.
        w.open("EvalDecisionDetails");
        w.close("EvalDecisionDetails");
        w.open("ResourceSpecificResults");
        w.open("member");
        w.elem("EvalResourceName", resource);
        w.elem("EvalResourceDecision", r.decision);
        write_matched(w, sources, &r.matched);
        w.string_list("MissingContextValues", &r.missing);
        write_boundary_detail(w, r.boundary_allows);
        w.close("member");
        w.close("ResourceSpecificResults");
    }
    w.close("member");
}

/// Where the page starts: the position of its first result among all of them.
fn page_start(marker: Option<&str>, total: usize) -> Result<usize, AwsError> {
    match marker {
        None => Ok(0),
        Some(m) => m
            .parse::<usize>()
            .ok()
            .filter(|n| *n < total)
            .ok_or_else(|| AwsError::new(ErrorKind::InvalidInput, "Invalid Marker.")),
    }
}

pub(crate) async fn simulate(call: &Call<'_>) -> Reply {
    let principal = call.op == crate::ops::Op::SimulatePrincipalPolicy;
    let actions = call.params.string_list("ActionNames")?;
    let named_resources = call.params.string_list("ResourceArns")?;
    let per_resource = !named_resources.is_empty();
    let resources = if per_resource {
        named_resources
    } else {
        vec!["*".to_owned()]
    };
    let (marker, max) = call.paging();
    let ctx = context_entries(call)?;
    let mut identity = Vec::new();
    let mut boundary = None;
    if principal {
        let (kind, entity) = authorized_principal(call, call.req("PolicySourceArn")).await?;
        let (sources, b) = principal_sources(call, kind, &entity, 0).await?;
        identity = sources;
        boundary = b;
    } else {
        call.authorize("iam:SimulateCustomPolicy", "*", "")?;
    }
    identity.extend(parse_inputs(
        call,
        "PolicyInputList",
        IDENTITY_POLICY,
        identity.len(),
    )?);
    // A boundary given in the request replaces the principal's own.
    if let Some(b) = parse_inputs(
        call,
        "PermissionsBoundaryPolicyInputList",
        BOUNDARY_POLICY,
        identity.len(),
    )?
    .into_iter()
    .next()
    {
        boundary = Some(b);
    }

    let named: Vec<NamedPolicy> = identity.iter().map(|s| s.named.clone()).collect();
    let side = IdentitySide {
        identity: &named,
        boundary: boundary.as_ref().map(|b| &b.named),
        session: None,
    };
    let mut sources: Vec<&Source> = identity.iter().collect();
    sources.extend(boundary.as_ref());
    let policy_text = sources.iter().map(|s| s.text_len).sum::<usize>().max(1);

    let total = actions.len().saturating_mul(resources.len());
    let start = page_start(marker.as_deref(), total)?;
    let max = usize::try_from(max).unwrap_or(100).max(1);
    let mut w = XmlWriter::new();
    w.open("EvaluationResults");
    let (mut next, mut work) = (start, 0usize);
    while next < total && next - start < max {
        if next > start && (w.len() >= PAGE_BYTES || work >= PAGE_WORK) {
            break;
        }
        let (action, resource) = (
            actions[next / resources.len()].as_str(),
            resources[next % resources.len()].as_str(),
        );
        let r = simulate_one(&sources, &side, action, resource, &ctx);
        write_result(&mut w, &sources, (action, resource), &r, per_resource);
        work =
            work.saturating_add(policy_text.saturating_mul(128.max(action.len() + resource.len())));
        next += 1;
    }
    w.close("EvaluationResults");
    truncation(&mut w, (next < total).then(|| next.to_string()).as_deref());
    Ok(Some(w))
}

#[cfg(test)]
mod tests {
    use super::statement_spans;

    #[test]
    fn statement_positions_are_aws_columns() {
        // AWS's documented answer for this document: 1:38 to 1:167.
        let object = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}"#;
        assert_eq!(statement_spans(object), vec![((1, 38), (1, 167))]);
        // AdministratorAccess as AWS stores it: 3:17 to 8:6.
        let admin = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"*\",\n      \"Resource\": \"*\"\n    }\n  ]\n}";
        assert_eq!(statement_spans(admin), vec![((3, 17), (8, 6))]);
        // Python's json.dumps spacing: the first statement starts at column 41.
        let dumped = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}, {"Effect": "Deny", "Action": "a:b", "Resource": "*"}]}"#;
        let spans = statement_spans(dumped);
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[0].0, (1, 41));
        // The next statement starts where the one before ends.
        assert_eq!(spans[1].0, spans[0].1);
        assert_eq!(spans[1].1, (1, dumped.len() - 1));
        // Keys named Statement deeper down, and brackets in strings, are not statements.
        let nested = r#"{"Id":"[{","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEquals":{"Statement":["{"]}}}]}"#;
        assert_eq!(statement_spans(nested).len(), 1);
    }
}
