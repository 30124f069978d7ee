//! `--generate-cli-skeleton yaml-input`: an operation's input as AWS CLI v2 prints it for
//! `--cli-input-yaml`. The sample values are botocore's (`''`, the first enum value, `0`,
//! `0.0`, `true`, `1970-01-01 00:00:00`, `!!binary ''`; one item per list, `KeyName` per map,
//! `{}` where a structure recurs), in ruamel.yaml's round-trip layout: members in model order,
//! sequences at their key's indentation, and after each member an end-of-line comment of
//! `[REQUIRED]`, its summary and its enum values. The comment stands two spaces after the
//! value, or one where ruamel aligns it with an earlier comment of the same mapping.

use rolecall_service_model::{Kind, Service, ShapeId};

use crate::output::yaml_scalar;

/// The skeleton of the input shape `input` (an empty mapping when the operation has none).
pub(crate) fn yaml_skeleton(service: &Service, input: Option<ShapeId>) -> String {
    let node = input.map_or(Node::Map(Vec::new()), |id| {
        sample(service, id, &mut Vec::new())
    });
    let mut out = String::new();
    match &node {
        Node::Map(entries) if !entries.is_empty() => write_map(&mut out, entries, 0, false),
        other => {
            out.push_str(&other.inline());
            out.push('\n');
        }
    }
    out
}

/// A sample value.
enum Node {
    Scalar(String),
    Map(Vec<Entry>),
    List(Vec<Node>),
}

/// A mapping's key, its value, and the comment after it (with its leading spaces).
struct Entry {
    key: String,
    value: Node,
    comment: Option<String>,
}

impl Node {
    /// The value written on its key's line: a scalar, or an empty collection.
    fn inline(&self) -> String {
        match self {
            Self::Scalar(s) => s.clone(),
            Self::Map(_) => "{}".to_owned(),
            Self::List(_) => "[]".to_owned(),
        }
    }

    fn is_block(&self) -> bool {
        match self {
            Self::Scalar(_) => false,
            Self::Map(entries) => !entries.is_empty(),
            Self::List(items) => !items.is_empty(),
        }
    }
}

fn sample(service: &Service, id: ShapeId, stack: &mut Vec<ShapeId>) -> Node {
    stack.push(id);
    let node = match &service.shape(id).kind {
        Kind::Structure { members, required } => {
            if stack.iter().filter(|s| **s == id).count() > 1 {
                Node::Map(Vec::new())
            } else {
                let mut entries: Vec<Entry> = Vec::new();
                for m in *members {
                    let value = sample(service, m.shape, stack);
                    let mut parts = Vec::new();
                    if required.contains(&m.name) {
                        parts.push("[REQUIRED]".to_owned());
                    }
                    parts.push(m.summary.to_owned());
                    if let Kind::String { enum_values, .. } = &service.shape(m.shape).kind
                        && !enum_values.is_empty()
                    {
                        parts.push(format!("Valid values are: {}.", enum_values.join(", ")));
                    }
                    let text = parts.join(" ");
                    let comment = (!text.chars().all(char::is_whitespace)).then(|| {
                        let spaces = if aligned(&entries, m.name) { " " } else { "  " };
                        format!("{spaces}# {text}")
                    });
                    entries.push(Entry {
                        key: m.name.to_owned(),
                        value,
                        comment,
                    });
                }
                Node::Map(entries)
            }
        }
        Kind::List { member, .. } => Node::List(vec![sample(service, *member, stack)]),
        Kind::Map { value, .. } => Node::Map(vec![Entry {
            key: "KeyName".to_owned(),
            value: sample(service, *value, stack),
            comment: None,
        }]),
        Kind::String { enum_values, .. } => Node::Scalar(yaml_scalar(
            enum_values.first().copied().unwrap_or_default(),
        )),
        Kind::Integer { .. } => Node::Scalar("0".to_owned()),
        Kind::Float => Node::Scalar("0.0".to_owned()),
        Kind::Boolean => Node::Scalar("true".to_owned()),
        Kind::Timestamp => Node::Scalar("1970-01-01 00:00:00".to_owned()),
        Kind::Blob => Node::Scalar("!!binary ''".to_owned()),
    };
    stack.pop();
    node
}

/// Whether ruamel.yaml puts a new key's comment in the column of an earlier one (then one
/// space before the `#`, else two): when the key just before it has a comment, or one of the
/// keys before the first that sorts at or after the new key does.
fn aligned(earlier: &[Entry], key: &str) -> bool {
    earlier.last().is_some_and(|e| e.comment.is_some())
        || earlier
            .iter()
            .take_while(|e| e.key.as_str() < key)
            .any(|e| e.comment.is_some())
}

/// Writes a block mapping at `indent`; `inline_first` when its first key follows a `- `.
fn write_map(out: &mut String, entries: &[Entry], indent: usize, inline_first: bool) {
    for (i, entry) in entries.iter().enumerate() {
        if i > 0 || !inline_first {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&yaml_scalar(&entry.key));
        out.push(':');
        if !entry.value.is_block() {
            out.push(' ');
            out.push_str(&entry.value.inline());
        }
        out.push_str(entry.comment.as_deref().unwrap_or_default());
        out.push('\n');
        match &entry.value {
            Node::Map(children) if !children.is_empty() => {
                write_map(out, children, indent + 2, false);
            }
            Node::List(items) if !items.is_empty() => write_list(out, items, indent, false),
            _ => {}
        }
    }
}

/// Writes a block sequence with its dashes at `indent`.
fn write_list(out: &mut String, items: &[Node], indent: usize, inline_first: bool) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 || !inline_first {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str("- ");
        match item {
            Node::Map(entries) if !entries.is_empty() => write_map(out, entries, indent + 2, true),
            Node::List(inner) if !inner.is_empty() => write_list(out, inner, indent + 2, true),
            other => {
                out.push_str(&other.inline());
                out.push('\n');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The expected texts are what AWS CLI v2's generator prints for the same shapes
    //! (ruamel.yaml 0.19.1, the version its installers ship).

    use rolecall_service_model::{CLOUDTRAIL, IAM, STS, Service};

    use super::*;
    use crate::api::test_model::SYNTH;

    fn op(service: &Service, name: &str) -> String {
        yaml_skeleton(service, service.operation(name).unwrap().input)
    }

    #[test]
    fn required_members_summaries_and_enum_values_in_comments() {
        assert_eq!(
            op(&IAM, "TagRole"),
            "RoleName: ''  # [REQUIRED] The name of the IAM role to which you want to add tags.\n\
             Tags: # [REQUIRED] The list of tags that you want to attach to the IAM role.\n\
             - Key: ''  # [REQUIRED] The key name that can be used to look up or retrieve the associated value.\n  \
             Value: '' # [REQUIRED] The value associated with this tag.\n"
        );
        assert_eq!(
            op(&CLOUDTRAIL, "LookupEvents"),
            "LookupAttributes:  # Contains a list of lookup attributes.\n\
             - AttributeKey: EventId  # [REQUIRED] Specifies an attribute on which to filter the events returned. Valid values are: EventId, EventName, ReadOnly, Username, ResourceType, ResourceName, EventSource, AccessKeyId.\n  \
             AttributeValue: '' # [REQUIRED] Specifies a value for the specified AttributeKey.\n\
             StartTime: 1970-01-01 00:00:00 # Specifies that only events that occur after or at the specified time are returned.\n\
             EndTime: 1970-01-01 00:00:00 # Specifies that only events that occur before or at the specified time are returned.\n\
             EventCategory: insight # Specifies the event category. Valid values are: insight.\n\
             MaxResults: 0 # The number of events to return.\n\
             NextToken: '' # The token to use to get the next page of results after a previous API call.\n"
        );
        // A summary keeps the documentation's leading space.
        assert!(op(&IAM, "CreateRole").starts_with("Path: ''  #  The path to the role.\n"));
        assert_eq!(op(&STS, "GetCallerIdentity"), "{}\n");
    }

    #[test]
    fn every_kind_of_shape_and_the_comment_column() {
        assert_eq!(
            op(&SYNTH, "Run"),
            "Alpha: !!binary ''  # Some bytes.\n\
             Beta: 0.0\n\
             Delta: true # [REQUIRED] \n\
             Echo: 0\n\
             Charlie: # Nodes by name.\n  \
               KeyName:\n    \
                 Kind: yes  # The kind. Valid values are: yes, no.\n    \
                 Child: {} # A child.\n    \
                 Tags:\n    \
                 - yes\n\
             Zulu:\n\
             - Kind: yes  # The kind. Valid values are: yes, no.\n  \
               Child: {} # A child.\n  \
               Tags:\n  \
               - yes\n\
             Able: 1970-01-01 00:00:00  # When it happens.\n"
        );
    }
}
