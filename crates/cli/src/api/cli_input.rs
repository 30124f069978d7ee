//! `--cli-input-json` and `--cli-input-yaml`: the whole input as one document, a string or a
//! `file://` (or `fileb://`) path, read as AWS CLI v2 reads it. At most one of the two may be
//! given; the document must be a mapping; the options given on the command line win over its
//! members. What it holds is then validated against the input shape like any other input.

use serde_json::{Map, Value};

use super::args::read_paramfile;
use super::shapes::python_type;
use crate::CliError;

/// The documents the command line gave, unread.
#[derive(Debug, Default)]
pub(crate) struct CliInput {
    /// `--cli-input-json`.
    pub(crate) json: Option<String>,
    /// `--cli-input-yaml`.
    pub(crate) yaml: Option<String>,
}

impl CliInput {
    /// Whether either was given (the command's required options are then not required).
    pub(crate) fn given(&self) -> bool {
        self.json.is_some() || self.yaml.is_some()
    }

    /// `values` (the options given on the command line) with the document's members added
    /// where the command line has none.
    pub(crate) fn merge(
        &self,
        values: &Map<String, Value>,
        home: Option<&std::path::Path>,
    ) -> Result<Map<String, Value>, CliError> {
        let mut input = values.clone();
        for (key, value) in self.read(home)? {
            input.entry(key).or_insert(value);
        }
        Ok(input)
    }

    /// The document's members (none when no document was given).
    fn read(&self, home: Option<&std::path::Path>) -> Result<Map<String, Value>, CliError> {
        let (format, value) = match (&self.json, &self.yaml) {
            (None, None) => return Ok(Map::new()),
            (Some(json), None) => (Format::Json, json),
            (None, Some(yaml)) => (Format::Yaml, yaml),
            (Some(_), Some(_)) => {
                return Err(CliError::Usage(
                    "\nOnly one --cli-input- parameter may be specified.".to_owned(),
                ));
            }
        };
        // A file that cannot be read is not a usage error to the AWS CLI (255).
        let text =
            match read_paramfile(value, home).map_err(|e| CliError::Other(format!("\n{e}")))? {
                Some((bytes, _)) => String::from_utf8(bytes).ok(),
                None => Some(value.clone()),
            };
        let option = format.option();
        let document = text.and_then(|t| format.parse(&t)).ok_or_else(|| {
            CliError::Usage(format!(
                "\nError parsing parameter '{option}': Invalid {} received.",
                format.name()
            ))
        })?;
        match document {
            Value::Object(map) => Ok(map),
            other => Err(CliError::Usage(format!(
                "\nError parsing parameter '--{option}': Invalid type: expecting map, received {}",
                python_type(&other)
            ))),
        }
    }
}

/// The language of a document.
#[derive(Debug, Clone, Copy)]
enum Format {
    Json,
    Yaml,
}

impl Format {
    fn option(self) -> &'static str {
        match self {
            Self::Json => "cli-input-json",
            Self::Yaml => "cli-input-yaml",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Json => "JSON",
            Self::Yaml => "YAML",
        }
    }

    fn parse(self, text: &str) -> Option<Value> {
        match self {
            Self::Json => serde_json::from_str(text).ok(),
            Self::Yaml => parse_yaml(text).ok(),
        }
    }
}

/// Reads a YAML document as the AWS CLI's safe loader does: YAML 1.2's core schema (`yes` is a
/// string, `true` a boolean), one document, no duplicate keys, no application tags; a
/// `!!binary` value is its base64 text, which is how a blob goes on the wire.
fn parse_yaml(text: &str) -> Result<Value, serde_saphyr::Error> {
    let options = serde_saphyr::options! {
        strict_booleans: true,
        ignore_binary_tag_for_string: true,
        reject_unsupported_tags: true,
    };
    serde_saphyr::from_str_with_options(text, options)
}

#[cfg(test)]
mod tests {
    use rolecall_service_model::{CLOUDTRAIL, ShapeId};
    use serde_json::json;

    use super::*;
    use crate::api::test_model::SYNTH;
    use crate::api::{json, shapes};

    fn yaml(text: &str) -> CliInput {
        CliInput {
            json: None,
            yaml: Some(text.to_owned()),
        }
    }

    fn error(input: &CliInput) -> String {
        match input.merge(&Map::new(), None) {
            Err(CliError::Usage(m)) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn yaml_scalars_arrive_as_the_json_input_carries_them() {
        let doc = "RoleName: r\nMaxSessionDuration: 7200\nSetAsDefault: true\nOld: yes\nStartTime: 2015-01-27 00:00:00\nAccount: '123456789012'\nData: !!binary |\n  aGVs\n  bG8=\nTags:\n- Key: a\n  Value: ''\nNothing:\n";
        let input = yaml(doc).merge(&Map::new(), None).unwrap();
        assert_eq!(
            Value::Object(input),
            json!({"RoleName": "r", "MaxSessionDuration": 7200, "SetAsDefault": true, "Old": "yes",
                   "StartTime": "2015-01-27 00:00:00", "Account": "123456789012",
                   "Data": "aGVs\nbG8=\n", "Tags": [{"Key": "a", "Value": ""}], "Nothing": null})
        );
    }

    #[test]
    fn timestamps_blobs_integers_and_booleans_reach_the_request_as_from_json() {
        let read = |input: CliInput| Value::Object(input.merge(&Map::new(), None).unwrap());
        let from_yaml = read(yaml(
            "StartTime: 2015-01-27 00:00:00\nMaxResults: 5\nLookupAttributes:\n- AttributeKey: Username\n  AttributeValue: a\n",
        ));
        let from_json = read(CliInput {
            json: Some(r#"{"StartTime": "2015-01-27 00:00:00", "MaxResults": 5, "LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "a"}]}"#.to_owned()),
            yaml: None,
        });
        assert_eq!(from_yaml, from_json);
        let lookup = CLOUDTRAIL.operation("LookupEvents").unwrap().input.unwrap();
        let body = json::to_wire(&CLOUDTRAIL, lookup, &from_yaml);
        assert_eq!(
            (&body["StartTime"], &body["MaxResults"]),
            (&json!(1_422_316_800), &json!(5))
        );

        let input = read(yaml(
            "Alpha: !!binary |\n  aGVs\n  bG8=\nBeta: 1.5\nDelta: false\nEcho: 3\n",
        ));
        let mut params = Vec::new();
        shapes::to_params(&SYNTH, ShapeId(0), &input, "", &mut params);
        let params: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            params,
            [
                ("Alpha", "aGVsbG8="),
                ("Beta", "1.5"),
                ("Delta", "false"),
                ("Echo", "3")
            ]
        );
    }

    #[test]
    fn the_command_line_wins_and_comes_first() {
        let given = json!({"RoleName": "cli"});
        let Value::Object(given) = given else {
            unreachable!()
        };
        let input = yaml("Description: d\nRoleName: file\n")
            .merge(&given, None)
            .unwrap();
        assert_eq!(
            Value::Object(input).to_string(),
            r#"{"RoleName":"cli","Description":"d"}"#
        );
    }

    #[test]
    fn refusals_as_the_aws_cli_words_them() {
        let bad = "\nError parsing parameter 'cli-input-yaml': Invalid YAML received.";
        for text in [
            "a: [1",
            "a: b: c",
            "a: 1\na: 2",
            "a: 1\n---\nb: 2",
            "a: !Ref x",
        ] {
            assert_eq!(error(&yaml(text)), bad, "{text}");
        }
        for (text, kind) in [
            ("- a", "list"),
            ("", "NoneType"),
            ("just text", "str"),
            ("12", "int"),
        ] {
            assert_eq!(
                error(&yaml(text)),
                format!(
                    "\nError parsing parameter '--cli-input-yaml': Invalid type: expecting map, received <class '{kind}'>"
                )
            );
        }
        let json = CliInput {
            json: Some("{not json".to_owned()),
            yaml: None,
        };
        assert_eq!(
            error(&json),
            "\nError parsing parameter 'cli-input-json': Invalid JSON received."
        );
        let both = CliInput {
            json: Some("{}".to_owned()),
            yaml: Some("{}".to_owned()),
        };
        assert_eq!(
            error(&both),
            "\nOnly one --cli-input- parameter may be specified."
        );
        let missing = yaml("file:///nonexistent/input.yaml");
        let Err(CliError::Other(m)) = missing.merge(&Map::new(), None) else {
            panic!()
        };
        assert!(
            m.starts_with("\nUnable to load paramfile file:///nonexistent/input.yaml: [Errno 2]"),
            "{m}"
        );
    }
}
