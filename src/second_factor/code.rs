//! One-time codes: generated from an alphabet without look-alike characters, typed in any case with any spacing.

use rand::Rng;

/// The default alphabet: no 0/O/Q, 1/I/L, 2/Z, 5/S, 6/G, 8/B, so a code read from a phone is typed right.
pub const DEFAULT_ALPHABET: &str = "ACDEFHJKMNPRTUVWXY3479";

/// Length and alphabet of the codes for one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeFormat {
    /// Characters in a code.
    pub length: usize,
    /// Characters codes are drawn from (upper case).
    pub alphabet: Vec<char>,
}

impl Default for CodeFormat {
    fn default() -> Self {
        CodeFormat { length: 6, alphabet: DEFAULT_ALPHABET.chars().collect() }
    }
}

impl CodeFormat {
    /// A new random code, e.g. "ACD479".
    pub fn generate(&self) -> String {
        let mut rng = rand::rngs::OsRng;
        (0..self.length)
            .filter_map(|_| self.alphabet.get(rng.gen_range(0..self.alphabet.len().max(1))).copied())
            .collect()
    }
}

/// How a code is shown in messages: in groups of three, "ACD-479".
pub fn display(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    chars.chunks(3).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// What the user typed, as compared: upper case, spaces and dashes removed; `None` if absurdly long.
pub fn normalize(typed: &str) -> Option<String> {
    if typed.len() > 64 {
        return None;
    }
    Some(
        typed
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != '‐' && *c != '–')
            .flat_map(char::to_uppercase)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Codes have the configured length and only alphabet characters; no look-alikes by default.
    #[test]
    fn generation() {
        let f = CodeFormat::default();
        for _ in 0..200 {
            let c = f.generate();
            assert_eq!(c.chars().count(), 6);
            assert!(c.chars().all(|ch| DEFAULT_ALPHABET.contains(ch)));
        }
        for bad in ['0', 'O', '1', 'I', 'L', '2', 'Z', '5', 'S', '8', 'B', '6', 'G', 'Q'] {
            assert!(!DEFAULT_ALPHABET.contains(bad), "{bad}");
        }
        let digits = CodeFormat { length: 8, alphabet: "0123456789".chars().collect() };
        assert!(digits.generate().chars().all(|c| c.is_ascii_digit()));
    }

    /// Lower case, spaces and dashes are accepted as typed.
    #[test]
    fn typed_forms() {
        assert_eq!(display("ACD479"), "ACD-479");
        for t in ["acd479", "ACD-479", " acd 479 ", "a-c-d-4-7-9", "Acd–479"] {
            assert_eq!(normalize(t).as_deref(), Some("ACD479"), "{t}");
        }
        assert_eq!(normalize(&"A".repeat(65)), None);
    }
}
