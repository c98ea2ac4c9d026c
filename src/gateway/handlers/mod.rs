//! One file per page family. Each handler extracts what the request says ([`super::extract`]), calls a domain
//! service ([`crate::services`], [`crate::access`], the stores) and renders the outcome ([`crate::pages`]).

pub mod account;
pub mod eid_link;
pub mod eid_login;
pub mod login;
pub mod logout;
pub mod portal;
pub mod second_factor;
pub mod system;
