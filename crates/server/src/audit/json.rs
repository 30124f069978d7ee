//! Compact JSON written straight into a string from borrowed data, byte for byte as
//! serde_json writes it (the same separators, the same escapes), so that a record is built
//! without an intermediate `Value` and serialized once.

use std::fmt::{self, Write as _};

use time::{OffsetDateTime, UtcOffset};

/// Appends `s` as a JSON string, escaped as serde_json escapes it: `"` and `\`, `\b \t \n \f
/// \r` by their short forms, any other control character as `\u00xx`, nothing else.
pub(super) fn string(out: &mut String, s: &str) {
    out.push('"');
    escape(out, s);
    out.push('"');
}

/// Appends what `args` formats as a JSON string, without formatting it into a string first.
pub(super) fn formatted(out: &mut String, args: fmt::Arguments<'_>) {
    out.push('"');
    // Writing into a string cannot fail.
    let _ = Escaping(out).write_fmt(args);
    out.push('"');
}

/// Appends `t` as a JSON string in [`rolecall_wire::iso8601`]'s form
/// (`2024-05-01T12:00:00Z`).
pub(super) fn timestamp(out: &mut String, t: OffsetDateTime) {
    let t = t.to_offset(UtcOffset::UTC);
    let year = t.year();
    out.push('"');
    match u16::try_from(year) {
        Ok(y) if y <= 9999 => {
            // Both halves are below 100.
            two_digits(out, u8::try_from(y / 100).unwrap_or_default());
            two_digits(out, u8::try_from(y % 100).unwrap_or_default());
        }
        // `{:04}`, as the wire form writes any other year.
        _ => {
            let _ = write!(out, "{year:04}");
        }
    }
    out.push('-');
    two_digits(out, u8::from(t.month()));
    out.push('-');
    two_digits(out, t.day());
    out.push('T');
    two_digits(out, t.hour());
    out.push(':');
    two_digits(out, t.minute());
    out.push(':');
    two_digits(out, t.second());
    out.push_str("Z\"");
}

/// Appends epoch seconds as [`timestamp`] (out-of-range values as the epoch, as
/// [`rolecall_wire::timestamp::iso8601_from_epoch`] writes them).
pub(super) fn epoch_timestamp(out: &mut String, epoch: i64) {
    timestamp(
        out,
        OffsetDateTime::from_unix_timestamp(epoch).unwrap_or(OffsetDateTime::UNIX_EPOCH),
    );
}

/// `n` (below 100) in two digits.
fn two_digits(out: &mut String, n: u8) {
    out.push(char::from(b'0' + n / 10 % 10));
    out.push(char::from(b'0' + n % 10));
}

/// Appends `s` escaped (without quotes), as [`string`] escapes it.
pub(super) fn escape(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while let Some(found) = next_escape(bytes, i) {
        let b = bytes[found];
        // `found` is an ASCII byte, so a character boundary.
        out.push_str(&s[start..found]);
        out.push('\\');
        match b {
            b'"' => out.push('"'),
            b'\\' => out.push('\\'),
            b'\n' => out.push('n'),
            b'\r' => out.push('r'),
            b'\t' => out.push('t'),
            0x08 => out.push('b'),
            0x0c => out.push('f'),
            _ => {
                out.push_str("u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
        }
        start = found + 1;
        i = found + 1;
    }
    out.push_str(&s[start..]);
}

/// Whether JSON escapes the byte: `"`, `\` and control characters.
fn escaped(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// The first byte at or after `from` that JSON escapes: eight bytes at a time, then one by one
/// in the word that has one.
fn next_escape(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let rest = bytes.get(from..)?;
    let mut words = rest.chunks_exact(8);
    let mut offset = from;
    for chunk in &mut words {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        // A high bit in a byte of `has` where a byte below 0x20, a `"` or a `\` may be:
        // exact as to whether there is one, which is all that is asked.
        let zero = |v: u64| v.wrapping_sub(ONES) & !v;
        let below = w.wrapping_sub(ONES * 0x20) & !w;
        let has = (below | zero(w ^ (ONES * 0x22)) | zero(w ^ (ONES * 0x5c))) & HIGH;
        if has != 0 {
            break;
        }
        offset += 8;
    }
    bytes[offset..]
        .iter()
        .position(|&b| escaped(b))
        .map(|i| offset + i)
}

/// Escapes what is written through it.
struct Escaping<'a>(&'a mut String);

impl fmt::Write for Escaping<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        escape(self.0, s);
        Ok(())
    }
}

/// An object being written: its members in the order they are added.
pub(super) struct Object<'a> {
    out: &'a mut String,
    empty: bool,
}

impl<'a> Object<'a> {
    /// Opens an object at the end of `out`.
    pub(super) fn open(out: &'a mut String) -> Self {
        out.push('{');
        Self { out, empty: true }
    }

    /// Starts the member `key`, a plain name (nothing in it is escaped): its value is to be
    /// written next, into what this returns.
    pub(super) fn key(&mut self, key: &str) -> &mut String {
        debug_assert!(next_escape(key.as_bytes(), 0).is_none(), "{key}");
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\":");
        self.out
    }

    /// A string member.
    pub(super) fn str(&mut self, key: &str, value: &str) {
        string(self.key(key), value);
    }

    /// A string member written from format arguments.
    pub(super) fn fmt(&mut self, key: &str, value: fmt::Arguments<'_>) {
        formatted(self.key(key), value);
    }

    /// A member whose value is already JSON.
    pub(super) fn raw(&mut self, key: &str, json: &str) {
        self.key(key).push_str(json);
    }

    /// A boolean member.
    pub(super) fn bool(&mut self, key: &str, value: bool) {
        self.raw(key, if value { "true" } else { "false" });
    }

    /// Closes the object.
    pub(super) fn close(self) {
        self.out.push('}');
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    fn written(s: &str) -> String {
        let mut out = String::new();
        super::string(&mut out, s);
        out
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        for s in [
            "",
            "plain",
            "\"quoted\" back\\slash /",
            "\u{0}\u{1}\u{8}\t\n\u{b}\u{c}\r\u{1f} \u{7f}",
            "é ü € 😀",
        ] {
            assert_eq!(written(s), serde_json::to_string(s).unwrap());
        }
        let all: String = (0..=0x7fu8).map(char::from).collect();
        assert_eq!(written(&all), serde_json::to_string(&all).unwrap());
    }

    #[test]
    fn timestamps_are_the_wire_form() {
        for epoch in [0, 1_790_000_000, -62_135_596_800, 253_402_300_799, i64::MAX] {
            let mut out = String::new();
            super::epoch_timestamp(&mut out, epoch);
            let want = rolecall_wire::timestamp::iso8601_from_epoch(epoch);
            assert_eq!(out, format!("\"{want}\""));
        }
        let far = time::OffsetDateTime::from_unix_timestamp(-62_135_596_801).unwrap();
        let mut out = String::new();
        super::timestamp(&mut out, far);
        assert_eq!(out, format!("\"{}\"", rolecall_wire::iso8601(far)));
    }

    proptest! {
        #[test]
        fn any_string_is_escaped_as_serde_json_escapes_it(s in any::<String>()) {
            prop_assert_eq!(written(&s), serde_json::to_string(&s).unwrap());
        }

        #[test]
        fn strings_of_escapes_are_escaped_as_serde_json_escapes_them(
            s in "[a\"\\\\\\x00-\\x1f\\x7f\u{80}é€😀 ]{0,40}"
        ) {
            prop_assert_eq!(written(&s), serde_json::to_string(&s).unwrap());
        }

        #[test]
        fn any_time_is_written_in_the_wire_form(epoch in -100_000_000_000i64..300_000_000_000) {
            let mut out = String::new();
            super::epoch_timestamp(&mut out, epoch);
            let want = rolecall_wire::timestamp::iso8601_from_epoch(epoch);
            prop_assert_eq!(out, format!("\"{want}\""));
        }
    }
}
