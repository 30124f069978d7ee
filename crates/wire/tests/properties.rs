//! Property tests: the form decoder and the XML writer against independent implementations.

use proptest::prelude::*;
use rolecall_wire::{Params, XmlWriter};

proptest! {
    #[test]
    fn form_round_trips(pairs in proptest::collection::btree_map("[A-Za-z][A-Za-z0-9.]{0,12}", "\\PC{0,40}", 0..20)) {
        let mut params = Params::default();
        for (k, v) in &pairs {
            params.set(k.clone(), v.clone());
        }
        let decoded = Params::from_form(params.to_form().as_bytes()).unwrap();
        let got: Vec<(String, String)> = decoded.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        let want: Vec<(String, String)> = pairs.into_iter().collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(p) = Params::from_form(&bytes) {
            let _ = p.string_list("A");
            let _ = p.struct_list("Tags", &["Key", "Value"]);
        }
    }

    #[test]
    fn xml_text_survives_a_real_parser(text in "\\PC{0,80}") {
        let mut w = XmlWriter::new();
        w.open_ns("R", "urn:x");
        w.elem("V", &text);
        w.close("R");
        let doc = w.finish();
        let mut reader = quick_xml::Reader::from_str(&doc);
        let mut seen = String::new();
        loop {
            match reader.read_event().expect("the writer produced well-formed XML") {
                quick_xml::events::Event::Text(t) => seen.push_str(&t.into_inner()),
                quick_xml::events::Event::GeneralRef(r) => {
                    let name = r.into_inner().into_owned();
                    seen.push_str(match name.as_str() { "amp" => "&", "lt" => "<", "gt" => ">", "quot" => "\"", "#xD" => "\r", other => panic!("unexpected entity {other}") });
                }
                quick_xml::events::Event::Eof => break,
                _ => {}
            }
        }
        prop_assert_eq!(seen, text);
    }
}
