//! The in-memory session store: one process, lost on restart; lookups take a read lock only.

use super::{SessionFilter, SessionKey, SessionRecord, SessionStore, StoreError};
use crate::clock::Instant;
use parking_lot::RwLock;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug)]
struct Entry {
    record: SessionRecord,
    last_seen: AtomicU64,
}

/// Sessions in a hash map; activity updates an atomic so busy sessions don't contend on a write lock.
#[derive(Debug, Default)]
pub struct MemoryStore {
    map: RwLock<HashMap<SessionKey, Arc<Entry>>>,
}

#[async_trait::async_trait]
impl SessionStore for MemoryStore {
    async fn insert(&self, key: SessionKey, record: SessionRecord, _ttl: Duration) -> Result<(), StoreError> {
        let last_seen = AtomicU64::new(record.last_seen.0);
        self.map.write().insert(key, Arc::new(Entry { record, last_seen }));
        Ok(())
    }

    async fn get(&self, key: &SessionKey) -> Result<Option<SessionRecord>, StoreError> {
        let entry = self.map.read().get(key).cloned();
        Ok(entry.map(|e| {
            let mut r = e.record.clone();
            r.last_seen = Instant(e.last_seen.load(Ordering::Relaxed));
            r
        }))
    }

    async fn touch(&self, key: &SessionKey, now: Instant, _ttl: Duration) -> Result<(), StoreError> {
        if let Some(e) = self.map.read().get(key) {
            e.last_seen.fetch_max(now.0, Ordering::Relaxed);
        }
        Ok(())
    }

    async fn remove(&self, key: &SessionKey) -> Result<(), StoreError> {
        self.map.write().remove(key);
        Ok(())
    }

    async fn purge(&self, idle_before: Instant, created_before: Instant) -> Result<usize, StoreError> {
        let mut map = self.map.write();
        let before = map.len();
        map.retain(|_, e| e.last_seen.load(Ordering::Relaxed) > idle_before.0 && e.record.created > created_before);
        Ok(before - map.len())
    }

    async fn remove_matching(&self, filter: &SessionFilter<'_>) -> Result<usize, StoreError> {
        let mut map = self.map.write();
        let before = map.len();
        map.retain(|_, e| !filter.matches(&e.record));
        Ok(before - map.len())
    }

    async fn len(&self) -> Result<usize, StoreError> {
        Ok(self.map.read().len())
    }
}
