//! `help` pages in the AWS CLI's layout (NAME, SYNOPSIS, OPTIONS with shorthand and JSON
//! syntax, OUTPUT), built from the shape tables: every option, its type, whether it is
//! required, and the model's constraints.

use std::fmt::Write as _;

use rolecall_service_model::{Kind, Operation, Service, ShapeId};

use super::args;

fn heading(out: &mut String, name: &str) {
    let upper = name.to_uppercase();
    let _ = writeln!(
        out,
        "{upper}(){:>width$}\n\n\n",
        format!("{upper}()"),
        width = 78 - upper.len()
    );
}

/// `aws iam help`.
pub(crate) fn service_help(service: &Service, program: &str) -> String {
    let mut out = String::new();
    heading(&mut out, service.cli_name);
    let _ = writeln!(out, "NAME\n       {} -\n", service.cli_name);
    let _ = writeln!(
        out,
        "DESCRIPTION\n       {} ({} operations implemented by rolecall).\n",
        service.full_name,
        service.operations.len()
    );
    let _ = writeln!(
        out,
        "SYNOPSIS\n          {program} {} <operation> [parameters]\n",
        service.cli_name
    );
    let _ = writeln!(out, "AVAILABLE COMMANDS");
    let mut names: Vec<&str> = service.operations.iter().map(|o| o.cli_name).collect();
    names.push("help");
    names.sort_unstable();
    for n in names {
        let _ = writeln!(out, "       o {n}\n");
    }
    out
}

fn type_name(service: &Service, id: ShapeId) -> &'static str {
    service.shape(id).kind.type_name()
}

/// `aws iam create-user help`.
pub(crate) fn operation_help(service: &Service, op: &Operation, program: &str) -> String {
    let mut out = String::new();
    heading(&mut out, op.cli_name);
    let _ = writeln!(out, "NAME\n       {} -\n", op.cli_name);
    let _ = writeln!(
        out,
        "DESCRIPTION\n       Calls the {} {} operation.\n",
        service.full_name, op.name
    );
    if let Some(p) = &op.paginator {
        let _ = writeln!(
            out,
            "       {} is a paginated operation. Multiple API calls may be issued in order to\n       retrieve the entire data set of results. You can disable pagination by\n       providing the --no-paginate argument. When using --output text and the\n       --query argument on a paginated response, the --query argument must\n       extract data from the results of the following query expressions:\n       {}\n",
            op.cli_name,
            p.result_keys.join(", ")
        );
    }
    let _ = writeln!(
        out,
        "       See '{program} help' for descriptions of global parameters.\n"
    );
    let (members, required) = args::members(service, op);
    let hidden: Vec<&str> = op
        .paginator
        .as_ref()
        .map(|p| {
            [Some(p.input_token), p.limit_key]
                .into_iter()
                .flatten()
                .collect()
        })
        .unwrap_or_default();
    let _ = writeln!(out, "SYNOPSIS\n            {}", op.cli_name);
    for m in members.iter().filter(|m| !hidden.contains(&m.name)) {
        let req = required.contains(&m.name);
        let arg = if matches!(service.shape(m.shape).kind, Kind::Boolean) {
            format!("--{0} | --no-{0}", m.cli_name)
        } else {
            format!("--{} <value>", m.cli_name)
        };
        let _ = writeln!(
            out,
            "          {}",
            if req { arg } else { format!("[{arg}]") }
        );
    }
    for extra in args::extra_options(service, op) {
        // The two input documents are one group, shown once.
        let arg = match extra.name {
            "cli-input-json" => "--cli-input-json | --cli-input-yaml".to_owned(),
            "cli-input-yaml" => continue,
            name => format!("--{name} <value>"),
        };
        let _ = writeln!(
            out,
            "          {}",
            if extra.required {
                arg
            } else {
                format!("[{arg}]")
            }
        );
    }
    let _ = writeln!(out, "\nOPTIONS");
    for m in members.iter().filter(|m| !hidden.contains(&m.name)) {
        let _ = writeln!(
            out,
            "       --{} ({})",
            m.cli_name,
            type_name(service, m.shape)
        );
        if required.contains(&m.name) {
            let _ = writeln!(out, "          Required.");
        }
        constraints(service, m.shape, &mut out);
        if let Some(short) = shorthand_example(service, m.shape) {
            let _ = writeln!(out, "\n       Shorthand Syntax:\n\n          {short}");
        }
        if !service.shape(m.shape).kind.is_scalar() {
            let sample = super::shapes::skeleton(service, m.shape, true, m.name, &mut Vec::new());
            let json = crate::output::json(&sample);
            let _ = writeln!(out, "\n       JSON Syntax:\n");
            for line in json.lines() {
                let _ = writeln!(out, "          {line}");
            }
        }
        out.push('\n');
    }
    for args::Extra {
        name, type_name, ..
    } in args::extra_options(service, op)
    {
        let what = match name {
            "starting-token" => {
                "A token to specify where to start paginating: the NextToken from a previously truncated response."
            }
            "page-size" => {
                "The size of each page to get in the service call. This does not affect the number of items returned in the command's output."
            }
            "max-items" => {
                "The total number of items to return in the command's output. If more are available, a NextToken is provided to resume with --starting-token."
            }
            "outfile" => {
                "The output path and file name where the bootstrap information will be stored."
            }
            "bootstrap-method" => {
                "Method to use to seed the virtual MFA. Valid values are: QRCodePNG | Base32StringSeed"
            }
            "cli-input-json" => {
                "Reads arguments from the JSON string provided. The JSON string follows the format provided by --generate-cli-skeleton. If other arguments are provided on the command line, those values will override the JSON-provided values. It is not possible to pass arbitrary binary values using a JSON-provided value as the string will be taken literally. This may not be specified along with --cli-input-yaml."
            }
            "cli-input-yaml" => continue,
            _ => {
                "Prints a JSON skeleton to standard output without sending an API request. If provided with no value or the value input, prints a sample input JSON that can be used as an argument for --cli-input-json. Similarly, if provided yaml-input it will print a sample input YAML that can be used with --cli-input-yaml. If provided with the value output, it validates the command inputs and returns a sample output JSON for that command. The generated JSON skeleton is not stable between versions of the AWS CLI and there are no backwards compatibility guarantees in the JSON skeleton generated."
            }
        };
        let name = match name {
            "cli-input-json" => "cli-input-json | --cli-input-yaml",
            other => other,
        };
        let _ = writeln!(out, "       --{name} ({type_name})\n          {what}\n");
    }
    let _ = writeln!(out, "OUTPUT");
    match op.output.map(|id| &service.shape(id).kind) {
        Some(Kind::Structure { members, .. }) => {
            for m in *members {
                output_tree(service, m.name, m.shape, 7, &mut out, &mut Vec::new());
            }
        }
        _ => {
            let _ = writeln!(out, "       None");
        }
    }
    out
}

fn constraints(service: &Service, id: ShapeId, out: &mut String) {
    let mut parts = Vec::new();
    match &service.shape(id).kind {
        Kind::String {
            min,
            max,
            pattern,
            enum_values,
        } => {
            if let Some(m) = min {
                parts.push(format!("min: {m}"));
            }
            if let Some(m) = max {
                parts.push(format!("max: {m}"));
            }
            if let Some(p) = pattern {
                parts.push(format!("pattern: {p}"));
            }
            if !enum_values.is_empty() {
                let _ = writeln!(out, "          Possible values:\n");
                for v in *enum_values {
                    let _ = writeln!(out, "          o {v}\n");
                }
            }
        }
        Kind::Integer { min, max } | Kind::List { min, max, .. } => {
            if let Some(m) = min {
                parts.push(format!("min: {m}"));
            }
            if let Some(m) = max {
                parts.push(format!("max: {m}"));
            }
        }
        _ => {}
    }
    if !parts.is_empty() {
        let _ = writeln!(out, "          Constraints: {}", parts.join(", "));
    }
}

/// The shorthand example the AWS CLI documents (`Key=string,Value=string ...`).
fn shorthand_example(service: &Service, id: ShapeId) -> Option<String> {
    let scalar_members = |sid: ShapeId| -> Option<String> {
        match &service.shape(sid).kind {
            Kind::Structure { members, .. }
                if members
                    .iter()
                    .all(|m| service.shape(m.shape).kind.is_scalar()) =>
            {
                Some(
                    members
                        .iter()
                        .map(|m| format!("{}={}", m.name, type_name(service, m.shape)))
                        .collect::<Vec<_>>()
                        .join(","),
                )
            }
            _ => None,
        }
    };
    match &service.shape(id).kind {
        Kind::List { member, .. } => scalar_members(*member).map(|s| format!("{s} ...")),
        Kind::Structure { .. } => scalar_members(id),
        _ => None,
    }
}

fn output_tree(
    service: &Service,
    name: &str,
    id: ShapeId,
    indent: usize,
    out: &mut String,
    stack: &mut Vec<ShapeId>,
) {
    let pad = " ".repeat(indent);
    let _ = writeln!(out, "{pad}{name} -> ({})\n", type_name(service, id));
    if stack.contains(&id) {
        return;
    }
    stack.push(id);
    match &service.shape(id).kind {
        Kind::Structure { members, .. } => {
            for m in *members {
                output_tree(service, m.name, m.shape, indent + 3, out, stack);
            }
        }
        Kind::List { member, .. } => output_tree(service, "", *member, indent + 3, out, stack),
        Kind::Map { key, value } => {
            output_tree(service, "key", *key, indent + 3, out, stack);
            output_tree(service, "value", *value, indent + 3, out, stack);
        }
        _ => {}
    }
    stack.pop();
}

/// The service's operations and their options as clap subcommands, so that the generated
/// shell completion scripts complete `iam <operation> --<option>`.
pub fn completion_command(service: &Service, command: clap::Command) -> clap::Command {
    let mut command = command
        .mut_arg("args", |a| a.hide(true))
        .subcommand_required(false);
    for op in service.operations {
        let mut sub = clap::Command::new(op.cli_name);
        let (members, _) = args::members(service, op);
        for m in members {
            sub = sub.arg(clap::Arg::new(m.cli_name).long(m.cli_name));
            if matches!(service.shape(m.shape).kind, Kind::Boolean) {
                // clap ids are 'static; this runs once, in a process that prints and exits.
                let negated: &'static str =
                    Box::leak(format!("no-{}", m.cli_name).into_boxed_str());
                sub = sub.arg(
                    clap::Arg::new(negated)
                        .long(negated)
                        .action(clap::ArgAction::SetTrue),
                );
            }
        }
        // The paging --max-items replaces the operation's own MaxItems.
        for extra in args::extra_options(service, op) {
            if !members.iter().any(|m| m.cli_name == extra.name) {
                sub = sub.arg(clap::Arg::new(extra.name).long(extra.name));
            }
        }
        command = command.subcommand(sub);
    }
    command
}
