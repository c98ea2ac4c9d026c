//! The test OP itself (tests/it/common/oidc.rs), driven by hand without the gateway: discovery, the code flow with
//! PKCE, SSO and prompt=login, step-up, forged ID tokens, private_key_jwt with PAR, logout with front-channel logout.

use crate::common::oidc::{client_key, jwt_parts, AuthMethod, Authorized, OpClient, TestOp, LOA_HIGH, LOA_SUBSTANTIAL};
use crate::common::REMOTE;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde_json::{json, Value};
use sha2::Digest;

const PID: &str = "01017012345";
const SECRET: &str = "basic-secret-0123456789-0123456789";
const RP: &str = "http://127.0.0.1:9";

fn basic_client() -> OpClient {
    OpClient {
        post_logout_redirect_uris: vec![format!("{RP}/logged-out")],
        frontchannel_logout_uri: Some(format!("{RP}/fc-basic")),
        ..OpClient::basic("basic-rp", SECRET, &format!("{RP}/cb"))
    }
}

fn jwt_client(public_jwk: Value) -> OpClient {
    OpClient {
        client_id: "jwt-rp".into(),
        client_secret: None,
        auth_method: AuthMethod::PrivateKeyJwt { public_jwk },
        redirect_uris: vec![format!("{RP}/jwt-cb")],
        post_logout_redirect_uris: vec![],
        frontchannel_logout_uri: Some(format!("{RP}/fc-jwt")),
        extra: Value::Null,
    }
}

fn random() -> String {
    B64.encode(rand::random::<[u8; 32]>())
}

/// One authorization request's secrets.
struct Request {
    url: String,
    verifier: String,
    state: String,
    nonce: String,
}

fn auth_request(op: &TestOp, client_id: &str, redirect: &str, extra: &[(&str, &str)]) -> Request {
    let (verifier, state, nonce) = (random(), random(), random());
    let challenge = B64.encode(sha2::Sha256::digest(verifier.as_bytes()));
    let mut url = url::Url::parse(&format!("{}/authorize", op.issuer())).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid profile")
        .append_pair("redirect_uri", redirect)
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .extend_pairs(extra);
    Request { url: url.to_string(), verifier, state, nonce }
}

async fn token_basic(op: &TestOp, code: &str, verifier: &str) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{}/token", op.issuer()))
        .basic_auth("basic-rp", Some(SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &format!("{RP}/cb")),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// An ES256 client assertion for private_key_jwt.
fn client_assertion(op: &TestOp, pem: &str, kid: &str) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(kid.into());
    let claims =
        json!({ "iss": "jwt-rp", "sub": "jwt-rp", "aud": op.issuer(), "jti": random(), "iat": now, "exp": now + 60 });
    jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_ec_pem(pem.as_bytes()).unwrap()).unwrap()
}

/// Verifies an ID token against the OP's JWKS.
async fn verify(op: &TestOp, id_token: &str, aud: &str) -> Result<Value, jsonwebtoken::errors::Error> {
    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(op.jwks().await).unwrap();
    let kid = jsonwebtoken::decode_header(id_token)?.kid.expect("kid");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwks.find(&kid).expect("key in JWKS")).unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&[aud]);
    v.set_issuer(&[op.issuer()]);
    Ok(jsonwebtoken::decode::<Value>(id_token, &key, &v)?.claims)
}

/// A code flow for basic-rp in `browser`: returns the callback and the token response.
async fn flow(
    op: &TestOp,
    browser: &crate::common::oidc::OpBrowser,
    extra: &[(&str, &str)],
    acr: &str,
) -> (Authorized, Value) {
    let req = auth_request(op, "basic-rp", &format!("{RP}/cb"), extra);
    let auth = browser.authorize(&req.url, PID, acr).await;
    assert!(auth.callback.starts_with(&format!("{RP}/cb?")), "{}", auth.callback);
    assert_eq!(auth.param("state").as_deref(), Some(req.state.as_str()));
    let tokens = token_basic(op, &auth.param("code").expect("code"), &req.verifier).await;
    let (_, claims) = jwt_parts(tokens["id_token"].as_str().unwrap());
    if claims["nonce"] != "evil" {
        assert_eq!(claims["nonce"], req.nonce);
    }
    (auth, tokens)
}

#[tokio::test]
async fn discovery_advertises_what_idporten_does() {
    let op = TestOp::start(vec![basic_client()]);
    let d = op.discovery().await;
    assert_eq!(d["issuer"], op.issuer());
    assert_eq!(d["pushed_authorization_request_endpoint"], format!("{}/par", op.issuer()));
    assert_eq!(d["end_session_endpoint"], format!("{}/logout", op.issuer()));
    assert_eq!(d["authorization_response_iss_parameter_supported"], true);
    assert_eq!(d["acr_values_supported"], json!([LOA_SUBSTANTIAL, LOA_HIGH]));
    assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(d["response_types_supported"], json!(["code"]));
    assert_eq!(d["id_token_signing_alg_values_supported"], json!(["RS256"]));
}

#[tokio::test]
async fn code_flow_sso_prompt_login_and_step_up() {
    let op = TestOp::start(vec![basic_client()]);
    let browser = op.browser(REMOTE);

    let (auth, tokens) = flow(&op, &browser, &[("acr_values", LOA_HIGH), ("ui_locales", "nb")], LOA_HIGH).await;
    assert!(auth.prompted);
    assert_eq!(auth.param("iss"), Some(op.issuer()), "RFC 9207 iss in {}", auth.callback);
    let id_token = tokens["id_token"].as_str().unwrap();
    let claims = verify(&op, id_token, "basic-rp").await.unwrap();
    assert_eq!(claims["pid"], PID);
    assert_eq!(claims["acr"], LOA_HIGH);
    assert_eq!(claims["amr"], json!(["BankID"]));
    assert!(claims["sid"].as_str().is_some_and(|s| !s.is_empty()), "{claims}");
    assert!(claims["sub"].as_str().is_some_and(|s| !s.is_empty() && s != PID), "{claims}");
    assert_eq!(op.last_id_token().await.as_deref(), Some(id_token));

    let auths = op.requests_of("auth").await;
    assert_eq!(auths[0]["params"]["code_challenge_method"], "S256");
    assert_eq!(auths[0]["params"]["ui_locales"], "nb");
    assert_eq!(auths[0]["remote_address"], REMOTE);
    let token_reqs = op.requests_of("token").await;
    assert_eq!(token_reqs[0]["client_auth"], "client_secret_basic");
    assert_eq!(token_reqs[0]["status"], 200);

    // SSO: the OP's session is reused, with the same sid.
    let (again, tokens2) = flow(&op, &browser, &[], LOA_HIGH).await;
    assert!(!again.prompted);
    let (_, c2) = jwt_parts(tokens2["id_token"].as_str().unwrap());
    assert_eq!((&c2["sid"], &c2["sub"], &c2["acr"]), (&claims["sid"], &claims["sub"], &claims["acr"]));

    // prompt=login always shows the form; a session at substantial steps up when high is asked for.
    let (forced, _) = flow(&op, &browser, &[("prompt", "login")], LOA_SUBSTANTIAL).await;
    assert!(forced.prompted);
    assert_eq!(op.requests_of("auth").await.last().unwrap()["params"]["prompt"], "login");
    let (step_up, t) = flow(&op, &browser, &[("acr_values", LOA_HIGH)], LOA_HIGH).await;
    assert!(step_up.prompted);
    assert_eq!(jwt_parts(t["id_token"].as_str().unwrap()).1["acr"], LOA_HIGH);

    // Errors the OP shows itself, and a cancelled login.
    let bad = auth_request(&op, "basic-rp", "http://127.0.0.1:9/elsewhere", &[]);
    let page = browser.try_authorize(&bad.url, PID, LOA_HIGH).await.unwrap_err();
    assert_eq!(page.status, 400, "{}", page.body);
    let cancelled = op.browser(REMOTE).cancel(&auth_request(&op, "basic-rp", &format!("{RP}/cb"), &[]).url).await;
    assert_eq!(cancelled.param("error").as_deref(), Some("access_denied"));
    assert_eq!(cancelled.param("iss"), Some(op.issuer()));
    let no_pkce = browser
        .authorize(
            &format!(
                "{}/authorize?client_id=basic-rp&response_type=code&scope=openid&redirect_uri={RP}/cb",
                op.issuer()
            ),
            PID,
            LOA_HIGH,
        )
        .await;
    assert_eq!(no_pkce.param("error").as_deref(), Some("invalid_request"), "{}", no_pkce.callback);
}

#[tokio::test]
async fn forged_id_tokens() {
    let op = TestOp::start(vec![basic_client()]);
    let browser = op.browser(REMOTE);

    op.tamper_next(json!({ "nonce": "evil" })).await;
    let (_, tokens) = flow(&op, &browser, &[], LOA_SUBSTANTIAL).await;
    let claims = verify(&op, tokens["id_token"].as_str().unwrap(), "basic-rp").await.unwrap();
    assert_eq!(claims["nonce"], "evil");
    assert_eq!(claims["pid"], PID);

    // Only the next token is forged.
    let (_, tokens) = flow(&op, &browser, &[], LOA_SUBSTANTIAL).await;
    assert_ne!(jwt_parts(tokens["id_token"].as_str().unwrap()).1["nonce"], "evil");

    op.tamper_next(json!({ "alg_none": true })).await;
    let (_, tokens) = flow(&op, &browser, &[], LOA_SUBSTANTIAL).await;
    let token = tokens["id_token"].as_str().unwrap();
    assert_eq!(jwt_parts(token).0, json!({ "alg": "none" }));
    assert!(token.ends_with('.'));
    assert_eq!(op.last_id_token().await.as_deref(), Some(token));

    op.tamper_next(json!({ "exp_offset_secs": -3600, "drop": "sid" })).await;
    let (_, tokens) = flow(&op, &browser, &[], LOA_SUBSTANTIAL).await;
    let token = tokens["id_token"].as_str().unwrap();
    let err = verify(&op, token, "basic-rp").await.unwrap_err();
    assert_eq!(*err.kind(), jsonwebtoken::errors::ErrorKind::ExpiredSignature);
    let (_, c) = jwt_parts(token);
    assert!(c["iat"].as_u64().unwrap() < c["exp"].as_u64().unwrap());
    assert!(c.get("sid").is_none());

    op.tamper_next(json!({ "foreign_key": true })).await;
    let (_, tokens) = flow(&op, &browser, &[], LOA_SUBSTANTIAL).await;
    let err = verify(&op, tokens["id_token"].as_str().unwrap(), "basic-rp").await.unwrap_err();
    assert_eq!(*err.kind(), jsonwebtoken::errors::ErrorKind::InvalidSignature);
}

#[tokio::test]
async fn private_key_jwt_with_par_then_logout_with_front_channel() {
    let (pem, jwk) = client_key();
    let kid = jwk["kid"].as_str().unwrap().to_string();
    let op = TestOp::start(vec![basic_client(), jwt_client(jwk)]);
    let http = reqwest::Client::new();
    let browser = op.browser(REMOTE);

    // basic-rp logs in first; jwt-rp then rides on the OP's session.
    let (_, basic_tokens) = flow(&op, &browser, &[], LOA_SUBSTANTIAL).await;
    let basic_id_token = basic_tokens["id_token"].as_str().unwrap();

    let req = auth_request(&op, "jwt-rp", &format!("{RP}/jwt-cb"), &[("acr_values", LOA_SUBSTANTIAL)]);
    let mut form: Vec<(String, String)> = url::Url::parse(&req.url).unwrap().query_pairs().into_owned().collect();
    form.push(("client_assertion_type".into(), "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into()));
    form.push(("client_assertion".into(), client_assertion(&op, &pem, &kid)));
    let par = http.post(format!("{}/par", op.issuer())).form(&form).send().await.unwrap();
    assert_eq!(par.status(), 201);
    let par: Value = par.json().await.unwrap();
    let request_uri = par["request_uri"].as_str().unwrap();
    let url =
        format!("{}/authorize?client_id=jwt-rp&request_uri={}", op.issuer(), crate::common::urlencode(request_uri));
    let auth = browser.authorize(&url, PID, LOA_SUBSTANTIAL).await;
    assert!(!auth.prompted);
    assert_eq!(auth.param("state").as_deref(), Some(req.state.as_str()));
    let r = http
        .post(format!("{}/token", op.issuer()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &auth.param("code").unwrap()),
            ("redirect_uri", &format!("{RP}/jwt-cb")),
            ("code_verifier", &req.verifier),
            ("client_id", "jwt-rp"),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", &client_assertion(&op, &pem, &kid)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let tokens: Value = r.json().await.unwrap();
    let jwt_claims = verify(&op, tokens["id_token"].as_str().unwrap(), "jwt-rp").await.unwrap();
    assert_eq!(jwt_claims["pid"], PID);
    assert_eq!(jwt_claims["nonce"], req.nonce);

    let pars = op.requests_of("par").await;
    assert_eq!(pars.len(), 1);
    assert_eq!(pars[0]["client_auth"], "private_key_jwt");
    assert_eq!(pars[0]["params"]["code_challenge_method"], "S256");
    assert_eq!(pars[0]["client_assertion"]["payload"]["aud"], op.issuer());
    assert_eq!(pars[0]["client_assertion"]["header"]["kid"], kid.as_str());
    let last_token = op.requests_of("token").await.pop().unwrap();
    assert_eq!(last_token["client_auth"], "private_key_jwt");
    assert_eq!(last_token["status"], 200);

    // A wrong key is refused.
    let (other_pem, _) = client_key();
    let r = http
        .post(format!("{}/par", op.issuer()))
        .form(&[
            ("client_id", "jwt-rp"),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", &client_assertion(&op, &other_pem, &kid)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // basic-rp logs out: the OP renders jwt-rp's front-channel logout and returns to basic-rp with its state.
    let mut end = url::Url::parse(&format!("{}/logout", op.issuer())).unwrap();
    end.query_pairs_mut()
        .append_pair("id_token_hint", basic_id_token)
        .append_pair("post_logout_redirect_uri", &format!("{RP}/logged-out"))
        .append_pair("state", "bye");
    let (location, frames) = browser.end_session(end.as_str()).await;
    assert_eq!(location, Some(format!("{RP}/logged-out?state=bye")));
    let sid = crate::common::urlencode(jwt_claims["sid"].as_str().unwrap());
    assert_eq!(frames, vec![format!("{RP}/fc-jwt?iss={}&sid={sid}", crate::common::urlencode(&op.issuer()))]);
    let ends = op.requests_of("end_session").await;
    assert_eq!(ends[0]["params"]["state"], "bye");

    // Logging out again without a session still returns to the client.
    let url = format!("{}/logout?client_id=basic-rp&post_logout_redirect_uri={RP}/logged-out", op.issuer());
    assert_eq!(browser.end_session(&url).await, (Some(format!("{RP}/logged-out")), vec![]));

    // The session is gone: the next authorization shows the login form. A logout at the OP itself (no client)
    // notifies every client in the session and ends on the OP's own page.
    let again = auth_request(&op, "basic-rp", &format!("{RP}/cb"), &[]);
    assert!(browser.authorize(&again.url, PID, LOA_SUBSTANTIAL).await.prompted);
    let (location, frames) = browser.end_session(&format!("{}/logout", op.issuer())).await;
    assert_eq!(location, None);
    assert_eq!(frames.len(), 1);
    assert!(frames[0].starts_with(&format!("{RP}/fc-basic?iss=")), "{frames:?}");
}
