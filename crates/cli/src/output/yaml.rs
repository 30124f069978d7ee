//! The `yaml` output format as AWS CLI v2 writes it (a safe dumper in block style): mapping
//! keys sorted, sequences at their key's indentation, empty collections as `[]` / `{}`,
//! strings plain unless YAML would read them as something else (numbers, booleans, null,
//! timestamps) or they hold indicators, then single-quoted, or double-quoted with escapes
//! when they hold control characters; long plain and single-quoted lines folded at spaces
//! past column 80.

use serde_json::{Map, Value};

const WIDTH: usize = 80;

/// Renders `value` as a YAML document.
pub(crate) fn yaml(value: &Value) -> String {
    let mut w = Writer {
        out: String::new(),
        column: 0,
    };
    match value {
        Value::Object(m) if !m.is_empty() => w.mapping(m, 0),
        Value::Array(a) if !a.is_empty() => w.sequence(a, 0),
        other => {
            w.scalar(other, 0, false);
            w.newline();
        }
    }
    w.out
}

struct Writer {
    out: String,
    column: usize,
}

impl Writer {
    fn write(&mut self, s: &str) {
        self.out.push_str(s);
        match s.rfind('\n') {
            Some(n) => self.column = s[n + 1..].chars().count(),
            None => self.column += s.chars().count(),
        }
    }

    fn newline(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn indent_to(&mut self, indent: usize) {
        if self.column < indent {
            let pad = " ".repeat(indent - self.column);
            self.write(&pad);
        }
    }

    fn mapping(&mut self, map: &Map<String, Value>, indent: usize) {
        let mut keys: Vec<&String> = map.keys().collect();
        keys.sort();
        for k in keys {
            self.indent_to(indent);
            self.scalar(&Value::String(k.clone()), indent, true);
            self.write(":");
            let v = &map[k];
            match v {
                Value::Object(m) if !m.is_empty() => {
                    self.newline();
                    self.mapping(m, indent + 2);
                }
                Value::Array(a) if !a.is_empty() => {
                    self.newline();
                    self.sequence(a, indent);
                }
                other => {
                    self.write(" ");
                    self.scalar(other, indent + 2, false);
                    self.newline();
                }
            }
        }
    }

    fn sequence(&mut self, items: &[Value], indent: usize) {
        for item in items {
            self.indent_to(indent);
            self.write("- ");
            match item {
                Value::Object(m) if !m.is_empty() => self.mapping(m, indent + 2),
                Value::Array(a) if !a.is_empty() => self.sequence(a, indent + 2),
                other => {
                    self.scalar(other, indent + 2, false);
                    self.newline();
                }
            }
        }
    }

    fn scalar(&mut self, v: &Value, indent: usize, key: bool) {
        match v {
            Value::Null => self.write("null"),
            Value::Bool(b) => self.write(if *b { "true" } else { "false" }),
            Value::Number(n) => self.write(&n.to_string()),
            Value::Array(_) => self.write("[]"),
            Value::Object(_) => self.write("{}"),
            Value::String(s) => match style(s, key) {
                Style::Plain => self.folded(s, indent, None),
                Style::Single => self.folded(s, indent, Some('\'')),
                Style::Double => self.write(&double_quoted(s)),
            },
        }
    }

    /// Writes a plain or single-quoted scalar, breaking at a single space once past the
    /// line width (the dumper's folding).
    fn folded(&mut self, s: &str, indent: usize, quote: Option<char>) {
        let body = match quote {
            Some(_) => s.replace('\'', "''"),
            None => s.to_owned(),
        };
        if let Some(q) = quote {
            self.write(&q.to_string());
        }
        let chars: Vec<char> = body.chars().collect();
        let mut i = 0;
        let mut word = String::new();
        while i < chars.len() {
            let c = chars[i];
            if c == ' ' {
                let single = chars.get(i + 1) != Some(&' ') && (i == 0 || chars[i - 1] != ' ');
                self.write(&word);
                word.clear();
                let inner = quote.is_none() || (i != 0 && i + 1 != chars.len());
                if single && inner && self.column > WIDTH {
                    self.newline();
                    self.indent_to(indent);
                } else {
                    self.write(" ");
                }
            } else {
                word.push(c);
            }
            i += 1;
        }
        self.write(&word);
        if let Some(q) = quote {
            self.write(&q.to_string());
        }
    }
}

/// `s` as the dumper writes a short scalar: plain, single-quoted or double-quoted by the same
/// rules as the output, without folding (the `yaml-input` skeleton's values).
pub(crate) fn scalar_text(s: &str) -> String {
    match style(s, false) {
        Style::Plain => s.to_owned(),
        Style::Single => format!("'{}'", s.replace('\'', "''")),
        Style::Double => double_quoted(s),
    }
}

fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0b' => out.push_str("\\v"),
            '\x0c' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\x1b' => out.push_str("\\e"),
            '\u{85}' => out.push_str("\\N"),
            '\u{a0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if u32::from(c) < 0x20 || (0x7f..0xa0).contains(&u32::from(c)) => {
                out.push_str(&format!("\\x{:02X}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

enum Style {
    Plain,
    Single,
    Double,
}

/// Whether YAML 1.2's implicit resolvers would read `s` as something other than a string.
fn resolves_to_non_string(s: &str) -> bool {
    if matches!(
        s,
        "" | "~"
            | "null"
            | "Null"
            | "NULL"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "="
            | "<<"
    ) {
        return true;
    }
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    let digits_underscores =
        |t: &str, radix: u32| !t.is_empty() && t.chars().all(|c| c == '_' || c.is_digit(radix));
    // Integers: decimal, 0b, 0o / leading-zero octal, 0x (underscores allowed).
    if digits_underscores(unsigned, 10)
        || unsigned
            .strip_prefix("0b")
            .is_some_and(|t| digits_underscores(t, 2))
        || unsigned
            .strip_prefix("0o")
            .is_some_and(|t| digits_underscores(t, 8))
        || unsigned
            .strip_prefix("0x")
            .is_some_and(|t| digits_underscores(t, 16))
    {
        return true;
    }
    // Floats, infinities and NaN.
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(s, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    if is_float(unsigned) {
        return true;
    }
    is_timestamp(s)
}

fn is_float(t: &str) -> bool {
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(n) => (&t[..n], Some(&t[n + 1..])),
        None => (t, None),
    };
    if let Some(e) = exponent {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        if e.is_empty() || !e.chars().all(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let int_ok = int.chars().next().is_some_and(|c| c.is_ascii_digit())
        && int.chars().all(|c| c.is_ascii_digit() || c == '_');
    let frac_ok = frac.is_none_or(|f| f.chars().all(|c| c.is_ascii_digit() || c == '_'));
    match (frac, exponent) {
        (Some(_), _) => {
            (int_ok || (int.is_empty() && frac.is_some_and(|f| !f.is_empty()))) && frac_ok
        }
        (None, Some(_)) => int_ok,
        (None, None) => false,
    }
}

fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    if b.len() < 8 || !digits(0..4) || b[4] != b'-' {
        return false;
    }
    // YYYY-M(M)-D(D) with an optional time part.
    let rest = &s[5..];
    let mut parts = rest.splitn(2, '-');
    let month = parts.next().unwrap_or_default();
    let Some(after) = parts.next() else {
        return false;
    };
    let day_len = after.chars().take_while(char::is_ascii_digit).count();
    if !(1..=2).contains(&month.len())
        || !month.chars().all(|c| c.is_ascii_digit())
        || !(1..=2).contains(&day_len)
    {
        return false;
    }
    let time = &after[day_len..];
    time.is_empty() || time.starts_with(['T', 't', ' ', '\t'])
}

fn style(s: &str, key: bool) -> Style {
    let special = s.chars().any(|c| {
        let u = u32::from(c);
        !(c == '\n'
            || (0x20..=0x7e).contains(&u)
            || c == '\u{85}'
            || (0xa0..=0xd7ff).contains(&u)
            || (0xe000..=0xfffd).contains(&u)
            || (0x10000..0x110000).contains(&u))
            || c == '\u{feff}'
    });
    let multiline = s.contains(['\n', '\u{85}', '\u{2028}', '\u{2029}']);
    if special || multiline || (key && s.chars().count() > 128) {
        return Style::Double;
    }
    if resolves_to_non_string(s) {
        return Style::Single;
    }
    let first = s.chars().next().unwrap_or(' ');
    let second = s.chars().nth(1);
    let leading_indicator = matches!(
        first,
        '#' | ','
            | '['
            | ']'
            | '{'
            | '}'
            | '&'
            | '*'
            | '!'
            | '|'
            | '>'
            | '\''
            | '"'
            | '%'
            | '@'
            | '`'
    ) || (matches!(first, '?' | ':' | '-')
        && second.is_none_or(|c| c == ' '));
    let inner_indicator = s.contains(": ") || s.contains(" #") || s.ends_with(':');
    let space_edges = s.starts_with(' ') || s.ends_with(' ') || s.starts_with('\t');
    if leading_indicator
        || inner_indicator
        || space_edges
        || s == "-"
        || s.starts_with("---")
        || s.starts_with("...")
    {
        return Style::Single;
    }
    Style::Plain
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn caller_identity() {
        let v = json!({"UserId": "AIDAX", "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/alice"});
        assert_eq!(
            yaml(&v),
            "Account: '123456789012'\nArn: arn:aws:iam::123456789012:user/alice\nUserId: AIDAX\n"
        );
    }

    #[test]
    fn nested_lists_and_maps() {
        let v = json!({"Users": [{"UserName": "a", "CreateDate": "2026-11-23T10:00:00+00:00", "Tags": []}], "IsTruncated": false});
        assert_eq!(
            yaml(&v),
            "IsTruncated: false\nUsers:\n- CreateDate: '2026-11-23T10:00:00+00:00'\n  Tags: []\n  UserName: a\n"
        );
        assert_eq!(yaml(&json!([{"a": 1}])), "- a: 1\n");
        assert_eq!(
            yaml(&json!({"a": {"b": ["x", "y"]}})),
            "a:\n  b:\n  - x\n  - y\n"
        );
    }

    #[test]
    fn quoting_rules() {
        for (s, out) in [
            ("true", "'true'"),
            ("", "''"),
            ("1.5", "'1.5'"),
            ("*", "'*'"),
            ("a: b", "'a: b'"),
            ("it's", "it's"),
            ("-x", "-x"),
            ("- x", "'- x'"),
            ("line\nbreak", "\"line\\nbreak\""),
        ] {
            assert_eq!(yaml(&json!(s)), format!("{out}\n"), "{s}");
        }
    }
}
