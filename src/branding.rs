//! The municipality's own look and help desk: `[branding]` (name, logo, favicon, primary colour, footer links,
//! default language) and `[support]` (phone, e-mail, web page, opening hours), validated with positions.
//!
//! Logo and favicon are read once, when the config is loaded, and served by the gateway from memory with their
//! content type and a version in the URL (so browsers may cache them for a year).

use crate::config::check::Checker;
use bytes::Bytes;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// Largest logo or favicon file accepted.
pub const MAX_IMAGE_BYTES: usize = 512 * 1024;

/// Lowest contrast of text with its background (WCAG 1.4.3, normal text): the header and the buttons are white on
/// the primary colour, and links are in the primary colour on the page's light backgrounds.
pub const MIN_CONTRAST: f64 = 4.5;

/// Lowest contrast of a focus ring with the colours next to it (WCAG 1.4.11 and 2.4.13).
pub const MIN_FOCUS_CONTRAST: f64 = 3.0;

/// White: the text on the primary colour, and the focus ring inside the header (which is the primary colour).
pub const WHITE: [u8; 3] = [255, 255, 255];

/// The focus ring outside the header (`--focus` in `assets/portvakt.css`): near-black, at least 3:1 on every light
/// background whatever the primary colour.
pub const FOCUS_RING: [u8; 3] = [0x1b, 0x1f, 0x24];

/// The light backgrounds of the stylesheet (`assets/portvakt.css`) that links in the primary colour sit on, with
/// their names for messages: cards, the page, notices and error boxes.
pub const LIGHT_BACKGROUNDS: [(&str, [u8; 3]); 4] = [
    ("the cards (#ffffff)", [0xff, 0xff, 0xff]),
    ("the page background (#f6f7f9)", [0xf6, 0xf7, 0xf9]),
    ("notices (#e8f1fb)", [0xe8, 0xf1, 0xfb]),
    ("error messages (#fdecec)", [0xfd, 0xec, 0xec]),
];

/// Language codes `default_language` accepts (the pages' languages; "no" means bokmål).
pub const LANGUAGE_CODES: &[&str] = &["sv", "nb", "nn", "da", "en", "no"];

/// `[branding]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileBranding {
    /// The name in the header and the page titles, e.g. "Tromsø kommune".
    pub name: Option<Spanned<String>>,
    /// Logo image file (PNG, SVG, JPEG, WebP or GIF), shown in the header before the name.
    pub logo: Option<Spanned<String>>,
    /// Favicon file (ICO, PNG or SVG).
    pub favicon: Option<Spanned<String>>,
    /// Primary colour "#rrggbb" of the header and the buttons.
    pub primary_color: Option<Spanned<String>>,
    /// Links in the footer of every page (privacy statement, accessibility statement, ...).
    #[serde(default)]
    pub footer_links: Vec<FileFooterLink>,
    /// Language of the pages when the browser asks for none of ours: "sv", "nb", "nn", "da" or "en".
    pub default_language: Option<Spanned<String>>,
}

/// One `[[branding.footer_links]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileFooterLink {
    /// Link text.
    pub title: Spanned<String>,
    /// Link text per page language (`sv`, `nb`, `nn`, `da`, `en`), where it differs from `title`.
    pub titles: Option<BTreeMap<String, Spanned<String>>>,
    /// An https:// or http:// URL, or a path on the gateway's host starting with "/".
    pub url: Spanned<String>,
}

/// `[support]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSupport {
    /// Phone number of the IT support, as it should be shown and dialled, e.g. "+47 77 79 00 00".
    pub phone: Option<Spanned<String>>,
    /// E-mail address of the IT support.
    pub email: Option<Spanned<String>>,
    /// Web page with help (https:// or http://).
    pub url: Option<Spanned<String>>,
    /// Opening hours as shown, e.g. "Mon–Fri 08:00–15:30".
    pub hours: Option<Spanned<String>>,
    /// Opening hours per page language (`sv`, `nb`, `nn`, `da`, `en`), where they read differently from `hours`.
    pub hours_by_language: Option<BTreeMap<String, Spanned<String>>>,
}

/// An image served by the gateway: its bytes, content type and a short content hash for its URL.
#[derive(Clone)]
pub struct Image {
    /// The file's bytes.
    pub bytes: Bytes,
    /// Its content type, from the file's own signature.
    pub content_type: &'static str,
    /// First 16 hex digits of its SHA-256: the `?v=` of its URL and its ETag.
    pub version: String,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image")
            .field("content_type", &self.content_type)
            .field("bytes", &self.bytes.len())
            .field("version", &self.version)
            .finish()
    }
}

/// A footer link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FooterLink {
    /// Link text.
    pub title: String,
    /// Link text per language code, where configured.
    pub titles: BTreeMap<String, String>,
    /// Where it goes.
    pub url: String,
}

impl FooterLink {
    /// The link text in a page language (its code), or `title`.
    pub fn title_in(&self, lang: &str) -> &str {
        self.titles.get(lang).map_or(&self.title, String::as_str)
    }
}

/// The validated `[branding]`.
#[derive(Debug, Clone, Default)]
pub struct Branding {
    /// The name in the header and titles; "Portvakt" when not configured.
    pub name: Option<String>,
    /// The logo.
    pub logo: Option<Image>,
    /// The favicon.
    pub favicon: Option<Image>,
    /// Primary colour "#rrggbb" (lower case).
    pub primary_color: Option<String>,
    /// Footer links.
    pub footer_links: Vec<FooterLink>,
    /// Default page language code (one of [`LANGUAGE_CODES`]).
    pub default_language: Option<String>,
}

/// The validated `[support]`; absent when the section is not configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Support {
    /// Phone number as shown.
    pub phone: Option<String>,
    /// The number for a `tel:` link: "+" and digits only.
    pub phone_link: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Help web page.
    pub url: Option<String>,
    /// Opening hours as shown.
    pub hours: Option<String>,
    /// Opening hours per language code, where configured.
    pub hours_by_language: BTreeMap<String, String>,
}

impl Support {
    /// The opening hours in a page language (its code), or `hours`.
    pub fn hours_in(&self, lang: &str) -> Option<&str> {
        self.hours_by_language.get(lang).or(self.hours.as_ref()).map(String::as_str)
    }
}

/// Checks `[branding]`; images are read here.
pub fn validate_branding(c: &mut Checker<'_>, f: Option<&FileBranding>) -> Branding {
    let Some(f) = f else { return Branding::default() };
    let name = f.name.as_ref().and_then(|n| {
        let v = n.get_ref().trim();
        if v.is_empty() || v.chars().count() > 80 || v.chars().any(char::is_control) {
            c.err(n, "name must be 1 to 80 characters, without control characters");
            return None;
        }
        Some(v.to_string())
    });
    let logo = f.logo.as_ref().and_then(|p| image(c, p, &[PNG, SVG, JPEG, WEBP, GIF]));
    let favicon = f.favicon.as_ref().and_then(|p| image(c, p, &[ICO, PNG, SVG]));
    let primary_color = f.primary_color.as_ref().and_then(|col| {
        let Some(rgb) = parse_hex_color(col.get_ref()) else {
            c.err(col, format!("primary_color \"{}\" is not a colour like \"#0b5cad\"", col.get_ref()));
            return None;
        };
        match primary_color_problem(rgb) {
            Some(problem) => {
                c.err(col, format!("primary_color {} {problem}", col.get_ref()));
                None
            }
            None => Some(col.get_ref().trim().to_ascii_lowercase()),
        }
    });
    let mut footer_links = Vec::new();
    for l in &f.footer_links {
        let title = l.title.get_ref().trim();
        if title.is_empty() || title.chars().count() > 80 {
            c.err(&l.title, "a footer link's title must be 1 to 80 characters");
            continue;
        }
        if !is_link(l.url.get_ref()) {
            c.err(
                &l.url,
                format!("\"{}\" is not an https:// or http:// URL or a path starting with /", l.url.get_ref()),
            );
            continue;
        }
        let titles = translations(c, l.titles.as_ref(), 80, "a footer link's title");
        footer_links.push(FooterLink { title: title.to_string(), titles, url: l.url.get_ref().trim().to_string() });
    }
    let default_language = f.default_language.as_ref().and_then(|l| {
        let code = l.get_ref().trim().to_ascii_lowercase();
        if !LANGUAGE_CODES.contains(&code.as_str()) {
            c.err(l, format!("default_language \"{}\" is not one of sv, nb, nn, da, en", l.get_ref()));
            return None;
        }
        Some(code)
    });
    Branding { name, logo, favicon, primary_color, footer_links, default_language }
}

/// Checks `[support]`: at least one way to reach support, each in a form a browser can link to.
pub fn validate_support(
    c: &mut Checker<'_>,
    f: Option<&FileSupport>,
    at: Option<std::ops::Range<usize>>,
) -> Option<Support> {
    let f = f?;
    let mut s = Support::default();
    if let Some(p) = &f.phone {
        let v = p.get_ref().trim();
        let digits: String = v.chars().filter(char::is_ascii_digit).collect();
        let allowed = v.chars().all(|ch| ch.is_ascii_digit() || " +-().".contains(ch));
        if !allowed || digits.len() < 3 || digits.len() > 15 || v.chars().skip(1).any(|ch| ch == '+') {
            c.err(p, format!("phone \"{v}\" is not a phone number (digits, spaces, + - ( ) only, 3 to 15 digits)"));
        } else {
            s.phone = Some(v.to_string());
            s.phone_link = Some(if v.starts_with('+') { format!("+{digits}") } else { digits });
        }
    }
    if let Some(e) = &f.email {
        let v = e.get_ref().trim();
        let ok = v.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        }) && !v.chars().any(|ch| ch.is_whitespace() || ch.is_control() || "<>\"?&".contains(ch));
        if ok {
            s.email = Some(v.to_string());
        } else {
            c.err(e, format!("email \"{v}\" is not an e-mail address"));
        }
    }
    if let Some(u) = &f.url {
        let v = u.get_ref().trim();
        if is_absolute_http(v) {
            s.url = Some(v.to_string());
        } else {
            c.err(u, format!("url \"{v}\" is not an https:// or http:// URL"));
        }
    }
    if let Some(h) = &f.hours {
        let v = h.get_ref().trim();
        if v.is_empty() || v.chars().count() > 120 || v.chars().any(char::is_control) {
            c.err(h, "hours must be 1 to 120 characters, without control characters");
        } else {
            s.hours = Some(v.to_string());
        }
    }
    s.hours_by_language = translations(c, f.hours_by_language.as_ref(), 120, "hours");
    if f.phone.is_none() && f.email.is_none() && f.url.is_none() {
        c.err_at(at, "[support] needs at least one of phone, email or url: how users reach IT support");
    }
    Some(s)
}

/// Languages a per-language text may be given in.
const TEXT_LANGUAGES: [&str; 5] = ["sv", "nb", "nn", "da", "en"];

/// Checks a table of texts per page language: known language codes, 1 to `max` characters without control
/// characters each.
fn translations(
    c: &mut Checker<'_>,
    t: Option<&BTreeMap<String, Spanned<String>>>,
    max: usize,
    what: &str,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (lang, text) in t.into_iter().flatten() {
        let v = text.get_ref().trim();
        if !TEXT_LANGUAGES.contains(&lang.as_str()) {
            c.err(text, format!("\"{lang}\" is not a page language: use {}", TEXT_LANGUAGES.join(", ")));
        } else if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
            c.err(text, format!("{what} must be 1 to {max} characters, without control characters"));
        } else {
            out.insert(lang.clone(), v.to_string());
        }
    }
    out
}

/// Why a primary colour would make a page inaccessible, or None when it keeps every text at 4.5:1 and the focus
/// ring at 3:1: white text (header, buttons) on it and links in it on each light background. The focus ring inside
/// the header is white on it, so the text's 4.5:1 also gives the ring more than its 3:1; outside the header the
/// ring is [`FOCUS_RING`] on the light backgrounds, whatever the primary colour.
pub fn primary_color_problem(rgb: [u8; 3]) -> Option<String> {
    let white = contrast(rgb, WHITE);
    if white < MIN_CONTRAST {
        return Some(format!(
            "has a contrast of {white:.1}:1 with the white text on it; WCAG needs at least {MIN_CONTRAST}:1: choose a \
             darker colour"
        ));
    }
    for (name, bg) in LIGHT_BACKGROUNDS {
        let ratio = contrast(rgb, bg);
        if ratio < MIN_CONTRAST {
            return Some(format!(
                "has a contrast of {ratio:.1}:1 as link text on {name}; WCAG needs at least {MIN_CONTRAST}:1: choose \
                 a darker colour"
            ));
        }
    }
    None
}

/// An http(s) URL with a host.
fn is_absolute_http(v: &str) -> bool {
    url::Url::parse(v).is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.host_str().is_some())
}

/// A footer link target: an http(s) URL, or a path on this host (not "//host", which is another host).
fn is_link(v: &str) -> bool {
    let v = v.trim();
    is_absolute_http(v)
        || (v.starts_with('/') && !v.starts_with("//") && !v.chars().any(|ch| ch.is_control() || ch == '\\'))
}

/// "#rrggbb" (or "#rgb") as red, green, blue.
pub fn parse_hex_color(s: &str) -> Option<[u8; 3]> {
    let hex = s.trim().strip_prefix('#')?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let full: String = match hex.len() {
        3 => hex.chars().flat_map(|ch| [ch, ch]).collect(),
        6 => hex.to_string(),
        _ => return None,
    };
    let byte = |i: usize| full.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok());
    Some([byte(0)?, byte(2)?, byte(4)?])
}

/// WCAG relative luminance of an sRGB colour.
fn luminance(rgb: [u8; 3]) -> f64 {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let [r, g, b] = rgb;
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

/// WCAG contrast ratio of two colours (1 to 21).
pub fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

/// An image kind: its content type and whether a file's first bytes are of this kind.
struct Kind {
    content_type: &'static str,
    name: &'static str,
    matches: fn(&[u8]) -> bool,
}

const PNG: Kind = Kind { content_type: "image/png", name: "PNG", matches: |b| b.starts_with(b"\x89PNG\r\n\x1a\n") };
const JPEG: Kind = Kind { content_type: "image/jpeg", name: "JPEG", matches: |b| b.starts_with(&[0xff, 0xd8, 0xff]) };
const GIF: Kind = Kind { content_type: "image/gif", name: "GIF", matches: |b| b.starts_with(b"GIF8") };
const WEBP: Kind = Kind {
    content_type: "image/webp",
    name: "WebP",
    matches: |b| b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP".as_slice()),
};
const ICO: Kind = Kind { content_type: "image/x-icon", name: "ICO", matches: |b| b.starts_with(&[0, 0, 1, 0]) };
const SVG: Kind = Kind {
    content_type: "image/svg+xml",
    name: "SVG",
    matches: |b| {
        let head = String::from_utf8_lossy(b.get(..b.len().min(1024)).unwrap_or(b));
        head.contains("<svg")
    },
};

/// Reads an image file and finds its kind among `kinds` by its content, not its name.
fn image(c: &mut Checker<'_>, at: &Spanned<String>, kinds: &[Kind]) -> Option<Image> {
    let path = c.resolve(at.get_ref());
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            c.err(at, format!("cannot read {}: {e}", path.display()));
            return None;
        }
    };
    if bytes.is_empty() || bytes.len() > MAX_IMAGE_BYTES {
        c.err(at, format!("{} must be between 1 byte and {} KiB", path.display(), MAX_IMAGE_BYTES / 1024));
        return None;
    }
    let Some(kind) = kinds.iter().find(|k| (k.matches)(&bytes)) else {
        let names: Vec<&str> = kinds.iter().map(|k| k.name).collect();
        c.err(at, format!("{} is not a {} image", path.display(), names.join(", ")));
        return None;
    };
    Some(Image::new(Bytes::from(bytes), kind.content_type))
}

impl Image {
    /// An image from its bytes and content type, versioned by its content.
    pub fn new(bytes: Bytes, content_type: &'static str) -> Image {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(&bytes);
        let version: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        Image { bytes, content_type, version }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The contrast formula gives WCAG's reference values: black on white 21:1, the default blue about 6.6:1.
    #[test]
    fn contrast_matches_wcag() {
        assert!((contrast([0, 0, 0], [255, 255, 255]) - 21.0).abs() < 0.01);
        let blue = parse_hex_color("#0b5cad").unwrap();
        assert!(contrast(blue, [255, 255, 255]) > 6.0);
        assert!(contrast(parse_hex_color("#f5b700").unwrap(), [255, 255, 255]) < 3.0);
        assert_eq!(parse_hex_color("#abc"), Some([0xaa, 0xbb, 0xcc]));
        assert_eq!(parse_hex_color("0b5cad"), None);
        assert_eq!(parse_hex_color("#0b5cag"), None);
    }

    /// The focus ring outside the header keeps 3:1 against every light background of the stylesheet, and the
    /// header's white ring 3:1 against the default primary colour; the default colour passes its own check.
    #[test]
    fn focus_ring_contrast_on_every_background() {
        for (name, bg) in LIGHT_BACKGROUNDS {
            let ratio = contrast(FOCUS_RING, bg);
            assert!(ratio >= MIN_FOCUS_CONTRAST, "focus ring on {name}: {ratio:.2}:1");
        }
        let accent = parse_hex_color("#0b5cad").unwrap();
        assert!(contrast(WHITE, accent) >= MIN_FOCUS_CONTRAST);
        assert_eq!(primary_color_problem(accent), None);
        // The old ring, #f5b700, had 1.8:1 on white (issue #16.8): the same check refuses it.
        assert!(contrast(parse_hex_color("#f5b700").unwrap(), WHITE) < MIN_FOCUS_CONTRAST);
    }

    /// A primary colour is refused when white text on it, or links in it on a notice, fall below 4.5:1, and kept
    /// when both reach it; the message names the ratio and where.
    #[test]
    fn primary_color_needs_text_contrast_everywhere() {
        let problem = |hex: &str| primary_color_problem(parse_hex_color(hex).unwrap());
        assert!(problem("#f5b700").unwrap().contains("with the white text on it"));
        // #2f73b8: 4.9:1 with white, but links in it on the light blue notice have 4.3:1.
        let rgb = parse_hex_color("#2f73b8").unwrap();
        assert!(contrast(rgb, WHITE) >= MIN_CONTRAST, "{}", contrast(rgb, WHITE));
        let p = problem("#2f73b8").expect("too light for links on notices");
        assert!(p.contains("as link text on notices (#e8f1fb)"), "{p}");
        for ok in ["#0b5cad", "#7a1f5c", "#1b1f24", "#000000"] {
            assert_eq!(problem(ok), None, "{ok}");
        }
    }
}
