//! Query-protocol forms: decoding and list access never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rolecall_wire::Params;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = Params::from_form(data) {
        let _ = p.string_list("TransitiveTagKeys");
        let _ = p.struct_list("Tags", &["Key", "Value"]);
        let _ = Params::from_form(p.to_form().as_bytes()).expect("re-encoding round-trips");
    }
});
