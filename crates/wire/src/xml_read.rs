//! Reading XML: a response body as a small element tree (quick-xml events, the five
//! predefined entities and character references decoded, anything else refused). The one XML
//! reader of the workspace: the client's shape walker and the transport's Query protocol both
//! read through it.

use std::borrow::Cow;

use quick_xml::events::Event;

use crate::xml::{Mark, Tape};

/// One element: its local name, its children and its text. Names and text are borrowed from
/// the document wherever they appear in it as they are (text with an entity or a character
/// reference is decoded into a copy): a response is read without copying most of it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Element<'a> {
    pub name: Cow<'a, str>,
    pub children: Vec<Element<'a>>,
    pub text: Cow<'a, str>,
}

impl<'a> Element<'a> {
    /// The text of the first child named `name`.
    #[must_use]
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_ref())
    }

    /// The first child named `name`.
    #[must_use]
    pub fn child(&self, name: &str) -> Option<&Element<'a>> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child named `name`.
    pub fn children_named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Element<'a>> {
        self.children.iter().filter(move |c| c.name == name)
    }

    fn named(name: Cow<'a, str>) -> Self {
        Self {
            name,
            ..Self::default()
        }
    }
}

/// `part` (text an event of the reader of `document` holds) as a slice of `document` itself
/// when it is one, so that it can outlive the event; a copy otherwise.
fn within<'a>(document: &'a str, part: &str) -> Cow<'a, str> {
    let offset = (part.as_ptr() as usize).wrapping_sub(document.as_ptr() as usize);
    match offset
        .checked_add(part.len())
        .and_then(|end| document.get(offset..end))
    {
        Some(slice) if slice == part => Cow::Borrowed(slice),
        _ => Cow::Owned(part.to_owned()),
    }
}

/// Appends `more` to `text`, borrowing while the text is one piece.
fn append<'a>(text: &mut Cow<'a, str>, more: Cow<'a, str>) {
    if text.is_empty() {
        *text = more;
    } else {
        text.to_mut().push_str(&more);
    }
}

/// Parses a document into its root element.
///
/// # Errors
/// A malformed document, an unknown entity, or no root element.
pub fn parse(xml: &str) -> Result<Element<'_>, String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<Element<'_>> = vec![Element::default()];
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => stack.push(Element::named(within(xml, e.local_name().as_ref()))),
            Event::Empty(e) => {
                let el = Element::named(within(xml, e.local_name().as_ref()));
                stack
                    .last_mut()
                    .ok_or("unbalanced document")?
                    .children
                    .push(el);
            }
            Event::End(_) => {
                let done = stack.pop().ok_or("unbalanced document")?;
                stack
                    .last_mut()
                    .ok_or("unbalanced document")?
                    .children
                    .push(done);
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    append(&mut top.text, t.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                let name = r.into_inner();
                let resolved = match name.as_ref() {
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    "apos" => '\'',
                    other => other
                        .strip_prefix("#x")
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .or_else(|| other.strip_prefix('#').and_then(|d| d.parse().ok()))
                        .and_then(char::from_u32)
                        .ok_or_else(|| format!("unknown entity &{other};"))?,
                };
                if let Some(top) = stack.last_mut() {
                    top.text.to_mut().push(resolved);
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    append(&mut top.text, c.into_inner());
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut document = stack.pop().ok_or("empty document")?;
    if !stack.is_empty() {
        return Err("unclosed element".to_owned());
    }
    document
        .children
        .pop()
        .ok_or_else(|| "empty document".to_owned())
}

/// A document [`crate::XmlWriter`] wrote, read through the writer's [`Tape`] instead of
/// parsed: the elements [`parse`] finds in it (under a root around its top elements, as a
/// Query protocol result holds several), found by name in place, without a tree built first
/// (the server's audit trail reads the answer of every call it records; a tree of small
/// vectors was most of that). Names and text are borrowed from the document as [`parse`]
/// borrows them. A tape that does not belong to the document yields what of it lies within
/// the document, never a panic.
#[derive(Debug)]
pub struct TapeView<'a> {
    document: &'a str,
    marks: &'a [Mark],
    /// For an `Open` mark, the index of its `Close` (past the end when the tape stops
    /// first); unused for other marks.
    ends: Vec<usize>,
}

/// An element of a [`TapeView`], or the root around the document's top elements.
#[derive(Debug, Clone, Copy)]
pub struct TapeNode<'v, 'a> {
    view: &'v TapeView<'a>,
    /// The element's `Open` mark; `None` for the root.
    open: Option<usize>,
}

impl<'a> TapeView<'a> {
    /// The view of `document` through `tape`, as [`crate::XmlWriter::finish_with_tape`]
    /// returned them.
    #[must_use]
    pub fn new(document: &'a str, tape: &'a Tape) -> Self {
        let marks = tape.marks.as_slice();
        let mut ends = vec![marks.len(); marks.len()];
        let mut open = Vec::with_capacity(8);
        for (i, mark) in marks.iter().enumerate() {
            match mark {
                Mark::Open(_) => open.push(i),
                Mark::Close => {
                    if let Some(o) = open.pop() {
                        ends[o] = i;
                    }
                }
                Mark::Text(_) => {}
            }
        }
        Self {
            document,
            marks,
            ends,
        }
    }

    /// The root: its children are the document's top elements.
    #[must_use]
    pub fn root(&self) -> TapeNode<'_, 'a> {
        TapeNode {
            view: self,
            open: None,
        }
    }
}

impl<'v, 'a> TapeNode<'v, 'a> {
    /// The indices of the marks directly inside the element: its children's `Open` marks
    /// (each child's own marks passed over) and its texts.
    fn direct(self) -> impl Iterator<Item = usize> + use<'v, 'a> {
        let view = self.view;
        let (mut at, end) = match self.open {
            Some(o) => (o + 1, view.ends[o]),
            None => (0, view.marks.len()),
        };
        std::iter::from_fn(move || {
            while at < end {
                let i = at;
                match view.marks[i] {
                    Mark::Open(_) => {
                        at = view.ends[i] + 1;
                        return Some(i);
                    }
                    Mark::Text(_) => {
                        at += 1;
                        return Some(i);
                    }
                    Mark::Close => at += 1,
                }
            }
            None
        })
    }

    /// The element's children, in order.
    pub fn children(self) -> impl Iterator<Item = TapeNode<'v, 'a>> {
        let view = self.view;
        self.direct()
            .filter(move |&i| matches!(view.marks[i], Mark::Open(_)))
            .map(move |i| TapeNode {
                view,
                open: Some(i),
            })
    }

    /// The element's local name (empty for the root).
    #[must_use]
    pub fn name(&self) -> &'a str {
        match self.open.map(|o| &self.view.marks[o]) {
            Some(Mark::Open(range)) => self.view.document.get(range.clone()).unwrap_or_default(),
            _ => "",
        }
    }

    /// The first child named `name`.
    #[must_use]
    pub fn child(self, name: &str) -> Option<TapeNode<'v, 'a>> {
        self.children().find(|c| c.name() == name)
    }

    /// Every child named `name`.
    pub fn children_named(self, name: &str) -> impl Iterator<Item = TapeNode<'v, 'a>> {
        self.children().filter(move |c| c.name() == name)
    }

    /// The element's own text (not its children's), decoded as [`parse`] decodes it.
    #[must_use]
    pub fn text(&self) -> Cow<'a, str> {
        let view = self.view;
        let mut text = Cow::Borrowed("");
        for i in self.direct() {
            let Mark::Text(r) = &view.marks[i] else {
                continue;
            };
            let raw = view.document.get(r.clone()).unwrap_or_default();
            let part = if raw.contains('&') {
                quick_xml::escape::unescape(raw)
                    .map_or_else(|_| Cow::Borrowed(raw), |t| Cow::Owned(t.into_owned()))
            } else {
                Cow::Borrowed(raw)
            };
            append(&mut text, part);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_nested_elements_text_and_entities() {
        let root = super::parse(
            "<?xml version=\"1.0\"?><A xmlns=\"x\"><B>1 &amp; 2&#x41;</B><C/><B>x</B></A>",
        )
        .unwrap();
        assert_eq!(root.name, "A");
        assert_eq!(root.child("B").unwrap().text, "1 & 2A");
        assert_eq!(root.children_named("B").count(), 2);
        assert!(root.child("C").unwrap().children.is_empty());
        assert!(super::parse("<A><B></A>").is_err());
        assert!(super::parse("<A>&bogus;</A>").is_err());
        assert_eq!(super::parse("<A><![CDATA[<x>]]></A>").unwrap().text, "<x>");
    }

    /// The tape's tree is the parser's, whatever the writer wrote.
    #[test]
    fn a_writers_tape_reads_as_its_document_parses() {
        use crate::XmlWriter;
        let mut w = XmlWriter::new();
        w.open("Credentials");
        w.elem("AccessKeyId", "ASIAEXAMPLE");
        w.elem("SessionToken", "a&b<c>\"d\r\u{1}e\u{e9}");
        w.elem("Empty", "");
        w.close("Credentials");
        w.list("Tags", &["k1", "k&2"], |w, k| {
            w.elem("Key", k);
            w.opt("Value", None);
        });
        w.string_list("Names", &["x".to_owned(), "<y>".to_owned()]);
        w.bool("IsTruncated", false);
        w.num("Size", 7);
        w.open_ns("Nested", "https://example.com/doc/");
        w.close("Nested");
        let (doc, tape) = w.finish_with_tape();
        let view = super::TapeView::new(&doc, &tape);
        let from_tape = tree(view.root());
        let wrapped = format!("<R>{doc}</R>");
        let parsed = super::parse(&wrapped).unwrap();
        assert_eq!(from_tape.children, parsed.children);
        assert_eq!(from_tape.text, parsed.text);
        let token = from_tape.child("Credentials").unwrap();
        assert_eq!(
            token.child_text("SessionToken"),
            Some("a&b<c>\"d\r\u{FFFD}e\u{e9}")
        );
        // Plain text is borrowed, as the parser borrows it.
        assert!(matches!(
            token.child("AccessKeyId").unwrap().text,
            std::borrow::Cow::Borrowed("ASIAEXAMPLE")
        ));
        // A tape that is not the document's: no panic.
        let other = super::TapeView::new("<a/>", &tape);
        assert!(tree(other.root()).children.len() <= tape.marks.len());
    }

    /// The elements a tape view finds, as a tree to compare with the parser's.
    fn tree<'a>(node: super::TapeNode<'_, 'a>) -> super::Element<'a> {
        super::Element {
            name: std::borrow::Cow::Borrowed(node.name()),
            children: node.children().map(tree).collect(),
            text: node.text(),
        }
    }

    #[test]
    fn plain_names_and_text_are_borrowed_decoded_text_is_not() {
        use std::borrow::Cow;
        let doc = "<p:A xmlns:p=\"x\"><B>plain</B><C>a &amp; b</C><D>&lt;x</D></p:A>";
        let root = super::parse(doc).unwrap();
        assert!(matches!(root.name, Cow::Borrowed("A")));
        let b = root.child("B").unwrap();
        assert!(matches!(b.name, Cow::Borrowed("B")));
        assert!(matches!(b.text, Cow::Borrowed("plain")));
        assert_eq!(root.child_text("C"), Some("a & b"));
        assert_eq!(root.child_text("D"), Some("<x"));
        assert!(matches!(root.child("C").unwrap().text, Cow::Owned(_)));
    }
}
