//! Network zones: which zone a request comes from, and which client address to believe.
//!
//! Overlapping zones resolve by the most specific network: an address in both `10.0.0.0/8` (zone `internal`) and
//! `10.9.0.0/16` (zone `school`) is in `school`. The same network in two zones is refused at load, so the answer never
//! depends on file order. An address in no zone is in `remote`; so is a request whose forwarding chain can't be read.

pub mod config;

pub use config::{LoginRequirement, ZoneSettings, REMOTE_ZONE};

use ipnet::IpNet;
use std::net::IpAddr;
use std::sync::Arc;

/// The TCP peer of a connection: the only address the gateway knows first-hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub IpAddr);

/// The address the gateway believes the client has; `None` when a trusted proxy sent an unreadable chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

/// How many X-Forwarded-For entries are read, from the right, before giving up.
pub const MAX_FORWARDED_HOPS: usize = 32;

/// A zone as the rest of the gateway sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    /// Zone name, e.g. "internal" or "remote".
    pub name: String,
    /// The same name, shared cheaply (cache keys).
    pub name_arc: Arc<str>,
    /// Login required from this zone.
    pub login: LoginRequirement,
}

impl Zone {
    /// A zone with a name and the login it requires.
    pub fn new(name: &str, login: LoginRequirement) -> Zone {
        Zone { name: name.to_string(), name_arc: Arc::from(name), login }
    }
}

/// Compiled zones and trusted proxies.
#[derive(Debug, Clone)]
pub struct ZoneTable {
    /// (network, zone index), most specific first.
    nets: Vec<(IpNet, usize)>,
    zones: Vec<Arc<Zone>>,
    trusted: Vec<IpNet>,
}

impl ZoneTable {
    /// Builds the table from validated `[[zones]]`, the login `remote` needs and the trusted proxies.
    pub fn new(configured: &[ZoneSettings], remote_login: LoginRequirement, trusted_proxies: &[IpNet]) -> ZoneTable {
        let mut zones: Vec<Arc<Zone>> = configured.iter().map(|z| Arc::new(Zone::new(&z.name, z.login))).collect();
        let mut nets: Vec<(IpNet, usize)> =
            configured.iter().enumerate().flat_map(|(i, z)| z.cidrs.iter().map(move |n| (*n, i))).collect();
        nets.sort_by_key(|n| std::cmp::Reverse(n.0.prefix_len()));
        zones.push(Arc::new(Zone::new(REMOTE_ZONE, remote_login)));
        ZoneTable { nets, zones, trusted: trusted_proxies.to_vec() }
    }

    /// The `remote` zone.
    pub fn remote(&self) -> &Arc<Zone> {
        // The constructor always pushes `remote` last; the fallback keeps this total.
        self.zones.last().unwrap_or_else(|| {
            REMOTE_FALLBACK.get_or_init(|| Arc::new(Zone::new(REMOTE_ZONE, LoginRequirement::TwoFactor)))
        })
    }

    /// The zone with this name.
    pub fn by_name(&self, name: &str) -> Option<&Arc<Zone>> {
        self.zones.iter().find(|z| z.name == name)
    }

    /// The zone an address belongs to (most specific network wins).
    pub fn classify(&self, addr: ClientAddr) -> &Arc<Zone> {
        let Some(ip) = addr.0 else {
            return self.remote();
        };
        let ip = ip.to_canonical();
        self.nets
            .iter()
            .find(|(n, _)| n.contains(&ip))
            .and_then(|(_, i)| self.zones.get(*i))
            .unwrap_or_else(|| self.remote())
    }

    /// Whether a peer is a proxy whose X-Forwarded-For is believed.
    pub fn is_trusted_proxy(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.trusted.iter().any(|n| n.contains(&ip))
    }

    /// The client address: the peer itself, or, if the peer is a trusted proxy, the first untrusted hop of
    /// X-Forwarded-For read right to left. `xff` holds every X-Forwarded-For header value in order.
    pub fn client_addr<'a>(&self, peer: PeerAddr, xff: impl DoubleEndedIterator<Item = &'a [u8]>) -> ClientAddr {
        let peer_ip = peer.0.to_canonical();
        if !self.is_trusted_proxy(peer_ip) {
            return ClientAddr(Some(peer_ip));
        }
        let mut last_trusted = peer_ip;
        let mut seen = 0usize;
        for value in xff.rev() {
            let Ok(text) = std::str::from_utf8(value) else {
                return ClientAddr(None);
            };
            for entry in text.rsplit(',') {
                seen += 1;
                if seen > MAX_FORWARDED_HOPS {
                    return ClientAddr(None);
                }
                let Some(ip) = parse_forwarded_ip(entry) else {
                    return ClientAddr(None);
                };
                if !self.is_trusted_proxy(ip) {
                    return ClientAddr(Some(ip));
                }
                last_trusted = ip;
            }
        }
        ClientAddr(Some(last_trusted))
    }
}

static REMOTE_FALLBACK: std::sync::OnceLock<Arc<Zone>> = std::sync::OnceLock::new();

/// Parses one X-Forwarded-For entry: an IP, optionally with a port ("1.2.3.4:5", "[::1]:5").
fn parse_forwarded_ip(entry: &str) -> Option<IpAddr> {
    let e = entry.trim();
    if e.is_empty() || e.len() > 64 {
        return None;
    }
    if let Ok(ip) = e.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(sa) = e.parse::<std::net::SocketAddr>() {
        return Some(sa.ip().to_canonical());
    }
    let inner = e.strip_prefix('[').and_then(|r| r.strip_suffix(']'))?;
    inner.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::error::SourceFile;
    use crate::config::Config;

    fn table() -> ZoneTable {
        let text = r#"
[network]
trusted_proxies = ["10.0.0.5", "10.0.0.6/32", "fd00::5/128"]
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
[[zones]]
name = "school"
cidrs = ["10.9.0.0/16"]
"#;
        let cfg = Config::from_source(&SourceFile { path: "t.toml".into(), text: text.into() }).unwrap();
        ZoneTable::new(&cfg.zones, cfg.remote_login, &cfg.trusted_proxies)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn client(t: &ZoneTable, peer: &str, xff: &[&str]) -> ClientAddr {
        t.client_addr(PeerAddr(ip(peer)), xff.iter().map(|s| s.as_bytes()))
    }

    /// IPv4 addresses land in the most specific zone, others in remote.
    #[test]
    fn ipv4_classification() {
        let t = table();
        assert_eq!(t.classify(ClientAddr(Some(ip("10.1.2.3")))).name, "internal");
        assert_eq!(t.classify(ClientAddr(Some(ip("10.9.2.3")))).name, "school");
        assert_eq!(t.classify(ClientAddr(Some(ip("8.8.8.8")))).name, "remote");
        assert_eq!(t.classify(ClientAddr(None)).name, "remote");
    }

    /// IPv6 and IPv4-mapped IPv6 addresses are classified like their plain forms.
    #[test]
    fn ipv6_and_mapped() {
        let t = table();
        assert_eq!(t.classify(ClientAddr(Some(ip("fd00::1234")))).name, "internal");
        assert_eq!(t.classify(ClientAddr(Some(ip("2001:db8::1")))).name, "remote");
        assert_eq!(t.classify(ClientAddr(Some(ip("::ffff:10.9.0.1")))).name, "school");
        assert_eq!(client(&t, "::ffff:10.0.0.5", &["10.1.1.1"]), ClientAddr(Some(ip("10.1.1.1"))));
    }

    /// X-Forwarded-For from an untrusted peer is ignored.
    #[test]
    fn untrusted_peer_xff_ignored() {
        let t = table();
        assert_eq!(client(&t, "203.0.113.7", &["10.1.1.1"]), ClientAddr(Some(ip("203.0.113.7"))));
    }

    /// From a trusted proxy, XFF is read right to left, skipping trusted proxies; left-most spoofed entries never count.
    #[test]
    fn trusted_proxy_chain_right_to_left() {
        let t = table();
        assert_eq!(client(&t, "10.0.0.5", &["10.1.1.1, 203.0.113.9"]), ClientAddr(Some(ip("203.0.113.9"))));
        assert_eq!(client(&t, "10.0.0.5", &["203.0.113.9, 10.0.0.6"]), ClientAddr(Some(ip("203.0.113.9"))));
        assert_eq!(client(&t, "10.0.0.5", &["10.1.1.1", "203.0.113.9:4711"]), ClientAddr(Some(ip("203.0.113.9"))));
        assert_eq!(client(&t, "fd00::5", &["[2001:db8::1]:443"]), ClientAddr(Some(ip("2001:db8::1"))));
        assert_eq!(client(&t, "10.0.0.5", &[]), ClientAddr(Some(ip("10.0.0.5"))));
    }

    /// A malformed entry before the client is found fails closed (remote), never internal.
    #[test]
    fn malformed_xff_fails_closed() {
        let t = table();
        for bad in ["not-an-ip", "10.1.1.1, ", "", "1.2.3.4.5", "[::1", "10.1.1.1;evil"] {
            let c = client(&t, "10.0.0.5", &[bad]);
            assert_eq!(c, ClientAddr(None), "{bad}");
            assert_eq!(t.classify(c).name, "remote");
        }
        // Garbage to the left of the real client is never read.
        assert_eq!(client(&t, "10.0.0.5", &["garbage, 203.0.113.9"]), ClientAddr(Some(ip("203.0.113.9"))));
        assert_eq!(t.client_addr(PeerAddr(ip("10.0.0.5")), [&[0xffu8, 0xfe][..]].into_iter()), ClientAddr(None));
    }

    /// An oversized chain of trusted hops is cut off after MAX_FORWARDED_HOPS and fails closed.
    #[test]
    fn oversized_xff_fails_closed() {
        let t = table();
        let long = vec!["10.0.0.6"; 10_000].join(",");
        assert_eq!(client(&t, "10.0.0.5", &[&long]), ClientAddr(None));
        let mut ok = vec!["203.0.113.1"; 10_000];
        ok.push("198.51.100.2");
        assert_eq!(client(&t, "10.0.0.5", &[&ok.join(",")]), ClientAddr(Some(ip("198.51.100.2"))));
    }
}
