//! The Redis backend: one multiplexed connection to a standalone server or to the master that Sentinel names,
//! re-resolved after every failure; single-key operations and Lua scripts only, so Redis Cluster stays possible.

pub mod config;
pub mod conn;
pub mod ops;
pub mod stores;

pub use config::{RedisFile, RedisSettings};
pub use conn::Redis;
pub use stores::RedisStore;
