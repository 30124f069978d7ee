//! Editing a config or credentials file in place, as `aws configure set` does: the value line
//! is replaced where it stands, or added at the end of its section, or the section is added
//! at the end of the file. Every other byte — comments, order, unknown keys, other profiles —
//! is kept.

/// Sets `key = value` in section `header` (the text between the brackets, e.g. `profile dev`
/// or `default`), optionally inside the nested block `block` (`s3`), and returns the new text.
#[must_use]
pub fn set_value(text: &str, header: &str, block: Option<&str>, key: &str, value: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let is_header = |l: &str| {
        let t = l.trim();
        t.starts_with('[') && t.ends_with(']')
    };
    let header_matches = |l: &str| {
        let t = l.trim();
        t.strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .is_some_and(|h| h.split_whitespace().collect::<Vec<_>>().join(" ") == header)
    };
    let key_of = |l: &str| -> Option<String> {
        let t = l.trim_start();
        if t.starts_with('#') || t.starts_with(';') || t.is_empty() {
            return None;
        }
        t.split_once('=').map(|(k, _)| k.trim().to_owned())
    };
    let Some(start) = lines.iter().position(|l| header_matches(l)) else {
        // Like the AWS CLI, a new section follows the last line directly.
        let mut out = text.to_owned();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("[{header}]\n"));
        match block {
            Some(b) => out.push_str(&format!("{b} =\n    {key} = {value}\n")),
            None => out.push_str(&format!("{key} = {value}\n")),
        }
        return out;
    };
    let end = lines
        .iter()
        .enumerate()
        .skip(start + 1)
        .find(|(_, l)| is_header(l))
        .map_or(lines.len(), |(i, _)| i);
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    let newline_after = |s: &str| if s.ends_with('\n') { "\n" } else { "" };
    match block {
        None => {
            for i in start + 1..end {
                if !lines[i].starts_with([' ', '\t']) && key_of(lines[i]).as_deref() == Some(key) {
                    out[i] = format!(
                        "{key} = {value}{}",
                        if lines[i].ends_with('\n') { "\n" } else { "" }
                    );
                    return out.concat();
                }
            }
        }
        Some(b) => {
            if let Some(bi) = (start + 1..end).find(|&i| {
                !lines[i].starts_with([' ', '\t']) && key_of(lines[i]).as_deref() == Some(b)
            }) {
                let mut j = bi + 1;
                while j < end && lines[j].starts_with([' ', '\t']) {
                    if key_of(lines[j]).as_deref() == Some(key) {
                        let indent: String =
                            lines[j].chars().take_while(|c| c.is_whitespace()).collect();
                        out[j] = format!("{indent}{key} = {value}{}", newline_after(lines[j]));
                        return out.concat();
                    }
                    j += 1;
                }
                out.insert(j, format!("    {key} = {value}\n"));
                return out.concat();
            }
        }
    }
    // Not present: add after the section's last non-blank line.
    let mut at = end;
    while at > start + 1 && lines[at - 1].trim().is_empty() {
        at -= 1;
    }
    if at > 0 && !out[at - 1].ends_with('\n') {
        out[at - 1].push('\n');
    }
    let addition = match block {
        Some(b) => format!("{b} =\n    {key} = {value}\n"),
        None => format!("{key} = {value}\n"),
    };
    out.insert(at, addition);
    out.concat()
}

#[cfg(test)]
mod edit_tests {
    use super::set_value;

    const FILE: &str = "# top comment\n[default]\nregion = us-east-1 \n; keep me\noutput = json\n\n[profile dev]\nrole_arn = arn:aws:iam::1:role/Dev\ns3 =\n  max_concurrent_requests = 10\n\n[profile other]\nx = 1\n";

    #[test]
    fn replaces_in_place_and_keeps_everything_else() {
        let out = set_value(FILE, "default", None, "region", "eu-west-1");
        assert_eq!(
            out,
            FILE.replace("region = us-east-1 \n", "region = eu-west-1\n")
        );
    }

    #[test]
    fn appends_to_the_section_and_creates_sections() {
        let out = set_value(FILE, "profile dev", None, "duration_seconds", "900");
        assert_eq!(
            out,
            FILE.replace(
                "  max_concurrent_requests = 10\n\n",
                "  max_concurrent_requests = 10\nduration_seconds = 900\n\n"
            )
        );
        let out = set_value(FILE, "profile new", None, "region", "x");
        assert_eq!(out, format!("{FILE}[profile new]\nregion = x\n"));
        assert_eq!(
            set_value("", "default", None, "region", "x"),
            "[default]\nregion = x\n"
        );
    }

    #[test]
    fn edits_nested_blocks() {
        let out = set_value(
            FILE,
            "profile dev",
            Some("s3"),
            "max_concurrent_requests",
            "20",
        );
        assert_eq!(
            out,
            FILE.replace(
                "max_concurrent_requests = 10",
                "max_concurrent_requests = 20"
            )
        );
        let out = set_value(FILE, "profile dev", Some("s3"), "addressing_style", "path");
        assert_eq!(
            out,
            FILE.replace(
                "  max_concurrent_requests = 10\n",
                "  max_concurrent_requests = 10\n    addressing_style = path\n"
            )
        );
    }

    #[test]
    fn unmodified_text_round_trips_through_the_parser() {
        let once = set_value(FILE, "profile other", None, "x", "2");
        let parsed = crate::parse(&once, "f", crate::FileKind::Config).unwrap();
        assert_eq!(
            parsed.profile("other").unwrap()["x"],
            crate::Value::Str("2".into())
        );
        assert_eq!(
            crate::parse(FILE, "f", crate::FileKind::Config)
                .unwrap()
                .profile_order,
            parsed.profile_order
        );
    }
}
