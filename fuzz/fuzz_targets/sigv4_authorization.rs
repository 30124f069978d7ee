//! SigV4 authorization headers and presigned query strings: parsing never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (header, query) = text.split_once('\n').unwrap_or((text, ""));
    let headers = vec![("authorization".to_owned(), header.to_owned()), ("x-amz-date".to_owned(), "20150830T123600Z".to_owned())];
    let _ = rolecall_sigv4::parse_authorization(&headers, query);
    let _ = rolecall_sigv4::parse_authorization(&[], query);
});
