//! SimulatePrincipalPolicy and SimulateCustomPolicy, answered by the same engine that
//! authorizes real requests, with the statements that decided and the context keys missing.

use std::sync::Arc;

use rolecall_policy::{
    Context, IdentitySide, NamedPolicy, Outcome, PolicyKind, Request, StatementOutcome, evaluate,
    parse_policy,
};
use rolecall_store::EntityKind;
use rolecall_wire::{AwsError, ErrorKind, Validator, XmlWriter};

use crate::call::{Call, Reply};
use crate::errors::store_failure;

/// A policy under simulation with its source text (for statement positions) and type.
struct Source {
    named: NamedPolicy,
    text: String,
    source_type: &'static str,
}

/// Line and column (1-based) of the start and end of every statement object in `text`.
fn statement_spans(text: &str) -> Vec<((usize, usize), (usize, usize))> {
    let mut spans = Vec::new();
    let (mut line, mut col) = (1usize, 0usize);
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut key = String::new();
    let mut last_key_at_depth1 = String::new();
    let mut statement_depth: Option<usize> = None;
    let mut start = (0, 0);
    for c in text.chars() {
        if c == '\n' {
            line += 1;
            col = 0;
        } else {
            col += 1;
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
                if depth == 1 {
                    last_key_at_depth1.clone_from(&key);
                }
            } else {
                key.push(c);
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                key.clear();
            }
            '{' | '[' => {
                depth += 1;
                if depth == 2 && last_key_at_depth1 == "Statement" {
                    statement_depth = Some(if c == '[' { 3 } else { 2 });
                }
                if c == '{' && statement_depth == Some(depth) {
                    start = (line, col);
                }
            }
            '}' | ']' => {
                if c == '}' && statement_depth == Some(depth) {
                    spans.push((start, (line, col)));
                }
                if depth == 2 {
                    statement_depth = None;
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

fn parse_inputs(
    call: &Call<'_>,
    list: &str,
    source_type: &'static str,
) -> Result<Vec<Source>, AwsError> {
    let mut out = Vec::new();
    for (i, text) in call.params.string_list(list)?.into_iter().enumerate() {
        let policy = parse_policy(&text, PolicyKind::Inline)
            .map_err(|e| AwsError::malformed_policy(e.message))?;
        out.push(Source {
            named: NamedPolicy {
                name: format!("{list}.{}", i + 1),
                policy: Arc::new(policy),
            },
            text,
            source_type,
        });
    }
    Ok(out)
}

async fn principal_sources(
    call: &Call<'_>,
    arn: &str,
) -> Result<(Vec<Source>, Option<Source>), AwsError> {
    let parsed = rolecall_arn::Arn::parse(arn)
        .map_err(|_| AwsError::new(ErrorKind::InvalidInput, format!("Invalid ARN: {arn}")))?;
    let (kind, _) = parsed.resource_type_and_rest();
    let kind = match kind {
        "user" => EntityKind::User,
        "group" => EntityKind::Group,
        "role" => EntityKind::Role,
        _ => {
            return Err(AwsError::new(
                ErrorKind::InvalidInput,
                format!("Invalid ARN: {arn}"),
            ));
        }
    };
    let name = parsed.name().to_owned();
    let store = call.app.store();
    let entity = store
        .get_entity(kind, &parsed.account, &name)
        .await
        .map_err(|_| AwsError::no_such_entity(format!("Entity {arn} does not exist.")))?;
    let mut owners = vec![(kind, entity.name.clone())];
    if kind == EntityKind::User {
        owners.extend(
            store
                .groups_for_user(&parsed.account, &name)
                .await
                .map_err(store_failure)?
                .into_iter()
                .map(|g| (EntityKind::Group, g.name)),
        );
    }
    let mut sources = Vec::new();
    for (k, owner) in owners {
        for (pname, doc) in store
            .inline_policies(&parsed.account, k, &owner)
            .await
            .map_err(store_failure)?
        {
            let policy =
                parse_policy(&doc, PolicyKind::Inline).map_err(|_| AwsError::internal())?;
            sources.push(Source {
                named: NamedPolicy {
                    name: pname,
                    policy: Arc::new(policy),
                },
                text: doc,
                source_type: k.owner_kind(),
            });
        }
        for (_, parn, _) in store
            .attached_policies(&parsed.account, k, &owner)
            .await
            .map_err(store_failure)?
        {
            sources.push(managed_source(call, &parn).await?);
        }
    }
    let boundary = match &entity.boundary_arn {
        Some(b) => Some(managed_source(call, b).await?),
        None => None,
    };
    Ok((sources, boundary))
}

async fn managed_source(call: &Call<'_>, arn: &str) -> Result<Source, AwsError> {
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
    let policy = parse_policy(&doc, PolicyKind::Managed).map_err(|_| AwsError::internal())?;
    let source_type = if rolecall_arn::Arn::parse(arn).is_ok_and(|a| a.is_aws_managed()) {
        "aws-managed"
    } else {
        "user-managed"
    };
    Ok(Source {
        named: NamedPolicy {
            name: arn.to_owned(),
            policy: Arc::new(policy),
        },
        text: doc,
        source_type,
    })
}

pub(crate) async fn simulate(call: &Call<'_>) -> Reply {
    let principal = call.op == crate::ops::Op::SimulatePrincipalPolicy;
    let actions = call.params.string_list("ActionNames")?;
    let mut resources = call.params.string_list("ResourceArns")?;
    if resources.is_empty() {
        resources.push("*".into());
    }
    let ctx = context_entries(call)?;
    let mut identity = parse_inputs(call, "PolicyInputList", "none")?;
    let mut boundary = parse_inputs(call, "PermissionsBoundaryPolicyInputList", "none")?
        .into_iter()
        .next();
    if principal {
        let arn = call.req("PolicySourceArn");
        call.authorize("iam:SimulatePrincipalPolicy", arn, arn)?;
        let (sources, b) = principal_sources(call, arn).await?;
        identity.extend(sources);
        boundary = boundary.or(b);
    } else {
        call.authorize("iam:SimulateCustomPolicy", "*", "")?;
    }
    let named: Vec<NamedPolicy> = identity.iter().map(|s| s.named.clone()).collect();
    let side = IdentitySide {
        identity: &named,
        boundary: boundary.as_ref().map(|b| &b.named),
        session: None,
    };
    let mut all_sources: Vec<&Source> = identity.iter().collect();
    all_sources.extend(boundary.as_ref());

    let mut w = XmlWriter::new();
    w.open("EvaluationResults");
    for action in &actions {
        for resource in &resources {
            let d = evaluate(
                &Request {
                    action,
                    resource,
                    context: &ctx,
                },
                &side,
                true,
            );
            let (decision, wanted) = match d.outcome {
                Outcome::Allow => ("allowed", Some(rolecall_policy::Effect::Allow)),
                Outcome::ExplicitDeny(_) => ("explicitDeny", Some(rolecall_policy::Effect::Deny)),
                Outcome::ImplicitDeny(_) => ("implicitDeny", None),
            };
            w.open("member");
            w.elem("EvalActionName", action);
            w.elem("EvalResourceName", resource);
            w.elem("EvalDecision", decision);
            w.open("MatchedStatements");
            let mut missing: Vec<String> = Vec::new();
            for trace in &d.traces {
                let Some(source) = all_sources.iter().find(|s| s.named.name == trace.name) else {
                    continue;
                };
                let spans = statement_spans(&source.text);
                for st in &trace.statements {
                    if st.outcome == StatementOutcome::Applied && Some(st.effect) == wanted {
                        w.open("member");
                        w.elem("SourcePolicyId", &trace.name);
                        w.elem("SourcePolicyType", source.source_type);
                        if let Some(((sl, sc), (el, ec))) = spans.get(st.index) {
                            w.open("StartPosition");
                            w.num("Line", i64::try_from(*sl).unwrap_or(0));
                            w.num("Column", i64::try_from(*sc).unwrap_or(0));
                            w.close("StartPosition");
                            w.open("EndPosition");
                            w.num("Line", i64::try_from(*el).unwrap_or(0));
                            w.num("Column", i64::try_from(*ec).unwrap_or(0));
                            w.close("EndPosition");
                        }
                        w.close("member");
                    }
                    if let StatementOutcome::ConditionFailed {
                        key,
                        request_values: None,
                        ..
                    } = &st.outcome
                        && !missing.contains(key)
                    {
                        missing.push(key.clone());
                    }
                }
            }
            w.close("MatchedStatements");
            w.string_list("MissingContextValues", &missing);
            w.close("member");
        }
    }
    w.close("EvaluationResults");
    w.bool("IsTruncated", false);
    Ok(Some(w))
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_statement_positions() {
        let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"a:b\", \"Resource\": \"*\"},\n    {\"Effect\": \"Deny\", \"Action\": \"{x}\", \"Resource\": \"*\"}\n  ]\n}";
        let spans = super::statement_spans(text);
        assert_eq!(spans, vec![((4, 5), (4, 57)), ((5, 5), (5, 56))]);
        let single = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"a:b","Resource":"*"}}"#;
        assert_eq!(super::statement_spans(single).len(), 1);
    }
}
