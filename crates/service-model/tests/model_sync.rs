//! The generated tables agree with the AWS service models in `../shared/reference/models`
//! (skipped, with a message, when that directory is absent).

use std::path::PathBuf;

use rolecall_service_model::{Kind, Service, ShapeId};
use serde_json::Value;

fn models_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/models");
    dir.is_dir().then_some(dir)
}

fn load(dir: &std::path::Path, service: &str, file: &str) -> Value {
    let version = std::fs::read_dir(dir.join(service))
        .expect("service directory")
        .next()
        .expect("one version")
        .expect("entry")
        .path();
    serde_json::from_slice(&std::fs::read(version.join(file)).expect("model file"))
        .expect("model JSON")
}

fn check_shape(service: &Service, model: &Value, id: ShapeId, name: &str, seen: &mut Vec<String>) {
    if seen.iter().any(|s| s == name) {
        return;
    }
    seen.push(name.to_owned());
    let ours = service.shape(id);
    let theirs = &model["shapes"][name];
    assert_eq!(ours.name, name);
    let ty = theirs["type"].as_str().expect("type");
    let expected = match ty {
        "long" => "integer",
        "float" => "double",
        other => other,
    };
    assert_eq!(ours.kind.type_name(), expected, "{name}");
    match &ours.kind {
        Kind::Structure { members, required } => {
            let model_members = theirs["members"].as_object().expect("members");
            let names: Vec<&str> = members.iter().map(|m| m.name).collect();
            let model_names: Vec<&str> = model_members.keys().map(String::as_str).collect();
            assert_eq!(names, model_names, "members of {name}");
            let model_required: Vec<&str> = theirs["required"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            assert_eq!(required.to_vec(), model_required, "required of {name}");
            for m in *members {
                let target = model_members[m.name]["shape"].as_str().expect("shape");
                check_shape(service, model, m.shape, target, seen);
            }
        }
        Kind::List { member, .. } => {
            let target = theirs["member"]["shape"].as_str().expect("member");
            check_shape(service, model, *member, target, seen);
        }
        Kind::Map { key, value } => {
            check_shape(
                service,
                model,
                *key,
                theirs["key"]["shape"].as_str().unwrap(),
                seen,
            );
            check_shape(
                service,
                model,
                *value,
                theirs["value"]["shape"].as_str().unwrap(),
                seen,
            );
        }
        Kind::String {
            min,
            max,
            enum_values,
            ..
        } => {
            assert_eq!(*min, theirs["min"].as_i64(), "{name} min");
            assert_eq!(*max, theirs["max"].as_i64(), "{name} max");
            let model_enum: Vec<&str> = theirs["enum"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            assert_eq!(enum_values.to_vec(), model_enum, "{name} enum");
        }
        Kind::Integer { min, max } => {
            assert_eq!(*min, theirs["min"].as_i64(), "{name} min");
            assert_eq!(*max, theirs["max"].as_i64(), "{name} max");
        }
        _ => {}
    }
}

fn check_service(service: &Service, dir: &std::path::Path) {
    let model = load(dir, service.cli_name, "service-2.json");
    let pages = load(dir, service.cli_name, "paginators-1.json");
    assert_eq!(service.api_version, model["metadata"]["apiVersion"]);
    let mut seen = Vec::new();
    for op in service.operations {
        let theirs = &model["operations"][op.name];
        assert!(theirs.is_object(), "{} is not in the model", op.name);
        match (op.input, theirs["input"]["shape"].as_str()) {
            (Some(id), Some(name)) => check_shape(service, &model, id, name, &mut seen),
            (None, None) => {}
            other => panic!("{}: input differs: {other:?}", op.name),
        }
        match (op.output, theirs["output"]["shape"].as_str()) {
            (Some(id), Some(name)) => check_shape(service, &model, id, name, &mut seen),
            (None, None) => {}
            other => panic!("{}: output differs: {other:?}", op.name),
        }
        assert_eq!(
            op.result_wrapper,
            theirs["output"]["resultWrapper"].as_str(),
            "{}",
            op.name
        );
        let pager = &pages["pagination"][op.name];
        match &op.paginator {
            Some(p) => {
                assert_eq!(p.input_token, pager["input_token"], "{}", op.name);
                assert_eq!(p.output_token, pager["output_token"], "{}", op.name);
                assert_eq!(p.limit_key, pager["limit_key"].as_str(), "{}", op.name);
                assert_eq!(
                    p.more_results,
                    pager["more_results"].as_str(),
                    "{}",
                    op.name
                );
            }
            None => assert!(pager.is_null(), "{} pages in the model", op.name),
        }
    }
}

#[test]
fn tables_match_the_aws_models() {
    let Some(dir) = models_dir() else {
        eprintln!("skipped: ../shared/reference/models is not present next to the workspace");
        return;
    };
    check_service(&rolecall_service_model::IAM, &dir);
    check_service(&rolecall_service_model::STS, &dir);
}

#[test]
fn cli_names_follow_botocore() {
    let iam = &rolecall_service_model::IAM;
    for (api, cli) in [
        ("CreateVirtualMFADevice", "create-virtual-mfa-device"),
        ("ListMFADevices", "list-mfa-devices"),
        ("GetAccountSummary", "get-account-summary"),
        ("ListEntitiesForPolicy", "list-entities-for-policy"),
    ] {
        assert_eq!(iam.operation(api).expect(api).cli_name, cli);
    }
    let enable = iam.operation("EnableMFADevice").unwrap();
    let Kind::Structure { members, .. } = &iam.shape(enable.input.unwrap()).kind else {
        panic!("structure")
    };
    let names: Vec<&str> = members.iter().map(|m| m.cli_name).collect();
    assert_eq!(
        names,
        [
            "user-name",
            "serial-number",
            "authentication-code1",
            "authentication-code2"
        ]
    );
}

#[test]
fn the_operation_enum_is_the_tables_list() {
    use rolecall_service_model::Op;
    for op in Op::ALL {
        assert_eq!(op.operation().name, op.name());
        assert_eq!(Op::from_action(op.name()), Some(*op));
        assert_eq!(
            op.iam_action(),
            format!("{}:{}", op.service().action_prefix(), op.name())
        );
        assert_eq!(op.tables().signing_name, op.service().signing_name());
    }
    let tables: usize = Service::all().iter().map(|s| s.operations.len()).sum();
    assert_eq!(Op::ALL.len(), tables);
    assert_eq!(Op::from_action("Nope"), None);
}
