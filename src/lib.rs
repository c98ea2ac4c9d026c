//! Portvakt: an authentication gateway in front of a municipality's employee services.
//!
//! # Layout
//! Dependencies point one way, bottom up: a module uses only modules in the layers below it (or listed before it in
//! its own layer). `tests/it/layers.rs` holds this table and fails on any import that points up.
//!
//! Config core (leaf):
//! - [`config::error`] (source files, [`config::error::LineIndex`], errors at `FILE:LINE:COL`),
//!   [`config::duration`], [`config::secret`] (values that never print) and [`config::check`] (the one
//!   [`config::check::Checker`] every config section is validated with, shared checks such as loopback hosts).
//! - [`clock`]: injected time. [`methods`]: login methods and sets of them. [`phone`]: mobile numbers to E.164.
//! - [`canonical`]: the one canonical request path (decoding, dot segments, refused spellings), query encoding.
//! - [`token`]: random tokens and their constant-time comparison.
//!
//! Identity, zones, protected services and policy:
//! - [`identity`]: the [`identity::User`] a directory answers with, [`identity::AccountId`] (`realm:username`),
//!   institutions and their `[[institutions]]` section.
//! - [`zones`]: network zones and which client address to believe (trusted proxies, X-Forwarded-For); owns
//!   `[network]` and `[[zones]]` ([`zones::config`]).
//! - [`protected`]: the services behind the gateway (hosts, path prefix, backends, portal title); owns
//!   `[[services]]` ([`protected::config`]).
//! - [`policy`]: policy files (who may open what, from where, with which login, when), their checker and `explain`.
//!
//! Stores, directories, notification:
//! - [`store`]: traits of atomic operations on shared state, their backends, sealing for persistent ones; store
//!   errors ([`store::StoreError`]) and `[store]`.
//! - [`directory`]: users and password checks: users file (hashing on the blocking pool), LDAP / Active Directory;
//!   owns `[[directories]]` ([`directory::config`]); last-known entries for eID during an outage
//!   ([`directory::snapshot`], used by `gateway::snapshots`).
//! - [`notify`]: sending codes: e-mail over SMTP, SMS through 46elks or a webhook, or printed (log) for the demo.
//! - [`edge`]: connection caps, TLS handshake, request head and keep-alive deadlines, HTTP/2 limits (their keys are
//!   in `[server]`, checked by [`server::config::edge_limits`]).
//! - [`metrics`]: Prometheus metrics (`portvakt_*`), counted from audit events and pingora's logging phase; the request
//!   series per worker thread ([`metrics::requests`]).
//! - [`tls`]: the rustls server configuration and session tickets shared by instances with the same store keys;
//!   owns `[tls]` ([`tls::config`]).
//!
//! Domain services:
//! - [`instrument`]: store and directory operations counted and timed, as wrappers put in place at start.
//! - [`session`]: session IDs, records and timeouts; owns `[session]` ([`session::config`]). [`regulation`]: bans
//!   after repeated failed logins; owns `[login]` ([`regulation::config`]).
//! - [`second_factor`]: one-time codes: challenges, lockout, send limits; owns `[second_factor]`
//!   ([`second_factor::config`]).
//! - [`account`]: what users register themselves (SMS numbers), persisted; owns `[accounts]` ([`account::config`]).
//! - [`assertion`]: the signed identity JWT for backends and its JWKS (a signing failure is an error, never an
//!   unsigned token), owns `[assertion]` ([`assertion::config`]); [`assertion_cache`] reuses them.
//! - [`eid`]: eID login (OpenID Connect) and its flows. [`access`]: the access decision for a session, zone, service.
//! - [`audit`]: the typed audit trail ([`audit::AuditEvent`]), its request scope, and its writer (file or journal).
//! - [`services`]: what the gateway's pages call: password login, sending codes, eID linking.
//! - [`forwarding`]: client headers that never reach a backend; owns `[forwarding]` ([`forwarding::config`]).
//! - [`branding`]: the municipality's name, logo, favicon, colour and footer links; how to reach IT support; owns
//!   `[branding]` and `[support]`.
//!
//! Each section of the config file belongs to the module it configures: its `File*` struct, settings type and
//! validation live in that module's `config` (with the core [`config::check::Checker`]), and [`config`] only
//! composes them (see "Adding a config section" in [`config`]). `[server]` and `[[listeners]]` are in
//! [`server::config`], `[tls]` in [`tls::config`], `[second_factor]` in [`second_factor::config`], `[accounts]` in
//! [`account::config`], `[assertion]` in [`assertion::config`].
//!
//! Composition and serving:
//! - [`admin::config`] and [`server::config`]: the `[admin]`, `[server]` and `[[listeners]]` sections, below
//!   [`config`], which composes them (the modules they configure sit above it).
//! - [`config`]: the TOML file format and the validated [`config::Config`], composed from each section's settings;
//!   `check` reports `FILE:LINE:COL`; policy loading against the config ([`config::Config::load_policies`]).
//! - [`pages`]: HTML pages as askama templates (`templates/`, one base layout, escaping by construction), strings in
//!   five languages (Fluent files in `locales/`), security headers.
//! - [`gateway`]: the pingora `ProxyHttp` implementation, the gateway's own endpoints and forwarding.
//! - [`admin`]: the admin listener (`[admin] listen`, loopback by default): `/metrics`, `/healthz`, `/readyz`.
//! - [`health`]: the systemd watchdog, pinging only while the gateway answers its own health check.
//! - [`server`]: builds the pingora server from a config: listeners, TLS, background services, signals.
//! - [`upgrade`]: zero-downtime binary upgrade of the `portvakt run` process (SIGUSR2, `portvakt upgrade`), pid file.
//! - [`demo`]: demo backends and config for `portvakt demo` (also used by the tests as real backends).
//! - [`cli`]: the command-line subcommands; `main.rs` only parses and dispatches.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::await_holding_lock
    )
)]

pub mod access;
pub mod account;
pub mod admin;
pub mod assertion;
pub mod assertion_cache;
pub mod audit;
pub mod branding;
pub mod canonical;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod directory;
pub mod edge;
pub mod eid;
pub mod forwarding;
pub mod gateway;
pub mod health;
pub mod identity;
pub mod instrument;
pub mod methods;
pub mod metrics;
pub mod notify;
pub mod pages;
pub mod phone;
pub mod policy;
pub mod protected;
pub mod regulation;
pub mod second_factor;
pub mod server;
pub mod services;
pub mod session;
pub mod store;
pub mod tls;
pub mod token;
pub mod upgrade;
pub mod zones;

#[cfg(test)]
mod proptests;
