//! The HTML escaper every page template uses (configured in `askama.toml`): `<`, `>`, `&`, `"` and `'` become
//! `&lt;`, `&gt;`, `&amp;`, `&quot;` and `&#x27;`, safe in text and in quoted attributes alike.

use std::fmt::{self, Write};

/// Escapes for HTML text and double- or single-quoted attribute values.
#[derive(Debug, Clone, Copy, Default)]
pub struct Html;

/// The entity for a character that must not appear raw, or None.
fn entity(c: char) -> Option<&'static str> {
    match c {
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '&' => Some("&amp;"),
        '"' => Some("&quot;"),
        '\'' => Some("&#x27;"),
        _ => None,
    }
}

impl askama::filters::Escaper for Html {
    fn write_escaped_str<W: Write>(&self, mut dest: W, string: &str) -> fmt::Result {
        let mut last = 0;
        for (i, c) in string.char_indices() {
            if let Some(e) = entity(c) {
                dest.write_str(string.get(last..i).unwrap_or_default())?;
                dest.write_str(e)?;
                last = i + c.len_utf8();
            }
        }
        dest.write_str(string.get(last..).unwrap_or_default())
    }

    fn write_escaped_char<W: Write>(&self, mut dest: W, c: char) -> fmt::Result {
        match entity(c) {
            Some(e) => dest.write_str(e),
            None => dest.write_char(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use askama::filters::Escaper;

    /// Each of the five characters becomes its entity; everything else, multi-byte letters included, stays.
    #[test]
    fn escapes_the_five() {
        let mut out = String::new();
        Html.write_escaped_str(&mut out, "å<b>\"x\" & 'y'ø").unwrap();
        assert_eq!(out, "å&lt;b&gt;&quot;x&quot; &amp; &#x27;y&#x27;ø");
    }
}
