//! A small stand-in for an Active Directory domain controller, speaking real LDAPv3 (BER over TCP, via the `lber`
//! crate that ldap3 itself uses) on a free loopback port, like the SMS stand-in speaks 46elks' API.
//!
//! Why a stand-in: OpenLDAP's slapd cannot answer a bind with AD's diagnostic messages (`data 775` and friends), nor
//! evaluate AD's matching rules. This server answers the way AD does, with **recorded** diagnostic strings:
//! - a simple bind with a wrong password: `invalidCredentials` (49), `… AcceptSecurityContext error, data 52e, v4563`;
//! - a right password on an account whose state says so: 49 with `data 773` (must change at next logon), `532`
//!   (password expired), `533` (disabled), `701` (account expired); a locked account answers `data 775` whatever the
//!   password, as AD does;
//! - searches evaluate `&`, `|`, `!`, equality (case-insensitive), presence, and AD's extensible rules
//!   `LDAP_MATCHING_RULE_BIT_AND` (1.2.840.113556.1.4.803, on `userAccountControl`) and
//!   `LDAP_MATCHING_RULE_IN_CHAIN` (1.2.840.113556.1.4.1941, on `member`, transitively), so the AD preset's own
//!   filters are what decide; other filter kinds match nothing.
//!
//! Plain LDAP only (the gateway allows `ldap://` to loopback with `insecure_plaintext = true`); TLS is tested against
//! slapd. Every bind is recorded so tests can see what reached the server.

use lber::common::TagClass;
use lber::structure::{StructureTag, PL};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The domain's base DN.
pub const BASE: &str = "DC=kommune,DC=example";
/// The service account's DN.
pub const SERVICE_DN: &str = "CN=svc-portvakt,OU=Service,DC=kommune,DC=example";
/// The service account's password.
pub const SERVICE_PW: &str = "service-secret";

/// What a bind with the right password answers (AD's `data` code), if not success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountState {
    /// Binds with the right password succeed.
    Normal,
    /// `data 773`: the user must change the password at next logon.
    MustChange,
    /// `data 532`: the password has expired.
    PasswordExpired,
    /// `data 533`: the account is disabled.
    Disabled,
    /// `data 701`: the account has expired.
    AccountExpired,
    /// `data 775`: locked out (answered whatever the password).
    Locked,
}

/// A user of the stand-in domain.
#[derive(Debug, Clone)]
pub struct AdUser {
    /// `sAMAccountName`.
    pub sam: String,
    /// `displayName`.
    pub display_name: String,
    /// The password.
    pub password: String,
    /// Bind behaviour.
    pub state: AccountState,
    /// `userAccountControl` has ACCOUNTDISABLE (2) set (what the AD preset's user filter excludes).
    pub uac_disabled: bool,
}

/// The diagnostic message AD sends with `invalidCredentials`, as recorded from Windows Server 2019.
pub fn diagnostic(code: &str) -> String {
    format!("80090308: LdapErr: DSID-0C090569, comment: AcceptSecurityContext error, data {code}, v4563\0")
}

struct Entry {
    dn: String,
    attrs: Vec<(String, Vec<String>)>,
}

impl Entry {
    fn values(&self, attr: &str) -> &[String] {
        self.attrs.iter().find(|(k, _)| k.eq_ignore_ascii_case(attr)).map(|(_, v)| v.as_slice()).unwrap_or(&[])
    }
}

struct Domain {
    users: Vec<AdUser>,
    entries: Vec<Entry>,
}

/// A running stand-in domain controller; stopped on drop.
pub struct AdServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    binds: Arc<Mutex<Vec<String>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

/// The DN of a user in the stand-in (`CN=<sam>,OU=Staff,DC=kommune,DC=example`).
pub fn user_dn(sam: &str) -> String {
    format!("CN={sam},OU=Staff,{BASE}")
}

/// The DN of a group in the stand-in.
pub fn group_dn(cn: &str) -> String {
    format!("CN={cn},OU=Groups,{BASE}")
}

impl AdServer {
    /// Starts the server with these users and groups (`(cn, member DNs)`; members may be groups: nesting).
    pub fn start(users: Vec<AdUser>, groups: &[(&str, Vec<String>)]) -> AdServer {
        AdServer::start_on(0, users, groups)
    }

    /// Like [`AdServer::start`], on `port` (a stopped server's, to bring it back; retried for up to 5 s while the
    /// old listener closes).
    pub fn start_on(port: u16, users: Vec<AdUser>, groups: &[(&str, Vec<String>)]) -> AdServer {
        let mut entries = Vec::new();
        for u in &users {
            let uac = if u.uac_disabled { 514 } else { 512 };
            entries.push(Entry {
                dn: user_dn(&u.sam),
                attrs: vec![
                    (
                        "objectClass".into(),
                        vec!["top".into(), "person".into(), "organizationalPerson".into(), "user".into()],
                    ),
                    ("objectCategory".into(), vec!["person".into()]),
                    ("sAMAccountName".into(), vec![u.sam.clone()]),
                    ("userPrincipalName".into(), vec![format!("{}@kommune.example", u.sam)]),
                    ("mail".into(), vec![format!("{}@kommune.example", u.sam)]),
                    ("displayName".into(), vec![u.display_name.clone()]),
                    ("userAccountControl".into(), vec![uac.to_string()]),
                ],
            });
        }
        for (cn, members) in groups {
            entries.push(Entry {
                dn: group_dn(cn),
                attrs: vec![
                    ("objectClass".into(), vec!["top".into(), "group".into()]),
                    ("cn".into(), vec![cn.to_string()]),
                    ("member".into(), members.clone()),
                ],
            });
        }
        let domain = Arc::new(Domain { users, entries });
        let listener = (0..100)
            .find_map(|_| {
                std::net::TcpListener::bind(("127.0.0.1", port))
                    .map_err(|_| std::thread::sleep(std::time::Duration::from_millis(50)))
                    .ok()
            })
            .expect("the stand-in's port is free");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let binds = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let seen = binds.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let accept = async {
                    loop {
                        let Ok((sock, _)) = listener.accept().await else { continue };
                        tokio::spawn(serve(sock, domain.clone(), seen.clone()));
                    }
                };
                tokio::select! {
                    _ = accept => {}
                    _ = rx => {}
                }
            });
        });
        AdServer { port, binds, stop: Some(tx) }
    }

    /// `ldap://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }

    /// The DNs of every bind received, in order.
    pub fn binds(&self) -> Vec<String> {
        self.binds.lock().unwrap().clone()
    }

    /// A `[[directories]]` entry with the Active Directory preset for this server; `extra` lines go into
    /// `[directories.ldap]`. `password_file` holds [`SERVICE_PW`].
    pub fn directory_toml(&self, name: &str, password_file: &std::path::Path, extra: &str) -> String {
        format!(
            r#"[[directories]]
name = "{name}"
title = "Active Directory"
kind = "ldap"

[directories.ldap]
preset = "active-directory"
urls = ["{url}"]
insecure_plaintext = true
bind_dn = "{SERVICE_DN}"
bind_password_file = "{pw}"
base_dn = "{BASE}"
connect_timeout = "2s"
timeout = "3s"
{extra}
"#,
            url = self.url(),
            pw = password_file.display(),
        )
    }
}

impl Drop for AdServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

fn prim(class: TagClass, id: u64, bytes: &[u8]) -> StructureTag {
    StructureTag { class, id, payload: PL::P(bytes.to_vec()) }
}

fn cons(class: TagClass, id: u64, inner: Vec<StructureTag>) -> StructureTag {
    StructureTag { class, id, payload: PL::C(inner) }
}

fn octets(s: &str) -> StructureTag {
    prim(TagClass::Universal, 4, s.as_bytes())
}

/// A BER INTEGER / ENUMERATED body (two's complement, minimal).
fn int_bytes(v: i64) -> Vec<u8> {
    let b = v.to_be_bytes();
    let mut start = 0;
    while start < 7 && ((b[start] == 0 && b[start + 1] & 0x80 == 0) || (b[start] == 0xff && b[start + 1] & 0x80 != 0)) {
        start += 1;
    }
    b[start..].to_vec()
}

fn int_of(t: &StructureTag) -> i64 {
    match &t.payload {
        PL::P(b) => b.iter().fold(if b.first().is_some_and(|x| x & 0x80 != 0) { -1i64 } else { 0 }, |acc, x| {
            (acc << 8) | i64::from(*x)
        }),
        PL::C(_) => 0,
    }
}

fn text_of(t: &StructureTag) -> String {
    match &t.payload {
        PL::P(b) => String::from_utf8_lossy(b).into_owned(),
        PL::C(_) => String::new(),
    }
}

/// An LDAPResult-shaped response `[APPLICATION op] { resultCode, matchedDN, diagnosticMessage }`.
fn result(op: u64, code: i64, diag: &str) -> StructureTag {
    cons(TagClass::Application, op, vec![prim(TagClass::Universal, 10, &int_bytes(code)), octets(""), octets(diag)])
}

fn message(id: i64, op: StructureTag) -> Vec<u8> {
    let msg = cons(TagClass::Universal, 16, vec![prim(TagClass::Universal, 2, &int_bytes(id)), op]);
    let mut buf = bytes::BytesMut::new();
    lber::write::encode_into(&mut buf, msg).unwrap();
    buf.to_vec()
}

async fn serve(mut sock: tokio::net::TcpStream, domain: Arc<Domain>, binds: Arc<Mutex<Vec<String>>>) {
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        // Answer every complete message in the buffer, then read more.
        loop {
            let (rest, tag) = match lber::parse::parse_tag(&buf) {
                Ok((rest, tag)) => (rest.len(), tag),
                Err(lber::Err::Incomplete(_)) => break,
                Err(_) => return,
            };
            let consumed = buf.len() - rest;
            buf.drain(..consumed);
            let Some(parts) = tag.expect_constructed() else { return };
            let (Some(id), Some(op)) = (parts.first(), parts.get(1)) else { return };
            let id = int_of(id);
            let out = match (op.class, op.id) {
                (TagClass::Application, 0) => bind(&domain, &binds, op.clone(), id),
                (TagClass::Application, 2) => return, // unbind
                (TagClass::Application, 3) => search(&domain, op.clone(), id),
                (TagClass::Application, 16) => Vec::new(), // abandon
                (TagClass::Application, 23) => message(id, result(24, 2, "StartTLS is not offered here")),
                _ => message(id, result(1, 2, "unsupported operation")),
            };
            if !out.is_empty() && sock.write_all(&out).await.is_err() {
                return;
            }
        }
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn bind(domain: &Domain, binds: &Mutex<Vec<String>>, op: StructureTag, id: i64) -> Vec<u8> {
    let parts = op.expect_constructed().unwrap_or_default();
    let dn = parts.get(1).map(text_of).unwrap_or_default();
    let password = parts.get(2).map(text_of).unwrap_or_default();
    binds.lock().unwrap().push(dn.clone());
    let answer = |code: i64, diag: &str| message(id, result(1, code, diag));
    if password.is_empty() {
        // An unauthenticated bind "succeeds" on AD too: the reason the gateway refuses empty passwords first.
        return answer(0, "");
    }
    if dn.eq_ignore_ascii_case(SERVICE_DN) {
        return if password == SERVICE_PW { answer(0, "") } else { answer(49, &diagnostic("52e")) };
    }
    let Some(user) = domain.users.iter().find(|u| user_dn(&u.sam).eq_ignore_ascii_case(&dn)) else {
        return answer(49, &diagnostic("52e"));
    };
    if user.state == AccountState::Locked {
        return answer(49, &diagnostic("775"));
    }
    if password != user.password {
        return answer(49, &diagnostic("52e"));
    }
    match user.state {
        AccountState::Normal => answer(0, ""),
        AccountState::MustChange => answer(49, &diagnostic("773")),
        AccountState::PasswordExpired => answer(49, &diagnostic("532")),
        AccountState::Disabled => answer(49, &diagnostic("533")),
        AccountState::AccountExpired => answer(49, &diagnostic("701")),
        AccountState::Locked => answer(49, &diagnostic("775")),
    }
}

/// Whether `member` is in group `group_dn`, directly or through groups inside it.
fn in_chain(domain: &Domain, group_dn: &str, member: &str, depth: usize) -> bool {
    if depth > 16 {
        return false;
    }
    let Some(g) = domain.entries.iter().find(|e| e.dn.eq_ignore_ascii_case(group_dn)) else { return false };
    g.values("member").iter().any(|m| m.eq_ignore_ascii_case(member) || in_chain(domain, m, member, depth + 1))
}

fn matches(domain: &Domain, e: &Entry, f: &StructureTag) -> bool {
    let inner = || match &f.payload {
        PL::C(v) => v.clone(),
        PL::P(_) => Vec::new(),
    };
    match (f.class, f.id) {
        (TagClass::Context, 0) => inner().iter().all(|x| matches(domain, e, x)),
        (TagClass::Context, 1) => inner().iter().any(|x| matches(domain, e, x)),
        (TagClass::Context, 2) => inner().first().is_some_and(|x| !matches(domain, e, x)),
        (TagClass::Context, 3) => {
            let v = inner();
            let (Some(a), Some(val)) = (v.first(), v.get(1)) else { return false };
            let (a, val) = (text_of(a), text_of(val));
            e.values(&a).iter().any(|x| x.eq_ignore_ascii_case(&val))
        }
        (TagClass::Context, 7) => !e.values(&text_of(f)).is_empty(),
        (TagClass::Context, 9) => {
            let mut rule = String::new();
            let mut attr = String::new();
            let mut value = String::new();
            for t in inner() {
                match t.id {
                    1 => rule = text_of(&t),
                    2 => attr = text_of(&t),
                    3 => value = text_of(&t),
                    _ => {}
                }
            }
            match rule.as_str() {
                "1.2.840.113556.1.4.803" => {
                    let want: u64 = value.parse().unwrap_or(0);
                    e.values(&attr).iter().any(|v| v.parse::<u64>().is_ok_and(|have| have & want == want))
                }
                "1.2.840.113556.1.4.1941" if attr.eq_ignore_ascii_case("member") => in_chain(domain, &e.dn, &value, 0),
                _ => false,
            }
        }
        _ => false,
    }
}

fn search(domain: &Domain, op: StructureTag, id: i64) -> Vec<u8> {
    let parts = op.expect_constructed().unwrap_or_default();
    let base = parts.first().map(text_of).unwrap_or_default();
    let size_limit = parts.get(3).map(int_of).unwrap_or(0);
    let (Some(filter), Some(wanted)) = (parts.get(6), parts.get(7)) else {
        return message(id, result(5, 2, "malformed search"));
    };
    let wanted: Vec<String> = match &wanted.payload {
        PL::C(v) => v.iter().map(text_of).collect(),
        PL::P(_) => Vec::new(),
    };
    let mut out = Vec::new();
    if base.is_empty() {
        // The root DSE (the gateway's health check): found, nothing to say.
        out.extend(message(
            id,
            cons(TagClass::Application, 4, vec![octets(""), cons(TagClass::Universal, 16, vec![])]),
        ));
        out.extend(message(id, result(5, 0, "")));
        return out;
    }
    let mut sent = 0;
    for e in domain.entries.iter().filter(|e| e.dn.to_lowercase().ends_with(&base.to_lowercase())) {
        if !matches(domain, e, filter) {
            continue;
        }
        if size_limit > 0 && sent >= size_limit {
            out.extend(message(id, result(5, 4, "Size limit exceeded")));
            return out;
        }
        let attrs = e
            .attrs
            .iter()
            .filter(|(k, _)| wanted.iter().any(|w| w.eq_ignore_ascii_case(k) || w == "*"))
            .map(|(k, vs)| {
                cons(
                    TagClass::Universal,
                    16,
                    vec![octets(k), cons(TagClass::Universal, 17, vs.iter().map(|v| octets(v)).collect())],
                )
            })
            .collect();
        out.extend(message(
            id,
            cons(TagClass::Application, 4, vec![octets(&e.dn), cons(TagClass::Universal, 16, attrs)]),
        ));
        sent += 1;
    }
    out.extend(message(id, result(5, 0, "")));
    out
}
