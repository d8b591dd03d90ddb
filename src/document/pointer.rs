//! JSON pointers (RFC 6901): building and splitting them, and finding where the
//! value one points at sits in a document's text.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::Format;
use super::json_parser::{json_ast, range};

/// Appends one segment to a JSON pointer, escaping it as RFC 6901 requires.
pub fn push_segment(pointer: &mut String, segment: &str) {
    pointer.push('/');
    for c in segment.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// The unescaped segments of a JSON pointer (`""` is the whole document).
pub fn segments(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Where the value at a JSON pointer sits in a document's text.
///
/// For a pointer into something that is not there (a missing property), the result is
/// the span of the deepest value that is.
pub fn locate(text: &str, format: Format, pointer: &str) -> Option<Range<usize>> {
    let segments = segments(pointer);
    match format {
        Format::Json => {
            let root = json_ast(text)?;
            let mut current = &root;
            let mut found = range(root_range(&root));
            for segment in &segments {
                use jsonc_parser::ast::Value as Ast;
                let next = match current {
                    Ast::Object(object) => object
                        .properties
                        .iter()
                        .find(|p| p.name.as_str() == segment)
                        .map(|p| &p.value),
                    Ast::Array(array) => segment
                        .parse::<usize>()
                        .ok()
                        .and_then(|i| array.elements.get(i)),
                    _ => None,
                };
                match next {
                    Some(value) => {
                        current = value;
                        found = range(root_range(value));
                    }
                    None => break,
                }
            }
            Some(found)
        }
        Format::Toml => {
            let root = DeTable::parse(text).ok()?;
            let mut found = root.span();
            let mut current: Option<&DeValue<'_>> = None;
            let mut table = Some(root.get_ref());
            for segment in &segments {
                let next = match (table, current) {
                    (Some(table), _) => table.get(segment.as_str()),
                    (None, Some(DeValue::Array(items))) => {
                        segment.parse::<usize>().ok().and_then(|i| items.get(i))
                    }
                    _ => None,
                };
                match next {
                    Some(value) => {
                        found = value.span();
                        current = Some(value.get_ref());
                        table = value.get_ref().as_table();
                    }
                    None => break,
                }
            }
            Some(found)
        }
    }
}

fn root_range(value: &jsonc_parser::ast::Value<'_>) -> jsonc_parser::common::Range {
    use jsonc_parser::ast::Value as Ast;
    match value {
        Ast::StringLit(v) => v.range,
        Ast::NumberLit(v) => v.range,
        Ast::BooleanLit(v) => v.range,
        Ast::Object(v) => v.range,
        Ast::Array(v) => v.range,
        Ast::NullKeyword(v) => v.range,
    }
}

#[cfg(test)]
#[allow(clippy::string_slice, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn locate_follows_pointers() {
        let text = "{\n  \"a\": {\"b\": [10, 20]},\n  \"c~/\": 3\n}";
        let at = |p: &str| &text[locate(text, Format::Json, p).unwrap()];
        assert_eq!(at("/a/b/1"), "20");
        assert_eq!(at("/c~0~1"), "3");
        assert_eq!(at("/a/missing"), "{\"b\": [10, 20]}");

        let text = "x = 1\n[a]\nb = [10, 20]\n";
        let at = |p: &str| &text[locate(text, Format::Toml, p).unwrap()];
        assert_eq!(at("/a/b/1"), "20");
        assert_eq!(at("/x"), "1");
    }

    #[test]
    fn pointer_segments_round_trip() {
        let mut pointer = String::new();
        push_segment(&mut pointer, "a/b");
        push_segment(&mut pointer, "~c");
        assert_eq!(pointer, "/a~1b/~0c");
        assert_eq!(segments(&pointer), ["a/b", "~c"]);
        assert!(segments("").is_empty());
    }
}
