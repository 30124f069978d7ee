//! Reading XML: a response body as a small element tree (quick-xml events, the five
//! predefined entities and character references decoded, anything else refused). The one XML
//! reader of the workspace: the client's shape walker and the transport's Query protocol both
//! read through it.

use quick_xml::events::Event;

/// One element: its local name, its children and its text.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    /// The text of the first child named `name`.
    #[must_use]
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }

    /// The first child named `name`.
    #[must_use]
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child named `name`.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }
}

/// Parses a document into its root element.
///
/// # Errors
/// A malformed document, an unknown entity, or no root element.
pub fn parse(xml: &str) -> Result<Element, String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<Element> = vec![Element::default()];
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => stack.push(Element {
                name: e.local_name().as_ref().to_owned(),
                ..Element::default()
            }),
            Event::Empty(e) => {
                let el = Element {
                    name: e.local_name().as_ref().to_owned(),
                    ..Element::default()
                };
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
                    top.text.push_str(&t.into_inner());
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
                    top.text.push(resolved);
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&c.into_inner());
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
}
