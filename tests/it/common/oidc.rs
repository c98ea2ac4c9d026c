//! A real OpenID Provider for tests: `tests/support/oidc/provider.mjs` (the npm package oidc-provider on Node) on a
//! loopback port, configured like ID-porten, with a browser that logs in there and test-control endpoints to see the
//! requests it got and to forge its next ID token. Needs `scripts/install-test-deps` (it runs npm ci for it).

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde_json::{json, Value};
use std::net::{IpAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// ID-porten's substantial level of assurance.
pub const LOA_SUBSTANTIAL: &str = "idporten-loa-substantial";
/// ID-porten's high level of assurance.
pub const LOA_HIGH: &str = "idporten-loa-high";

/// How a client authenticates at the token (and PAR) endpoint.
#[derive(Debug, Clone)]
pub enum AuthMethod {
    /// `client_secret_basic`: the secret in an Authorization: Basic header.
    Basic,
    /// `client_secret_post`: the secret in the form body.
    Post,
    /// `private_key_jwt`: a client assertion signed with the key whose public JWK (with `kid` and `alg`) is given.
    PrivateKeyJwt {
        /// The client's public key as a JWK.
        public_jwk: Value,
    },
}

/// A client registered at the OP.
#[derive(Debug, Clone)]
pub struct OpClient {
    /// client_id.
    pub client_id: String,
    /// client_secret (for Basic and Post).
    pub client_secret: Option<String>,
    /// Token endpoint authentication method.
    pub auth_method: AuthMethod,
    /// Registered redirect URIs (matched exactly).
    pub redirect_uris: Vec<String>,
    /// Registered post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// Front-channel logout URI; the OP appends `iss` and `sid` when another client ends the session.
    pub frontchannel_logout_uri: Option<String>,
    /// More oidc-provider client metadata, merged in (a JSON object, or null).
    pub extra: Value,
}

impl OpClient {
    /// A client_secret_basic client with one redirect URI and no logout URIs.
    pub fn basic(client_id: &str, secret: &str, redirect_uri: &str) -> OpClient {
        OpClient {
            client_id: client_id.into(),
            client_secret: Some(secret.into()),
            auth_method: AuthMethod::Basic,
            redirect_uris: vec![redirect_uri.into()],
            post_logout_redirect_uris: vec![],
            frontchannel_logout_uri: None,
            extra: Value::Null,
        }
    }

    /// The oidc-provider client metadata.
    pub fn metadata(&self) -> Value {
        let method = match self.auth_method {
            AuthMethod::Basic => "client_secret_basic",
            AuthMethod::Post => "client_secret_post",
            AuthMethod::PrivateKeyJwt { .. } => "private_key_jwt",
        };
        let mut m = json!({
            "client_id": self.client_id,
            "token_endpoint_auth_method": method,
            "redirect_uris": self.redirect_uris,
            "post_logout_redirect_uris": self.post_logout_redirect_uris,
        });
        if let Some(s) = &self.client_secret {
            m["client_secret"] = json!(s);
        }
        if let AuthMethod::PrivateKeyJwt { public_jwk } = &self.auth_method {
            m["jwks"] = json!({ "keys": [public_jwk] });
        }
        if let Some(u) = &self.frontchannel_logout_uri {
            m["frontchannel_logout_uri"] = json!(u);
            m["frontchannel_logout_session_required"] = json!(true);
        }
        if let Value::Object(extra) = &self.extra {
            for (k, v) in extra {
                m[k] = v.clone();
            }
        }
        m
    }
}

/// Options for [`TestOp::start_with`].
#[derive(Debug, Clone)]
pub struct OpOptions {
    /// Lifetime of ID tokens in seconds.
    pub id_token_ttl_secs: u64,
    /// The OP's private signing JWK (with `alg`); a fresh RSA key (RS256, like ID-porten) when None.
    pub signing_jwk: Option<Value>,
    /// A path after the origin in the issuer (Entra ID's `/{tenant}/v2.0`); the OP is mounted under it.
    pub issuer_path: String,
    /// The ID tokens' claims: "idporten" (default), "entra-id" or "broker" (see provider.mjs).
    pub shape: &'static str,
    /// The tenant ID put in `tid` (shape "entra-id").
    pub tenant_id: Option<String>,
    /// The `acr` values the login page offers, lowest first (ID-porten's when None).
    pub acr_values: Option<Vec<String>>,
    /// A `jwks_uri` (URL, or path from the origin) the discovery document names instead of the OP's own; the OP
    /// serves the same keys there.
    pub jwks_uri: Option<String>,
}

impl Default for OpOptions {
    fn default() -> Self {
        OpOptions {
            id_token_ttl_secs: 60,
            signing_jwk: None,
            issuer_path: String::new(),
            shape: "idporten",
            tenant_id: None,
            acr_values: None,
            jwks_uri: None,
        }
    }
}

/// A running test OP; killed on drop (it also exits by itself when this process's end closes its stdin).
pub struct TestOp {
    /// Listening port on 127.0.0.1.
    pub port: u16,
    issuer_path: String,
    dir: TempDir,
    child: Child,
    http: reqwest::Client,
}

impl TestOp {
    /// Starts an OP with these clients and default options; returns once it listens.
    pub fn start(clients: Vec<OpClient>) -> TestOp {
        TestOp::start_with(clients, OpOptions::default())
    }

    /// Starts an OP with these clients and options; returns once it listens.
    pub fn start_with(clients: Vec<OpClient>, opts: OpOptions) -> TestOp {
        let dir = tempfile::tempdir().unwrap();
        let port = super::free_port();
        let config = json!({
            "port": port,
            "issuer": format!("http://127.0.0.1:{port}{}", opts.issuer_path),
            "clients": clients.iter().map(OpClient::metadata).collect::<Vec<_>>(),
            "signing_jwk": opts.signing_jwk,
            "id_token_ttl_secs": opts.id_token_ttl_secs,
            "shape": opts.shape,
            "tenant_id": opts.tenant_id,
            "acr_values": opts.acr_values,
            "jwks_uri": opts.jwks_uri,
        });
        let config_path = dir.path().join("op.json");
        std::fs::write(&config_path, serde_json::to_vec_pretty(&config).unwrap()).unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/oidc/provider.mjs");
        // stderr goes to a file: a pipe nobody reads could fill up and stall the server.
        let stderr = std::fs::File::create(dir.path().join("stderr.log")).unwrap();
        let child = Command::new("node")
            .arg(script)
            .arg(&config_path)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start node {script}: {e} (run scripts/install-test-deps)"));
        let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(15)).build().unwrap();
        let mut op = TestOp { port, issuer_path: opts.issuer_path.clone(), dir, child, http };
        op.wait_listening();
        op
    }

    fn wait_listening(&mut self) {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("test OP exited ({status}); run scripts/install-test-deps.\n{}", self.log());
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("test OP did not listen on {addr}\n{}", self.log());
    }

    /// What the OP wrote to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default()
    }

    /// The issuer, `http://127.0.0.1:PORT` and the configured path.
    pub fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}{}", self.port, self.issuer_path)
    }

    /// An `[[eid.providers]]` entry `idporten` with this title for this OP: client `portvakt` with its secret, the
    /// substantial level asked for.
    pub fn idporten_toml(&self, title: &str) -> String {
        format!(
            "[[eid.providers]]\nname = \"idporten\"\ntitle = \"{title}\"\nissuer = \"{}\"\nclient_id = \"portvakt\"\n\
             client_secret = \"klient-hemlighet\"\nacr_values = [\"idporten-loa-substantial\"]\ntimeout = \"5s\"\n",
            self.issuer()
        )
    }

    /// The OP's origin, `http://127.0.0.1:PORT`: its login pages and test-control endpoints are here.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A back-channel logout token signed by the OP for client `aud`: `{"sid": .., "sub": ..}` name whom it logs
    /// out, `{"set": {..}}` sets or overrides claims, `{"drop": [..]}` removes them, `{"foreign_key": true}` signs with
    /// an unknown key.
    pub async fn logout_token(&self, aud: &str, t: Value) -> String {
        let mut t = t;
        t["aud"] = Value::String(aud.into());
        let r = self.http.post(format!("{}/__test/logout-token", self.origin())).json(&t).send().await.unwrap();
        assert_eq!(r.status(), 200, "logout-token");
        r.json::<Value>().await.unwrap()["logout_token"].as_str().unwrap().to_string()
    }

    /// The discovery document (`/.well-known/openid-configuration`).
    pub async fn discovery(&self) -> Value {
        self.get_json("/.well-known/openid-configuration").await
    }

    /// The OP's public signing keys (JWKS).
    pub async fn jwks(&self) -> Value {
        let uri = self.discovery().await["jwks_uri"].as_str().unwrap().to_string();
        self.http.get(uri).send().await.unwrap().json().await.unwrap()
    }

    /// Forges the next ID token the token endpoint returns: `{"nonce"|"iss"|"aud"|"acr"|"sub"|"pid"|"sid"|"amr": v}`
    /// set that claim, `{"set": {..}}` sets any, `{"drop": "nonce"}` (or a list) removes claims,
    /// `{"exp_offset_secs": -3600}` moves exp (and iat with it) to now + offset, `{"iat_offset_secs": n}` sets iat,
    /// `{"alg_none": true}` sends it unsigned with header `{"alg":"none"}`, `{"foreign_key": true}` signs it with an
    /// unknown key under the OP's kid; otherwise it is re-signed with the OP's key. Keys combine.
    pub async fn tamper_next(&self, t: Value) {
        let r = self.http.post(format!("{}/__test/tamper", self.origin())).json(&t).send().await.unwrap();
        assert_eq!(r.status(), 200, "tamper: {}", r.text().await.unwrap());
    }

    /// Every request seen so far, oldest first: `{kind: "auth"|"par"|"token"|"end_session", method, path,
    /// remote_address, params, status}`, and for "par"/"token" `client_auth` ("client_secret_basic",
    /// "client_secret_post", "private_key_jwt", "none") and for private_key_jwt the decoded `client_assertion`
    /// (`{header, payload}`).
    pub async fn requests(&self) -> Vec<Value> {
        serde_json::from_value(self.get_json("/__test/requests").await).unwrap()
    }

    /// The requests of one kind ("auth", "par", "token" or "end_session").
    pub async fn requests_of(&self, kind: &str) -> Vec<Value> {
        self.requests().await.into_iter().filter(|r| r["kind"] == kind).collect()
    }

    /// Forgets the requests seen so far.
    pub async fn clear_requests(&self) {
        let r = self.http.post(format!("{}/__test/requests/clear", self.origin())).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }

    /// The last ID token the token endpoint returned (as sent, i.e. after tampering).
    pub async fn last_id_token(&self) -> Option<String> {
        self.get_json("/__test/last-id-token").await["id_token"].as_str().map(str::to_string)
    }

    /// A browser with its own cookie jar for the OP, connecting from loopback address `source` (e.g. "127.0.0.2").
    pub fn browser(&self, source: &str) -> OpBrowser {
        OpBrowser {
            http: reqwest::Client::builder()
                .no_proxy()
                .local_address(source.parse::<IpAddr>().unwrap())
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(15))
                .build()
                .unwrap(),
            origin: self.origin(),
            jar: Mutex::new(Vec::new()),
            log: self.dir.path().join("stderr.log"),
        }
    }

    async fn get_json(&self, path: &str) -> Value {
        let base = if path.starts_with("/__test/") { self.origin() } else { self.issuer() };
        let r = self.http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().await.unwrap()
    }
}

impl Drop for TestOp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where an authorization request ended.
#[derive(Debug, Clone)]
pub struct Authorized {
    /// The full URL the OP redirected to: the redirect_uri with `code`, `state` and `iss` (or `error`).
    pub callback: String,
    /// Whether the OP showed its login form (false when the OP's session was reused: SSO).
    pub prompted: bool,
}

impl Authorized {
    /// A query parameter of the callback URL.
    pub fn param(&self, name: &str) -> Option<String> {
        url::Url::parse(&self.callback).ok()?.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }
}

/// A page the OP answered with instead of a redirect.
#[derive(Debug, Clone)]
pub struct OpPage {
    /// HTTP status.
    pub status: u16,
    /// The page.
    pub body: String,
}

#[derive(Debug, Clone)]
struct Cookie {
    name: String,
    value: String,
    path: String,
}

/// A user agent at the OP: follows its redirects and fills in its forms, keeping its cookies.
pub struct OpBrowser {
    http: reqwest::Client,
    origin: String,
    jar: Mutex<Vec<Cookie>>,
    log: PathBuf,
}

struct Page {
    status: u16,
    location: Option<String>,
    body: String,
}

impl OpBrowser {
    /// A browser at an OP this harness did not start (e.g. the one `portvakt demo --eid` runs), from loopback
    /// address `source`; `log` is where that OP writes its stderr (shown when it answers with a page).
    pub fn for_issuer(issuer: &str, source: &str, log: PathBuf) -> OpBrowser {
        OpBrowser {
            http: reqwest::Client::builder()
                .no_proxy()
                .local_address(source.parse::<IpAddr>().unwrap())
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(15))
                .build()
                .unwrap(),
            origin: issuer.trim_end_matches('/').to_string(),
            jar: Mutex::new(Vec::new()),
            log,
        }
    }

    /// Follows the OP's redirects starting at `authorize_url` (the Location our gateway sent); logs in as `pid` (11
    /// digits) at `acr` if the OP shows its login form; stops at the first redirect leaving the OP's origin and
    /// returns it. Panics if the OP answers with a page instead (see [`OpBrowser::try_authorize`]).
    pub async fn authorize(&self, authorize_url: &str, pid: &str, acr: &str) -> Authorized {
        self.try_authorize(authorize_url, pid, acr).await.unwrap_or_else(|p| {
            panic!("the OP answered {} instead of redirecting:\n{}\n--- OP log ---\n{}", p.status, p.body, self.log())
        })
    }

    /// Like [`OpBrowser::authorize`], but returns an error page of the OP (e.g. for an unregistered redirect_uri).
    pub async fn try_authorize(&self, authorize_url: &str, pid: &str, acr: &str) -> Result<Authorized, OpPage> {
        self.run_authorize(authorize_url, Some((pid, acr))).await
    }

    /// Follows `authorize_url` to the OP's login form and cancels there; returns the redirect (with
    /// `error=access_denied`).
    pub async fn cancel(&self, authorize_url: &str) -> Authorized {
        self.run_authorize(authorize_url, None).await.unwrap_or_else(|p| panic!("OP page {}:\n{}", p.status, p.body))
    }

    async fn run_authorize(&self, authorize_url: &str, login: Option<(&str, &str)>) -> Result<Authorized, OpPage> {
        let mut prompted = false;
        let mut page = self.request(authorize_url, None).await;
        let mut url = authorize_url.to_string();
        for _ in 0..20 {
            if let Some(loc) = page.location.take() {
                let next = resolve(&url, &loc);
                if !self.on_op(&next) {
                    return Ok(Authorized { callback: next, prompted });
                }
                url = next;
                page = self.request(&url, None).await;
                continue;
            }
            if page.status == 200 && page.body.contains("name=\"pid\"") && !prompted {
                prompted = true;
                let (form_id, fields) = match login {
                    Some((pid, acr)) => {
                        ("login", vec![("pid".to_string(), pid.to_string()), ("acr".into(), acr.into())])
                    }
                    None => ("abort", vec![]),
                };
                let action = form_action(&page.body, form_id).expect("login form action");
                url = resolve(&url, &action);
                page = self.request(&url, Some(&fields)).await;
                continue;
            }
            return Err(OpPage { status: page.status, body: page.body });
        }
        panic!("too many redirects at the OP from {authorize_url}");
    }

    /// Follows an end-session redirect (confirming the OP's logout form) until it leaves the OP; returns the final
    /// Location (the post_logout_redirect_uri with `state`; None when the OP showed its own logged-out page) and the
    /// front-channel logout URLs (with `iss` and `sid`) the OP rendered as iframes, for the test to load. Panics on an
    /// error page of the OP (e.g. an unregistered post_logout_redirect_uri).
    pub async fn end_session(&self, url: &str) -> (Option<String>, Vec<String>) {
        let mut frames = Vec::new();
        let mut current = url.to_string();
        let mut page = self.request(url, None).await;
        for _ in 0..20 {
            if let Some(loc) = page.location.take() {
                let next = resolve(&current, &loc);
                if !self.on_op(&next) {
                    return (Some(next), frames);
                }
                current = next;
                page = self.request(&current, None).await;
                continue;
            }
            assert_eq!(page.status, 200, "OP logout page:\n{}\n--- OP log ---\n{}", page.body, self.log());
            if let Some(action) = page
                .body
                .contains("name=\"xsrf\"")
                .then(|| tag_attrs(&page.body, "form", "action"))
                .and_then(|a| a.into_iter().next())
            {
                let mut fields = hidden_inputs(&page.body);
                if !fields.iter().any(|(k, _)| k == "logout") {
                    fields.push(("logout".into(), "yes".into()));
                }
                current = resolve(&current, &action);
                page = self.request(&current, Some(&fields)).await;
                continue;
            }
            if page.body.contains("frontchannel-logout") {
                frames.extend(tag_attrs(&page.body, "iframe", "src").into_iter().map(|s| resolve(&current, &s)));
                let next = resolve(&current, &element_attr(&page.body, "continue", "href").expect("continue link"));
                if !self.on_op(&next) {
                    return (Some(next), frames);
                }
                current = next;
                page = self.request(&current, None).await;
                continue;
            }
            return (None, frames);
        }
        panic!("too many steps at the OP's logout from {url}");
    }

    /// The `name=value` cookies this browser holds for the OP.
    pub fn cookies(&self) -> Vec<String> {
        self.jar.lock().unwrap().iter().map(|c| format!("{}={}", c.name, c.value)).collect()
    }

    fn on_op(&self, url: &str) -> bool {
        url.starts_with(&format!("{}/", self.origin)) || url == self.origin
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    async fn request(&self, url: &str, form: Option<&[(String, String)]>) -> Page {
        assert!(self.on_op(url), "not the OP's URL: {url}");
        let path = url::Url::parse(url).unwrap().path().to_string();
        let cookie = {
            let jar = self.jar.lock().unwrap();
            jar.iter()
                .filter(|c| path_matches(&c.path, &path))
                .map(|c| format!("{}={}", c.name, c.value))
                .collect::<Vec<_>>()
        };
        let mut rb = match form {
            Some(f) => self.http.post(url).form(f),
            None => self.http.get(url),
        };
        rb = rb.header("accept", "text/html");
        if !cookie.is_empty() {
            rb = rb.header("cookie", cookie.join("; "));
        }
        let resp = rb.send().await.unwrap_or_else(|e| panic!("request to the OP failed: {e}\n{}", self.log()));
        {
            let mut jar = self.jar.lock().unwrap();
            for line in resp.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()) {
                store_cookie(&mut jar, line);
            }
        }
        let status = resp.status().as_u16();
        let location = if resp.status().is_redirection() {
            resp.headers().get("location").map(|v| v.to_str().unwrap().to_string())
        } else {
            None
        };
        let body = resp.text().await.unwrap_or_default();
        Page { status, location, body }
    }
}

fn store_cookie(jar: &mut Vec<Cookie>, line: &str) {
    let mut parts = line.split(';');
    let Some((name, value)) = parts.next().and_then(|nv| nv.trim().split_once('=')) else { return };
    let mut path = "/".to_string();
    let mut expired = value.is_empty();
    for attr in parts {
        let (k, v) = attr.trim().split_once('=').unwrap_or((attr.trim(), ""));
        match k.to_ascii_lowercase().as_str() {
            "path" => path = v.to_string(),
            "max-age" => expired |= v.trim().starts_with('-') || v.trim() == "0",
            "expires" => expired |= v.contains("1970"),
            _ => {}
        }
    }
    jar.retain(|c| !(c.name == name && c.path == path));
    if !expired {
        jar.push(Cookie { name: name.to_string(), value: value.to_string(), path });
    }
}

fn path_matches(cookie_path: &str, path: &str) -> bool {
    path == cookie_path
        || (path.starts_with(cookie_path)
            && (cookie_path.ends_with('/') || path.as_bytes().get(cookie_path.len()) == Some(&b'/')))
}

fn resolve(base: &str, location: &str) -> String {
    url::Url::parse(base).unwrap().join(location).unwrap().to_string()
}

/// The `action` of the form with this `id`.
fn form_action(html: &str, id: &str) -> Option<String> {
    tags(html, "form").into_iter().find(|t| attr(t, "id").as_deref() == Some(id)).and_then(|t| attr(&t, "action"))
}

/// `name`/`value` of every hidden input.
fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    tags(html, "input")
        .into_iter()
        .filter(|t| attr(t, "type").as_deref() == Some("hidden"))
        .filter_map(|t| Some((attr(&t, "name")?, attr(&t, "value").unwrap_or_default())))
        .collect()
}

/// An attribute of the element with this `id`.
fn element_attr(html: &str, id: &str, name: &str) -> Option<String> {
    let marker = format!("id=\"{id}\"");
    let at = html.find(&marker)?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    attr(&html[start..=end], name)
}

/// An attribute of every `<tag ...>`.
fn tag_attrs(html: &str, tag: &str, name: &str) -> Vec<String> {
    tags(html, tag).into_iter().filter_map(|t| attr(&t, name)).collect()
}

/// The opening `<tag ...>` elements.
fn tags(html: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i..];
        match after.find('>') {
            Some(j) => {
                out.push(after[..=j].to_string());
                rest = &after[j..];
            }
            None => break,
        }
    }
    out
}

/// A double-quoted attribute of one tag, HTML-unescaped.
fn attr(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    let end = tag[start..].find('"')? + start;
    Some(
        tag[start..end]
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&#x27;", "'")
            .replace("&#39;", "'")
            .replace("&amp;", "&"),
    )
}

/// A fresh ES256 client key for private_key_jwt: the PKCS#8 PEM private key (for the gateway's config) and the public
/// JWK with `kid` (its RFC 7638 thumbprint), `alg` ES256 and `use` sig (for [`AuthMethod::PrivateKeyJwt`]).
pub fn client_key() -> (String, Value) {
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    use p256::pkcs8::{EncodePrivateKey, LineEnding};
    use sha2::Digest;
    let sk = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let pem = sk.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
    let point = sk.public_key().to_encoded_point(false);
    let x = B64.encode(point.x().unwrap());
    let y = B64.encode(point.y().unwrap());
    let thumbprint = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    let kid = B64.encode(sha2::Sha256::digest(thumbprint.as_bytes()));
    let jwk = json!({ "kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": kid, "alg": "ES256", "use": "sig" });
    (pem, jwk)
}

/// The decoded header and payload of a JWT, unverified.
pub fn jwt_parts(token: &str) -> (Value, Value) {
    let mut parts = token.split('.');
    let mut part = || serde_json::from_slice(&B64.decode(parts.next().expect("JWT part")).unwrap()).unwrap();
    (part(), part())
}
