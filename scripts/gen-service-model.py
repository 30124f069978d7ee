#!/usr/bin/env python3
"""Generates crates/service-model/src/generated/{iam,sts,ops}.rs from the AWS service models.

The tables hold only the shape graph both halves need (member names, types, required
members, constraints, result wrappers, paginators) for the operations rolecall implements,
listed in OPERATIONS below. ops.rs is the `Op` enum the server dispatches on. Of the
documentation, only each member's summary is carried over: its first sentence, as AWS CLI v2
writes it into the comments of `--generate-cli-skeleton yaml-input`.

Adding an operation: add its name to OPERATIONS, rerun this script, and write its handler
(the server's dispatch match names the missing arm).

Usage: scripts/gen-service-model.py [MODELS_DIR]   (default: ../shared/reference/models)
"""

import glob
import json
import os
import re
import subprocess
import sys
import xml.dom.minidom
import xml.parsers.expat

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "reference", "models")
OUT = os.path.join(ROOT, "crates", "service-model", "src", "generated")


# The operations rolecall implements, per service, in the server's order.
OPERATIONS = {
    "sts": [
        "AssumeRole", "GetCallerIdentity", "GetSessionToken", "GetFederationToken", "GetAccessKeyInfo",
    ],
    "iam": [
        "CreateUser", "GetUser", "ListUsers", "UpdateUser", "DeleteUser", "TagUser", "UntagUser", "ListUserTags",
        "CreateAccessKey", "ListAccessKeys", "UpdateAccessKey", "DeleteAccessKey", "GetAccessKeyLastUsed",
        "CreateGroup", "GetGroup", "ListGroups", "UpdateGroup", "DeleteGroup", "AddUserToGroup",
        "RemoveUserFromGroup", "ListGroupsForUser",
        "CreateRole", "GetRole", "ListRoles", "UpdateRole", "UpdateRoleDescription", "DeleteRole",
        "UpdateAssumeRolePolicy", "TagRole", "UntagRole", "ListRoleTags",
        "PutUserPolicy", "GetUserPolicy", "DeleteUserPolicy", "ListUserPolicies",
        "PutGroupPolicy", "GetGroupPolicy", "DeleteGroupPolicy", "ListGroupPolicies",
        "PutRolePolicy", "GetRolePolicy", "DeleteRolePolicy", "ListRolePolicies",
        "CreatePolicy", "GetPolicy", "ListPolicies", "DeletePolicy", "CreatePolicyVersion", "GetPolicyVersion",
        "ListPolicyVersions", "DeletePolicyVersion", "SetDefaultPolicyVersion", "ListEntitiesForPolicy",
        "TagPolicy", "UntagPolicy", "ListPolicyTags",
        "AttachUserPolicy", "DetachUserPolicy", "ListAttachedUserPolicies",
        "AttachGroupPolicy", "DetachGroupPolicy", "ListAttachedGroupPolicies",
        "AttachRolePolicy", "DetachRolePolicy", "ListAttachedRolePolicies",
        "PutUserPermissionsBoundary", "DeleteUserPermissionsBoundary",
        "PutRolePermissionsBoundary", "DeleteRolePermissionsBoundary",
        "CreateInstanceProfile", "GetInstanceProfile", "ListInstanceProfiles", "DeleteInstanceProfile",
        "AddRoleToInstanceProfile", "RemoveRoleFromInstanceProfile", "ListInstanceProfilesForRole",
        "TagInstanceProfile", "UntagInstanceProfile", "ListInstanceProfileTags",
        "CreateVirtualMFADevice", "EnableMFADevice", "DeactivateMFADevice", "DeleteVirtualMFADevice",
        "ListMFADevices", "ListVirtualMFADevices", "ResyncMFADevice",
        "TagMFADevice", "UntagMFADevice", "ListMFADeviceTags",
        "CreateAccountAlias", "DeleteAccountAlias", "ListAccountAliases", "GetAccountSummary",
        "SimulatePrincipalPolicy", "SimulateCustomPolicy",
        "CreateServiceLinkedRole", "DeleteServiceLinkedRole", "GetServiceLinkedRoleDeletionStatus",
    ],
    "cloudtrail": [
        "LookupEvents",
    ],
}

# The `rolecall_wire::Service` variant of each service.
WIRE_SERVICE = {"sts": "Sts", "iam": "Iam", "cloudtrail": "CloudTrail"}

# Each service's wire protocol, as the model's metadata names it.
PROTOCOLS = {"query": "Protocol::Query", "json": "Protocol::Json"}


_FIRST_CAP = re.compile("(.)([A-Z][a-z]+)")
_END_CAP = re.compile("([a-z0-9])([A-Z])")
_PLURAL_ACRONYM = re.compile("[A-Z]{2,}s$")


def xform_name(name, sep="-"):
    """botocore's CamelCase to CLI name rule (ListMFADevices -> list-mfa-devices)."""
    if sep in name:
        return name
    special = _PLURAL_ACRONYM.search(name)
    if special is not None:
        matched = special.group()
        name = f"{name[: -len(matched)]}{sep}{matched.lower()}"
    s1 = _FIRST_CAP.sub(r"\1" + sep + r"\2", name)
    return _END_CAP.sub(r"\1" + sep + r"\2", s1).lower()


_SENTENCE_END = re.compile(r"[.:]+")


def summary(documentation):
    """A member's documentation as AWS CLI v2 sums it up: the text without its markup (the
    documentation as it is when it is not well-formed XML), up to the first `.` or `:`, then a
    period, with line breaks turned into spaces."""
    try:
        dom = xml.dom.minidom.parseString(f"<doc>{documentation}</doc>")
    except xml.parsers.expat.ExpatError:
        text = documentation
    else:
        parts = []

        def walk(node):
            for child in node.childNodes:
                if child.nodeType == child.TEXT_NODE:
                    parts.append(child.data)
                else:
                    walk(child)

        walk(dom)
        text = "".join(parts)
    text = _SENTENCE_END.split(text, 1)[0]
    if text:
        text += "."
    return text.replace("\n", " ").replace("\u2028", " ")


def rust_str(s):
    """A Rust string literal: JSON's escapes for quotes, backslashes, tabs and line breaks are
    Rust's too; any other character is written as it is (Rust spells `\\u` escapes otherwise)."""
    if any(ord(c) < 0x20 and c not in "\t\n\r" for c in s):
        raise SystemExit(f"a control character in {s!r}")
    return json.dumps(s, ensure_ascii=False)


def opt_str(s):
    return "None" if s is None else f"Some({rust_str(s)})"


def opt_num(n):
    return "None" if n is None else f"Some({int(n)})"


def generate(service, operations):
    base = glob.glob(os.path.join(MODELS, service, "*", "service-2.json"))[0]
    model = json.load(open(base))
    pag = json.load(open(os.path.join(os.path.dirname(base), "paginators-1.json")))["pagination"]
    shapes = model["shapes"]
    order = []
    index = {}

    def visit(name):
        if name in index:
            return index[name]
        index[name] = len(order)
        order.append(name)
        s = shapes[name]
        if s["type"] == "structure":
            for m in s["members"].values():
                visit(m["shape"])
        elif s["type"] == "list":
            visit(s["member"]["shape"])
        elif s["type"] == "map":
            visit(s["key"]["shape"])
            visit(s["value"]["shape"])
        return index[name]

    ops_out = []
    for op in operations:
        o = model["operations"][op]
        inp = visit(o["input"]["shape"]) if "input" in o else None
        out = visit(o["output"]["shape"]) if "output" in o else None
        wrapper = o.get("output", {}).get("resultWrapper")
        p = pag.get(op)
        if p:
            rk = p["result_key"] if isinstance(p["result_key"], list) else [p["result_key"]]
            pg = (
                "Some(Paginator { "
                f"input_token: {rust_str(p['input_token'])}, "
                f"output_token: {rust_str(p['output_token'])}, "
                f"limit_key: {opt_str(p.get('limit_key'))}, "
                f"more_results: {opt_str(p.get('more_results'))}, "
                f"result_keys: &[{', '.join(rust_str(k) for k in rk)}], "
                f"non_aggregate_keys: &[{', '.join(rust_str(k) for k in p.get('non_aggregate_keys', []))}] }})"
            )
        else:
            pg = "None"
        ops_out.append(
            f"    Operation {{ name: {rust_str(op)}, cli_name: {rust_str(xform_name(op))}, input: {'None' if inp is None else f'Some(ShapeId({inp}))'}, "
            f"output: {'None' if out is None else f'Some(ShapeId({out}))'}, result_wrapper: {opt_str(wrapper)}, paginator: {pg} }},"
        )

    shapes_out = []
    for name in order:
        s = shapes[name]
        t = s["type"]
        if t == "structure":
            # A member's own documentation, else its shape's (botocore's member traits).
            members = ", ".join(
                f"Member {{ name: {rust_str(k)}, cli_name: {rust_str(xform_name(k))}, shape: ShapeId({index[v['shape']]}), "
                f"summary: {rust_str(summary(v.get('documentation', shapes[v['shape']].get('documentation', ''))))} }}"
                for k, v in s["members"].items()
            )
            required = ", ".join(rust_str(r) for r in s.get("required", []))
            kind = f"Kind::Structure {{ members: &[{members}], required: &[{required}] }}"
        elif t == "list":
            kind = f"Kind::List {{ member: ShapeId({index[s['member']['shape']]}), min: {opt_num(s.get('min'))}, max: {opt_num(s.get('max'))} }}"
        elif t == "map":
            kind = f"Kind::Map {{ key: ShapeId({index[s['key']['shape']]}), value: ShapeId({index[s['value']['shape']]}) }}"
        elif t == "string":
            enum = ", ".join(rust_str(e) for e in s.get("enum", []))
            kind = (
                f"Kind::String {{ min: {opt_num(s.get('min'))}, max: {opt_num(s.get('max'))}, "
                f"pattern: {opt_str(s.get('pattern'))}, enum_values: &[{enum}] }}"
            )
        elif t in ("integer", "long"):
            kind = f"Kind::Integer {{ min: {opt_num(s.get('min'))}, max: {opt_num(s.get('max'))} }}"
        elif t == "boolean":
            kind = "Kind::Boolean"
        elif t == "timestamp":
            kind = "Kind::Timestamp"
        elif t == "blob":
            kind = "Kind::Blob"
        elif t in ("double", "float"):
            kind = "Kind::Float"
        else:
            raise SystemExit(f"unsupported shape type {t} ({name})")
        shapes_out.append(f"    Shape {{ name: {rust_str(name)}, kind: {kind} }},")

    meta = model["metadata"]
    names = ["Kind", "Member", "Operation"] + (["Paginator"] if any("Paginator {" in o for o in ops_out) else []) + ["Protocol", "Service", "Shape", "ShapeId"]
    imports = ", ".join(names)
    return f"""// @generated by scripts/gen-service-model.py from the {meta['serviceFullName']} model
// (API version {meta['apiVersion']}). Do not edit by hand: rerun the script.

use crate::{{{imports}}};

/// {meta['serviceFullName']}: the operations rolecall implements.
pub static SERVICE: Service = Service {{
    cli_name: {rust_str(service)},
    signing_name: {rust_str(meta.get('signingName', meta['endpointPrefix']))},
    api_version: {rust_str(meta['apiVersion'])},
    full_name: {rust_str(meta['serviceFullName'])},
    protocol: {PROTOCOLS[meta['protocol']]},
    target_prefix: {opt_str(meta.get('targetPrefix'))},
    operations: OPERATIONS,
    shapes: SHAPES,
}};

static OPERATIONS: &[Operation] = &[
{chr(10).join(ops_out)}
];

static SHAPES: &[Shape] = &[
{chr(10).join(shapes_out)}
];
"""


def generate_ops():
    """The `Op` enum: every operation of OPERATIONS, STS's, then IAM's, then CloudTrail's."""
    entries = [(service, i, op) for service in ("sts", "iam", "cloudtrail") for i, op in enumerate(OPERATIONS[service])]
    names = [op for _, _, op in entries]
    if len(set(names)) != len(names):
        raise SystemExit("an operation name is listed twice (STS and IAM share no names)")
    variants = "\n".join(f"    /// `{service}:{op}`.\n    {op}," for service, _, op in entries)
    all_ops = ", ".join(f"Self::{op}" for op in names)
    name_arms = "\n".join(f"            Self::{op} => {rust_str(op)}," for op in names)
    action_arms = "\n".join(f"            {rust_str(op)} => Some(Self::{op})," for op in names)
    iam_arms = "\n".join(f"            Self::{op} => {rust_str(service + ':' + op)}," for service, _, op in entries)
    entry_arms = "\n".join(f"            Self::{op} => (Service::{WIRE_SERVICE[service]}, {i})," for service, i, op in entries)
    return f"""// @generated by scripts/gen-service-model.py from its list of the operations rolecall
// implements. Do not edit by hand: rerun the script.

use rolecall_wire::Service;

/// An operation rolecall implements, named as the `Action` parameter names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {{
{variants}
}}

impl Op {{
    /// Every operation, STS's then IAM's, each in its table's order.
    pub const ALL: &'static [Self] = &[{all_ops}];

    /// The `Action` name (`AssumeRole`).
    #[must_use]
    pub fn name(self) -> &'static str {{
        match self {{
{name_arms}
        }}
    }}

    /// The operation an `Action` names (STS and IAM share no names).
    #[must_use]
    pub fn from_action(action: &str) -> Option<Self> {{
        match action {{
{action_arms}
            _ => None,
        }}
    }}

    /// The action a policy names it by (`iam:GetUser`, `sts:AssumeRole`).
    #[must_use]
    pub fn iam_action(self) -> &'static str {{
        match self {{
{iam_arms}
        }}
    }}

    /// Its service and its index in that service's table of operations.
    pub(crate) fn entry(self) -> (Service, usize) {{
        match self {{
{entry_arms}
        }}
    }}
}}
"""


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    subprocess.run(["rustfmt", "--edition", "2024", path], check=True)


def main():
    os.makedirs(OUT, exist_ok=True)
    for service in ("iam", "sts", "cloudtrail"):
        path = os.path.join(OUT, f"{service}.rs")
        write(path, generate(service, OPERATIONS[service]))
        print(f"wrote {os.path.relpath(path, ROOT)} ({len(OPERATIONS[service])} operations)")
    path = os.path.join(OUT, "ops.rs")
    write(path, generate_ops())
    print(f"wrote {os.path.relpath(path, ROOT)}")


if __name__ == "__main__":
    main()
