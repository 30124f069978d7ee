//! An append-only XML writer for Query-protocol responses.
//!
//! Responses are small, flat and written once, so a string builder with correct escaping is
//! all that is needed; the shapes themselves live in the handlers next to the model fields.

use std::ops::Range;

/// Appends `text` to `out`, escaped for element content and attribute values. Characters that
/// XML 1.0 cannot carry at all (most C0 controls) become U+FFFD so the document stays parseable.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#xD;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// One step of a document as [`XmlWriter`] wrote it, with byte ranges into the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mark {
    /// An element begins; its name is at the range.
    Open(Range<usize>),
    /// Text, escaped as written, is at the range.
    Text(Range<usize>),
    /// The innermost open element ends.
    Close,
}

/// Where the elements and texts of a document are, noted by [`XmlWriter`] as it writes them:
/// what a reader of the writer's own output needs, without parsing it again
/// ([`crate::xml_read::TapeView`]; the server's audit trail reads every answer it records).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tape {
    pub(crate) marks: Vec<Mark>,
}

/// Builds one XML document, noting its [`Tape`] as it goes.
#[derive(Default)]
pub struct XmlWriter {
    out: String,
    tape: Tape,
}

/// The document's size only: an answer can hold issued credentials.
impl std::fmt::Debug for XmlWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XmlWriter")
            .field("bytes", &self.out.len())
            .field("marks", &self.tape.marks.len())
            .finish()
    }
}

impl XmlWriter {
    /// An empty document.
    #[must_use]
    pub fn new() -> Self {
        Self {
            out: String::with_capacity(1024),
            tape: Tape {
                marks: Vec::with_capacity(32),
            },
        }
    }

    /// `<name` with the name noted.
    fn begin(&mut self, name: &str) {
        self.out.push('<');
        let start = self.out.len();
        self.out.push_str(name);
        self.tape.marks.push(Mark::Open(start..self.out.len()));
    }

    /// `<name xmlns="ns">`.
    pub fn open_ns(&mut self, name: &str, namespace: &str) {
        self.begin(name);
        self.out.push_str(" xmlns=\"");
        escape_into(&mut self.out, namespace);
        self.out.push_str("\">");
    }

    /// `<name>`.
    pub fn open(&mut self, name: &str) {
        self.begin(name);
        self.out.push('>');
    }

    /// `</name>`.
    pub fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self.tape.marks.push(Mark::Close);
    }

    /// `<name>text</name>`.
    pub fn elem(&mut self, name: &str, text: &str) {
        self.open(name);
        let start = self.out.len();
        escape_into(&mut self.out, text);
        if self.out.len() > start {
            self.tape.marks.push(Mark::Text(start..self.out.len()));
        }
        self.close(name);
    }

    /// `<name>text</name>` when `text` is present.
    pub fn opt(&mut self, name: &str, text: Option<&str>) {
        if let Some(text) = text {
            self.elem(name, text);
        }
    }

    /// `<name>true|false</name>`.
    pub fn bool(&mut self, name: &str, value: bool) {
        self.elem(name, if value { "true" } else { "false" });
    }

    /// `<name>N</name>`.
    pub fn num(&mut self, name: &str, value: i64) {
        self.elem(name, &value.to_string());
    }

    /// `<name><member>…</member>…</name>`, each member written by `each`.
    pub fn list<T>(&mut self, name: &str, items: &[T], mut each: impl FnMut(&mut Self, &T)) {
        self.open(name);
        for item in items {
            self.open("member");
            each(self, item);
            self.close("member");
        }
        self.close(name);
    }

    /// A list of plain strings.
    pub fn string_list(&mut self, name: &str, items: &[String]) {
        self.open(name);
        for item in items {
            self.elem("member", item);
        }
        self.close(name);
    }

    /// The length of the document so far, in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// True before anything is written.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// The document so far.
    #[must_use]
    pub fn finish(self) -> String {
        self.out
    }

    /// The document so far, and its [`Tape`].
    #[must_use]
    pub fn finish_with_tape(self) -> (String, Tape) {
        (self.out, self.tape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_shows_no_content() {
        let mut w = XmlWriter::new();
        w.elem("SecretAccessKey", "wJalrXUtnFEMI/K7MDENG");
        let shown = format!("{w:?}");
        assert!(!shown.contains("wJalr"), "{shown}");
        assert!(shown.contains("bytes"), "{shown}");
    }

    #[test]
    fn escapes_markup_and_controls() {
        let mut out = String::new();
        escape_into(&mut out, "a&b<c>\"d\u{1}\r");
        assert_eq!(out, "a&amp;b&lt;c&gt;&quot;d\u{FFFD}&#xD;");
    }
}
