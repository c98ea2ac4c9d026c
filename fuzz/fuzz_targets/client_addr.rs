//! X-Forwarded-For: the first input byte picks the peer (trusted proxy or not), the rest is one header value per
//! line. The believed address is always the peer or an address written in the header, and never read from the
//! header of an untrusted peer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portvakt::config::error::SourceFile;
use portvakt::config::Config;
use portvakt::zones::{ClientAddr, PeerAddr, ZoneTable};
use std::net::IpAddr;
use std::sync::OnceLock;

const CONFIG: &str = r#"
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
cidrs = ["10.0.0.0/8"]
"#;

fn table() -> &'static ZoneTable {
    static T: OnceLock<ZoneTable> = OnceLock::new();
    T.get_or_init(|| {
        let src = SourceFile { path: "fuzz.toml".into(), text: CONFIG.into() };
        ZoneTable::new(&Config::from_source(&src).expect("fuzz config is valid"))
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let peers: [IpAddr; 4] = [
        "10.0.0.1".parse().unwrap(),
        "fd00::7".parse().unwrap(),
        "203.0.113.9".parse().unwrap(),
        "::1".parse().unwrap(),
    ];
    let peer = peers[usize::from(pick) % peers.len()];
    let values: Vec<&[u8]> = rest.split(|b| *b == b'\n').collect();
    let got = table().client_addr(PeerAddr(peer), values.iter().copied());
    if !table().is_trusted_proxy(peer) {
        assert_eq!(got, ClientAddr(Some(peer)), "header of an untrusted peer was read");
        return;
    }
    if let ClientAddr(Some(ip)) = got {
        let text = String::from_utf8_lossy(rest).to_ascii_lowercase();
        let v4_in_v6 = match ip {
            IpAddr::V4(v4) => text.contains(&v4.to_string()),
            IpAddr::V6(_) => false,
        };
        // v6 addresses can be spelled many ways; compare what every spelling parses to instead.
        let named = ip == peer
            || v4_in_v6
            || text
                .split([',', '\n'])
                .map(|e| e.trim().trim_start_matches('[').split(']').next().unwrap_or(""))
                .any(|e| e.parse::<IpAddr>().is_ok_and(|p| p.to_canonical() == ip));
        assert!(named, "{ip} is neither the peer nor written in the header");
    }
});
