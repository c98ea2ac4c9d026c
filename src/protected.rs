//! The services the gateway protects: each one's name, the hosts and path prefix routed to it, its backends and
//! how the portal shows it. Owns `[[services]]` ([`config`]); routing on these settings is in the gateway.

pub mod config;

pub use config::{PortalShow, ServiceSettings, UpstreamAddr};
