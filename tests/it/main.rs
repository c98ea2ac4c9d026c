//! Every integration test in one crate (one binary to build and link): the gateway over real sockets, the real
//! `portvakt` process, and the real peers it talks to. Each module is one area; `common` is the shared harness.

mod account_zones;
mod audit_trail;
mod browser;
mod cli;
mod common;
mod demo;
mod eid;
mod eid_backchannel;
mod eid_profiles;
mod eid_readme;
mod gateway;
mod h2_frames;
mod hardening;
mod hot_path;
mod layers;
mod ldap;
mod limits;
mod notify;
mod oidc_harness;
mod ops;
mod pages;
mod paths;
mod policies;
mod process;
mod redis_shared;
mod redis_store;
mod regulation;
mod router;
mod second_factor;
mod store_cache;
mod store_eid;
mod store_processes;
mod store_sqlite;
mod tls_resumption;
mod upgrade;
