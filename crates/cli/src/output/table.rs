//! The `table` output format: the AWS CLI's boxed sections (title centred, scalar keys as
//! column headers, nested structures as indented sub-sections), scaled to the terminal's
//! width and turned vertical when too wide, coloured on a terminal.

use serde_json::Value;

/// Renders `value` as the AWS CLI's table, headed by `title`, coloured or not.
pub(crate) fn table(value: &Value, title: &str, color: bool) -> String {
    let mut t = MultiTable {
        sections: Vec::new(),
        width: terminal_width(),
        color,
    };
    if !build(&mut t, Some(title), value, 0) {
        return String::new();
    }
    t.render()
}

fn terminal_width() -> usize {
    rustix::termios::tcgetwinsize(std::io::stdout())
        .ok()
        .map(|w| usize::from(w.ws_col))
        .filter(|w| *w > 0)
        .unwrap_or(80)
}

/// Display width: East Asian wide and fullwidth characters take two columns.
fn text_len(s: &str) -> usize {
    s.chars().map(|c| if wide(c) { 2 } else { 1 }).sum()
}

fn wide(c: char) -> bool {
    matches!(u32::from(c),
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6 | 0x1F300..=0x1F64F | 0x1F900..=0x1F9FF | 0x20000..=0x3FFFD)
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Null => "None".to_owned(),
        other => other.to_string(),
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Number(n) => n.as_f64() != Some(0.0),
    }
}

#[derive(Debug, Default)]
struct Section {
    title: String,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    indent: usize,
    max_widths: Vec<usize>,
}

impl Section {
    fn update_widths(&mut self, row: &[String]) {
        if self.max_widths.is_empty() {
            self.max_widths = row.iter().map(|c| text_len(c)).collect();
        } else {
            for (i, c) in row.iter().enumerate() {
                if let Some(w) = self.max_widths.get_mut(i) {
                    *w = (*w).max(text_len(c));
                }
            }
        }
    }

    fn add_header(&mut self, headers: Vec<String>) {
        self.update_widths(&headers);
        self.headers = headers;
    }

    fn add_row(&mut self, row: Vec<String>) {
        self.update_widths(&row);
        self.rows.push(row);
    }

    /// Python's `int(round(x))` (ties to even), scaled to `max_width` and corrected by ones.
    fn column_widths(&self, padding: usize, max_width: Option<usize>) -> Vec<usize> {
        let unscaled: Vec<usize> = self.max_widths.iter().map(|w| w + padding).collect();
        let Some(max_width) = max_width else {
            return unscaled;
        };
        if unscaled.is_empty() {
            return unscaled;
        }
        let total: usize = unscaled.iter().sum();
        #[allow(clippy::cast_precision_loss)]
        let factor = max_width as f64 / total as f64;
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let mut scaled: Vec<i64> = unscaled
            .iter()
            .map(|w| (factor * *w as f64).round_ties_even() as i64)
            .collect();
        let mut off_by: i64 =
            scaled.iter().sum::<i64>() - i64::try_from(max_width).unwrap_or(i64::MAX);
        while off_by != 0 {
            let order: Vec<usize> = if off_by < 0 {
                (0..scaled.len()).rev().collect()
            } else {
                (0..scaled.len()).collect()
            };
            for i in order {
                if off_by > 0 {
                    scaled[i] -= 1;
                    off_by -= 1;
                } else {
                    scaled[i] += 1;
                    off_by += 1;
                }
                if off_by == 0 {
                    break;
                }
            }
        }
        scaled
            .into_iter()
            .map(|w| usize::try_from(w).unwrap_or(0))
            .collect()
    }

    fn total_width(&self, padding: usize, outer: usize) -> usize {
        let columns: usize = self
            .column_widths(0, None)
            .iter()
            .map(|w| w + padding)
            .sum();
        (text_len(&self.title) + 2 + 2 * outer).max(columns + 2 + 2 * outer)
    }
}

struct MultiTable {
    sections: Vec<Section>,
    width: usize,
    color: bool,
}

impl MultiTable {
    fn current(&mut self) -> &mut Section {
        if self.sections.is_empty() {
            self.sections.push(Section::default());
        }
        self.sections.last_mut().expect("a section exists")
    }

    fn new_section(&mut self, title: &str, indent: usize) {
        self.sections.push(Section {
            title: title.to_owned(),
            indent,
            ..Section::default()
        });
    }

    fn max_width(&self) -> usize {
        self.sections
            .iter()
            .map(|s| s.total_width(4, s.indent))
            .max()
            .unwrap_or(0)
    }

    fn render(mut self) -> String {
        let mut max_width = self.max_width();
        if max_width > self.width {
            for s in &mut self.sections {
                if s.rows.len() == 1 && !s.headers.is_empty() {
                    let mut vertical = Section {
                        title: s.title.clone(),
                        indent: s.indent,
                        ..Section::default()
                    };
                    for (h, v) in s.headers.iter().zip(&s.rows[0]) {
                        vertical.add_row(vec![h.clone(), v.clone()]);
                    }
                    *s = vertical;
                }
            }
            max_width = self.max_width();
        }
        let mut out = String::new();
        out.push_str(&"-".repeat(max_width));
        out.push('\n');
        for s in &self.sections {
            self.render_section(s, max_width, &mut out);
        }
        out
    }

    fn style_row(&self, text: &str) -> String {
        if self.color {
            format!("\x1b[1m\x1b[34m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn indent_char(&self) -> String {
        if self.color {
            "\x1b[2m\x1b[33m|\x1b[0m".to_owned()
        } else {
            "|".to_owned()
        }
    }

    fn render_section(&self, s: &Section, max_width: usize, out: &mut String) {
        let edge = self.indent_char().repeat(s.indent);
        let mut write = |line: String| {
            out.push_str(&edge);
            out.push_str(&line);
            out.push_str(&edge);
            out.push('\n');
        };
        let width = max_width.saturating_sub(s.indent * 2);
        if !s.title.is_empty() {
            write(center(&s.title, text_len(&s.title), width, "|", "|"));
            if s.headers.is_empty() && s.rows.is_empty() {
                write(format!("+{}+", "-".repeat(width.saturating_sub(2))));
            }
        }
        if !s.headers.is_empty() {
            let widths = s.column_widths(4, Some(width));
            let mut line = String::new();
            for (i, (w, h)) in widths.iter().zip(&s.headers).enumerate() {
                line.push_str(&center(
                    h,
                    text_len(h),
                    *w,
                    if i == 0 { "|" } else { "" },
                    "|",
                ));
            }
            write(line_break(&widths));
            write(line);
        }
        if !s.rows.is_empty() {
            let widths = s.column_widths(4, Some(width));
            if widths.is_empty() {
                return;
            }
            write(line_break(&widths));
            for row in &s.rows {
                let mut line = String::new();
                for (i, (w, c)) in widths.iter().zip(row).enumerate() {
                    line.push_str(&align_left(
                        &self.style_row(c),
                        text_len(c),
                        *w,
                        if i == 0 { "|" } else { "" },
                        "|",
                    ));
                }
                write(line);
            }
            write(line_break(&widths));
        }
    }
}

fn line_break(widths: &[usize]) -> String {
    let mut out = String::new();
    for (i, w) in widths.iter().enumerate() {
        if i == 0 {
            out.push_str(&format!("+{}+", "-".repeat(w.saturating_sub(2))));
        } else {
            out.push_str(&format!("{}+", "-".repeat(w.saturating_sub(1))));
        }
    }
    out
}

fn center(text: &str, len: usize, width: usize, left: &str, right: &str) -> String {
    // Python floor division on possibly negative numbers.
    let start = (i64::try_from(width).unwrap_or(0)).div_euclid(2)
        - (i64::try_from(len).unwrap_or(0)).div_euclid(2)
        - 1;
    let start_spaces = usize::try_from(start).unwrap_or(0);
    let so_far =
        i64::try_from(text_len(left)).unwrap_or(0) + start + i64::try_from(len).unwrap_or(0);
    let right_spaces =
        i64::try_from(width).unwrap_or(0) - i64::try_from(text_len(right)).unwrap_or(0) - so_far;
    format!(
        "{left}{}{text}{}{right}",
        " ".repeat(start_spaces),
        " ".repeat(usize::try_from(right_spaces).unwrap_or(0))
    )
}

fn align_left(text: &str, len: usize, width: usize, left: &str, right: &str) -> String {
    let computed = len + 2 + text_len(left) + text_len(right);
    let padding = if width >= computed { 2 } else { 0 };
    let so_far = left.len() + padding + len;
    let fill = width.saturating_sub(so_far + right.len());
    format!(
        "{left}{}{text}{}{right}",
        " ".repeat(padding),
        " ".repeat(fill)
    )
}

/// The AWS CLI's table builder: a dict's scalar keys become one header row (or a key/value
/// row when there is one), lists of dicts one row each, nested values sub-sections.
fn build(t: &mut MultiTable, title: Option<&str>, current: &Value, indent: usize) -> bool {
    if !truthy(current) {
        return false;
    }
    if let Some(title) = title {
        t.new_section(title, indent);
    }
    match current {
        Value::Array(items) => {
            if items.first().is_some_and(Value::is_object) {
                from_list(t, items, indent, title.unwrap_or_default());
            } else {
                for item in items {
                    match item {
                        Value::Array(inner) if inner.iter().all(is_scalar) => {
                            t.current().add_row(inner.iter().map(cell).collect());
                        }
                        v if is_scalar(v) => t.current().add_row(vec![cell(v)]),
                        v => {
                            build(t, None, v, 0);
                        }
                    }
                }
            }
        }
        Value::Object(map) => {
            let (headers, more) = group(map);
            if headers.len() == 1 {
                let h = &headers[0];
                t.current().add_row(vec![h.clone(), cell(&map[h])]);
            } else if !headers.is_empty() {
                let row = headers.iter().map(|h| cell(&map[h])).collect();
                t.current().add_header(headers);
                t.current().add_row(row);
            }
            for k in more {
                build(t, Some(&k), &map[&k], indent + 1);
            }
        }
        _ => {}
    }
    true
}

fn group(map: &serde_json::Map<String, Value>) -> (Vec<String>, Vec<String>) {
    let mut headers: Vec<String> = map
        .iter()
        .filter(|(_, v)| is_scalar(v))
        .map(|(k, _)| k.clone())
        .collect();
    let mut more: Vec<String> = map
        .iter()
        .filter(|(_, v)| !is_scalar(v))
        .map(|(k, _)| k.clone())
        .collect();
    headers.sort();
    more.sort();
    (headers, more)
}

fn from_list(t: &mut MultiTable, items: &[Value], indent: usize, title: &str) {
    let mut headers: Vec<String> = Vec::new();
    let mut more: Vec<String> = Vec::new();
    for item in items.iter().filter_map(Value::as_object) {
        let (h, m) = group(item);
        headers.extend(h);
        more.extend(m);
    }
    headers.sort();
    headers.dedup();
    more.sort();
    more.dedup();
    t.current().add_header(headers.clone());
    for (i, el) in items.iter().enumerate() {
        let Some(map) = el.as_object() else { continue };
        if i > 0 && !more.is_empty() {
            t.new_section(title, indent);
            t.current().add_header(headers.clone());
        }
        t.current().add_row(
            headers
                .iter()
                .map(|h| map.get(h).map(cell).unwrap_or_default())
                .collect(),
        );
        for k in &more {
            if let Some(v) = map.get(k) {
                build(t, Some(k), v, indent + 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caller_identity_table_as_the_aws_cli_draws_it() {
        // The AWS CLI's output for this response on an 80-column terminal (vertical layout,
        // since the one-row table is wider than 80).
        let v = serde_json::json!({"UserId": "AIDAVRKTNAEM7CGROJXPG", "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/admin"});
        let mut t = MultiTable {
            sections: Vec::new(),
            width: 80,
            color: false,
        };
        build(&mut t, Some("GetCallerIdentity"), &v, 0);
        assert_eq!(
            t.render(),
            "-----------------------------------------------------\n\
             |                 GetCallerIdentity                 |\n\
             +---------+-----------------------------------------+\n\
             |  Account|  123456789012                           |\n\
             |  Arn    |  arn:aws:iam::123456789012:user/admin   |\n\
             |  UserId |  AIDAVRKTNAEM7CGROJXPG                  |\n\
             +---------+-----------------------------------------+\n"
        );
    }

    #[test]
    fn python_rounding_ties_to_even() {
        let s = Section {
            max_widths: vec![1, 1],
            ..Section::default()
        };
        assert_eq!(s.column_widths(0, Some(5)).iter().sum::<usize>(), 5);
    }
}
