//! The service commands (`iam …`, `sts …`), driven by the shape tables of
//! `rolecall-service-model`: one code path reads every operation's options, builds its
//! request, parses its response, pages through its results and formats its output as the
//! AWS CLI does.

pub(crate) mod args;
mod cli_input;
pub(crate) mod help;
mod json;
pub(crate) mod paginate;
pub(crate) mod shapes;
pub(crate) mod shorthand;
#[cfg(test)]
mod test_model;
mod yaml_skeleton;

use clap::{Args as _, FromArgMatches as _};
use rolecall_service_model::{Operation, Paginator, Protocol, Service};
use rolecall_transport::Client;
use rolecall_wire::xml_read as xml;
use serde_json::{Map, Value};

use crate::output::{self, Rendered};
use crate::{CliError, GlobalArgs, Session};
use shapes::TimestampFormat;

/// Moves the global options found among a service command's tokens into `global`
/// (`iam list-users --output text` is the same as `--output text iam list-users`).
pub fn split_globals(tokens: &[String], global: &mut GlobalArgs) -> Result<Vec<String>, CliError> {
    let command = GlobalArgs::augment_args(clap::Command::new("aws").no_binary_name(true));
    let mut globals: Vec<String> = Vec::new();
    let mut rest = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        i += 1;
        let name = t
            .strip_prefix("--")
            .map(|n| n.split_once('=').map_or(n, |(a, _)| a));
        let arg = name.and_then(|n| command.get_arguments().find(|a| a.get_long() == Some(n)));
        match arg {
            Some(arg) => {
                globals.push(t.clone());
                let takes_value = arg.get_action().takes_values();
                if takes_value && !t.contains('=') && i < tokens.len() {
                    globals.push(tokens[i].clone());
                    i += 1;
                }
            }
            None => rest.push(t.clone()),
        }
    }
    if !globals.is_empty() {
        let matches = command
            .try_get_matches_from(&globals)
            .map_err(|e| CliError::Usage(e.render().to_string().trim_end().to_owned()))?;
        global
            .update_from_arg_matches(&matches)
            .map_err(|e| CliError::Usage(e.to_string()))?;
    }
    Ok(rest)
}

/// What a command produced: text for stdout.
pub(crate) fn run(
    service: &'static Service,
    tokens: &[String],
    session: &Session,
    program: &str,
) -> Result<Rendered, CliError> {
    let Some(op_name) = tokens.first() else {
        return Err(args::usage_error(
            program,
            "the following arguments are required: operation",
        ));
    };
    if op_name == "help" {
        return Ok(Rendered::help(help::service_help(service, program)));
    }
    let Some(op) = service.operation_by_cli_name(op_name) else {
        let mut names: Vec<&str> = service.operations.iter().map(|o| o.cli_name).collect();
        names.push("help");
        names.sort_unstable();
        return Err(args::usage_error(
            program,
            &args::invalid_choice("operation", &names, op_name),
        ));
    };
    let parsed = args::parse(program, service, op, &tokens[1..], session.env.home())?;
    if parsed.help {
        return Ok(Rendered::help(help::operation_help(service, op, program)));
    }
    // Options on the command line win over --cli-input-json / --cli-input-yaml.
    let mut input = parsed.cli_input.merge(&parsed.values, session.env.home())?;
    match parsed.skeleton.as_deref() {
        Some("input") => {
            let v = op
                .input
                .map(|id| shapes::skeleton(service, id, false, "", &mut Vec::new()))
                .unwrap_or_else(|| Value::Object(Map::new()));
            return Ok(Rendered::text(output::json(&v)));
        }
        Some("yaml-input") => {
            return Ok(Rendered::text(yaml_skeleton::yaml_skeleton(
                service, op.input,
            )));
        }
        _ => {}
    }
    let mut paginate =
        op.paginator.is_some() && !session.global.no_paginate && !parsed.manual_paging;
    if let Some(p) = &op.paginator {
        // A marker given in an input document also means manual paging.
        if input.contains_key(p.input_token) {
            paginate = false;
        }
        // `--max-items` shadows an operation member of that name (IAM's `MaxItems`), which
        // it gives back when paging is off; any other operation has no such member.
        let (members, _) = args::members(service, op);
        let shadowed = members.iter().any(|m| m.cli_name == "max-items");
        if !paginate {
            let used: Vec<&str> = [
                ("--starting-token", parsed.starting_token.is_some()),
                ("--page-size", parsed.page_size.is_some()),
                ("--max-items", parsed.max_items.is_some() && !shadowed),
            ]
            .iter()
            .filter(|(_, set)| *set)
            .map(|(n, _)| *n)
            .collect();
            if !used.is_empty() {
                return Err(CliError::Usage(format!(
                    "\nError during pagination: Cannot specify --no-paginate along with pagination arguments: {}",
                    used.join(", ")
                )));
            }
            // Without automatic paging, --max-items is the operation's own parameter.
            if let (Some(limit), Some(n), true) = (p.limit_key, parsed.max_items, shadowed) {
                input.insert(limit.to_owned(), Value::from(n));
            }
        }
    }
    let input_value = Value::Object(input);
    if paginate && op.paginator.is_some() && parsed.max_items.is_some_and(|n| n <= 0) {
        eprintln!("warning: Non-positive values for --max-items may result in undefined behavior.");
    }
    if let Some(id) = op.input {
        let mut errors = Vec::new();
        // As botocore does: the page size is checked as the operation's limit parameter (a
        // copy of the input only when there is one to check).
        let limit = op.paginator.as_ref().and_then(|p| p.limit_key);
        let checked = match (limit, paginate, parsed.page_size, &input_value) {
            (Some(limit), true, Some(size), Value::Object(map)) => {
                let mut map = map.clone();
                map.insert(limit.to_owned(), Value::from(size));
                std::borrow::Cow::Owned(Value::Object(map))
            }
            _ => std::borrow::Cow::Borrowed(&input_value),
        };
        shapes::validate(service, id, &checked, "", &mut errors);
        if !errors.is_empty() {
            return Err(CliError::Usage(format!(
                "\nParameter validation failed:\n{}",
                errors.join("\n")
            )));
        }
    }
    let format = session.output()?;
    let ts = session.settings.timestamps;
    if parsed.skeleton.as_deref() == Some("output") {
        let v = op
            .output
            .map(|id| shapes::skeleton(service, id, true, "", &mut Vec::new()))
            .unwrap_or_else(|| Value::Object(Map::new()));
        return finish(session, op, &format, Response::Single(v));
    }
    let credentials = session.credentials()?;
    let region = session.region().unwrap_or_else(|| "us-east-1".to_owned());
    let endpoint = session.endpoint(service.cli_name, &region);
    // IAM is global: its AWS endpoint is signed for us-east-1.
    let signing_region = if service.cli_name == "iam" && endpoint == "https://iam.amazonaws.com" {
        "us-east-1".to_owned()
    } else {
        region
    };
    let client = Client::new(
        &endpoint,
        &signing_region,
        service.signing_name,
        service.api_version,
        &session.http_options()?,
    )?;
    let call = |input: &Value| -> Result<Value, CliError> {
        if service.protocol == Protocol::Json {
            let body = op.input.map_or_else(
                || Value::Object(Map::new()),
                |id| json::to_wire(service, id, input),
            );
            let target = format!("{}.{}", service.target_prefix.unwrap_or_default(), op.name);
            let raw = client.call_json(op.name, &target, &body.to_string(), &credentials)?;
            let v: Value = serde_json::from_str(&raw.body).map_err(|e| {
                CliError::Other(format!("\nthe {} response is not JSON: {e}", op.name))
            })?;
            return Ok(op.output.map_or_else(
                || Value::Object(Map::new()),
                |id| json::from_wire(service, id, &v, ts),
            ));
        }
        let mut params = Vec::new();
        if let Some(id) = op.input {
            shapes::to_params(service, id, input, "", &mut params);
        }
        let borrowed: Vec<(&str, String)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        let raw = client.call_query(op.name, &borrowed, &credentials)?;
        parse_response(service, op, &raw.body, ts)
    };
    let response = match (&op.paginator, paginate) {
        (Some(p), true) => {
            let starting = parsed
                .starting_token
                .as_deref()
                .map(|t| paginate::decode_token(p.input_token, t))
                .transpose()
                .map_err(|e| CliError::Other(format!("\n{e}")))?;
            let pages = paginate::paginate(
                p,
                starting.as_ref(),
                parsed.page_size,
                parsed.max_items,
                |marker, size| {
                    let mut request = input_value.clone();
                    if let Value::Object(map) = &mut request {
                        match marker {
                            Some(m) => {
                                map.insert(p.input_token.to_owned(), Value::String(m.to_owned()));
                            }
                            None => {
                                map.remove(p.input_token);
                            }
                        }
                        if let (Some(limit), Some(size)) = (p.limit_key, size) {
                            map.insert(limit.to_owned(), Value::from(size));
                        }
                    }
                    call(&request)
                },
            )?;
            Response::Paged(p, pages)
        }
        _ => Response::Single(call(&input_value)?),
    };
    let response = match (op.name, response) {
        ("CreateVirtualMFADevice", Response::Single(mut v)) => {
            save_bootstrap(
                &mut v,
                parsed.outfile.as_deref().unwrap_or_default(),
                parsed.bootstrap_method.as_deref().unwrap_or_default(),
            )?;
            Response::Single(v)
        }
        (_, r) => r,
    };
    finish(session, op, &format, response)
}

/// A response: one, or the pages of a paginated call.
pub(crate) enum Response {
    Single(Value),
    Paged(&'static Paginator, paginate::Pages),
}

fn finish(
    session: &Session,
    op: &Operation,
    format: &str,
    response: Response,
) -> Result<Rendered, CliError> {
    let query = session.global.query.as_deref();
    let title = op.name;
    let color = match session.global.color.as_deref() {
        Some("on") => true,
        Some("off") => false,
        _ => std::io::IsTerminal::is_terminal(&std::io::stdout()),
    };
    match (response, format) {
        (Response::Paged(p, pages), "text") => {
            let mut out = String::new();
            for page in pages.text_pages(p) {
                let v = output::query(&page, query).map_err(CliError::Usage)?;
                out.push_str(&output::text(&v));
            }
            if let Some(token) = &pages.resume_token {
                let v = serde_json::json!({"NextToken": {"NextToken": token}});
                let v = output::query(&v, query).map_err(CliError::Usage)?;
                out.push_str(&output::text(&v));
            }
            Ok(Rendered::text(out))
        }
        (Response::Paged(_, pages), "yaml-stream") => {
            let mut out = String::new();
            for (i, page) in pages.pages.iter().enumerate() {
                let mut page = page.clone();
                if i == 0
                    && let Value::Object(map) = &mut page
                {
                    for (k, v) in &pages.non_aggregate {
                        map.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
                let v = output::query(&page, query).map_err(CliError::Usage)?;
                out.push_str(&output::render(&v, format, title, color));
            }
            Ok(Rendered::text(out))
        }
        (Response::Paged(p, pages), _) => {
            let v = output::query(&pages.full_result(p), query).map_err(CliError::Usage)?;
            Ok(Rendered::text(output::render(&v, format, title, color)))
        }
        (Response::Single(v), _) => {
            let v = output::query(&v, query).map_err(CliError::Usage)?;
            Ok(Rendered::text(output::render(&v, format, title, color)))
        }
    }
}

/// Parses a successful response body by the operation's output shape.
fn parse_response(
    service: &Service,
    op: &Operation,
    body: &str,
    ts: TimestampFormat,
) -> Result<Value, CliError> {
    let Some(output) = op.output else {
        return Ok(Value::Object(Map::new()));
    };
    let root = xml::parse(body)
        .map_err(|e| CliError::Other(format!("\nthe {} response is not XML: {e}", op.name)))?;
    let result = match op.result_wrapper {
        Some(w) => root.child(w).cloned().unwrap_or_default(),
        None => root,
    };
    Ok(shapes::to_json(service, output, &result, ts))
}

/// `iam create-virtual-mfa-device --outfile F --bootstrap-method M`: writes the chosen
/// bootstrap data (decoded) to F with mode 0600 and removes both from the output.
fn save_bootstrap(v: &mut Value, outfile: &str, method: &str) -> Result<(), CliError> {
    let Some(Value::Object(device)) = v.get_mut("VirtualMFADevice") else {
        return Ok(());
    };
    if let Some(Value::String(body)) = device.get(method) {
        let bytes = data_encoding::BASE64.decode(body.as_bytes()).map_err(|e| {
            CliError::Other(format!("\nthe {method} in the response is not base64: {e}"))
        })?;
        rolecall_credentials::files::replace_file(std::path::Path::new(outfile), &bytes)
            .map_err(|e| CliError::Other(format!("\ncannot write {outfile}: {e}")))?;
    }
    device.remove("QRCodePNG");
    device.remove("Base32StringSeed");
    Ok(())
}
