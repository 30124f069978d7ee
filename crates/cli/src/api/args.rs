//! An operation's command line, read the way the AWS CLI reads it: one `--option` per input
//! member (named by botocore's rule), booleans as `--flag` / `--no-flag`, lists taking every
//! following value, structures as JSON or shorthand, `file://` and `fileb://` values, and
//! `--cli-input-json` / `--cli-input-yaml`, `--generate-cli-skeleton`, and the paging options
//! on paginated operations.

use rolecall_service_model::{Kind, Member, Operation, Service};
use serde_json::{Map, Value};

use super::cli_input::CliInput;
use super::shorthand;
use crate::CliError;

/// What the command line asked for.
#[derive(Debug, Default)]
pub(crate) struct OpArgs {
    /// Input members given as options, by wire name.
    pub(crate) values: Map<String, Value>,
    /// `--cli-input-json` and `--cli-input-yaml`.
    pub(crate) cli_input: CliInput,
    /// `--generate-cli-skeleton [input|yaml-input|output]`.
    pub(crate) skeleton: Option<String>,
    /// `--starting-token`.
    pub(crate) starting_token: Option<String>,
    /// `--page-size`.
    pub(crate) page_size: Option<i64>,
    /// `--max-items` (total items when paging).
    pub(crate) max_items: Option<i64>,
    /// A service paging parameter (`--marker`) was given: pagination is off.
    pub(crate) manual_paging: bool,
    /// `help` was given.
    pub(crate) help: bool,
    /// `--outfile` of `iam create-virtual-mfa-device`.
    pub(crate) outfile: Option<String>,
    /// `--bootstrap-method` of `iam create-virtual-mfa-device`.
    pub(crate) bootstrap_method: Option<String>,
}

/// An option an operation takes besides its input members.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Extra {
    /// The option name without dashes.
    pub(crate) name: &'static str,
    /// Its value type, as help pages show it.
    pub(crate) type_name: &'static str,
    /// Whether the command refuses to run without it.
    pub(crate) required: bool,
}

/// The options an operation takes besides its input members.
pub(crate) fn extra_options(service: &Service, op: &Operation) -> Vec<Extra> {
    let extra = |name, type_name, required| Extra {
        name,
        type_name,
        required,
    };
    let mut out = Vec::new();
    if op.paginator.is_some() {
        out.push(extra("starting-token", "string", false));
        out.push(extra("page-size", "integer", false));
        out.push(extra("max-items", "integer", false));
    }
    // A command that writes an `--outfile` takes no input document and prints no skeleton.
    if service.cli_name == "iam" && op.name == "CreateVirtualMFADevice" {
        out.push(extra("outfile", "string", true));
        out.push(extra("bootstrap-method", "string", true));
    } else {
        out.push(extra("cli-input-json", "string", false));
        out.push(extra("cli-input-yaml", "string", false));
        out.push(extra("generate-cli-skeleton", "string", false));
    }
    out
}

/// The values of `--generate-cli-skeleton`.
const SKELETONS: [&str; 3] = ["input", "output", "yaml-input"];

/// The input members of an operation.
pub(crate) fn members(
    service: &Service,
    op: &Operation,
) -> (&'static [Member], &'static [&'static str]) {
    match op.input.map(|id| &service.shape(id).kind) {
        Some(Kind::Structure { members, required }) => (members, required),
        _ => (&[], &[]),
    }
}

/// The AWS CLI's usage lines, printed before a command-line error.
fn usage(program: &str) -> String {
    format!(
        "usage: {program} [options] <command> <subcommand> [<subcommand> ...] [parameters]\nTo see help text, you can run:\n\n  {program} help\n  {program} <command> help\n  {program} <command> <subcommand> help\n"
    )
}

/// The argparse usage error the AWS CLI prints (exit 252).
pub(crate) fn usage_error(program: &str, message: &str) -> CliError {
    CliError::Usage(format!("{}{program}: error: {message}", usage(program)))
}

/// argparse's refusal of a value that is not one of `choices`, as the AWS CLI words it: the
/// choices two to a line, then the close matches.
pub(crate) fn invalid_choice(argument: &str, choices: &[&str], value: &str) -> String {
    let mut lines = vec![format!(
        "argument {argument}: Invalid choice, valid choices are:\n"
    )];
    for pair in choices.chunks(2) {
        lines.push(
            pair.iter()
                .map(|n| format!("{n:<40}"))
                .collect::<Vec<_>>()
                .join(" | "),
        );
    }
    let close: Vec<&str> = choices
        .iter()
        .copied()
        .filter(|n| similar(n, value))
        .collect();
    if !close.is_empty() {
        lines.push(format!("\n\nInvalid choice: '{value}', maybe you meant:\n"));
        for c in close {
            lines.push(format!("  * {c}"));
        }
    }
    lines.join("\n")
}

/// A close match, in the spirit of difflib's ratio ≥ 0.8.
fn similar(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    let distance = prev[b.len()];
    let total = a.len() + b.len();
    total > 0 && (total - distance) * 10 >= total * 8
}

/// Reads `file://` (text) and `fileb://` (bytes, base64 for the wire) values; `None` for
/// anything else.
pub(crate) fn load_paramfile(
    value: &str,
    home: Option<&std::path::Path>,
) -> Result<Option<String>, String> {
    match read_paramfile(value, home)? {
        None => Ok(None),
        Some((bytes, true)) => Ok(Some(data_encoding::BASE64.encode(&bytes))),
        Some((bytes, false)) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| format!("Unable to load paramfile {value}: the file is not UTF-8 text (use fileb:// for binary data)")),
    }
}

/// The bytes of a `file://` or `fileb://` value, and whether it was `fileb://`; `None` for
/// anything else.
pub(crate) fn read_paramfile(
    value: &str,
    home: Option<&std::path::Path>,
) -> Result<Option<(Vec<u8>, bool)>, String> {
    let (path, binary) = if let Some(p) = value.strip_prefix("file://") {
        (p, false)
    } else if let Some(p) = value.strip_prefix("fileb://") {
        (p, true)
    } else {
        return Ok(None);
    };
    let expanded = match path.strip_prefix("~/") {
        Some(rest) => home.map_or_else(|| std::path::PathBuf::from(path), |h| h.join(rest)),
        None => std::path::PathBuf::from(path),
    };
    let bytes = std::fs::read(&expanded).map_err(|e| {
        // Python's wording: `[Errno 2] No such file or directory: 'path'`.
        let text = e.to_string();
        let reason = text.split(" (os error").next().unwrap_or(&text).to_owned();
        match e.raw_os_error() {
            Some(n) => format!(
                "Unable to load paramfile {value}: [Errno {n}] {reason}: '{}'",
                expanded.display()
            ),
            None => format!("Unable to load paramfile {value}: {reason}"),
        }
    })?;
    Ok(Some((bytes, binary)))
}

fn param_error(option: &str, message: &str) -> CliError {
    CliError::Usage(format!("\nError parsing parameter '--{option}': {message}"))
}

/// Parses the tokens after the operation name.
pub(crate) fn parse(
    program: &str,
    service: &Service,
    op: &Operation,
    tokens: &[String],
    home: Option<&std::path::Path>,
) -> Result<OpArgs, CliError> {
    let (members, required) = members(service, op);
    let extras = extra_options(service, op);
    let mut args = OpArgs::default();
    let mut unknown: Vec<String> = Vec::new();
    let mut raw: Vec<(&Member, Vec<String>)> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let token = &tokens[i];
        i += 1;
        let Some(option) = token.strip_prefix("--") else {
            if token == "help" && !args.help {
                args.help = true;
            } else {
                unknown.push(token.clone());
            }
            continue;
        };
        let (name, inline) = match option.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (option, None),
        };
        // Values following an option: one, or all up to the next option for lists.
        let mut take = |all: bool| -> Vec<String> {
            if let Some(v) = &inline {
                return vec![v.clone()];
            }
            let mut out = Vec::new();
            while i < tokens.len() {
                let t = &tokens[i];
                let is_option = t.starts_with("--")
                    || (t.starts_with('-')
                        && t.len() > 1
                        && t[1..].starts_with(|c: char| c.is_ascii_alphabetic()));
                if is_option {
                    break;
                }
                out.push(t.clone());
                i += 1;
                if !all {
                    break;
                }
            }
            out
        };
        if let Some(extra) = extras.iter().find(|e| e.name == name).map(|e| e.name) {
            if extra == "generate-cli-skeleton" {
                let v = take(false);
                let value = v.first().cloned().unwrap_or_else(|| "input".to_owned());
                if !SKELETONS.contains(&value.as_str()) {
                    return Err(usage_error(
                        program,
                        &invalid_choice("--generate-cli-skeleton", &SKELETONS, &value),
                    ));
                }
                args.skeleton = Some(value);
                continue;
            }
            let v = take(false);
            let Some(value) = v.into_iter().next() else {
                return Err(usage_error(
                    program,
                    &format!("argument --{extra}: expected one argument"),
                ));
            };
            let int = |value: &str| {
                value.parse::<i64>().map_err(|_| {
                    usage_error(
                        program,
                        &format!("argument --{extra}: invalid int value: '{value}'"),
                    )
                })
            };
            match extra {
                "starting-token" => args.starting_token = Some(value),
                "page-size" => args.page_size = Some(int(&value)?),
                "max-items" => args.max_items = Some(int(&value)?),
                "cli-input-json" => args.cli_input.json = Some(value),
                "cli-input-yaml" => args.cli_input.yaml = Some(value),
                "outfile" => args.outfile = Some(value),
                "bootstrap-method" => {
                    let methods = ["QRCodePNG", "Base32StringSeed"];
                    if !methods.contains(&value.as_str()) {
                        return Err(usage_error(
                            program,
                            &invalid_choice("--bootstrap-method", &methods, &value),
                        ));
                    }
                    args.bootstrap_method = Some(value);
                }
                _ => unreachable!("{extra} is handled above"),
            }
            continue;
        }
        let (member, negated) = match members.iter().find(|m| m.cli_name == name) {
            Some(m) => (m, false),
            None => match name
                .strip_prefix("no-")
                .and_then(|n| members.iter().find(|m| m.cli_name == n))
                .filter(|m| matches!(service.shape(m.shape).kind, Kind::Boolean))
            {
                Some(m) => (m, true),
                None => {
                    unknown.push(token.clone());
                    continue;
                }
            },
        };
        let kind = &service.shape(member.shape).kind;
        match kind {
            Kind::Boolean => {
                if inline.is_some() {
                    return Err(usage_error(
                        program,
                        &format!(
                            "argument --{name}: ignored explicit argument '{}'",
                            inline.unwrap_or_default()
                        ),
                    ));
                }
                args.values
                    .insert(member.name.to_owned(), Value::Bool(!negated));
            }
            Kind::List { .. } => {
                let v = take(true);
                if v.is_empty() {
                    return Err(usage_error(
                        program,
                        &format!("argument --{name}: expected at least one argument"),
                    ));
                }
                raw.push((member, v));
            }
            _ => {
                let v = take(false);
                if v.is_empty() {
                    return Err(usage_error(
                        program,
                        &format!("argument --{name}: expected one argument"),
                    ));
                }
                raw.push((member, v));
            }
        }
    }
    if !unknown.is_empty() {
        return Err(CliError::Usage(format!(
            "{}\nUnknown options: {}",
            usage(program),
            unknown.join(", ")
        )));
    }
    if args.help {
        return Ok(args);
    }
    for (member, values) in raw {
        let value = unpack(service, member, values, home)?;
        args.values.insert(member.name.to_owned(), value);
    }
    // The service's own paging parameters (its marker, and its page-size member when the CLI
    // does not shadow it, as `--max-results` of `cloudtrail lookup-events`) still work, and
    // turn automatic paging off.
    if let Some(p) = &op.paginator
        && (args.values.contains_key(p.input_token)
            || p.limit_key.is_some_and(|k| args.values.contains_key(k)))
    {
        args.manual_paging = true;
    }
    // Required options, in the order the AWS CLI lists them; --cli-input-json or
    // --cli-input-yaml may carry the input members instead, and a skeleton needs nothing.
    if args.skeleton.is_none() {
        let mut missing: Vec<String> = Vec::new();
        if !args.cli_input.given() {
            missing.extend(
                members
                    .iter()
                    .filter(|m| required.contains(&m.name) && !args.values.contains_key(m.name))
                    .map(|m| format!("--{}", m.cli_name)),
            );
        }
        let given = |name: &str| match name {
            "outfile" => args.outfile.is_some(),
            "bootstrap-method" => args.bootstrap_method.is_some(),
            _ => true,
        };
        missing.extend(
            extras
                .iter()
                .filter(|e| e.required && !given(e.name))
                .map(|e| format!("--{}", e.name)),
        );
        if !missing.is_empty() {
            return Err(usage_error(
                program,
                &format!(
                    "the following arguments are required: {}",
                    missing.join(", ")
                ),
            ));
        }
    }
    Ok(args)
}

/// Turns an option's raw values into the member's value.
fn unpack(
    service: &Service,
    member: &Member,
    values: Vec<String>,
    home: Option<&std::path::Path>,
) -> Result<Value, CliError> {
    let name = member.cli_name;
    let kind = &service.shape(member.shape).kind;
    let load = |v: String| -> Result<String, CliError> {
        match load_paramfile(&v, home) {
            Ok(Some(content)) => Ok(content),
            Ok(None) => Ok(v),
            Err(e) => Err(param_error(name, &e)),
        }
    };
    let json = |text: &str| -> Result<Value, CliError> {
        serde_json::from_str::<Value>(text)
            .map_err(|e| param_error(name, &format!("Invalid JSON: {e}\nJSON received: {text}")))
    };
    let shorthand_file_loader = |v: &str| load_paramfile(v, home);
    match kind {
        Kind::List { member: item, .. } => {
            let mut values = values;
            if values.len() == 1 {
                let only = load(values.remove(0))?;
                if only.trim_start().starts_with('[') {
                    let mut v = json(&only)?;
                    shorthand::conform(service, member.shape, &mut v);
                    return Ok(v);
                }
                values = vec![only];
            }
            let item_kind = &service.shape(*item).kind;
            let complex = !item_kind.is_scalar();
            let looks_json = values
                .first()
                .is_some_and(|v| v.trim_start().starts_with(['[', '{']));
            let mut items = Vec::new();
            for v in values {
                let parsed = if complex && !looks_json {
                    shorthand::parse(&v, &shorthand_file_loader)
                        .map_err(|e| param_error(name, &e.0))?
                } else if complex {
                    json(&v)?
                } else {
                    scalar(item_kind, &v).map_err(|e| param_error(name, &e))?
                };
                items.push(parsed);
            }
            let mut v = Value::Array(items);
            shorthand::conform(service, member.shape, &mut v);
            Ok(v)
        }
        Kind::Structure { .. } | Kind::Map { .. } => {
            let text = load(values.into_iter().next().unwrap_or_default())?;
            let mut v = if text.trim_start().starts_with('{') {
                json(&text)?
            } else if text.trim().is_empty() {
                return Err(param_error(name, &format!("Invalid JSON:\n{text}")));
            } else {
                shorthand::parse(&text, &shorthand_file_loader)
                    .map_err(|e| param_error(name, &e.0))?
            };
            shorthand::conform(service, member.shape, &mut v);
            Ok(v)
        }
        _ => {
            let text = load(values.into_iter().next().unwrap_or_default())?;
            scalar(kind, &text).map_err(|e| param_error(name, &e))
        }
    }
}

fn scalar(kind: &Kind, text: &str) -> Result<Value, String> {
    match kind {
        Kind::Integer { .. } => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("invalid literal for int() with base 10: '{text}'")),
        Kind::Float => text
            .trim()
            .parse::<f64>()
            .map(Value::from)
            .map_err(|_| format!("could not convert string to float: '{text}'")),
        Kind::Boolean => Ok(Value::Bool(!text.eq_ignore_ascii_case("false"))),
        _ => Ok(Value::String(text.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rolecall_service_model::IAM;
    use serde_json::json;

    fn run(op: &str, tokens: &[&str]) -> Result<OpArgs, CliError> {
        let op = IAM.operation(op).unwrap();
        let tokens: Vec<String> = tokens.iter().map(|s| (*s).to_owned()).collect();
        parse("aws", &IAM, op, &tokens, None)
    }

    #[test]
    fn options_by_botocore_names_with_lists_and_shorthand() {
        let a = run(
            "TagRole",
            &[
                "--role-name",
                "r",
                "--tags",
                "Key=a,Value=b",
                "Key=c,Value=d",
            ],
        )
        .unwrap();
        assert_eq!(
            json!(a.values),
            json!({"RoleName": "r", "Tags": [{"Key": "a", "Value": "b"}, {"Key": "c", "Value": "d"}]})
        );
        let a = run("UntagRole", &["--role-name=r", "--tag-keys", "a", "b"]).unwrap();
        assert_eq!(a.values["TagKeys"], json!(["a", "b"]));
        let a = run(
            "TagRole",
            &["--role-name", "r", "--tags", r#"[{"Key":"a","Value":"b"}]"#],
        )
        .unwrap();
        assert_eq!(a.values["Tags"], json!([{"Key": "a", "Value": "b"}]));
    }

    #[test]
    fn booleans_integers_and_paging() {
        let a = run(
            "CreatePolicyVersion",
            &[
                "--policy-arn",
                "a",
                "--policy-document",
                "{}",
                "--set-as-default",
            ],
        )
        .unwrap();
        assert_eq!(a.values["SetAsDefault"], true);
        let a = run(
            "CreatePolicyVersion",
            &[
                "--policy-arn",
                "a",
                "--policy-document",
                "{}",
                "--no-set-as-default",
            ],
        )
        .unwrap();
        assert_eq!(a.values["SetAsDefault"], false);
        let a = run("ListUsers", &["--max-items", "2", "--page-size", "1"]).unwrap();
        assert_eq!(
            (a.max_items, a.page_size, a.manual_paging),
            (Some(2), Some(1), false)
        );
        let a = run("ListUsers", &["--marker", "m"]).unwrap();
        assert!(a.manual_paging);
        let a = run("ListUsers", &["--max-items", "2"]).unwrap();
        assert!(!a.manual_paging);
        assert!(matches!(
            run(
                "CreateRole",
                &["--role-name", "r", "--max-session-duration", "x"]
            ),
            Err(CliError::Usage(_))
        ));
    }

    #[test]
    fn missing_and_unknown_options_are_usage_errors() {
        let Err(CliError::Usage(m)) = run("CreateUser", &[]) else {
            panic!()
        };
        assert!(
            m.ends_with("aws: error: the following arguments are required: --user-name"),
            "{m}"
        );
        let Err(CliError::Usage(m)) = run("GetUser", &["--bogus", "x"]) else {
            panic!()
        };
        assert!(m.ends_with("Unknown options: --bogus, x"), "{m}");
        assert!(run("CreateUser", &["--cli-input-json", "{\"UserName\": \"a\"}"]).is_ok());
        assert!(run("CreateUser", &["help"]).unwrap().help);
    }

    #[test]
    fn skeleton_values_and_input_documents_as_v2_has_them() {
        let a = run("CreateUser", &["--generate-cli-skeleton", "yaml-input"]).unwrap();
        assert_eq!(a.skeleton.as_deref(), Some("yaml-input"));
        let Err(CliError::Usage(m)) = run("CreateUser", &["--generate-cli-skeleton", "yaml"])
        else {
            panic!()
        };
        assert!(
            m.ends_with("aws: error: argument --generate-cli-skeleton: Invalid choice, valid choices are:\n\ninput                                    | output                                  \nyaml-input                              "),
            "{m:?}"
        );
        let Err(CliError::Usage(m)) = run("CreateUser", &["--generate-cli-skeleton", "yaml-inptu"])
        else {
            panic!()
        };
        assert!(
            m.ends_with("\n\n\nInvalid choice: 'yaml-inptu', maybe you meant:\n\n  * yaml-input"),
            "{m:?}"
        );
        // An input document stands in for the required options, until it is read.
        let a = run("CreateUser", &["--cli-input-yaml", "UserName: a"]).unwrap();
        assert_eq!(a.cli_input.yaml.as_deref(), Some("UserName: a"));
        // The command that writes an --outfile takes neither, as in the AWS CLI.
        let Err(CliError::Usage(m)) = run(
            "CreateVirtualMFADevice",
            &["--cli-input-yaml", "VirtualMFADeviceName: d"],
        ) else {
            panic!()
        };
        assert!(
            m.ends_with("Unknown options: --cli-input-yaml, VirtualMFADeviceName: d"),
            "{m}"
        );
    }
}
