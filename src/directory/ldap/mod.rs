//! LDAP and Active Directory: a service account searches for the user, then the user's own password is checked by
//! a bind as the found DN on a fresh connection (never one from the pool, which stays bound as the service).
//!
//! - [`config`]: the `[directories.ldap]` table and the Active Directory preset.
//! - [`escape`]: RFC 4515 filter and RFC 4514 DN escaping of everything a user typed.
//! - [`ad`]: AD's `data XXX` bind codes (password must change, disabled, locked).
//!
//! All network work is async (ldap3 over tokio and rustls) with connect and operation timeouts; servers are tried
//! in the configured order. A directory that cannot answer is [`DirectoryError::Unavailable`], never a wrong
//! password.

pub mod ad;
pub mod config;
pub mod escape;

use super::{Directory, DirectoryError, Refusal, User};
use config::{normalize_dn, GroupSource, LdapSettings};
use escape::{fill_filter, filter_value};
use ldap3::{DerefAliases, Ldap, LdapConnAsync, LdapConnSettings, Scope, SearchEntry, SearchOptions};
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

/// How deep nested groups are followed when Portvakt follows them itself (non-AD servers).
const MAX_NESTING: usize = 8;
/// Most groups collected for one user (also each group search's size limit).
const MAX_GROUPS: usize = 1000;
const GROUP_SEARCH_LIMIT: i32 = 1000;
/// Active Directory's account flags; bit [`ACCOUNTDISABLE`] marks a disabled account.
const USER_ACCOUNT_CONTROL: &str = "userAccountControl";
/// `userAccountControl` bit of a disabled account.
const ACCOUNTDISABLE: u64 = 0x2;
/// A pooled connection idle longer than this is checked before use.
const HEALTH_CHECK_AFTER: Duration = Duration::from_secs(30);

/// An LDAP or Active Directory realm.
pub struct LdapDirectory {
    name: String,
    title: String,
    s: Arc<LdapSettings>,
    tls: Option<Arc<rustls::ClientConfig>>,
    pool: Pool,
    /// Institution of users whose entry has no usable institution attribute value.
    default_institution: Option<String>,
    /// `[[institutions]]` as (name, title), to read an attribute value written as a title.
    institutions: Vec<(String, String)>,
}

impl std::fmt::Debug for LdapDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The settings' Debug hides the service password.
        f.debug_struct("LdapDirectory").field("name", &self.name).field("settings", &self.s).finish()
    }
}

/// Why building a directory failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The CA file or the system roots could not be loaded.
    #[error("directory {0}: cannot set up TLS: {1}")]
    Tls(String, String),
}

/// Service-bound connections: at most `pool_size` in use, idle ones kept for reuse.
struct Pool {
    idle: parking_lot::Mutex<Vec<(Ldap, std::time::Instant)>>,
    permits: Arc<tokio::sync::Semaphore>,
}

/// A connection taken from the pool (or opened for it), with its permit.
struct Pooled {
    ldap: Ldap,
    reused: bool,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

/// The result of a bind as the user.
enum BindOutcome {
    Ok,
    Wrong,
    Refused(Refusal),
}

impl LdapDirectory {
    /// A directory over validated settings; connects lazily (nothing happens on the network here).
    pub fn new(name: &str, title: &str, s: LdapSettings) -> Result<LdapDirectory, BuildError> {
        let tls = if s.urls.iter().any(|u| u.scheme() == "ldaps") || s.starttls {
            Some(tls_config(&s).map_err(|e| BuildError::Tls(name.to_string(), e))?)
        } else {
            None
        };
        Ok(LdapDirectory {
            name: name.to_string(),
            title: title.to_string(),
            pool: Pool {
                idle: parking_lot::Mutex::new(Vec::new()),
                permits: Arc::new(tokio::sync::Semaphore::new(s.pool_size)),
            },
            s: Arc::new(s),
            tls,
            default_institution: None,
            institutions: Vec::new(),
        })
    }

    /// The same directory, with the institution of users whose entry names none, and the configured
    /// institutions as (name, title) that an attribute value may name.
    pub fn with_institutions(mut self, default: Option<String>, known: Vec<(String, String)>) -> LdapDirectory {
        self.default_institution = default;
        self.institutions = known;
        self
    }

    fn unavailable(&self, why: impl std::fmt::Display) -> DirectoryError {
        DirectoryError::Unavailable(self.name.clone(), why.to_string())
    }

    /// Opens a connection to the first server that answers, in the configured order (not bound yet).
    async fn connect(&self) -> Result<Ldap, DirectoryError> {
        let mut last = String::from("no server configured");
        for u in &self.s.urls {
            let mut settings = LdapConnSettings::new()
                .set_conn_timeout(self.s.connect_timeout)
                .set_starttls(self.s.starttls && u.scheme() == "ldap");
            if let Some(c) = &self.tls {
                settings = settings.set_config(c.clone());
            }
            // ldap3 applies the connect timeout to TCP, StartTLS and the TLS handshake; this bounds DNS as well.
            let attempt = LdapConnAsync::from_url_with_settings(settings, u);
            match tokio::time::timeout(self.s.connect_timeout + Duration::from_secs(1), attempt).await {
                Ok(Ok((conn, ldap))) => {
                    let server = u.to_string();
                    tokio::spawn(async move {
                        if let Err(e) = conn.drive().await {
                            tracing::debug!(server = %server, error = %e, "LDAP connection ended");
                        }
                    });
                    return Ok(ldap);
                }
                Ok(Err(e)) => {
                    tracing::warn!(directory = %self.name, server = %u, error = %e, "LDAP server unreachable");
                    last = format!("{u}: {e}");
                }
                Err(_) => {
                    tracing::warn!(directory = %self.name, server = %u, "LDAP connect timed out");
                    last = format!("{u}: connect timed out");
                }
            }
        }
        Err(self.unavailable(last))
    }

    /// A new connection bound as the service account.
    async fn connect_service(&self) -> Result<Ldap, DirectoryError> {
        let mut ldap = self.connect().await?;
        let res = ldap
            .with_timeout(self.s.timeout)
            .simple_bind(&self.s.bind_dn, self.s.bind_password.expose())
            .await
            .map_err(|e| self.unavailable(format!("service bind: {e}")))?;
        if res.rc != 0 {
            tracing::error!(directory = %self.name, rc = res.rc, "the service account's bind was refused: check bind_dn and its password");
            return Err(self.unavailable(format!("service bind refused (result {})", res.rc)));
        }
        Ok(ldap)
    }

    /// A service-bound connection: an idle one that still answers, or a new one.
    async fn checkout(&self) -> Result<Pooled, DirectoryError> {
        let permit = tokio::time::timeout(self.s.timeout, self.pool.permits.clone().acquire_owned())
            .await
            .map_err(|_| self.unavailable("all LDAP connections busy"))?
            .map_err(|_| self.unavailable("connection pool closed"))?;
        loop {
            let next = self.pool.idle.lock().pop();
            let Some((mut ldap, since)) = next else { break };
            if ldap.is_closed() {
                continue;
            }
            if since.elapsed() >= HEALTH_CHECK_AFTER && !self.healthy(&mut ldap).await {
                continue;
            }
            return Ok(Pooled { ldap, reused: true, _permit: permit });
        }
        let ldap = self.connect_service().await?;
        Ok(Pooled { ldap, reused: false, _permit: permit })
    }

    /// Whether a connection still answers a read of the root DSE.
    async fn healthy(&self, ldap: &mut Ldap) -> bool {
        let opts = SearchOptions::new().deref(DerefAliases::Never).sizelimit(1);
        matches!(
            ldap.with_search_options(opts).with_timeout(self.s.timeout).search("", Scope::Base, "(objectClass=*)", vec!["1.1"]).await,
            Ok(r) if r.1.rc == 0
        )
    }

    fn checkin(&self, p: Pooled) {
        self.pool.idle.lock().push((p.ldap, std::time::Instant::now()));
    }

    /// One search on a service connection; a reused connection that fails is dropped and the search retried once
    /// on a new one (the server may have restarted). `sizeLimitExceeded` keeps the entries returned.
    async fn search(
        &self,
        base: &str,
        scope: Scope,
        filter: &str,
        attrs: &[String],
        limit: i32,
    ) -> Result<Vec<SearchEntry>, DirectoryError> {
        let secs = i32::try_from(self.s.timeout.as_secs().max(1)).unwrap_or(i32::MAX);
        for attempt in 0..2 {
            let mut c = self.checkout().await?;
            let opts = SearchOptions::new().deref(DerefAliases::Never).sizelimit(limit).timelimit(secs);
            let r =
                c.ldap.with_search_options(opts).with_timeout(self.s.timeout).search(base, scope, filter, attrs).await;
            match r {
                Ok(ldap3::SearchResult(entries, res)) => {
                    // 0 success, 4 sizeLimitExceeded, 32 noSuchObject (empty result).
                    if !matches!(res.rc, 0 | 4 | 32) {
                        return Err(self.unavailable(format!("search failed: result {} {}", res.rc, res.text)));
                    }
                    self.checkin(c);
                    let mut out = Vec::with_capacity(entries.len());
                    for e in entries {
                        // ldap3 panics on a malformed entry; a broken server must not take the request down.
                        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| SearchEntry::construct(e))) {
                            Ok(entry) => out.push(entry),
                            Err(_) => return Err(self.unavailable("malformed search entry")),
                        }
                    }
                    return Ok(out);
                }
                Err(e) if attempt == 0 && c.reused => {
                    tracing::info!(directory = %self.name, error = %e, "pooled LDAP connection failed; reconnecting");
                }
                Err(e) => return Err(self.unavailable(format!("search failed: {e}"))),
            }
        }
        Err(self.unavailable("search failed twice"))
    }

    /// Searches users matching `term` (already escaped) under the user filter; at most two come back.
    async fn find_users(&self, term: &str) -> Result<Vec<SearchEntry>, DirectoryError> {
        let filter = format!("(&{}{term})", self.s.user_filter);
        let mut attrs = vec![
            self.s.username_attribute.clone(),
            self.s.display_name_attribute.clone(),
            self.s.mail_attribute.clone(),
        ];
        if let GroupSource::MemberOf { attribute } = &self.s.groups {
            attrs.push(attribute.clone());
        }
        attrs.extend(self.s.institution_attribute.iter().cloned());
        attrs.extend(self.s.phone_attribute.iter().cloned());
        if self.s.active_directory {
            attrs.push(USER_ACCOUNT_CONTROL.to_string());
        }
        self.search(&self.s.base_dn, Scope::Subtree, &filter, &attrs, 2).await
    }

    /// The one user matching `term`, or `None` for none or several (several is logged: an ambiguous directory).
    async fn find_one(&self, term: &str, what: &str) -> Result<Option<SearchEntry>, DirectoryError> {
        let mut found = self.find_users(term).await?;
        if found.len() > 1 {
            tracing::warn!(directory = %self.name, what, "several directory accounts match; refused rather than guessed");
            return Ok(None);
        }
        Ok(found.pop())
    }

    /// A bind as `dn` on a fresh connection, closed afterwards.
    async fn bind_as(&self, dn: &str, password: &str) -> Result<BindOutcome, DirectoryError> {
        let mut ldap = self.connect().await?;
        let res = ldap
            .with_timeout(self.s.timeout)
            .simple_bind(dn, password)
            .await
            .map_err(|e| self.unavailable(format!("user bind: {e}")))?;
        let _ = ldap.unbind().await;
        match res.rc {
            0 => Ok(BindOutcome::Ok),
            49 => Ok(match ad::classify(&res.text) {
                None => BindOutcome::Wrong,
                Some(r) => BindOutcome::Refused(r),
            }),
            // unwillingToPerform: e.g. a password policy refusing this bind.
            53 => Ok(BindOutcome::Wrong),
            rc => Err(self.unavailable(format!("user bind: result {rc} {}", res.text))),
        }
    }

    /// Values of an attribute, found case-insensitively (servers answer with their own spelling).
    fn values<'e>(entry: &'e SearchEntry, attr: &str) -> &'e [String] {
        entry.attrs.iter().find(|(k, _)| k.eq_ignore_ascii_case(attr)).map(|(_, v)| v.as_slice()).unwrap_or(&[])
    }

    /// Whether an entry is a disabled account: with the AD preset, `userAccountControl` has ACCOUNTDISABLE (0x2).
    fn disabled(&self, entry: &SearchEntry) -> bool {
        self.s.active_directory
            && Self::values(entry, USER_ACCOUNT_CONTROL)
                .first()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .is_some_and(|uac| uac & ACCOUNTDISABLE != 0)
    }

    /// The refusal of a disabled account.
    fn refused(&self, reason: Refusal) -> DirectoryError {
        DirectoryError::Refused {
            realm: self.name.clone(),
            reason,
            password_change_url: self.s.password_change_url.clone(),
        }
    }

    /// The user an entry found without a password describes; a disabled account is refused.
    async fn found(&self, entry: Option<SearchEntry>) -> Result<Option<User>, DirectoryError> {
        match entry {
            Some(e) if self.disabled(&e) => Err(self.refused(Refusal::Disabled)),
            Some(e) => self.user_from(&e).await,
            None => Ok(None),
        }
    }

    /// The user an entry describes, with their groups; `None` if it lacks the username attribute.
    async fn user_from(&self, entry: &SearchEntry) -> Result<Option<User>, DirectoryError> {
        let Some(username) = Self::values(entry, &self.s.username_attribute).first().map(|u| u.to_lowercase()) else {
            tracing::warn!(directory = %self.name, attribute = %self.s.username_attribute, "a matching account has no username attribute; refused");
            return Ok(None);
        };
        let display_name =
            Self::values(entry, &self.s.display_name_attribute).first().cloned().unwrap_or_else(|| username.clone());
        let email = Self::values(entry, &self.s.mail_attribute).first().cloned();
        let raw = self.s.institution_attribute.as_ref().and_then(|a| Self::values(entry, a).first());
        let institution = match raw.map(|v| institution_name(v, &self.institutions)) {
            Some(Some(name)) => Some(name),
            Some(None) => {
                // Not a name a policy or a header can carry (e.g. spaces, letters outside a-z): the realm's instead.
                tracing::warn!(directory = %self.name, user = %username, "the institution attribute's value is neither an institution name nor title; the realm's institution is used");
                self.default_institution.clone()
            }
            None => self.default_institution.clone(),
        };
        let phones = match &self.s.phone_attribute {
            Some(a) => Self::values(entry, a).iter().take(crate::store::MAX_PHONES).cloned().collect(),
            None => Vec::new(),
        };
        let groups = self.groups_of(entry, &username).await?;
        Ok(Some(User { username, display_name, email, groups, realm: self.name.clone(), institution, phones }))
    }

    /// The short group names of a user.
    async fn groups_of(&self, entry: &SearchEntry, username: &str) -> Result<Vec<String>, DirectoryError> {
        // (normalised DN, short name from the entry if any)
        let mut found: Vec<(String, Option<String>)> = Vec::new();
        match &self.s.groups {
            GroupSource::MemberOf { attribute } => {
                found.extend(Self::values(entry, attribute).iter().map(|dn| (dn.clone(), None)));
            }
            GroupSource::Search { base_dn, filter, name_attribute } => {
                let attrs = vec![name_attribute.clone()];
                let mut seen: HashSet<String> = HashSet::new();
                let mut frontier = vec![entry.dn.clone()];
                // With the AD preset the in-chain rule nests inside the server; elsewhere Portvakt follows
                // groups of groups itself, level by level, each group once.
                let depth = if self.s.nested_groups && !self.s.active_directory { MAX_NESTING } else { 1 };
                for _ in 0..depth {
                    let mut next = Vec::new();
                    for member in &frontier {
                        let f = fill_filter(filter, &[("dn", member), ("username", username)]);
                        for g in self.search(base_dn, Scope::Subtree, &f, &attrs, GROUP_SEARCH_LIMIT).await? {
                            if seen.len() >= MAX_GROUPS {
                                break;
                            }
                            if seen.insert(normalize_dn(&g.dn)) {
                                let name = Self::values(&g, name_attribute).first().cloned();
                                next.push(g.dn.clone());
                                found.push((g.dn, name));
                            }
                        }
                    }
                    if next.is_empty() {
                        break;
                    }
                    frontier = next;
                }
            }
        }
        let mut out = BTreeSet::new();
        for (dn, name) in found {
            match &self.s.group_map {
                Some(map) => {
                    if let Some(n) = map.get(&normalize_dn(&dn)) {
                        out.insert(n.clone());
                    }
                }
                None => {
                    if let Some(n) = name.or_else(|| first_rdn_value(&dn)) {
                        out.insert(n.to_lowercase());
                    }
                }
            }
        }
        Ok(out.into_iter().collect())
    }

    /// A connection opened and closed for an unknown user, so it costs about what a wrong password costs.
    async fn equalise(&self) {
        if let Ok(mut l) = self.connect().await {
            let _ = l.unbind().await;
        }
    }
}

/// The institution an attribute value names: an `[[institutions]]` name or title (any letter case), else the value
/// itself in lower case when it is a valid name (a-z, 0-9, '-', '_'); `None` for anything else (it could not be
/// sent in `X-Portvakt-Institution` or named in a policy).
fn institution_name(value: &str, known: &[(String, String)]) -> Option<String> {
    let v = value.trim();
    if let Some((name, _)) =
        known.iter().find(|(n, t)| n.eq_ignore_ascii_case(v) || t.to_lowercase() == v.to_lowercase())
    {
        return Some(name.clone());
    }
    let lower = v.to_lowercase();
    crate::config::check::valid_name(&lower).then_some(lower)
}

/// The value of a DN's first RDN ("payroll" for "cn=Payroll,ou=Groups,dc=x"), unescaped simply.
fn first_rdn_value(dn: &str) -> Option<String> {
    let mut value = String::new();
    let mut chars = dn.chars();
    let mut in_value = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' if in_value => {
                if let Some(n) = chars.next() {
                    value.push(n);
                }
            }
            '=' if !in_value => in_value = true,
            ',' | '+' if in_value => break,
            _ if in_value => value.push(c),
            _ => {}
        }
    }
    let v = value.trim().to_string();
    (!v.is_empty()).then_some(v)
}

/// The TLS client config: the CA file's certificates, or the system's roots; hostname verification always on.
fn tls_config(s: &LdapSettings) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    match &s.ca_file {
        Some(p) => {
            let pem = std::fs::read(p).map_err(|e| format!("cannot read ca_file {}: {e}", p.display()))?;
            for c in rustls_pemfile::certs(&mut pem.as_slice()) {
                let c = c.map_err(|e| format!("ca_file {}: {e}", p.display()))?;
                roots.add(c).map_err(|e| format!("ca_file {}: {e}", p.display()))?;
            }
        }
        None => {
            let native = rustls_native_certs::load_native_certs();
            for c in native.certs {
                let _ = roots.add(c);
            }
            if roots.is_empty() {
                return Err("no system root certificates found: set ca_file".into());
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(cfg))
}

#[async_trait::async_trait]
impl Directory for LdapDirectory {
    fn name(&self) -> &str {
        &self.name
    }

    fn title(&self) -> &str {
        &self.title
    }

    async fn authenticate(&self, username: &str, password: &str) -> Result<Option<User>, DirectoryError> {
        // An empty password would be an unauthenticated bind, which servers answer with "success".
        if password.is_empty() || username.is_empty() {
            return Ok(None);
        }
        let v = filter_value(username);
        let term: String = match self.s.login_attributes.as_slice() {
            [one] => format!("({one}={v})"),
            many => format!("(|{})", many.iter().map(|a| format!("({a}={v})")).collect::<String>()),
        };
        let Some(entry) = self.find_one(&term, "login").await? else {
            self.equalise().await;
            return Ok(None);
        };
        match self.bind_as(&entry.dn, password).await? {
            BindOutcome::Ok => {}
            BindOutcome::Wrong => return Ok(None),
            BindOutcome::Refused(reason) => return Err(self.refused(reason)),
        }
        // AD answers a disabled account's right password with 533 itself; should a bind succeed anyway, the flag
        // still refuses it (and only now, after the password was right).
        if self.disabled(&entry) {
            return Err(self.refused(Refusal::Disabled));
        }
        self.user_from(&entry).await
    }

    async fn lookup(&self, username: &str) -> Result<Option<User>, DirectoryError> {
        if username.is_empty() {
            return Ok(None);
        }
        let term = format!("({}={})", self.s.username_attribute, filter_value(username));
        let entry = self.find_one(&term, "lookup").await?;
        self.found(entry).await
    }

    async fn find_by_email(&self, email: &str) -> Result<Option<User>, DirectoryError> {
        if email.is_empty() {
            return Ok(None);
        }
        let term = format!("({}={})", self.s.mail_attribute, filter_value(email));
        let entry = self.find_one(&term, "e-mail address").await?;
        self.found(entry).await
    }

    fn groups(&self) -> Option<HashSet<String>> {
        self.s.group_map.as_ref().map(|m| m.values().cloned().collect())
    }

    fn groups_mapped(&self) -> bool {
        self.s.group_map.is_some()
    }

    fn refresh_interval(&self) -> Option<Duration> {
        Some(self.s.refresh_interval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An institution attribute names an institution by name or title in any case, or is a valid name itself;
    /// anything a header or policy cannot carry is refused.
    #[test]
    fn institution_values() {
        let known = vec![("skola-nord".to_string(), "Skola Nord".to_string())];
        assert_eq!(institution_name(" Skola Nord ", &known).as_deref(), Some("skola-nord"));
        assert_eq!(institution_name("SKOLA-NORD", &known).as_deref(), Some("skola-nord"));
        assert_eq!(institution_name("Skola-Syd", &known).as_deref(), Some("skola-syd"));
        assert_eq!(institution_name("Skola Söder", &known), None);
        assert_eq!(institution_name("a\r\nX-Evil: 1", &known), None);
        assert_eq!(institution_name("", &known), None);
    }

    /// The first RDN's value names a group when no map is configured; escapes are undone.
    #[test]
    fn first_rdn() {
        assert_eq!(first_rdn_value("CN=Payroll,OU=Groups,DC=x").as_deref(), Some("Payroll"));
        assert_eq!(first_rdn_value("cn=A\\, B,dc=x").as_deref(), Some("A, B"));
        assert_eq!(first_rdn_value("").as_deref(), None);
    }
}
