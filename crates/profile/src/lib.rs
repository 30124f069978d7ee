//! The AWS shared config and credentials files, read as botocore reads them: `[default]`,
//! `[profile NAME]`, `[sso-session NAME]` and `[services NAME]` sections in the config file,
//! bare `[NAME]` sections in the credentials file, full-line `#` and `;` comments, and nested
//! sub-settings (`s3 =` followed by indented `key = value` lines). Errors name the file and line.
//!
//! No IO happens here: callers read the files and pass the text.

mod edit;

pub use edit::set_value;

use std::collections::BTreeMap;
use std::fmt;

/// A setting's value: a string, or a block of nested sub-settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `key = value`.
    Str(String),
    /// `key =` followed by indented `sub = value` lines.
    Nested(BTreeMap<String, String>),
}

impl Value {
    /// The string value, if it is one.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            Self::Nested(_) => None,
        }
    }
}

/// What a section header names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SectionKind {
    /// A profile (`[default]`, `[profile x]`, or any `[x]` in the credentials file).
    Profile(String),
    /// `[sso-session NAME]`.
    SsoSession(String),
    /// `[services NAME]`.
    Services(String),
    /// A config-file section botocore ignores (`[x]` without `profile `).
    Ignored(String),
}

/// Which of the two files a text came from: they name profiles differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `~/.aws/config`.
    Config,
    /// `~/.aws/credentials`.
    Credentials,
}

/// A malformed file, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Unable to parse config file: {path}, line {line}: {reason}")]
pub struct ParseError {
    /// The file.
    pub path: String,
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// One parsed file: its sections in order, each with its settings (later duplicates win, as
/// in botocore).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct File {
    /// Sections by kind, merged when a header repeats.
    pub sections: BTreeMap<SectionKind, BTreeMap<String, Value>>,
    /// Profile names in the order they first appear.
    pub profile_order: Vec<String>,
}

fn section_kind(header: &str, kind: FileKind) -> SectionKind {
    let header = header.trim();
    match kind {
        FileKind::Credentials => SectionKind::Profile(header.to_owned()),
        FileKind::Config => {
            if header == "default" {
                return SectionKind::Profile("default".into());
            }
            let mut words = header.splitn(2, char::is_whitespace);
            let first = words.next().unwrap_or_default();
            let rest = words.next().map(str::trim).unwrap_or_default();
            match (first, rest.is_empty()) {
                // botocore splits the header as a shell would: a name with a space must be
                // quoted, and `[profile a b]` is no profile at all.
                ("profile", false) => match shell_word(rest) {
                    Some(name) => SectionKind::Profile(name),
                    None => SectionKind::Ignored(header.to_owned()),
                },
                ("sso-session", false) => SectionKind::SsoSession(rest.to_owned()),
                ("services", false) => SectionKind::Services(rest.to_owned()),
                _ => SectionKind::Ignored(header.to_owned()),
            }
        }
    }
}

/// `rest` as one shell word (quotes removed), or `None` when it is several.
fn shell_word(rest: &str) -> Option<String> {
    for quote in ['"', '\''] {
        if let Some(inner) = rest.strip_prefix(quote).and_then(|r| r.strip_suffix(quote))
            && !inner.contains(quote)
        {
            return Some(inner.to_owned());
        }
    }
    (!rest.contains(char::is_whitespace) && !rest.contains(['"', '\''])).then(|| rest.to_owned())
}

/// Parses one file's text.
///
/// # Errors
/// [`ParseError`] naming the line for a setting outside any section, a line that is neither a
/// section, a setting, a comment nor a continuation, or an unterminated section header.
pub fn parse(text: &str, path: &str, kind: FileKind) -> Result<File, ParseError> {
    let mut file = File::default();
    let mut current: Option<SectionKind> = None;
    // The key of the last setting, for indented continuation lines (nested blocks).
    let mut last_key: Option<String> = None;
    // Which header `default` came under (`[default]` or `[profile default]`): as in botocore,
    // a later section under the other form replaces the earlier one.
    let mut default_header: Option<String> = None;
    let err = |line: usize, reason: &str| ParseError {
        path: path.to_owned(),
        line,
        reason: reason.to_owned(),
    };
    for (index, raw) in text.lines().enumerate() {
        let n = index + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        let indented = line.starts_with([' ', '\t']);
        if let (true, Some(section_kind), Some(key)) = (indented, current.as_ref(), &last_key) {
            {
                let section = file
                    .sections
                    .get_mut(section_kind)
                    .expect("the current section was inserted");
                let entry = section
                    .entry(key.clone())
                    .or_insert_with(|| Value::Nested(BTreeMap::new()));
                if let Value::Str(s) = entry
                    && !s.is_empty()
                {
                    // A continuation line, as Python's configparser reads it.
                    s.push('\n');
                    s.push_str(trimmed);
                    continue;
                }
                let (k, v) = trimmed
                    .split_once('=')
                    .ok_or_else(|| err(n, "expected 'key = value' in a nested block"))?;
                if let Value::Str(s) = entry {
                    if !s.is_empty() {
                        // A continuation line, as Python's configparser reads it.
                        s.push('\n');
                        s.push_str(trimmed);
                        continue;
                    }
                    *entry = Value::Nested(BTreeMap::new());
                }
                if let Value::Nested(map) = entry {
                    map.insert(k.trim().to_owned(), v.trim().to_owned());
                }
                continue;
            }
        }
        if let Some(rest) = trimmed.strip_prefix('[') {
            // Python's configparser: the header runs to the last `]`; what follows it (a
            // comment) is ignored.
            let header = rest
                .rfind(']')
                .map(|end| &rest[..end])
                .filter(|h| !h.trim().is_empty())
                .ok_or_else(|| err(n, "a section header must end with ']'"))?;
            let kind = section_kind(header, kind);
            if kind == SectionKind::Profile("default".into()) {
                let form = header.trim().to_owned();
                if default_header.as_ref().is_some_and(|f| *f != form) {
                    file.sections.remove(&kind);
                }
                default_header = Some(form);
            }
            if let SectionKind::Profile(name) = &kind
                && !file.profile_order.contains(name)
            {
                file.profile_order.push(name.clone());
            }
            file.sections.entry(kind.clone()).or_default();
            current = Some(kind);
            last_key = None;
            continue;
        }
        let Some(section) = current.as_ref() else {
            return Err(err(n, "a setting appears before any [section] header"));
        };
        let (key, value) = trimmed
            .split_once('=')
            .or_else(|| trimmed.split_once(':'))
            .ok_or_else(|| err(n, "expected '[section]' or 'key = value'"))?;
        // configparser lower-cases setting names: `AWS_ACCESS_KEY_ID = …` works.
        let key = key.trim().to_lowercase();
        if key.is_empty() {
            return Err(err(n, "a setting needs a name before '='"));
        }
        file.sections
            .get_mut(section)
            .expect("section exists")
            .insert(key.clone(), Value::Str(value.trim().to_owned()));
        last_key = Some(key);
    }
    Ok(file)
}

impl File {
    /// The settings of a profile in this file.
    #[must_use]
    pub fn profile(&self, name: &str) -> Option<&BTreeMap<String, Value>> {
        self.sections.get(&SectionKind::Profile(name.to_owned()))
    }
}

/// A profile's settings, config file merged with credentials file (credentials win).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// The profile name.
    pub name: String,
    /// Its settings.
    pub settings: BTreeMap<String, Value>,
}

impl Profile {
    /// A string setting as written, also when it is empty (`key =`).
    #[must_use]
    pub fn get_raw(&self, key: &str) -> Option<&str> {
        self.settings.get(key).and_then(Value::as_str)
    }

    /// A string setting; an empty one counts as unset.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.settings
            .get(key)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// Both files, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profiles {
    /// `~/.aws/config`.
    pub config: File,
    /// `~/.aws/credentials`.
    pub credentials: File,
}

impl Profiles {
    /// The merged settings of a profile, or `None` when neither file has it.
    #[must_use]
    pub fn profile(&self, name: &str) -> Option<Profile> {
        let config = self.config.profile(name);
        let creds = self.credentials.profile(name);
        if config.is_none() && creds.is_none() {
            return None;
        }
        let mut settings = config.cloned().unwrap_or_default();
        if let Some(c) = creds {
            settings.extend(c.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        Some(Profile {
            name: name.to_owned(),
            settings,
        })
    }

    /// Every profile name, as `aws configure list-profiles` prints them: config-file profiles
    /// first in file order, then credentials-only ones.
    #[must_use]
    pub fn names(&self) -> Vec<String> {
        let mut out = self.config.profile_order.clone();
        for n in &self.credentials.profile_order {
            if !out.contains(n) {
                out.push(n.clone());
            }
        }
        out
    }

    /// A `[services NAME]` block.
    #[must_use]
    pub fn services(&self, name: &str) -> Option<&BTreeMap<String, Value>> {
        self.config
            .sections
            .get(&SectionKind::Services(name.to_owned()))
    }
}

impl fmt::Display for SectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Profile(n) if n == "default" => f.write_str("default"),
            Self::Profile(n) => write!(f, "profile {n}"),
            Self::SsoSession(n) => write!(f, "sso-session {n}"),
            Self::Services(n) => write!(f, "services {n}"),
            Self::Ignored(n) => f.write_str(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "# my config\n[default]\nregion = us-east-1\n\n[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/Dev\nsource_profile = default\n; comment\ns3 =\n  max_concurrent_requests = 10\n  addressing_style = path\n\n[sso-session corp]\nsso_region = eu-west-1\n\n[services local]\nsts =\n  endpoint_url = http://127.0.0.1:4566\n\n[orphan]\nx = 1\n";

    #[test]
    fn reads_sections_like_botocore() {
        let f = parse(CONFIG, "config", FileKind::Config).unwrap();
        assert_eq!(f.profile_order, vec!["default", "dev"]);
        let dev = f.profile("dev").unwrap();
        assert_eq!(
            dev["role_arn"],
            Value::Str("arn:aws:iam::123456789012:role/Dev".into())
        );
        let Value::Nested(s3) = &dev["s3"] else {
            panic!("nested")
        };
        assert_eq!(s3["addressing_style"], "path");
        assert!(
            f.sections
                .contains_key(&SectionKind::SsoSession("corp".into()))
        );
        assert!(
            f.sections
                .contains_key(&SectionKind::Ignored("orphan".into()))
        );
        let services = Profiles {
            config: f,
            credentials: File::default(),
        };
        let Value::Nested(sts) = &services.services("local").unwrap()["sts"] else {
            panic!()
        };
        assert_eq!(sts["endpoint_url"], "http://127.0.0.1:4566");
    }

    #[test]
    fn credentials_sections_have_no_prefix_and_win() {
        let config = parse(
            "[profile a]\nregion = eu-west-1\naws_access_key_id = OLD\n",
            "c",
            FileKind::Config,
        )
        .unwrap();
        let creds = parse(
            "[a]\naws_access_key_id = NEW\n[b]\naws_access_key_id = B\n",
            "k",
            FileKind::Credentials,
        )
        .unwrap();
        let p = Profiles {
            config,
            credentials: creds,
        };
        let a = p.profile("a").unwrap();
        assert_eq!(a.get("aws_access_key_id"), Some("NEW"));
        assert_eq!(a.get("region"), Some("eu-west-1"));
        assert_eq!(p.names(), vec!["a", "b"]);
    }

    #[test]
    fn reads_headers_names_and_continuations_as_botocore_does() {
        let text = "[profile a] # note\nregion = eu-west-1\n[profile b] ; note\nx = 1\n[profile c];\nAWS_ACCESS_KEY_ID = AKID\nlong = first\n  second\n[profile d e]\ny = 2\n[profile \"f g\"]\nz = 3\nempty =\n";
        let f = parse(text, "config", FileKind::Config).unwrap();
        assert_eq!(f.profile_order, vec!["a", "b", "c", "f g"]);
        assert_eq!(
            f.profile("a").unwrap()["region"],
            Value::Str("eu-west-1".into())
        );
        let c = f.profile("c").unwrap();
        assert_eq!(c["aws_access_key_id"], Value::Str("AKID".into()));
        assert_eq!(c["long"], Value::Str("first\nsecond".into()));
        assert!(
            f.sections
                .contains_key(&SectionKind::Ignored("profile d e".into()))
        );
        let profiles = Profiles {
            config: f,
            credentials: File::default(),
        };
        let g = profiles.profile("f g").unwrap();
        assert_eq!(g.get_raw("empty"), Some(""));
        assert_eq!(g.get("empty"), None);
    }

    #[test]
    fn a_later_default_section_under_the_other_header_replaces_the_earlier() {
        let f = parse(
            "[default]\nregion = a\nx = 1\n[profile default]\nregion = b\n",
            "config",
            FileKind::Config,
        )
        .unwrap();
        let d = f.profile("default").unwrap();
        assert_eq!(d["region"], Value::Str("b".into()));
        assert!(!d.contains_key("x"));
        let f = parse(
            "[default]\nregion = a\n[default]\nx = 1\n",
            "config",
            FileKind::Config,
        )
        .unwrap();
        assert_eq!(f.profile("default").unwrap().len(), 2);
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let e = parse("region = x\n", "/home/u/.aws/config", FileKind::Config).unwrap_err();
        assert_eq!((e.path.as_str(), e.line), ("/home/u/.aws/config", 1));
        let e = parse(
            "[default]\nregion = x\nnot a setting\n",
            "cfg",
            FileKind::Config,
        )
        .unwrap_err();
        assert_eq!(e.line, 3);
        assert_eq!(
            e.to_string(),
            "Unable to parse config file: cfg, line 3: expected '[section]' or 'key = value'"
        );
        let e = parse("[default\n", "cfg", FileKind::Config).unwrap_err();
        assert_eq!(e.line, 1);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in "[\\[\\]=# ;a-z\\n\\t]{0,120}") {
            let _ = parse(&text, "x", FileKind::Config);
            let _ = parse(&text, "x", FileKind::Credentials);
        }
    }
}
