//! Canonical identity: RFC 8785 (JCS) canonical JSON and the SHA-256 object hash.
//!
//! An object's identity is the lowercase hex SHA-256 of the JCS serialization of its
//! data. The data model is `serde_json::Value` as produced by [`crate::document`],
//! which has already refused everything JCS cannot represent faithfully (duplicate
//! keys, non-finite numbers, integers beyond the I-JSON range, lone surrogates).
//!
//! JCS orders object keys by their UTF-16 code units, not by code points or UTF-8
//! bytes: the two orders differ for keys beyond the Basic Multilingual Plane (an
//! emoji, encoded as a surrogate pair starting at 0xD83D, sorts before U+FB33 in
//! UTF-16 but after it by code point).

use std::cmp::Ordering;
use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use serde_json::{Map, Number, Value};
use sha2::{Digest, Sha256};

/// A SHA-256 object hash.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectHash([u8; 32]);

impl ObjectHash {
    /// The hash of a value's canonical JSON.
    pub fn of(value: &Value) -> ObjectHash {
        let mut hasher = HashWriter(Sha256::new());
        // Writing into a hasher cannot fail.
        let _ = write_canonical(value, &mut hasher);
        ObjectHash(hasher.0.finalize().into())
    }

    /// The hash of raw bytes (used for canonical bytes computed elsewhere, and
    /// for an image manifest's digest).
    pub fn of_bytes(bytes: &[u8]) -> ObjectHash {
        ObjectHash(Sha256::digest(bytes).into())
    }

    /// The lowercase hex form, 64 characters.
    pub fn to_hex(&self) -> String {
        self.to_string()
    }

    /// The first `len` hex digits, for display.
    pub fn short(&self, len: usize) -> String {
        let mut hex = self.to_hex();
        hex.truncate(len);
        hex
    }
}

impl fmt::Display for ObjectHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ObjectHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectHash({self})")
    }
}

/// A string that is not 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a SHA-256 hash (64 lowercase hex digits)")]
pub struct NotAHash(pub String);

impl FromStr for ObjectHash {
    type Err = NotAHash;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return Err(NotAHash(text.to_owned()));
        }
        let mut out = [0u8; 32];
        for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
            match *pair {
                [high, low] => match (hex_digit(high), hex_digit(low)) {
                    (Some(high), Some(low)) => *slot = high << 4 | low,
                    _ => return Err(NotAHash(text.to_owned())),
                },
                _ => return Err(NotAHash(text.to_owned())),
            }
        }
        Ok(ObjectHash(out))
    }
}

/// Whether `text` is made only of lowercase hex digits.
pub fn is_lower_hex(text: &str) -> bool {
    text.bytes().all(|b| hex_digit(b).is_some())
}

fn hex_digit(byte: u8) -> Option<u8> {
    // Within each range the subtraction is exact; `checked_sub` just says so.
    match byte {
        b'0'..=b'9' => byte.checked_sub(b'0'),
        b'a'..=b'f' => byte.checked_sub(b'a' - 10),
        _ => None,
    }
}

struct HashWriter(Sha256);

impl Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The JCS canonical JSON of a value.
pub fn to_canonical_json(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    // Writing into a Vec cannot fail.
    let _ = write_canonical(value, &mut out);
    out
}

/// Writes the JCS canonical JSON of a value.
pub fn write_canonical<W: Write>(value: &Value, out: &mut W) -> io::Result<()> {
    match value {
        Value::Null => out.write_all(b"null"),
        Value::Bool(true) => out.write_all(b"true"),
        Value::Bool(false) => out.write_all(b"false"),
        Value::Number(number) => write_number(number, out),
        Value::String(text) => write_string(text, out),
        Value::Array(items) => {
            out.write_all(b"[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                write_canonical(item, out)?;
            }
            out.write_all(b"]")
        }
        Value::Object(map) => write_object(map, out),
    }
}

fn write_object<W: Write>(map: &Map<String, Value>, out: &mut W) -> io::Result<()> {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_by(|(a, _), (b, _)| utf16_order(a, b));
    out.write_all(b"{")?;
    for (i, (key, item)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_string(key, out)?;
        out.write_all(b":")?;
        write_canonical(item, out)?;
    }
    out.write_all(b"}")
}

/// Compares two strings by their UTF-16 code units, as JCS sorts object keys.
pub fn utf16_order(a: &str, b: &str) -> Ordering {
    // Strings that are equal up to the shorter one's length, or that are all ASCII,
    // order the same in UTF-8 and UTF-16; comparing bytes first keeps the common
    // case cheap.
    if a.is_ascii() && b.is_ascii() {
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

fn write_number<W: Write>(number: &Number, out: &mut W) -> io::Result<()> {
    if let Some(n) = number.as_u64() {
        write!(out, "{n}")
    } else if let Some(n) = number.as_i64() {
        write!(out, "{n}")
    } else {
        let float = number.as_f64().unwrap_or(0.0);
        if float == 0.0 {
            // ECMAScript prints negative zero as "0".
            return out.write_all(b"0");
        }
        let mut buffer = ryu_js::Buffer::new();
        out.write_all(buffer.format_finite(float).as_bytes())
    }
}

fn write_string<W: Write>(text: &str, out: &mut W) -> io::Result<()> {
    out.write_all(b"\"")?;
    let escaped = |byte: u8| matches!(byte, b'"' | b'\\' | 0x00..=0x1f);
    // Each piece ends with the one byte to escape, but the last may not.
    for piece in text.as_bytes().split_inclusive(|&byte| escaped(byte)) {
        let (byte, plain) = match piece.split_last() {
            Some((&byte, plain)) if escaped(byte) => (byte, plain),
            _ => {
                out.write_all(piece)?;
                continue;
            }
        };
        out.write_all(plain)?;
        match byte {
            b'"' => out.write_all(b"\\\"")?,
            b'\\' => out.write_all(b"\\\\")?,
            b'\x08' => out.write_all(b"\\b")?,
            b'\t' => out.write_all(b"\\t")?,
            b'\n' => out.write_all(b"\\n")?,
            b'\x0c' => out.write_all(b"\\f")?,
            b'\r' => out.write_all(b"\\r")?,
            _ => write!(out, "\\u{byte:04x}")?,
        }
    }
    out.write_all(b"\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canonical(text: &str) -> String {
        let value: Value = serde_json::from_str(text).unwrap();
        String::from_utf8(to_canonical_json(&value)).unwrap()
    }

    /// RFC 8785 section 3.2.2: the sample input and its canonical form.
    #[test]
    fn rfc8785_sample() {
        let input = r#"{
          "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }"#;
        assert_eq!(
            canonical(input),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    /// RFC 8785 section 3.2.3: property sorting by UTF-16 code units.
    #[test]
    fn rfc8785_sorting() {
        let input = r#"{
          "\u20ac": "Euro Sign",
          "\r": "Carriage Return",
          "\ufb33": "Hebrew Letter Dalet With Dagesh",
          "1": "One",
          "\ud83d\ude00": "Emoji: Grinning Face",
          "\u0080": "Control",
          "\u00f6": "Latin Small Letter O With Diaeresis"
        }"#;
        let expected = concat!(
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",",
            "\"\u{f6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20ac}\":\"Euro Sign\",",
            "\"\u{1f600}\":\"Emoji: Grinning Face\",",
            "\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        );
        assert_eq!(canonical(input), expected);
    }

    /// A key pair whose UTF-16 and code point orders differ.
    #[test]
    fn utf16_order_differs_from_code_point_order() {
        let emoji = "\u{1F600}";
        let dalet = "\u{FB33}";
        assert!(emoji > dalet, "by code point the emoji sorts last");
        assert_eq!(utf16_order(emoji, dalet), Ordering::Less);
        let text = String::from_utf8(to_canonical_json(&json!({dalet: 1, emoji: 2}))).unwrap();
        assert_eq!(text, format!("{{\"{emoji}\":2,\"{dalet}\":1}}"));
    }

    /// RFC 8785 appendix B: number serialization.
    #[test]
    fn rfc8785_numbers() {
        let cases = [
            (0.0_f64, "0"),
            (-0.0, "0"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (9007199254740992.0, "9007199254740992"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (295147905179352830000.0, "295147905179352830000"),
            (4.5, "4.5"),
            (0.002, "0.002"),
            (333333333.3333333, "333333333.3333333"),
            (-1e-7, "-1e-7"),
            (1e-6, "0.000001"),
        ];
        for (float, expected) in cases {
            let value = Value::Number(Number::from_f64(float).unwrap());
            assert_eq!(
                String::from_utf8(to_canonical_json(&value)).unwrap(),
                expected,
                "{float:e}"
            );
        }
    }

    #[test]
    fn control_characters_are_escaped_in_lowercase_hex() {
        let value = json!("a\u{1}b\u{1f}\u{7f}\u{2028}");
        assert_eq!(
            String::from_utf8(to_canonical_json(&value)).unwrap(),
            "\"a\\u0001b\\u001f\u{7f}\u{2028}\""
        );
    }

    /// Differential check against an independent JCS implementation.
    #[test]
    fn agrees_with_serde_json_canonicalizer() {
        let samples = [
            json!({"b": [1, 2.5, -3, 1e-7, 1e300], "a": {"z": null, "é": true, "\u{1F600}": "x"}}),
            json!({"\u{10000}": 1, "\u{FFFF}": 2, "\u{E000}": 3, "": 4, "a\u{0}": 5}),
            json!(["\"\\/\u{8}\u{c}\n\r\t", 0.1, 100, -0.0, 123456789012345.0]),
        ];
        for sample in samples {
            assert_eq!(
                to_canonical_json(&sample),
                serde_json_canonicalizer::to_vec(&sample).unwrap(),
                "{sample}"
            );
        }
    }

    #[test]
    fn hash_is_sha256_of_canonical_bytes() {
        let value = json!({"b": 1, "a": "x"});
        // printf '%s' '{"a":"x","b":1}' | sha256sum
        assert_eq!(
            ObjectHash::of(&value).to_hex(),
            "cdab067e9f3beb32d1252cfd63e492592fecbf591b0d08cadb24bb17f3864246"
        );
    }

    #[test]
    fn hash_round_trips_through_hex() {
        let hash = ObjectHash::of(&json!(1));
        assert_eq!(hash.to_hex().parse::<ObjectHash>(), Ok(hash));
        assert!("ABC".parse::<ObjectHash>().is_err());
        assert!(hash.to_hex().to_uppercase().parse::<ObjectHash>().is_err());
    }
}
