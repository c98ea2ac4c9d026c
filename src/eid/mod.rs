//! eID login over OpenID Connect (ID-porten profile): the relying party.
//!
//! Discovery, the authorization code flow with PKCE (S256), `state` bound to the browser, `nonce`, the RFC 9207
//! `iss` response parameter, client authentication by secret or `private_key_jwt`, optional pushed authorization
//! requests, and ID token verification (signature by the provider's published keys, never `alg: none`; issuer,
//! audience, expiry on the injected clock, nonce, `acr`). The person is identified by a configured claim (`pid`),
//! not by `sub`. No HTTP server code here: the gateway's handlers are thin.

pub mod backchannel;
pub mod config;
pub mod flow;

use crate::clock::{Clock, SharedClock, SystemClock};
use crate::methods::Assurance;
use crate::session::{EidLogin, StoreError};
use base64::Engine;
use config::{ClientAuth, EidSettings, ProviderSettings};
use flow::{AuthFlow, Flow, Flows, LinkFlow};
use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGenderClaim, CoreGrantType,
    CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm,
    CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalClaims, AdditionalProviderMetadata, ClaimsVerificationError, ClientId, IdToken, IdTokenVerifier,
    IssuerUrl, Nonce, PkceCodeChallenge, ProviderMetadata,
};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// How long discovered metadata and keys are used before they are fetched again.
const METADATA_TTL: Duration = Duration::from_secs(3600);
/// Least time between two key refreshes forced by an unknown signing key (so forged tokens can't cause a storm).
const KEY_REFRESH_MIN: Duration = Duration::from_secs(30);

/// How long a connection to a provider is kept for reuse: under the 5 s after which Node's and Apache's HTTP servers
/// close an idle keep-alive connection, so the gateway lets go first. A connection reused just as the provider
/// closed it fails the request ("connection closed before message completed"); at one request per login that was
/// a failed eID login now and then.
const PROVIDER_IDLE: Duration = Duration::from_secs(4);

/// Whether a failed request may be sent once more on a new connection: the connection failed under it (closed or
/// reset by the provider), not a timeout (a slow provider is not asked twice) and not a refused connection (a
/// provider that is down stays down).
fn resend_once(e: &reqwest::Error) -> bool {
    e.is_request() && !e.is_timeout() && !e.is_connect()
}
/// Longest accepted person identifier.
const MAX_PERSON_ID: usize = 256;
/// Longest value of a passed-through start parameter (`login_hint`, a country).
const MAX_PASS_THROUGH: usize = 256;
/// Clock skew allowed for a token's `iat`.
const IAT_SKEW: Duration = Duration::from_secs(300);

/// Form fields of a request to a provider.
type Fields = Vec<(String, String)>;

/// Discovery fields beyond OpenID Connect Discovery 1.0 that Portvakt uses.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ExtraMetadata {
    /// RP-initiated logout.
    pub end_session_endpoint: Option<String>,
    /// RFC 9126.
    pub pushed_authorization_request_endpoint: Option<String>,
    /// RFC 9207: the provider sends `iss` with the authorization response.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
}
impl AdditionalProviderMetadata for ExtraMetadata {}

type Metadata = ProviderMetadata<
    ExtraMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// ID token claims beyond the standard ones (`pid`, `sid`, ...).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ExtraClaims {
    /// Every non-standard claim.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}
impl AdditionalClaims for ExtraClaims {}

type EidIdToken = IdToken<ExtraClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;

/// Why an eID step failed. Each maps to a page that says what happened and what to do.
#[derive(Debug, thiserror::Error)]
pub enum EidError {
    /// No provider with that name.
    #[error("unknown eID provider")]
    UnknownProvider,
    /// The provider could not be reached or answered with a server error.
    #[error("eID provider unavailable: {0}")]
    Unavailable(String),
    /// The callback's `state` is missing, unknown, used, expired, or was started in another browser.
    #[error("no eID login in progress for this callback")]
    FlowMissing,
    /// The provider answered with an error (e.g. the user cancelled).
    #[error("the provider refused: {error}")]
    Denied {
        /// OAuth error code.
        error: String,
        /// Provider's description.
        description: Option<String>,
    },
    /// The response's `iss` is missing or not the provider's (RFC 9207 mix-up defence).
    #[error("authorization response issuer mismatch: {0}")]
    IssuerMismatch(String),
    /// The token endpoint refused the code (expired, replayed, PKCE mismatch).
    #[error("the provider refused the authorization code: {0}")]
    CodeRefused(String),
    /// The ID token failed verification.
    #[error("ID token rejected: {0}")]
    InvalidToken(String),
    /// The login's `acr` is below what is required.
    #[error("eID login at {acr}, below the required level")]
    AcrTooLow {
        /// The `acr` the provider returned.
        acr: String,
    },
    /// The flow store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A verified eID login.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verified {
    /// Provider name.
    pub provider: String,
    /// The person's identifier.
    pub person_id: String,
    /// Assurance of the login.
    pub assurance: Assurance,
    /// The `acr` returned.
    pub acr: String,
    /// The raw ID token.
    pub id_token: String,
    /// Provider session ID.
    pub sid: Option<String>,
    /// The token's `sub` (back-channel logout may name only it); absent in link flows stored by older versions.
    #[serde(default)]
    pub sub: String,
    /// Where to go next.
    pub rd: String,
}

/// Leaves out the raw ID token and the person's identifier.
impl std::fmt::Debug for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verified")
            .field("provider", &self.provider)
            .field("person_id", &"<redacted: a national identity number>")
            .field("assurance", &self.assurance)
            .field("acr", &self.acr)
            .field("sid", &self.sid)
            .field("sub", &self.sub)
            .field("rd", &self.rd)
            .finish_non_exhaustive()
    }
}

impl Verified {
    /// What a session keeps of it.
    pub fn login(&self) -> EidLogin {
        EidLogin { provider: self.provider.clone(), sid: self.sid.clone(), id_token: self.id_token.clone() }
    }
}

/// The query of a callback.
#[derive(Clone, Default)]
pub struct Callback {
    /// `state`.
    pub state: Option<String>,
    /// `code`.
    pub code: Option<String>,
    /// `iss` (RFC 9207).
    pub iss: Option<String>,
    /// `error`.
    pub error: Option<String>,
    /// `error_description`.
    pub error_description: Option<String>,
}

/// Leaves out the authorization code and the `state` value.
impl std::fmt::Debug for Callback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callback")
            .field("iss", &self.iss)
            .field("error", &self.error)
            .field("error_description", &self.error_description)
            .finish_non_exhaustive()
    }
}

/// What starting a login needs from the request.
#[derive(Clone)]
pub struct Start<'a> {
    /// Provider name.
    pub provider: &'a str,
    /// Where to go after login.
    pub rd: &'a str,
    /// Page language, sent as `ui_locales`.
    pub lang: &'a str,
    /// Ask the provider for a fresh login (after our session timed out, or to step up above the session's level).
    pub prompt_login: bool,
    /// The assurance a step-up needs: `acr_values` asks for the provider's acr values of the least level at or
    /// above it, and a login coming back below it is refused. `None`: the provider's configured `acr_values`.
    pub level: Option<Assurance>,
    /// The browser's binding cookie value.
    pub binding: &'a str,
    /// The start URL's query; the provider's `pass_through` parameters are taken from it.
    pub query: &'a [(String, String)],
}

/// Leaves out the binding cookie's value.
impl std::fmt::Debug for Start<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Start")
            .field("provider", &self.provider)
            .field("rd", &self.rd)
            .field("lang", &self.lang)
            .field("prompt_login", &self.prompt_login)
            .field("query", &self.query)
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct Discovered {
    meta: Metadata,
    fetched: std::time::Instant,
}

/// One configured provider with its HTTP client and discovered metadata.
#[derive(Debug)]
pub struct Provider {
    /// Its settings.
    pub settings: ProviderSettings,
    http: OnceLock<Result<reqwest::Client, String>>,
    discovered: tokio::sync::Mutex<Option<Arc<Discovered>>>,
}

impl Provider {
    fn new(settings: ProviderSettings) -> Provider {
        Provider { settings, http: OnceLock::new(), discovered: tokio::sync::Mutex::new(None) }
    }

    /// The HTTP client, made on first use (after pingora may have forked): no redirects, timeouts, extra CA.
    fn http(&self) -> Result<&reqwest::Client, EidError> {
        let made = self.http.get_or_init(|| {
            let mut b = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(self.settings.timeout)
                .connect_timeout(self.settings.timeout)
                .pool_idle_timeout(PROVIDER_IDLE)
                .user_agent(concat!("portvakt/", env!("CARGO_PKG_VERSION")));
            if let Some(ca) = &self.settings.ca_file {
                let pem = std::fs::read(ca).map_err(|e| format!("{}: {e}", ca.display()))?;
                for c in reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| e.to_string())? {
                    b = b.add_root_certificate(c);
                }
            }
            b.build().map_err(|e| e.to_string())
        });
        made.as_ref().map_err(|e| EidError::Unavailable(format!("HTTP client: {e}")))
    }

    /// Metadata and keys, fetched when missing, older than an hour, or (`refresh`) when a key is unknown.
    async fn metadata(&self, refresh: bool) -> Result<Arc<Discovered>, EidError> {
        let mut slot = self.discovered.lock().await;
        if let Some(d) = slot.as_ref() {
            let age = d.fetched.elapsed();
            if age < METADATA_TTL && !(refresh && age >= KEY_REFRESH_MIN) {
                return Ok(d.clone());
            }
        }
        let issuer = IssuerUrl::new(self.settings.issuer.clone())
            .map_err(|e| EidError::Unavailable(format!("issuer URL: {e}")))?;
        // Discovery and keys are GETs: one more try when the connection failed under the first.
        let fetched = Metadata::discover_async(issuer, &Resending(self.http()?)).await;
        match fetched {
            Ok(meta) => {
                for ep in [Some(meta.authorization_endpoint().url()), meta.token_endpoint().map(|t| t.url())]
                    .into_iter()
                    .flatten()
                {
                    if !config::acceptable_url(ep) {
                        return Err(EidError::Unavailable(format!("provider endpoint {ep} is not https")));
                    }
                }
                // Entra ID: the keys must be the tenant's own, published under the authority.
                if let Some(e) = &self.settings.entra {
                    let jwks = meta.jwks_uri().url().as_str();
                    if !jwks.starts_with(&e.keys_prefix) {
                        return Err(EidError::Unavailable(format!(
                            "keys at {jwks}, not under the tenant's {}",
                            e.keys_prefix
                        )));
                    }
                }
                let d = Arc::new(Discovered { meta, fetched: std::time::Instant::now() });
                *slot = Some(d.clone());
                Ok(d)
            }
            // Keep serving with what we had if a refresh fails; the keys rarely change.
            Err(e) => match slot.as_ref() {
                Some(d) => {
                    tracing::warn!(provider = %self.settings.name, error = %e, "eID discovery refresh failed");
                    Ok(d.clone())
                }
                None => Err(EidError::Unavailable(format!("discovery at {}: {e}", self.settings.issuer))),
            },
        }
    }

    /// Form fields (and Basic credentials) that authenticate us to the provider's endpoints.
    fn client_auth(&self) -> Result<(Option<(String, String)>, Fields), EidError> {
        let s = &self.settings;
        match &s.client_auth {
            ClientAuth::SecretBasic(secret) => {
                // RFC 6749 §2.3.1: both parts form-encoded before Basic encoding.
                let enc = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
                Ok((Some((enc(&s.client_id), enc(secret.expose()))), vec![]))
            }
            ClientAuth::SecretPost(secret) => Ok((
                None,
                vec![("client_id".into(), s.client_id.clone()), ("client_secret".into(), secret.expose().into())],
            )),
            ClientAuth::PrivateKeyJwt(key) => {
                // The provider checks these times against its own clock, so they come from the wall clock.
                let now = SystemClock.now().unix_seconds();
                let claims = serde_json::json!({
                    "iss": s.client_id, "sub": s.client_id, "aud": s.issuer,
                    "jti": crate::session::random_token(), "iat": now, "exp": now + 60,
                });
                let assertion = key
                    .sign_json(&claims)
                    .map_err(|e| EidError::Unavailable(format!("client assertion for {}: {e}", s.name)))?;
                Ok((
                    None,
                    vec![
                        ("client_id".into(), s.client_id.clone()),
                        (
                            "client_assertion_type".into(),
                            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
                        ),
                        ("client_assertion".into(), assertion),
                    ],
                ))
            }
        }
    }

    /// POSTs a form to a provider endpoint with client authentication; returns status and JSON body.
    ///
    /// When the connection fails under the request (the provider closed or reset a reused connection), the request
    /// is sent once more on a new connection, with fresh client authentication (a new `jti`). Sending a token request
    /// twice is harmless: if the first reached the provider, the code is spent and the second is refused, which is
    /// what the user would have seen anyway.
    async fn post(&self, url: &str, fields: Vec<(String, String)>) -> Result<(u16, serde_json::Value), EidError> {
        let mut tries = 0;
        let resp = loop {
            tries += 1;
            let (basic, auth_fields) = self.client_auth()?;
            let mut fields = fields.clone();
            // A parameter may appear once (RFC 6749 §3.1): the authorization request may already name the client.
            for (k, v) in auth_fields {
                if !fields.iter().any(|(n, _)| *n == k) {
                    fields.push((k, v));
                }
            }
            let mut rb = self.http()?.post(url).header("accept", "application/json").form(&fields);
            if let Some((id, secret)) = basic {
                rb = rb.basic_auth(id, Some(secret));
            }
            match rb.send().await {
                Ok(resp) => break resp,
                Err(e) if tries == 1 && resend_once(&e) => {
                    tracing::info!(url, error = %e, "eID provider request failed on its connection; sent once more");
                }
                Err(e) => return Err(EidError::Unavailable(format!("{url}: {e}"))),
            }
        };
        let status = resp.status().as_u16();
        let body = resp.bytes().await.map_err(|e| EidError::Unavailable(format!("{url}: {e}")))?;
        if status >= 500 || (300..400).contains(&status) {
            return Err(EidError::Unavailable(format!("{url} answered {status}")));
        }
        let json = serde_json::from_slice(&body)
            .map_err(|_| EidError::Unavailable(format!("{url} answered {status} without JSON")))?;
        Ok((status, json))
    }
}

/// The provider's HTTP client for openidconnect's requests (discovery, keys), sending a request once more when the
/// connection failed under it (see [`resend_once`]).
struct Resending<'a>(&'a reqwest::Client);

impl<'c> openidconnect::AsyncHttpClient<'c> for Resending<'_> {
    type Error = openidconnect::HttpClientError<reqwest::Error>;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<openidconnect::HttpResponse, Self::Error>> + Send + Sync + 'c>,
    >;

    fn call(&'c self, req: openidconnect::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let again = req_copy(&req);
            match self.0.call(req).await {
                Err(openidconnect::HttpClientError::Reqwest(e)) if resend_once(&e) => {
                    tracing::info!(error = %e, "eID provider request failed on its connection; sent once more");
                    self.0.call(again).await
                }
                other => other,
            }
        })
    }
}

/// A copy of a provider request, for sending it once more.
fn req_copy(req: &openidconnect::HttpRequest) -> openidconnect::HttpRequest {
    let mut copy = openidconnect::HttpRequest::new(req.body().clone());
    *copy.method_mut() = req.method().clone();
    *copy.uri_mut() = req.uri().clone();
    *copy.version_mut() = req.version();
    *copy.headers_mut() = req.headers().clone();
    copy
}

/// The eID relying party: providers, flows in progress, the clock.
#[derive(Debug)]
pub struct Eid {
    providers: Vec<Arc<Provider>>,
    flows: Flows,
    clock: SharedClock,
    settings: EidSettings,
    redirect_uri: String,
}

impl Eid {
    /// The relying party for `settings`; `public_url` is the portal's base URL (the callback is built from it).
    pub fn new(settings: &EidSettings, public_url: &str, flows: Flows, clock: SharedClock) -> Eid {
        Eid {
            providers: settings.providers.iter().cloned().map(|p| Arc::new(Provider::new(p))).collect(),
            flows,
            clock,
            settings: settings.clone(),
            redirect_uri: format!("{}/.portvakt/eid/callback", public_url.trim_end_matches('/')),
        }
    }

    /// Whether any provider is configured.
    pub fn enabled(&self) -> bool {
        !self.providers.is_empty()
    }

    /// The settings.
    pub fn settings(&self) -> &EidSettings {
        &self.settings
    }

    /// The provider with this name.
    pub fn provider(&self, name: &str) -> Option<&Arc<Provider>> {
        self.providers.iter().find(|p| p.settings.name == name)
    }

    /// The provider whose issuer is `iss`.
    pub fn provider_by_issuer(&self, iss: &str) -> Option<&Arc<Provider>> {
        self.providers.iter().find(|p| p.settings.issuer == iss)
    }

    /// The flow store (also holds link flows).
    pub fn flows(&self) -> &Flows {
        &self.flows
    }

    /// Starts a login: stores the flow and returns the URL to send the browser to (after a pushed request when
    /// configured).
    pub async fn start(&self, s: &Start<'_>) -> Result<String, EidError> {
        let p = self.provider(s.provider).ok_or(EidError::UnknownProvider)?;
        let d = p.metadata(false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let state = random_b64(32);
        let nonce = random_b64(32);
        let flow = AuthFlow {
            provider: p.settings.name.clone(),
            binding: flow::hash(s.binding),
            nonce: nonce.clone(),
            pkce_verifier: verifier.secret().clone(),
            rd: s.rd.to_string(),
            fresh_login: s.prompt_login,
            min_assurance: s.level,
            expires: self.clock.now().plus(self.settings.flow_lifetime),
        };
        let mut params: Vec<(String, String)> = vec![
            ("response_type".into(), "code".into()),
            ("client_id".into(), p.settings.client_id.clone()),
            ("redirect_uri".into(), self.redirect_uri.clone()),
            ("scope".into(), p.settings.scopes.join(" ")),
            ("state".into(), state.clone()),
            ("nonce".into(), nonce),
            ("code_challenge".into(), challenge.as_str().to_string()),
            ("code_challenge_method".into(), "S256".into()),
            ("ui_locales".into(), s.lang.to_string()),
        ];
        let acr_values = acr_values_for(&p.settings, s.level);
        if !acr_values.is_empty() {
            params.push(("acr_values".into(), acr_values.join(" ")));
        }
        for name in &p.settings.pass_through {
            let value = s.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim());
            if let Some(v) =
                value.filter(|v| !v.is_empty() && v.len() <= MAX_PASS_THROUGH && !v.chars().any(char::is_control))
            {
                params.push((name.clone(), v.to_string()));
            }
        }
        if s.prompt_login {
            // max_age makes auth_time mandatory in the ID token (OpenID Connect Core 3.1.2.1), so finish() can check
            // that the provider really asked again instead of reusing its own session.
            params.push(("prompt".into(), "login".into()));
            params.push(("max_age".into(), self.settings.flow_lifetime.as_secs().to_string()));
        }
        let mut url = d.meta.authorization_endpoint().url().clone();
        if p.settings.pushed_authorization {
            let Some(par) = d.meta.additional_metadata().pushed_authorization_request_endpoint.clone() else {
                return Err(EidError::Unavailable("the provider advertises no pushed authorization endpoint".into()));
            };
            // With secret_basic the client_id is in the Authorization header; the request still names it.
            let (status, body) = p.post(&par, params).await?;
            let request_uri = body.get("request_uri").and_then(|v| v.as_str());
            match (status, request_uri) {
                (200 | 201, Some(uri)) => {
                    url.query_pairs_mut()
                        .append_pair("client_id", &p.settings.client_id)
                        .append_pair("request_uri", uri);
                }
                _ => return Err(EidError::Unavailable(format!("pushed authorization refused ({status}): {body}"))),
            }
        } else {
            url.query_pairs_mut().extend_pairs(params.iter());
        }
        self.flows.put(flow::hash(&state), Flow::Auth(flow)).await?;
        Ok(url.to_string())
    }

    /// Finishes a login from the provider's callback in the browser holding `binding`: checks state, issuer and
    /// errors, exchanges the code, and verifies the ID token.
    pub async fn finish(&self, cb: &Callback, binding: &str) -> Result<Verified, EidError> {
        // Only the shape we hand out (32 random bytes, base64url), so no other flow's key can be named.
        let state = cb
            .state
            .as_deref()
            .filter(|s| s.len() == 43 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
            .ok_or(EidError::FlowMissing)?;
        let Some(Flow::Auth(f)) = self.flows.take(&flow::hash(state)).await? else {
            return Err(EidError::FlowMissing);
        };
        use subtle::ConstantTimeEq;
        let bound = bool::from(f.binding.ct_eq(&flow::hash(binding)));
        if !bound || self.clock.now() >= f.expires {
            return Err(EidError::FlowMissing);
        }
        let p = self.provider(&f.provider).ok_or(EidError::UnknownProvider)?;
        let d = p.metadata(false).await?;
        match (&cb.iss, d.meta.additional_metadata().authorization_response_iss_parameter_supported) {
            (Some(iss), _) if *iss != p.settings.issuer => return Err(EidError::IssuerMismatch(iss.clone())),
            (None, true) => return Err(EidError::IssuerMismatch("missing".into())),
            _ => {}
        }
        if let Some(error) = &cb.error {
            return Err(EidError::Denied { error: error.clone(), description: cb.error_description.clone() });
        }
        let code = cb.code.as_deref().filter(|c| !c.is_empty()).ok_or(EidError::CodeRefused("no code".into()))?;
        let token_url = d
            .meta
            .token_endpoint()
            .map(|t| t.url().to_string())
            .ok_or_else(|| EidError::Unavailable("no token endpoint".into()))?;
        let (status, body) = p
            .post(
                &token_url,
                vec![
                    ("grant_type".into(), "authorization_code".into()),
                    ("code".into(), code.into()),
                    ("redirect_uri".into(), self.redirect_uri.clone()),
                    ("code_verifier".into(), f.pkce_verifier.clone()),
                ],
            )
            .await?;
        if status != 200 {
            let err = body.get("error").and_then(|v| v.as_str()).unwrap_or("error");
            let desc = body.get("error_description").and_then(|v| v.as_str()).unwrap_or("");
            return Err(EidError::CodeRefused(format!("{status} {err}: {desc}")));
        }
        let raw = body
            .get("id_token")
            .and_then(|v| v.as_str())
            .ok_or_else(|| EidError::InvalidToken("no id_token in the token response".into()))?
            .to_string();
        let token = EidIdToken::from_str(&raw).map_err(|e| EidError::InvalidToken(format!("not a JWT: {e}")))?;
        let claims = match self.verify(p, &d, &token, &f.nonce) {
            Err(ClaimsVerificationError::SignatureVerification(_)) => {
                // Perhaps the provider rotated its keys: fetch them again (rate-limited) and retry once.
                let d = p.metadata(true).await?;
                self.verify(p, &d, &token, &f.nonce)
            }
            other => other,
        }
        .map_err(|e| EidError::InvalidToken(e.to_string()))?;
        if f.fresh_login {
            check_fresh(claims.auth_time(), claims.issue_time(), self.settings.flow_lifetime)?;
        }
        let extra = &claims.additional_claims().other;
        let (acr, assurance) = match &p.settings.entra {
            Some(e) => entra_assurance(e, extra, claims.auth_method_refs())?,
            None => {
                let acr = claims
                    .auth_context_ref()
                    .map(|a| a.to_string())
                    .ok_or_else(|| EidError::InvalidToken("no acr claim".into()))?;
                let assurance = *p.settings.acr.get(&acr).ok_or_else(|| {
                    EidError::InvalidToken(format!("acr \"{acr}\" is not one this provider may return"))
                })?;
                (acr, assurance)
            }
        };
        if assurance < p.settings.min_assurance || f.min_assurance.is_some_and(|min| assurance < min) {
            return Err(EidError::AcrTooLow { acr });
        }
        let assurance = assurance.min(p.settings.max_assurance);
        let person_id = match claim_at(extra, claims.email(), &p.settings.person_claim) {
            Some(serde_json::Value::String(s)) => s.trim().to_string(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        if person_id.is_empty() || person_id.len() > MAX_PERSON_ID {
            return Err(EidError::InvalidToken(format!("no usable \"{}\" claim", p.settings.person_claim_label())));
        }
        let sid = extra.get("sid").and_then(|v| v.as_str()).filter(|s| !s.is_empty() && s.len() <= 512);
        Ok(Verified {
            provider: p.settings.name.clone(),
            person_id,
            assurance,
            acr,
            sid: sid.map(str::to_string),
            sub: claims.subject().as_str().to_string(),
            id_token: raw,
            rd: f.rd,
        })
    }

    fn verify<'t>(
        &self,
        p: &Provider,
        d: &Discovered,
        token: &'t EidIdToken,
        nonce: &str,
    ) -> Result<&'t openidconnect::IdTokenClaims<ExtraClaims, CoreGenderClaim>, ClaimsVerificationError> {
        let issuer =
            IssuerUrl::new(p.settings.issuer.clone()).map_err(|e| ClaimsVerificationError::Other(e.to_string()))?;
        let clock = self.clock.clone();
        let now = move || chrono_of(clock.now());
        let clock2 = self.clock.clone();
        let verifier: IdTokenVerifier<'_, CoreJsonWebKey> = IdTokenVerifier::new_public_client(
            ClientId::new(p.settings.client_id.clone()),
            issuer,
            d.meta.jwks().clone(),
        )
        .set_allowed_algs([
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
            CoreJwsSigningAlgorithm::RsaSsaPssSha256,
            CoreJwsSigningAlgorithm::RsaSsaPssSha384,
            CoreJwsSigningAlgorithm::RsaSsaPssSha512,
            CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            CoreJwsSigningAlgorithm::EcdsaP384Sha384,
        ])
        .set_time_fn(now)
        .set_issue_time_verifier_fn(move |iat| {
            let latest = chrono_of(clock2.now().plus(IAT_SKEW));
            if iat > latest {
                Err(format!("issued in the future ({iat})"))
            } else {
                Ok(())
            }
        });
        token.claims(&verifier, &Nonce::new(nonce.to_string()))
    }

    /// The provider's end-session URL for a session's eID login, when it has one and ending it is enabled.
    pub async fn end_session_url(&self, login: &EidLogin, post_logout: &str, lang: &str) -> Option<String> {
        let p = self.provider(&login.provider)?;
        if !p.settings.end_session {
            return None;
        }
        let d = p.metadata(false).await.ok()?;
        let ep = d.meta.additional_metadata().end_session_endpoint.as_deref()?;
        let mut url = url::Url::parse(ep).ok().filter(config::acceptable_url)?;
        url.query_pairs_mut()
            .append_pair("id_token_hint", &login.id_token)
            .append_pair("post_logout_redirect_uri", post_logout)
            .append_pair("client_id", &p.settings.client_id)
            .append_pair("ui_locales", lang);
        Some(url.to_string())
    }

    /// Stores a verified, unlinked eID until the user links it; returns the link cookie value.
    pub async fn park_for_link(&self, v: &Verified) -> Result<String, EidError> {
        let token = random_b64(32);
        let f =
            LinkFlow { login: v.clone(), pending: None, expires: self.clock.now().plus(self.settings.flow_lifetime) };
        self.flows.put(flow::hash(&token), Flow::Link(f)).await?;
        Ok(token)
    }

    /// The link flow behind a link cookie, if it is still valid.
    pub async fn link_flow(&self, token: &str) -> Result<Option<LinkFlow>, EidError> {
        match self.flows.get(&flow::hash(token)).await? {
            Some(Flow::Link(l)) if self.clock.now() < l.expires => Ok(Some(l)),
            _ => Ok(None),
        }
    }

    /// Replaces the link flow behind a link cookie.
    pub async fn update_link_flow(&self, token: &str, l: LinkFlow) -> Result<(), EidError> {
        Ok(self.flows.put(flow::hash(token), Flow::Link(l)).await?)
    }

    /// Ends a link flow (linked, or given up).
    pub async fn end_link_flow(&self, token: &str) -> Result<(), EidError> {
        self.flows.take(&flow::hash(token)).await?;
        Ok(())
    }

    /// Drops expired flows, at most `limit`.
    pub async fn purge(&self, limit: usize) -> Result<usize, StoreError> {
        self.flows.purge(self.clock.now(), limit).await
    }
}

/// Entra ID: the token's tenant must be ours; the assurance is the configured one, raised when `amr` says `mfa`.
/// Returns what stands for `acr` in logs (`amr:mfa` or `amr:-`) and the assurance.
fn entra_assurance(
    e: &config::EntraSettings,
    extra: &serde_json::Map<String, serde_json::Value>,
    amr: Option<&Vec<openidconnect::AuthenticationMethodReference>>,
) -> Result<(String, Assurance), EidError> {
    match extra.get("tid").and_then(|t| t.as_str()) {
        Some(tid) if tid.eq_ignore_ascii_case(&e.tenant_id) => {}
        Some(tid) => {
            let shown: String = tid.chars().take(64).collect();
            return Err(EidError::InvalidToken(format!("tid \"{shown}\" is not the configured tenant")));
        }
        None => return Err(EidError::InvalidToken("no tid claim".into())),
    }
    let mfa = amr.is_some_and(|v| v.iter().any(|m| m.as_str() == "mfa"));
    Ok(if mfa { ("amr:mfa".into(), e.mfa_assurance) } else { ("amr:-".into(), e.assurance) })
}

/// The value at `path` in the token's claims: a top-level claim, or members of nested claim objects. `email` is a
/// standard claim the library parses apart, so it is taken from there.
fn claim_at(
    extra: &serde_json::Map<String, serde_json::Value>,
    email: Option<&openidconnect::EndUserEmail>,
    path: &[String],
) -> Option<serde_json::Value> {
    let (first, rest) = path.split_first()?;
    if first == "email" && rest.is_empty() {
        return email.map(|e| serde_json::Value::String(e.as_str().to_string()));
    }
    let mut v = extra.get(first)?;
    for k in rest {
        v = v.as_object()?.get(k)?;
    }
    Some(v.clone())
}

/// The `acr_values` to ask for: the provider's configured ones, or for a step-up to `level` the provider's acr
/// values of the least assurance at or above it (ID-porten: `idporten-loa-high` for high).
pub fn acr_values_for(p: &ProviderSettings, level: Option<Assurance>) -> Vec<String> {
    // A provider asked for no acr values (Entra ID sets the level from `amr`) is not asked for one now either.
    let Some(level) = level.filter(|_| !p.acr_values.is_empty()) else { return p.acr_values.clone() };
    let Some(least) = p.acr.values().filter(|a| **a >= level).min().copied() else { return p.acr_values.clone() };
    p.acr.iter().filter(|(_, a)| **a == least).map(|(k, _)| k.clone()).collect()
}

/// The highest assurance a provider can give: its `acr` table's best, or for Entra ID its multi-factor level; never
/// above its `max_assurance`.
pub fn best_assurance(p: &ProviderSettings) -> Assurance {
    let entra = p.entra.as_ref().map(|e| e.assurance.max(e.mfa_assurance));
    p.acr.values().copied().chain(entra).max().unwrap_or(Assurance::None).min(p.max_assurance)
}

/// After `prompt=login` the person must have logged in at the provider for this request: `auth_time` no earlier
/// before the token was issued than a flow may last. Both times are the provider's, so clock skew doesn't matter.
fn check_fresh(
    auth_time: Option<chrono::DateTime<chrono::Utc>>,
    issued: chrono::DateTime<chrono::Utc>,
    flow_lifetime: std::time::Duration,
) -> Result<(), EidError> {
    let auth_time = auth_time.ok_or_else(|| {
        EidError::InvalidToken("a fresh login was asked for (prompt=login) and the token has no auth_time".into())
    })?;
    let age = issued.signed_duration_since(auth_time).num_seconds();
    if age > i64::try_from(flow_lifetime.as_secs()).unwrap_or(i64::MAX) {
        return Err(EidError::InvalidToken(format!(
            "a fresh login was asked for (prompt=login) and the provider reused a login {age} s old"
        )));
    }
    Ok(())
}

fn chrono_of(t: crate::clock::Instant) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(i64::try_from(t.0).unwrap_or(i64::MAX)).unwrap_or_default()
}

fn random_b64(n: usize) -> String {
    use rand::RngCore;
    let mut b = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Masks a person identifier for display: only the last three characters show ("••••••••789").
pub fn mask_person_id(id: &str) -> String {
    let n = id.chars().count();
    let keep = if n > 6 { 3 } else { 1.min(n) };
    let mut s: String = std::iter::repeat_n('•', n - keep).collect();
    s.extend(id.chars().skip(n - keep));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// After prompt=login: a login made within the flow's lifetime before the token passes; an older one, or none
    /// stated, is refused.
    #[test]
    fn fresh_login_needs_a_recent_auth_time() {
        let issued = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let ten_min = std::time::Duration::from_secs(600);
        let before = |s: i64| Some(issued - chrono::Duration::seconds(s));
        assert!(check_fresh(before(5), issued, ten_min).is_ok());
        assert!(check_fresh(before(600), issued, ten_min).is_ok());
        let old = check_fresh(before(601), issued, ten_min).unwrap_err().to_string();
        assert!(old.contains("reused a login 601 s old"), "{old}");
        let none = check_fresh(None, issued, ten_min).unwrap_err().to_string();
        assert!(none.contains("no auth_time"), "{none}");
    }

    /// A national ID number shows only its last three digits.
    #[test]
    fn masking() {
        assert_eq!(mask_person_id("12345678901"), "••••••••901");
        assert_eq!(mask_person_id("abc"), "••c");
        assert_eq!(mask_person_id(""), "");
    }

    /// Reads one HTTP/1.1 request (head and Content-Length body) from a test connection; false at end of stream.
    fn read_request(conn: &mut std::net::TcpStream) -> bool {
        use std::io::Read;
        let mut got = Vec::new();
        let mut byte = [0u8; 1];
        while !got.ends_with(b"\r\n\r\n") {
            match conn.read(&mut byte) {
                Ok(1) => got.push(byte[0]),
                _ => return false,
            }
        }
        let head = String::from_utf8_lossy(&got).to_ascii_lowercase();
        let len = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0)))
            .unwrap_or(0);
        let mut body = vec![0u8; len];
        conn.read_exact(&mut body).is_ok()
    }

    /// A provider that closes a kept-alive connection just as the next token request arrives (as Node's and
    /// Apache's servers do 5 s after the last answer) does not fail the login: the request is sent once more on a
    /// new connection. Before, the second request failed with "error sending request".
    #[tokio::test]
    async fn a_connection_closed_under_a_request_is_retried_once_on_a_new_one() {
        use std::io::Write;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/token", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let answer = |conn: &mut std::net::TcpStream, body: &str| {
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                conn.write_all(format!("{head}{body}").as_bytes()).unwrap();
            };
            let mut requests = 0;
            let (mut first, _) = listener.accept().unwrap();
            assert!(read_request(&mut first));
            requests += 1;
            answer(&mut first, r#"{"n":1}"#);
            // The next request on this connection arrives as the server lets the idle connection go.
            if read_request(&mut first) {
                requests += 1;
            }
            drop(first);
            let (mut second, _) = listener.accept().unwrap();
            assert!(read_request(&mut second));
            requests += 1;
            answer(&mut second, r#"{"n":2}"#);
            requests
        });
        let text = format!(
            "{}\n[[eid.providers]]\nname = \"idporten\"\nissuer = \"https://idporten.example\"\nclient_id = \"c\"\nclient_secret = \"s\"\n",
            config::tests::BASE
        );
        let cfg = config::tests::load(&text).unwrap();
        let p = Provider::new(cfg.eid.providers[0].clone());
        let fields = vec![("grant_type".to_string(), "authorization_code".to_string())];
        let (status, body) = p.post(&url, fields.clone()).await.unwrap();
        assert_eq!((status, body["n"].as_i64()), (200, Some(1)));
        let second = p.post(&url, fields).await;
        let (status, body) = second.unwrap_or_else(|e| panic!("the login failed: {e}"));
        assert_eq!((status, body["n"].as_i64()), (200, Some(2)), "answered from the new connection");
        assert_eq!(server.join().unwrap(), 3, "the token request was sent once more, once");
    }

    /// Debug of a verified login, a callback and a login start leaves out the ID token, the authorization code, the
    /// `state` and the binding cookie.
    #[test]
    fn debug_leaves_out_secrets() {
        let v = Verified {
            provider: "p".into(),
            person_id: "12089912345".into(),
            assurance: Assurance::default(),
            acr: "high".into(),
            id_token: "eyJ-id-token-secret".into(),
            sid: None,
            sub: "s".into(),
            rd: "/".into(),
        };
        let shown = format!("{v:?}");
        assert!(shown.contains("Verified") && !shown.contains("eyJ-id-token-secret"), "{shown}");
        assert!(!shown.contains("12089912345"), "no person ID in Debug: {shown}");
        let c = Callback {
            state: Some("state-secret".into()),
            code: Some("code-secret".into()),
            iss: Some("https://op".into()),
            ..Callback::default()
        };
        let shown = format!("{c:?}");
        assert!(shown.contains("https://op") && !shown.contains("state-secret"), "{shown}");
        assert!(!shown.contains("code-secret"), "{shown}");
        let s = Start {
            provider: "p",
            rd: "/",
            lang: "nb",
            prompt_login: false,
            binding: "binding-secret",
            query: &[],
            level: None,
        };
        let shown = format!("{s:?}");
        assert!(shown.contains("Start") && !shown.contains("binding-secret"), "{shown}");
    }
}
