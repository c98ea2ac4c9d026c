//! Escaping of user-supplied values: filter assertion values per RFC 4515, DN attribute values per RFC 4514.
//!
//! Everything that is not plainly safe is written as `\XX` hex escapes, non-ASCII included (RFC 4515 allows any
//! octet to be escaped), so a typed username can never change a filter's structure or a DN's RDNs.

use std::fmt::Write;

/// An RFC 4515 assertion value: `*`, `(`, `)`, `\`, NUL, control characters and every non-ASCII octet escaped.
pub fn filter_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 8);
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b" .-_@'+,;:=!#$%&/<>?[]^`{|}~\"".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "\\{b:02x}");
        }
    }
    out
}

/// An RFC 4514 attribute value for one RDN: the specials `"+,;<>\=`, NUL, a leading `#` or space and a trailing
/// space escaped, control characters and non-ASCII as hex.
pub fn dn_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 8);
    let last = v.len().saturating_sub(1);
    for (i, b) in v.bytes().enumerate() {
        let lead = i == 0 && (b == b' ' || b == b'#');
        let trail = i == last && b == b' ';
        if b"\"+,;<>\\=".contains(&b) || lead || trail {
            out.push('\\');
            out.push(char::from(b));
        } else if b.is_ascii_graphic() || b == b' ' {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "\\{b:02x}");
        }
    }
    out
}

/// Fills `{name}` placeholders of a filter template with filter-escaped values.
pub fn fill_filter(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (k, v) in values {
        out = out.replace(&format!("{{{k}}}"), &filter_value(v));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The filter specials, NUL and non-ASCII come out as hex escapes; plain names are unchanged.
    #[test]
    fn filter_escapes_specials_nul_and_non_ascii() {
        assert_eq!(filter_value("anna.l"), "anna.l");
        assert_eq!(filter_value("*"), "\\2a");
        assert_eq!(filter_value("a)(uid=*"), "a\\29\\28uid=\\2a");
        assert_eq!(filter_value("x\\y"), "x\\5cy");
        assert_eq!(filter_value("a\0b"), "a\\00b");
        assert_eq!(filter_value("björn"), "bj\\c3\\b6rn");
        assert_eq!(filter_value("a\nb"), "a\\0ab");
    }

    /// An escaped value parsed as part of a filter stays one equality assertion: it cannot add terms.
    #[test]
    fn escaped_value_cannot_change_filter_structure() {
        for evil in ["*", "*)(uid=*", "admin)(|(uid=*", "\\2a", "a\0)(objectClass=*", "å*ö)("] {
            let f = format!("(&(objectClass=person)(uid={}))", filter_value(evil));
            // Exactly the two opening parentheses of the template's terms plus the outer one remain.
            assert_eq!(f.matches('(').count(), 3, "{f}");
            assert_eq!(f.matches(')').count(), 3, "{f}");
            assert!(!f.contains("=*"), "{f}");
            assert!(!f.contains('\0'));
        }
    }

    /// DN values escape the RFC 4514 specials, leading '#' and spaces, trailing spaces, NUL and non-ASCII.
    #[test]
    fn dn_escapes_specials() {
        assert_eq!(dn_value("anna"), "anna");
        assert_eq!(dn_value("a,b=c+d"), "a\\,b\\=c\\+d");
        assert_eq!(dn_value("#x "), "\\#x\\ ");
        assert_eq!(dn_value(" a"), "\\ a");
        assert_eq!(dn_value("a\\b\"<>;"), "a\\\\b\\\"\\<\\>\\;");
        assert_eq!(dn_value("a\0"), "a\\00");
        assert_eq!(dn_value("å"), "\\c3\\a5");
        assert_eq!(dn_value("*)("), "*)(");
    }

    /// Placeholders are filled with escaped values, every occurrence.
    #[test]
    fn fill_filter_escapes() {
        assert_eq!(
            fill_filter("(|(uid={username})(mail={username}))", &[("username", "*)(x")]),
            "(|(uid=\\2a\\29\\28x)(mail=\\2a\\29\\28x))"
        );
    }
}
