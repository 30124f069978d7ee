//! The AWS CLI's shorthand syntax (`Key=k,Value=v`, `a=b,c`, `[x,y]`, `{k=v}`, quoting and
//! `\,` escapes), parsed purely syntactically, then adjusted to the target shape as the AWS CLI
//! does (a single value where the model wants a list becomes a one-element list; numbers and
//! booleans typed by the model).

use rolecall_service_model::{Kind, Service, ShapeId};
use serde_json::{Map, Value};

/// A syntax error, with the AWS CLI's wording and caret under the offending position.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ShorthandError(pub(crate) String);

impl std::fmt::Display for ShorthandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads a `file://` or `fileb://` value (`key@=file://…`): handed in by the caller.
pub(crate) type FileLoader<'a> = &'a dyn Fn(&str) -> Result<Option<String>, String>;

/// Parses one shorthand value into a JSON object (ordered as written).
pub(crate) fn parse(input: &str, load: FileLoader<'_>) -> Result<Value, ShorthandError> {
    let chars: Vec<char> = input.chars().collect();
    let mut p = Parser {
        input,
        chars,
        i: 0,
        resolve_files: false,
        load,
    };
    p.parameter()
}

struct Parser<'a> {
    input: &'a str,
    chars: Vec<char>,
    i: usize,
    resolve_files: bool,
    load: FileLoader<'a>,
}

fn is_start(c: char) -> bool {
    !(c <= ' ' || matches!(c, '"' | '\'' | ',' | '=' | '[' | '{'))
}

fn is_first_follow(c: char) -> bool {
    (c.is_whitespace() || c > ' ') && !matches!(c, '"' | '\'' | ',' | ']' | '}')
}

fn is_second_follow(c: char) -> bool {
    (c.is_whitespace() || c > ' ') && !matches!(c, '"' | '\'' | ',' | '=')
}

impl Parser<'_> {
    fn current(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn at_eof(&self) -> bool {
        self.i >= self.chars.len()
    }

    fn syntax_error(&self, expected: &str, actual: &str, index: usize) -> ShorthandError {
        ShorthandError(format!(
            "Expected: '{expected}', received: '{actual}' for input:\n{}",
            self.location(index)
        ))
    }

    fn location(&self, index: usize) -> String {
        let before: String = self.chars[..index.min(self.chars.len())].iter().collect();
        let after: String = self.chars[index.min(self.chars.len())..].iter().collect();
        let (consumed, remaining) = match after.find('\n') {
            Some(n) => (format!("{before}{}", &after[..n]), after[n..].to_owned()),
            None => (self.input.to_owned(), String::new()),
        };
        let spaces = match before.rfind('\n') {
            Some(n) => before[n + 1..].chars().count(),
            None => index,
        };
        format!("{consumed}\n{}^{remaining}", " ".repeat(spaces))
    }

    fn consume_whitespace(&mut self) {
        while self.current().is_some_and(char::is_whitespace) {
            self.i += 1;
        }
    }

    fn expect(&mut self, c: char, whitespace: bool) -> Result<(), ShorthandError> {
        if whitespace {
            self.consume_whitespace();
        }
        match self.current() {
            None => return Err(self.syntax_error(&c.to_string(), "EOF", self.i)),
            Some(actual) if actual != c => {
                return Err(self.syntax_error(&c.to_string(), &actual.to_string(), self.i));
            }
            Some(_) => self.i += 1,
        }
        if whitespace {
            self.consume_whitespace();
        }
        Ok(())
    }

    fn parameter(&mut self) -> Result<Value, ShorthandError> {
        let mut params = Map::new();
        let (key, value) = self.keyval()?;
        params.insert(key, value);
        let mut last = self.i;
        while !self.at_eof() {
            self.expect(',', true)?;
            let (key, value) = self.keyval()?;
            if params.contains_key(&key) {
                return Err(ShorthandError(format!(
                    "Second instance of key \"{key}\" encountered for input:\n{}\nThis is often because there is a preceding \",\" instead of a space.",
                    self.location(last + 1)
                )));
            }
            params.insert(key, value);
            last = self.i;
        }
        Ok(Value::Object(params))
    }

    fn at_sign(&mut self) {
        self.resolve_files = false;
        let save = self.i;
        self.consume_whitespace();
        if self.current() == Some('@') {
            self.i += 1;
            self.consume_whitespace();
            self.resolve_files = true;
        } else {
            self.i = save;
        }
    }

    fn keyval(&mut self) -> Result<(String, Value), ShorthandError> {
        let key = self.key();
        self.at_sign();
        self.expect('=', true)?;
        let value = self.values()?;
        Ok((key, value))
    }

    fn key(&mut self) -> String {
        let start = self.i;
        while let Some(c) = self.current() {
            if !(c.is_ascii_alphanumeric() || "-_.#/:".contains(c)) {
                break;
            }
            self.i += 1;
        }
        self.chars[start..self.i].iter().collect()
    }

    fn values(&mut self) -> Result<Value, ShorthandError> {
        match self.current() {
            None => Ok(Value::String(String::new())),
            Some('[') => self.explicit_list(),
            Some('{') => self.hash_literal(),
            Some(_) => self.csv_value(),
        }
    }

    fn csv_value(&mut self) -> Result<Value, ShorthandError> {
        let first = self.first_value()?;
        self.consume_whitespace();
        if self.at_eof() || self.current() != Some(',') {
            return Ok(first);
        }
        self.expect(',', true)?;
        let mut list = vec![first.clone()];
        loop {
            match self.second_value() {
                Ok(current) => {
                    self.consume_whitespace();
                    if self.at_eof() {
                        list.push(current);
                        break;
                    }
                    if let Err(e) = self.expect(',', true) {
                        if self.at_eof() {
                            return Err(e);
                        }
                        self.backtrack_to(',');
                        break;
                    }
                    list.push(current);
                }
                Err(e) => {
                    if self.at_eof() {
                        return Err(e);
                    }
                    self.backtrack_to(',');
                    break;
                }
            }
        }
        if list.len() == 1 {
            return Ok(first);
        }
        Ok(Value::Array(list))
    }

    fn backtrack_to(&mut self, c: char) {
        loop {
            if self.chars.get(self.i) == Some(&c) {
                return;
            }
            if self.i == 0 {
                return;
            }
            self.i -= 1;
        }
    }

    /// Matches `(\\,|start)(\\,|follow)*` from the current position.
    fn word(&mut self, follow: fn(char) -> bool) -> Option<String> {
        let start = self.i;
        let mut j = self.i;
        let escaped =
            |j: usize| self.chars.get(j) == Some(&'\\') && self.chars.get(j + 1) == Some(&',');
        if escaped(j) {
            j += 2;
        } else if self.chars.get(j).copied().is_some_and(is_start) {
            j += 1;
        } else {
            return None;
        }
        loop {
            if escaped(j) {
                j += 2;
            } else if self.chars.get(j).copied().is_some_and(follow) {
                j += 1;
            } else {
                break;
            }
        }
        self.i = j;
        let raw: String = self.chars[start..j].iter().collect();
        Some(raw.replace("\\,", ",").trim_end().to_owned())
    }

    fn resolve(&self, value: String) -> Result<Value, ShorthandError> {
        if self.resolve_files
            && let Some(content) = (self.load)(&value).map_err(ShorthandError)?
        {
            return Ok(Value::String(content));
        }
        Ok(Value::String(value))
    }

    fn first_value(&mut self) -> Result<Value, ShorthandError> {
        match self.current() {
            Some('\'') => self.quoted('\''),
            Some('"') => self.quoted('"'),
            _ => {
                let v = self.word(is_first_follow).unwrap_or_default();
                self.resolve(v)
            }
        }
    }

    fn second_value(&mut self) -> Result<Value, ShorthandError> {
        match self.current() {
            Some('\'') => self.quoted('\''),
            Some('"') => self.quoted('"'),
            _ => match self.word(is_second_follow) {
                Some(v) => self.resolve(v),
                None => Err(self.syntax_error("<second>", "<none>", self.i)),
            },
        }
    }

    fn quoted(&mut self, quote: char) -> Result<Value, ShorthandError> {
        let start = self.i;
        let mut j = self.i + 1;
        loop {
            match self.chars.get(j) {
                None => {
                    let name = if quote == '\'' {
                        "singled quoted"
                    } else {
                        "double quoted"
                    };
                    return Err(self.syntax_error(&format!("<{name}>"), "<none>", start));
                }
                Some('\\') if self.chars.get(j + 1) == Some(&quote) => j += 2,
                Some(c) if *c == quote => break,
                Some(_) => j += 1,
            }
        }
        self.i = j + 1;
        let inner: String = self.chars[start + 1..j].iter().collect();
        let value = inner
            .replace(&format!("\\{quote}"), &quote.to_string())
            .replace("\\\\", "\\");
        self.resolve(value)
    }

    fn explicit_list(&mut self) -> Result<Value, ShorthandError> {
        self.expect('[', true)?;
        let mut values = Vec::new();
        while self.current() != Some(']') {
            if self.at_eof() {
                return Err(self.syntax_error("]", "EOF", self.i));
            }
            values.push(self.explicit_values()?);
            self.consume_whitespace();
            if self.current() != Some(']') {
                self.expect(',', false)?;
                self.consume_whitespace();
            }
        }
        self.expect(']', false)?;
        Ok(Value::Array(values))
    }

    fn explicit_values(&mut self) -> Result<Value, ShorthandError> {
        match self.current() {
            Some('[') => self.explicit_list(),
            Some('{') => self.hash_literal(),
            _ => self.first_value(),
        }
    }

    fn hash_literal(&mut self) -> Result<Value, ShorthandError> {
        self.expect('{', true)?;
        let mut map = Map::new();
        while self.current() != Some('}') {
            if self.at_eof() {
                return Err(self.syntax_error("}", "EOF", self.i));
            }
            let key = self.key();
            self.at_sign();
            self.expect('=', true)?;
            let v = self.explicit_values()?;
            self.consume_whitespace();
            if self.current() != Some('}') {
                self.expect(',', false)?;
                self.consume_whitespace();
            }
            map.insert(key, v);
        }
        self.expect('}', false)?;
        Ok(Value::Object(map))
    }
}

/// Adjusts a parsed value to the model: lists where the model wants a list, integers,
/// floats and booleans typed.
pub(crate) fn conform(service: &Service, shape: ShapeId, value: &mut Value) {
    match &service.shape(shape).kind {
        Kind::Structure { members, .. } => {
            if let Value::Object(map) = value {
                for m in *members {
                    if let Some(v) = map.get_mut(m.name) {
                        conform(service, m.shape, v);
                    }
                }
            }
        }
        Kind::List { member, .. } => {
            if !value.is_array() && !value.is_null() {
                *value = Value::Array(vec![value.take()]);
            }
            if let Value::Array(items) = value {
                for item in items {
                    conform(service, *member, item);
                }
            }
        }
        Kind::Map { value: v, .. } => {
            if let Value::Object(map) = value {
                for item in map.values_mut() {
                    conform(service, *v, item);
                }
            }
        }
        Kind::Integer { .. } => {
            if let Some(n) = value.as_str().and_then(|s| s.trim().parse::<i64>().ok()) {
                *value = Value::from(n);
            }
        }
        Kind::Float => {
            if let Some(n) = value.as_str().and_then(|s| s.trim().parse::<f64>().ok()) {
                *value = Value::from(n);
            }
        }
        Kind::Boolean => match value.as_str().map(str::to_ascii_lowercase).as_deref() {
            Some("true") => *value = Value::Bool(true),
            Some("false") => *value = Value::Bool(false),
            _ => {}
        },
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &str) -> Result<Value, ShorthandError> {
        parse(s, &|_| Ok(None))
    }

    #[test]
    fn key_value_pairs_and_lists() {
        assert_eq!(
            p("Key=a,Value=b").unwrap(),
            json!({"Key": "a", "Value": "b"})
        );
        assert_eq!(p("a=b,c").unwrap(), json!({"a": ["b", "c"]}));
        assert_eq!(p("a=b,c,d=e").unwrap(), json!({"a": ["b", "c"], "d": "e"}));
        assert_eq!(
            p("a=[x,y],b={c=d,e=[f]}").unwrap(),
            json!({"a": ["x", "y"], "b": {"c": "d", "e": ["f"]}})
        );
        assert_eq!(p("a= spaced value ").unwrap(), json!({"a": "spaced value"}));
        assert_eq!(p("a=").unwrap(), json!({"a": ""}));
    }

    #[test]
    fn quoting_and_escapes() {
        assert_eq!(p(r"a=x\,y").unwrap(), json!({"a": "x,y"}));
        assert_eq!(p("a='x,y=z'").unwrap(), json!({"a": "x,y=z"}));
        assert_eq!(p(r#"a="say \"hi\"""#).unwrap(), json!({"a": "say \"hi\""}));
        assert_eq!(
            p("arn=arn:aws:iam::aws:policy/ReadOnlyAccess").unwrap(),
            json!({"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
        );
    }

    #[test]
    fn errors_point_at_the_position() {
        let e = p("Key").unwrap_err();
        assert_eq!(e.0, "Expected: '=', received: 'EOF' for input:\nKey\n   ^");
        let e = p("a=b,a=c").unwrap_err();
        assert!(
            e.0.starts_with("Second instance of key \"a\" encountered for input:\na=b,a=c\n    ^"),
            "{}",
            e.0
        );
        assert!(p("a=[x").is_err());
        assert!(p("a={b=c").is_err());
        assert!(p("a='open").is_err());
    }

    #[test]
    fn parameter_files_only_after_at_sign() {
        let load = |v: &str| Ok(v.strip_prefix("file://").map(|p| format!("<{p}>")));
        assert_eq!(parse("a@=file://x", &load).unwrap(), json!({"a": "<x>"}));
        assert_eq!(
            parse("a=file://x", &load).unwrap(),
            json!({"a": "file://x"})
        );
    }
}
