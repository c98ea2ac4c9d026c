//! Property tests of the hand-written parsers on the request path (proptest; part of the normal `cargo test`).
//!
//! Each property says what the parser promises to the rest of the gateway, checked on generated input that mixes
//! well-formed values with the spellings an attacker would try. The same parsers have cargo-fuzz targets in `fuzz/`.
//! Kept in one file, apart from the parsers, so that work on those modules does not collide with these tests.

use proptest::prelude::*;

/// Where the property tests read the repo's own config and policies from.
fn repo_file(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

mod client_address {
    use super::*;
    use crate::config::error::SourceFile;
    use crate::config::Config;
    use crate::zones::{ClientAddr, PeerAddr, ZoneTable, MAX_FORWARDED_HOPS};
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    /// Trusted proxies: 10.0.0.0/24 and fd00::/120.
    fn table() -> ZoneTable {
        let text = r#"
[network]
trusted_proxies = ["10.0.0.0/24", "fd00::/120"]
[[listeners]]
address = "127.0.0.1:1"
redirect_to_https = false
[[directories]]
name = "staff"
kind = "file"
path = "u.toml"
[[zones]]
name = "internal"
cidrs = ["10.0.0.0/8", "fd00::/8"]
"#;
        let cfg = Config::from_source(&SourceFile { path: "t.toml".into(), text: text.into() }).unwrap();
        ZoneTable::new(&cfg.zones, cfg.remote_login, &cfg.trusted_proxies)
    }

    fn trusted(ip: IpAddr) -> bool {
        match ip.to_canonical() {
            IpAddr::V4(v4) => v4.octets()[..3] == [10, 0, 0],
            IpAddr::V6(v6) => v6.segments()[..7] == [0xfd00, 0, 0, 0, 0, 0, 0],
        }
    }

    /// An address: half of them trusted proxies, the rest internal or public, v4 and v6.
    fn address() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            any::<u8>().prop_map(|d| IpAddr::V4(Ipv4Addr::new(10, 0, 0, d))),
            any::<u8>().prop_map(|d| IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, u16::from(d)))),
            any::<[u8; 4]>().prop_map(|o| IpAddr::V4(Ipv4Addr::from(o))),
            any::<[u16; 8]>().prop_map(|s| IpAddr::V6(Ipv6Addr::from(s))),
        ]
    }

    /// One X-Forwarded-For entry as text, with the address it means (`None`: unreadable).
    fn entry() -> impl Strategy<Value = (String, Option<IpAddr>)> {
        let spelled = (address(), 0..5u8, any::<u16>(), " {0,2}", " {0,2}").prop_map(|(ip, form, port, l, r)| {
            let text = match (form, ip) {
                (1, IpAddr::V4(v4)) => format!("{v4}:{port}"),
                (1, IpAddr::V6(v6)) => format!("[{v6}]:{port}"),
                (2, IpAddr::V6(v6)) => format!("[{v6}]"),
                (3, IpAddr::V4(v4)) => format!("::ffff:{v4}"),
                (4, IpAddr::V4(v4)) => format!("[::ffff:{v4}]:{port}"),
                _ => ip.to_string(),
            };
            (format!("{l}{text}{r}"), Some(ip.to_canonical()))
        });
        let unreadable = prop_oneof![
            Just(String::new()),
            "[g-z]{1,10}",
            "10\\.0\\.0\\.[0-9]{1,2};[a-z]{1,4}",
            "1\\.2\\.3\\.4\\.5",
            "\\[::1",
            "10\\.0\\.0\\.1 10\\.0\\.0\\.2",
            "unknown|_hidden|\"1\\.2\\.3\\.4\"",
        ]
        .prop_map(|t| (t, None));
        prop_oneof![4 => spelled, 1 => unreadable]
    }

    /// Entries spread over one to three X-Forwarded-For headers, kept in reading order.
    fn chain() -> impl Strategy<Value = (Vec<String>, Vec<Option<IpAddr>>)> {
        prop::collection::vec(prop::collection::vec(entry(), 1..6), 0..4).prop_map(|headers| {
            let meanings = headers.iter().flatten().map(|(_, ip)| *ip).collect();
            let values =
                headers.iter().map(|h| h.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>().join(",")).collect();
            (values, meanings)
        })
    }

    fn believe(t: &ZoneTable, peer: IpAddr, values: &[String]) -> ClientAddr {
        t.client_addr(PeerAddr(peer), values.iter().map(|v| v.as_bytes()))
    }

    proptest! {
        /// From an untrusted peer the header is never read: the client is the peer.
        #[test]
        fn untrusted_peer_is_the_client(peer in address(), (values, _) in chain()) {
            prop_assume!(!trusted(peer));
            prop_assert_eq!(believe(&table(), peer, &values), ClientAddr(Some(peer.to_canonical())));
        }

        /// From a trusted peer, the believed address is the right-most entry that is not a trusted proxy, read only
        /// across trusted proxies; an unreadable entry on that path, or too long a path, believes nobody (remote);
        /// a path of trusted proxies only believes the left-most of them (or the peer itself, without a header).
        #[test]
        fn believed_address_follows_only_trusted_proxies(
            d in any::<u8>(), (values, meanings) in chain()
        ) {
            let peer = IpAddr::V4(Ipv4Addr::new(10, 0, 0, d));
            let got = believe(&table(), peer, &values);
            let mut expected = ClientAddr(Some(peer));
            for (read, meaning) in meanings.iter().rev().enumerate() {
                if read >= MAX_FORWARDED_HOPS {
                    expected = ClientAddr(None);
                    break;
                }
                match meaning {
                    None => { expected = ClientAddr(None); break; }
                    Some(ip) if !trusted(*ip) => { expected = ClientAddr(Some(*ip)); break; }
                    Some(ip) => expected = ClientAddr(Some(*ip)),
                }
            }
            prop_assert_eq!(got, expected);
            if let ClientAddr(Some(ip)) = got {
                prop_assert!(ip == peer || meanings.contains(&Some(ip)), "{ip} is neither the peer nor in the header");
            }
        }

        /// Whatever a client writes to the left of its real address (spoofed entries, garbage, a whole fake chain)
        /// changes nothing once a trusted proxy has appended the real one.
        #[test]
        fn entries_left_of_the_client_are_never_read(
            spoof in prop::collection::vec(any::<String>().prop_filter("header text", |s| !s.contains('\n')), 1..4),
            client in address(), proxies in prop::collection::vec(0..=255u8, 0..4),
        ) {
            prop_assume!(!trusted(client));
            let mut honest = vec![client.to_string()];
            honest.extend(proxies.iter().map(|d| format!("10.0.0.{d}")));
            let honest = honest.join(", ");
            let mut spoofed = spoof.clone();
            spoofed.push(honest.clone());
            let peer = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
            let t = table();
            prop_assert_eq!(believe(&t, peer, &spoofed), ClientAddr(Some(client.to_canonical())));
            prop_assert_eq!(believe(&t, peer, &[format!("{}, {honest}", spoof.join(","))]),
                ClientAddr(Some(client.to_canonical())));
        }

        /// Arbitrary bytes in X-Forwarded-For never panic, from any peer.
        #[test]
        fn arbitrary_bytes_never_panic(peer in address(), values in prop::collection::vec(any::<Vec<u8>>(), 0..4)) {
            let t = table();
            let _ = t.client_addr(PeerAddr(peer), values.iter().map(Vec::as_slice));
        }
    }
}

mod cookies {
    use super::*;
    use crate::gateway::http::{cookie, cookies, strip_cookies};
    use pingora_http::RequestHeader;

    /// Cookie names that look alike: the parser must never confuse them.
    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("portvakt".to_string()),
            Just("portvakt-csrf".to_string()),
            Just("Portvakt".to_string()),
            Just("xportvakt".to_string()),
            Just("portvakt2".to_string()),
            Just("__Host-portvakt".to_string()),
            "[a-z]{1,6}",
        ]
    }

    /// A segment of a Cookie header as written, with the (name, value) it means (`None`: no cookie).
    type Segment = (String, Option<(String, String)>);

    /// One `name=value` pair as written in a Cookie header (optional spaces around both), or a stray segment.
    fn segment() -> impl Strategy<Value = Segment> {
        let pair = (name(), "[A-Za-z0-9=._-]{0,12}", " {0,2}", " {0,2}")
            .prop_map(|(n, v, l, r)| (format!("{l}{n}={v}{r}"), Some((n, v))));
        let stray = prop_oneof![Just(String::new()), Just(" ".to_string()), "[a-z]{1,8}"].prop_map(|s| (s, None));
        prop_oneof![5 => pair, 1 => stray]
    }

    fn headers() -> impl Strategy<Value = Vec<Vec<Segment>>> {
        prop::collection::vec(prop::collection::vec(segment(), 1..6), 0..3)
    }

    /// Cookie header lines of `name=value` pieces (optional spaces around them) whose values may be UTF-8 text
    /// beyond ASCII or bytes that are not UTF-8; each piece with its name.
    fn byte_headers() -> impl Strategy<Value = Vec<Vec<(String, Vec<u8>)>>> {
        let value = prop_oneof![
            3 => "[A-Za-z0-9._-]{0,6}".prop_map(String::into_bytes),
            1 => Just("Åsa".as_bytes().to_vec()),
            1 => Just(b"\xc5sa".to_vec()),
            1 => Just(b"m\xf6rk \xff".to_vec()),
        ];
        let piece = (name(), value, " {0,2}", " {0,2}").prop_map(|(n, v, l, r)| {
            let bytes = [l.as_bytes(), n.as_bytes(), b"=", &v, r.as_bytes()].concat();
            (n, bytes)
        });
        prop::collection::vec(prop::collection::vec(piece, 1..5), 0..3)
    }

    fn request(headers: &[Vec<Segment>]) -> RequestHeader {
        let mut r = RequestHeader::build("GET", b"/", None).unwrap();
        for h in headers {
            let value = h.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>().join(";");
            r.append_header("cookie", value).unwrap();
        }
        r
    }

    proptest! {
        /// The value read for a name is the first cookie with exactly that name, never one of a look-alike name.
        #[test]
        fn cookie_value_belongs_to_that_name(hs in headers(), wanted in name()) {
            let req = request(&hs);
            let expected = hs.iter().flatten().filter_map(|(_, p)| p.as_ref()).find(|(n, _)| *n == wanted);
            prop_assert_eq!(cookie(&req, &wanted), expected.map(|(_, v)| v.as_str()));
            for (n, _) in cookies(&req) {
                prop_assert!(hs.iter().flatten().any(|(_, p)| p.as_ref().is_some_and(|(pn, _)| pn == n)), "{n}");
            }
        }

        /// Stripping removes every cookie of the named ones and keeps every other cookie, in order.
        #[test]
        fn strip_keeps_others_in_order(hs in headers(), strip in prop::collection::vec(name(), 1..3)) {
            let mut req = request(&hs);
            strip_cookies(&mut req, &strip);
            let left: Vec<(String, String)> = cookies(&req).map(|(n, v)| (n.to_string(), v.to_string())).collect();
            let expected: Vec<(String, String)> = hs
                .iter()
                .flatten()
                .filter_map(|(_, p)| p.clone())
                .filter(|(n, _)| !strip.contains(n))
                .collect();
            prop_assert_eq!(left, expected);
        }

        /// The Cookie pieces read by hand are exactly the (name, value) pairs the `cookie` crate's `split_parse`
        /// reads, in order, for any header text: the hand reading replaced the crate on the request path.
        #[test]
        fn cookie_pieces_read_as_the_crate_reads_them(text in "[ a-zA-Z0-9=;\"\\t_.-]{0,40}") {
            let mut req = RequestHeader::build("GET", b"/", None).unwrap();
            req.append_header("cookie", text.as_str()).unwrap();
            let by_hand: Vec<(&str, &str)> = cookies(&req).collect();
            let by_crate: Vec<(String, String)> = cookie::Cookie::split_parse(text.as_str())
                .filter_map(|c| c.ok())
                .map(|c| (c.name_raw().unwrap().to_string(), c.value_raw().unwrap().to_string()))
                .collect();
            let by_crate: Vec<(&str, &str)> = by_crate.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            prop_assert_eq!(by_hand, by_crate);
        }

        /// A Cookie header piece's name as `strip_cookies` reads it by hand is the name `cookie_piece_name` (the
        /// crate, with its fallback for refused pieces) gives, so stripping removes what it removed before.
        #[test]
        fn piece_names_agree_with_the_crate(piece in "[ a-zA-Z0-9=\"\t_.-]{0,24}") {
            let piece = piece.trim();
            prop_assert_eq!(
                crate::gateway::http::cookie_header_piece_name(piece),
                crate::gateway::http::cookie_piece_name(piece)
            );
        }

        /// Cookie values as browsers send what backends set (UTF-8 text beyond ASCII, bytes that are not UTF-8) hide
        /// no cookie: the first one of a name is read where its piece is text, stripping removes every piece of the
        /// named ones, and every other piece is kept byte for byte, in order.
        #[test]
        fn values_beyond_ascii_hide_no_cookie(lines in byte_headers(), strip in prop::collection::vec(name(), 1..3)) {
            let mut req = RequestHeader::build("GET", b"/", None).unwrap();
            let sent: Vec<Vec<u8>> = lines.iter().map(|l| l.iter().map(|(_, p)| p.as_slice()).collect::<Vec<_>>().join(&b";"[..])).collect();
            for v in &sent {
                req.append_header("cookie", http::HeaderValue::from_bytes(v).unwrap()).unwrap();
            }
            let pieces: Vec<&(String, Vec<u8>)> = lines.iter().flatten().collect();
            let first = pieces.iter().find(|(n, _)| *n == strip[0]).map(|(_, p)| std::str::from_utf8(p));
            let expected = match first {
                Some(Ok(text)) => Some(text.split_once('=').unwrap().1.trim()),
                // A piece that is not text is skipped, and the next one of that name read.
                Some(Err(_)) => pieces
                    .iter()
                    .filter(|(n, _)| *n == strip[0])
                    .find_map(|(_, p)| std::str::from_utf8(p).ok())
                    .map(|t| t.split_once('=').unwrap().1.trim()),
                None => None,
            };
            prop_assert_eq!(cookie(&req, &strip[0]), expected);
            strip_cookies(&mut req, &strip);
            let after: Vec<&[u8]> = req.headers.get_all("cookie").iter().map(|v| v.as_bytes()).collect();
            if pieces.iter().any(|(n, _)| strip.contains(n)) {
                let kept: Vec<&[u8]> =
                    pieces.iter().filter(|(n, _)| !strip.contains(n)).map(|(_, p)| p.trim_ascii()).collect();
                let joined = kept.join(&b"; "[..]);
                let expected: Vec<&[u8]> = if kept.is_empty() { vec![] } else { vec![joined.as_slice()] };
                prop_assert_eq!(after, expected);
            } else {
                let sent: Vec<&[u8]> = sent.iter().map(Vec::as_slice).collect();
                prop_assert_eq!(after, sent);
            }
        }

        /// Arbitrary bytes in Cookie headers never panic, reading or stripping.
        #[test]
        fn arbitrary_cookie_bytes_never_panic(values in prop::collection::vec(any::<Vec<u8>>(), 0..3), n in name()) {
            let mut req = RequestHeader::build("GET", b"/", None).unwrap();
            for v in values {
                if let Ok(v) = http::HeaderValue::from_bytes(&v) {
                    req.append_header("cookie", v).unwrap();
                }
            }
            let _ = cookie(&req, &n);
            strip_cookies(&mut req, &[n]);
        }
    }
}

mod hosts {
    use super::*;
    use crate::gateway::http::{host_of, plain_authority_host, valid_host_header};
    use pingora_http::RequestHeader;

    /// A Host value: mostly plain names with ports, and the spellings that need the full parse.
    fn host() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9.-]{0,12}(:[0-9]{0,6})?",
            "[a-zA-Z0-9.@\\[\\]:_~%-]{0,14}",
            "\\[[0-9a-f:]{2,10}\\](:[0-9]{1,5})?",
        ]
    }

    proptest! {
        /// A plain `name[:port]` needs no `http::uri::Authority` parse: it parses, equals itself, and its host is the
        /// text before the colon. So the shortcut in `host_of` and `valid_host_header` decides what the parse did.
        #[test]
        fn plain_authorities_agree_with_the_parse(h in host()) {
            if let Some(plain) = plain_authority_host(&h) {
                let a = h.parse::<http::uri::Authority>();
                prop_assert!(a.is_ok(), "{h} does not parse");
                let a = a.unwrap();
                prop_assert_eq!(a.as_str(), h.as_str());
                prop_assert!(!h.contains('@'));
                prop_assert_eq!(a.host(), plain);
            }
        }

        /// `host_of` and `valid_host_header` answer for any Host header what the full parse answers.
        #[test]
        fn host_answers_match_the_parse(h in host()) {
            let mut req = RequestHeader::build("GET", b"/", None).unwrap();
            if http::HeaderValue::from_str(&h).is_err() {
                return Ok(());
            }
            req.append_header("host", h.as_str()).unwrap();
            let parsed = h.parse::<http::uri::Authority>().ok();
            let expected_host = parsed
                .as_ref()
                .map(|a| a.host().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase())
                .filter(|h| !h.is_empty());
            prop_assert_eq!(host_of(&req).map(|c| c.into_owned()), expected_host);
            let expected_valid = !h.is_empty() && parsed.is_some_and(|a| a.as_str() == h && !h.contains('@'));
            prop_assert_eq!(valid_host_header(&req), expected_valid);
        }
    }
}

mod forms {
    use super::*;
    use crate::gateway::http::{parse_form, query_param, url_encode};
    use pingora_http::RequestHeader;

    proptest! {
        /// Any fields the browser encodes come back as sent; the first of a repeated field wins.
        #[test]
        fn form_round_trip(fields in prop::collection::vec((".{0,8}", ".{0,16}"), 0..8)) {
            let mut s = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &fields {
                s.append_pair(k, v);
            }
            let parsed = parse_form(s.finish().as_bytes());
            let mut expected = std::collections::HashMap::new();
            for (k, v) in &fields {
                expected.entry(k.clone()).or_insert_with(|| v.clone());
            }
            prop_assert_eq!(parsed, expected);
        }

        /// Arbitrary bodies never panic.
        #[test]
        fn arbitrary_bodies_never_panic(body in any::<Vec<u8>>()) {
            let _ = parse_form(&body);
        }

        /// A value put in a query string with `url_encode` reads back unchanged (how `rd` travels to step-up).
        #[test]
        fn query_round_trip(value in ".{0,64}") {
            let uri = format!("/.portvakt/second-factor?x=1&rd={}&rd=second", url_encode(&value));
            let req = RequestHeader::build("GET", uri.as_bytes(), None).unwrap();
            prop_assert_eq!(query_param(&req, "rd"), Some(value));
        }
    }
}

mod accept_language {
    use super::*;
    use crate::pages::Lang;

    /// A language tag, one we offer or not, in the spellings browsers send.
    fn tag() -> impl Strategy<Value = (String, Option<Lang>)> {
        prop_oneof![
            Just(("sv".to_string(), Some(Lang::Sv))),
            Just(("sv-SE".to_string(), Some(Lang::Sv))),
            Just(("SV_fi".to_string(), Some(Lang::Sv))),
            Just(("nb".to_string(), Some(Lang::Nb))),
            Just(("no".to_string(), Some(Lang::Nb))),
            Just(("nb-NO".to_string(), Some(Lang::Nb))),
            Just(("nn".to_string(), Some(Lang::Nn))),
            Just(("no-nyn".to_string(), Some(Lang::Nn))),
            Just(("da-DK".to_string(), Some(Lang::Da))),
            Just(("en".to_string(), Some(Lang::En))),
            Just(("en-GB".to_string(), Some(Lang::En))),
            Just(("de".to_string(), None)),
            Just(("fr-CA".to_string(), None)),
            Just(("*".to_string(), None)),
            Just(("svenska".to_string(), None)),
        ]
    }

    /// A weight in thousandths, and how it is written (absent means 1).
    fn weight() -> impl Strategy<Value = (u16, String)> {
        prop_oneof![
            Just((1000, String::new())),
            Just((1000, ";q=1".to_string())),
            Just((1000, "; Q=1.000".to_string())),
            (0..=999u16).prop_map(|t| (t, format!(";q=0.{t:03}"))),
            (0..=9u16).prop_map(|t| (t * 100, format!(" ; q = 0.{t}"))),
            Just((0, ";q=0".to_string())),
        ]
    }

    proptest! {
        /// A well-formed header picks the offered language with the highest weight, the first on a tie; English
        /// when no offered language has a weight above zero.
        #[test]
        fn highest_weight_wins(entries in prop::collection::vec((tag(), weight()), 0..20)) {
            let header =
                entries.iter().map(|((t, _), (_, q))| format!("{t}{q}")).collect::<Vec<_>>().join(", ");
            let mut best: Option<(Lang, u16)> = None;
            for ((_, lang), (q, _)) in &entries {
                if let Some(lang) = lang {
                    if *q > 0 && best.is_none_or(|(_, b)| *q > b) {
                        best = Some((*lang, *q));
                    }
                }
            }
            prop_assert_eq!(Lang::from_accept_language(Some(&header)), best.map_or(Lang::En, |(l, _)| l));
        }

        /// Any header yields a language we offer, and one the header names (or English).
        #[test]
        fn any_header_yields_an_offered_language(header in any::<String>()) {
            let lang = Lang::from_accept_language(Some(&header));
            prop_assert!(Lang::ALL.contains(&lang));
            let h = header.to_ascii_lowercase();
            let named = match lang {
                Lang::En => true,
                Lang::Nb => h.contains("nb") || h.contains("no"),
                Lang::Nn => h.contains("nn") || h.contains("nyn"),
                other => h.contains(other.code()),
            };
            prop_assert!(named, "{lang:?} from {header:?}");
        }
    }
}

mod redirect_target {
    use super::*;
    use crate::gateway::http::safe_redirect;

    const OWN: [&str; 2] = ["portal.kommune.no", "expense.kommune.no"];

    /// Pieces of the redirect targets an attacker would try: scheme tricks, slashes and backslashes, encodings,
    /// credentials, whitespace and controls.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("/".to_string()),
            Just("//".to_string()),
            Just("\\".to_string()),
            Just("/\\".to_string()),
            Just("%2f".to_string()),
            Just("%2F".to_string()),
            Just("%5c".to_string()),
            Just("%252f".to_string()),
            Just("https:".to_string()),
            Just("http:".to_string()),
            Just("HTTPS://".to_string()),
            Just("javascript:".to_string()),
            Just("data:".to_string()),
            Just("evil.example".to_string()),
            Just("portal.kommune.no".to_string()),
            Just("expense.kommune.no".to_string()),
            Just("@".to_string()),
            Just(":".to_string()),
            Just(".".to_string()),
            Just("..".to_string()),
            Just("?".to_string()),
            Just("#".to_string()),
            Just(" ".to_string()),
            Just("\t".to_string()),
            Just("\n".to_string()),
            Just("\u{3000}".to_string()),
            Just("\u{ff0f}".to_string()),
            Just("%09".to_string()),
            Just("%00".to_string()),
            "[a-z0-9]{1,5}",
            any::<char>().prop_map(String::from),
        ]
    }

    fn target() -> impl Strategy<Value = String> {
        prop_oneof![prop::collection::vec(piece(), 1..8).prop_map(|p| p.concat()), any::<String>(),]
    }

    proptest! {
        /// Whatever `rd` holds, an accepted target, followed by a browser from any page of the portal, lands on
        /// one of the gateway's own hosts over http(s), and fits in a Location header.
        #[test]
        fn accepted_targets_stay_on_own_hosts(rd in target()) {
            let own = |h: &str| OWN.contains(&h);
            if let Some(t) = safe_redirect(&rd, &own) {
                let base = url::Url::parse("https://portal.kommune.no/.portvakt/login?rd=x").unwrap();
                let landed = base.join(&t);
                prop_assert!(landed.is_ok(), "{rd:?} -> {t:?} does not resolve");
                let landed = landed.unwrap();
                prop_assert!(matches!(landed.scheme(), "https" | "http"), "{rd:?} -> {landed}");
                prop_assert!(landed.host_str().is_some_and(|h| OWN.contains(&h)), "{rd:?} -> {landed}");
                prop_assert!(landed.username().is_empty() && landed.password().is_none(), "{rd:?} -> {landed}");
                prop_assert!(http::HeaderValue::from_str(&t).is_ok(), "{t:?}");
                prop_assert!(!t.starts_with("//") && !t.starts_with("/\\"), "{t:?}");
            }
        }

        /// Same-site paths are kept as they are, so the user lands where they were going.
        #[test]
        fn plain_paths_are_kept(path in "(/[A-Za-z0-9._~-]{1,10}){1,5}(\\?[a-z]{1,5}=[a-z0-9%]{0,8})?") {
            prop_assert_eq!(safe_redirect(&path, &|_| false), Some(path.clone()));
        }
    }
}

/// The spellings of an off-site redirect named in issue 13 (and their encoded and whitespace variants) are refused;
/// encoded slashes inside a same-site path stay a same-site path.
#[test]
fn redirect_named_variants() {
    use crate::gateway::http::safe_redirect;
    let own = |h: &str| h == "portal.kommune.no";
    for bad in [
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https:evil.example",
        "https:/evil.example",
        "https:\\\\evil.example",
        "HTTPS://evil.example",
        "%2F%2Fevil.example",
        "%2f%5cevil.example",
        " //evil.example",
        "\u{3000}//evil.example",
        "/\t/evil.example",
        "https://portal.kommune.no%2F@evil.example/",
        "https://evil.example#.portal.kommune.no",
        "https://portal.kommune.no.evil.example/",
        "javascript://portal.kommune.no/%0aalert(1)",
    ] {
        assert_eq!(safe_redirect(bad, &own), None, "{bad:?}");
    }
    let base = url::Url::parse("https://portal.kommune.no/.portvakt/login").unwrap();
    for same_site in ["/%2F%2Fevil.example", "/%5Cevil.example", "/..//evil.example", "/.%2e/%2fevil.example"] {
        let t = safe_redirect(same_site, &own).unwrap_or_else(|| panic!("{same_site:?} refused"));
        assert_eq!(base.join(&t).unwrap().host_str(), Some("portal.kommune.no"), "{same_site:?}");
    }
}

mod durations {
    use super::*;
    use crate::config::duration::parse_duration;
    use std::time::Duration;

    proptest! {
        /// A number with a unit parses to that many units.
        #[test]
        fn number_and_unit(n in 0..100_000u64, unit in 0..5usize) {
            let (suffix, secs) = [("ms", 0), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)][unit];
            let expected = if unit == 0 { Duration::from_millis(n) } else { Duration::from_secs(n * secs) };
            prop_assert_eq!(parse_duration(&format!("{n}{suffix}")), Ok(expected));
        }

        /// Durations as written back by humantime read back the same.
        #[test]
        fn written_durations_round_trip(secs in 0..10_000_000u64, millis in 0..1000u64) {
            let d = Duration::from_secs(secs) + Duration::from_millis(millis);
            prop_assume!(!d.is_zero());
            prop_assert_eq!(parse_duration(&humantime::format_duration(d).to_string()), Ok(d));
        }

        /// A bare number is refused (units are never guessed); nothing panics, whatever the text.
        #[test]
        fn bare_numbers_refused(n in "[0-9]{1,30}", any_text in any::<String>()) {
            prop_assert!(parse_duration(&n).is_err());
            let _ = parse_duration(&any_text);
        }
    }
}

mod config_files {
    use super::*;
    use crate::config::error::{ConfigError, SourceFile};
    use crate::config::Config;
    use crate::policy::{CheckContext, PolicySet};

    /// Every error names the file it came from and, where it has a position, one inside that file's text.
    fn positions_within(errors: &[ConfigError], src: &SourceFile) -> Result<(), TestCaseError> {
        let lines: Vec<&str> = src.text.split('\n').collect();
        for e in errors {
            prop_assert_eq!(&e.file, &src.path);
            if let Some((line, col)) = e.position {
                prop_assert!(line >= 1 && line <= lines.len(), "{e} (file has {} lines)", lines.len());
                let width = lines[line - 1].chars().count();
                prop_assert!(col >= 1 && col <= width + 1, "{e} (line {line} has {width} characters)");
            }
        }
        Ok(())
    }

    /// Text that is not TOML at all must be reported at a position.
    fn syntax_errors_have_positions(errors: &[ConfigError], src: &SourceFile) -> Result<(), TestCaseError> {
        if toml::from_str::<toml::Table>(&src.text).is_err() {
            prop_assert!(errors.iter().all(|e| e.position.is_some()), "{errors:?}");
        }
        Ok(())
    }

    /// A mutation of a real file: a line replaced, removed or duplicated, or text spliced in at a character.
    fn mutated(original: String) -> impl Strategy<Value = String> {
        let lines = original.lines().count().max(1);
        let chars = original.chars().count().max(1);
        let replacement = prop_oneof![
            "[a-z_]{1,12} = \"[^\"\n]{0,12}\"",
            "[a-z_]{1,12} = [0-9]{1,12}",
            "[a-z_]{1,12} = \\[[\"a-z0-9., ]{0,20}\\]",
            "\\[{1,2}[a-z_.]{0,12}\\]{1,2}",
            "[^\n]{0,20}",
        ];
        let ops = prop::collection::vec((0..4u8, 0..lines, 0..chars, replacement), 1..4);
        ops.prop_map(move |ops| {
            let mut ls: Vec<String> = original.lines().map(str::to_string).collect();
            for (op, line, at, text) in ops {
                let line = line % ls.len().max(1);
                match op {
                    0 if !ls.is_empty() => ls[line] = text,
                    1 if !ls.is_empty() => {
                        ls.remove(line);
                    }
                    2 if !ls.is_empty() => {
                        let l = ls[line].clone();
                        ls.insert(line, l);
                    }
                    _ => {
                        let mut joined = ls.join("\n");
                        let idx = joined.char_indices().nth(at).map_or(joined.len(), |(i, _)| i);
                        joined.insert_str(idx, &text);
                        ls = joined.split('\n').map(str::to_string).collect();
                    }
                }
            }
            ls.join("\n")
        })
    }

    fn config_source(text: String) -> SourceFile {
        SourceFile { path: repo_file("config/portvakt.toml"), text }
    }

    fn check_config(text: String) -> Result<(), TestCaseError> {
        let src = config_source(text);
        if let Err(e) = Config::from_source(&src) {
            positions_within(&e.0, &src)?;
            syntax_errors_have_positions(&e.0, &src)?;
        }
        Ok(())
    }

    /// The shipped config's services and zones (read from its TOML, so no certificate is needed).
    fn policy_context() -> CheckContext {
        let cfg: toml::Table = toml::from_str(&real("config/portvakt.toml")).unwrap();
        let names = |key: &str| -> Vec<String> {
            cfg[key].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_string()).collect()
        };
        let mut zones = names("zones");
        zones.push(crate::config::REMOTE_ZONE.to_string());
        CheckContext { services: names("services"), zones, groups: None, ..Default::default() }
    }

    fn check_policy(text: String, ctx: &CheckContext) -> Result<(), TestCaseError> {
        let src = SourceFile { path: repo_file("policies/services.toml"), text };
        if let Err(e) = PolicySet::from_sources(std::slice::from_ref(&src), ctx) {
            positions_within(&e.0, &src)?;
            syntax_errors_have_positions(&e.0, &src)?;
        }
        Ok(())
    }

    fn real(rel: &str) -> String {
        std::fs::read_to_string(repo_file(rel)).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// Arbitrary text as a config never panics; errors carry positions within the file.
        #[test]
        fn arbitrary_config_text(text in any::<String>()) {
            check_config(text)?;
        }

        /// Mutations of the shipped config never panic; errors carry positions within the file.
        #[test]
        fn mutated_config(text in mutated(real("config/portvakt.toml"))) {
            check_config(text)?;
        }

        /// Arbitrary text as a policy file never panics; errors carry positions within the file.
        #[test]
        fn arbitrary_policy_text(text in any::<String>()) {
            check_policy(text, &policy_context())?;
        }

        /// Mutations of the shipped policies never panic; errors carry positions within the file.
        #[test]
        fn mutated_policies(text in mutated(real("policies/services.toml"))) {
            check_policy(text, &policy_context())?;
        }
    }

    /// The shipped config and policies load (so the mutations above start from valid files).
    #[test]
    fn shipped_files_load() {
        let ctx = policy_context();
        let src = SourceFile { path: repo_file("policies/services.toml"), text: real("policies/services.toml") };
        PolicySet::from_sources(&[src], &ctx).unwrap();
    }
}

mod phone_numbers {
    use super::*;
    use crate::phone::{mask, normalize, PhoneError, Region};

    fn allowed() -> Vec<String> {
        vec!["+46".into(), "+47".into(), "+45".into()]
    }

    /// A number as typed: digits with separators between them, maybe a "+" or "00" in front.
    fn typed() -> impl Strategy<Value = (String, String)> {
        (prop_oneof![Just(""), Just("+"), Just("00"), Just("0")], "[0-9]{0,17}", prop::collection::vec(0..6usize, 0..6))
            .prop_map(|(prefix, digits, seps)| {
                let mut t: Vec<char> = format!("{prefix}{digits}").chars().collect();
                for (i, s) in seps.iter().enumerate() {
                    let at = (i * 3 + 1).min(t.len());
                    t.insert(at, [' ', '-', '.', '(', ')', '\u{a0}'][*s]);
                }
                (t.into_iter().collect(), format!("{prefix}{digits}"))
            })
    }

    /// The regions national numbers are read in by the tests.
    fn region() -> impl Strategy<Value = Region> {
        prop_oneof![Just(Region::SE), Just(Region::NO), Just(Region::DK)]
    }

    proptest! {
        /// An accepted number is E.164 (a "+", a country code not starting with 0, 8 to 15 digits), in an allowed
        /// country, unchanged when entered again, and separators never change the outcome; its mask hides at least
        /// three digits and never shows more than eight.
        #[test]
        fn accepted_numbers_are_e164((t, bare) in typed(), default in region(), reader in region()) {
            let got = normalize(&t, default, &allowed());
            prop_assert_eq!(&got, &normalize(&bare, default, &allowed()));
            if let Ok(e164) = got {
                let digits = e164.strip_prefix('+').unwrap_or("x");
                prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{e164}");
                prop_assert!((8..=15).contains(&digits.len()), "{e164}");
                prop_assert!(!digits.starts_with('0'), "{e164}");
                prop_assert!(allowed().iter().any(|p| e164.starts_with(p.as_str())), "{e164}");
                prop_assert_eq!(normalize(&e164, Region::SE, &[]), Ok(e164.clone()));
                let masked = mask(&e164, reader);
                let shown = masked.chars().filter(char::is_ascii_digit).count();
                prop_assert!(shown <= 8 && masked.contains('•'), "{masked}");
            }
        }

        /// With no country allow-list, an accepted number is still E.164: country codes never start with 0.
        #[test]
        fn no_allow_list_still_e164((t, _) in typed(), default in region()) {
            if let Ok(e164) = normalize(&t, default, &[]) {
                prop_assert!(e164.starts_with('+') && !e164.starts_with("+0"), "{t:?} -> {e164}");
            }
        }

        /// Arbitrary text, in any region, never panics; letters are refused as such.
        #[test]
        fn arbitrary_text_never_panics(t in any::<String>(), default in region()) {
            let r = normalize(&t, default, &[]);
            if t.chars().any(char::is_alphabetic) {
                prop_assert_eq!(r, Err(PhoneError::NotDigits));
            }
            let _ = mask(&t, default);
            let _ = crate::phone::mask_email(&t);
        }

        /// Digits and "+" in any arrangement, the parser's own input, never panic in any region.
        #[test]
        fn digit_strings_never_panic(t in "[+0-9]{0,24}", default in region()) {
            let _ = normalize(&t, default, &[]);
            let _ = mask(&t, default);
        }
    }
}

/// Regression: a lone "0" made the length check subtract from zero, a panic in debug builds.
#[test]
fn phone_empty_result_is_refused_not_panic() {
    assert_eq!(crate::phone::normalize("0", crate::phone::Region::NO, &[]), Err(crate::phone::PhoneError::Length));
}

mod codes {
    use super::*;
    use crate::second_factor::code::{display, normalize, CodeFormat, DEFAULT_ALPHABET};

    proptest! {
        /// A code as shown, or typed in any case with any spaces and dashes, compares equal to the code.
        #[test]
        fn typed_forms_match(
            len in 4..12usize,
            lower in prop::collection::vec(any::<bool>(), 12),
            seps in prop::collection::vec(prop_oneof![Just(""), Just(" "), Just("-"), Just("\u{2010}"), Just("\u{2013}"), Just("\t")], 12),
        ) {
            let code = CodeFormat { length: len, alphabet: DEFAULT_ALPHABET.chars().collect() }.generate();
            prop_assert_eq!(normalize(&display(&code)), Some(code.clone()));
            let typed: String = code
                .chars()
                .zip(lower.iter().zip(seps.iter()))
                .map(|(c, (l, s))| format!("{s}{}", if *l { c.to_ascii_lowercase() } else { c }))
                .collect();
            prop_assert_eq!(normalize(&typed), Some(code));
        }

        /// Arbitrary input never panics; what is compared has no spaces or dashes, and over-long input is refused.
        #[test]
        fn arbitrary_input(t in any::<String>()) {
            match normalize(&t) {
                Some(n) => prop_assert!(t.len() <= 64 && !n.chars().any(|c| c.is_whitespace() || c == '-'), "{n:?}"),
                None => prop_assert!(t.len() > 64),
            }
        }
    }
}
