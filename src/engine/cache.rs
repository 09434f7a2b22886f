//! The memo table: keys, byte weights, eviction counting, and the
//! [`IndicatorSource`] that evaluations read through.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use quick_cache::sync::GuardResult;
use quick_cache::{Lifecycle, Weighter};

use crate::Backend;
use crate::error::Result;
use crate::trigger::{IndicatorKey, IndicatorOutputs, IndicatorSource};

use super::direct::Pool;

/// What one cached computation is: the indicator over which bars on which
/// backend (backends are not bit-identical, so a value computed on one is
/// never served to an evaluation running on another).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    pub(crate) fingerprint: u128,
    pub(crate) backend: Backend,
    pub(crate) indicator: IndicatorKey,
}

/// Bytes of quick_cache's own bookkeeping per entry (its docs: 21 bytes,
/// plus the key and value structs themselves).
const BOOKKEEPING: usize = 21 + size_of::<Key>() + size_of::<IndicatorOutputs>();
/// An `Arc`'s two reference counts.
const ARC_HEADER: usize = 2 * size_of::<usize>();

/// The bytes an entry is charged: the outputs' buffers (by capacity), their
/// `Vec` headers, the key's words, and the cache's bookkeeping.
pub(crate) fn entry_bytes(key: &Key, outputs: &IndicatorOutputs) -> u64 {
    let buffers: usize = outputs
        .iter()
        .map(|v| v.capacity() * size_of::<f64>() + size_of::<Vec<f64>>())
        .sum();
    (buffers + ARC_HEADER + key.indicator.words() * 8 + ARC_HEADER + BOOKKEEPING) as u64
}

/// Weighs entries by [`entry_bytes`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Bytes;

impl Weighter<Key, IndicatorOutputs> for Bytes {
    fn weight(&self, key: &Key, val: &IndicatorOutputs) -> u64 {
        entry_bytes(key, val)
    }
}

/// The engine's counters, shared with the cache's lifecycle hook.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) lookups: AtomicU64,
    pub(crate) hits: AtomicU64,
    pub(crate) misses: AtomicU64,
    pub(crate) evictions: AtomicU64,
    pub(crate) uncached: AtomicU64,
}

/// Counts evictions and hands the evicted buffers to the engine's
/// [`Pool`]. The engine never hands the cache an entry it would refuse
/// (see `Engine::max_entry_bytes`), so every `on_evict` is an entry pushed
/// out to make room.
#[derive(Clone, Debug)]
pub(crate) struct CountEvictions(pub(crate) Arc<Counters>, pub(crate) Arc<Pool>);

impl Lifecycle<Key, IndicatorOutputs> for CountEvictions {
    type RequestState = ();

    fn on_evict(&self, _: &mut (), _: Key, outputs: IndicatorOutputs) {
        self.0.evictions.fetch_add(1, Relaxed);
        self.1.recycle(outputs);
    }
}

pub(crate) type Table = quick_cache::sync::Cache<
    Key,
    IndicatorOutputs,
    Bytes,
    quick_cache::DefaultHashBuilder,
    CountEvictions,
>;

/// The engine's cache seen from one evaluation: fixed bars (by
/// fingerprint) and the evaluating thread's backend.
pub(crate) struct CacheSource<'e> {
    pub(crate) table: &'e Table,
    pub(crate) counters: &'e Counters,
    pub(crate) max_entry_bytes: u64,
    pub(crate) fingerprint: u128,
    pub(crate) backend: Backend,
}

impl CacheSource<'_> {
    pub(crate) fn key(&self, indicator: IndicatorKey) -> Key {
        Key {
            fingerprint: self.fingerprint,
            backend: self.backend,
            indicator,
        }
    }

    /// One lookup: a hit if the table has the value or another thread
    /// finishes computing it while we wait (quick_cache's placeholder: only
    /// one thread computes a missing key, the others block until it is
    /// inserted); a miss if this call computes it. A value larger than
    /// `max_entry_bytes` is returned but not kept; a failed computation
    /// keeps nothing, and a waiting thread then computes (and fails) itself.
    pub(crate) fn lookup(
        &self,
        key: &Key,
        compute: impl FnOnce() -> Result<IndicatorOutputs>,
    ) -> Result<IndicatorOutputs> {
        self.counters.lookups.fetch_add(1, Relaxed);
        match self.table.get_value_or_guard(key, None) {
            GuardResult::Value(v) => {
                self.counters.hits.fetch_add(1, Relaxed);
                Ok(v)
            }
            GuardResult::Guard(guard) => {
                self.counters.misses.fetch_add(1, Relaxed);
                let v = compute()?;
                if entry_bytes(key, &v) <= self.max_entry_bytes {
                    // Err only if the entry was replaced meanwhile (clear()).
                    let _ = guard.insert(v.clone());
                } else {
                    self.counters.uncached.fetch_add(1, Relaxed);
                }
                Ok(v)
            }
            // Unreachable without a timeout; compute rather than fail.
            GuardResult::Timeout => {
                self.counters.misses.fetch_add(1, Relaxed);
                compute()
            }
        }
    }
}

impl IndicatorSource for CacheSource<'_> {
    /// [`CacheSource::lookup`] of `key` over this source's bars and backend.
    fn indicator(
        &self,
        key: &IndicatorKey,
        compute: &mut dyn FnMut() -> Result<IndicatorOutputs>,
    ) -> Result<IndicatorOutputs> {
        self.lookup(&self.key(key.clone()), compute)
    }
}
