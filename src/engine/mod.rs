//! A shared, memoizing evaluation engine: it holds series and keeps the
//! indicators computed on them in a byte-bounded cache, so repeated and
//! concurrent queries (trigger sets over the same symbols, charts, …)
//! reuse each other's work.
//!
//! ```
//! use ta_kernels::engine::{Engine, Ohlcv};
//! use ta_kernels::trigger::{Series, TriggerSet};
//!
//! let close: Vec<f64> = (0..500).map(|i| 100.0 + (i as f64 * 0.1).sin()).collect();
//! let engine = Engine::new(64 << 20);
//! let id = engine.insert_series("AAA", Ohlcv::from_close(close))?;
//! let set = TriggerSet::parse("up = close crosses_above sma(20)")?;
//! let first = engine.evaluate_set(id, &set)?; // computes sma(close, 20)
//! let again = engine.evaluate_set(id, &set)?; // reads it from the cache
//! assert_eq!(first.masks(), again.masks());
//! let sma = engine.indicator(id, &"sma(20)".parse::<Series>()?)?; // a hit too
//! assert_eq!(sma.len(), 500);
//! assert_eq!(engine.stats().hits, 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What is cached, under which key
//! One entry per indicator computation: all outputs of the indicator
//! together (MACD's three lines, BBANDS' three bands, STOCH's two), shared
//! as `Arc`s. The key is
//! - the series' content fingerprint (128-bit XXH3 of every value's bits,
//!   computed once on insertion; see [`Ohlcv::fingerprint`]), so equal
//!   data inserted twice shares entries;
//! - the backend of the thread that asks ([`crate::Backend::active`]):
//!   backends are not bit-identical, and a value is only served to
//!   evaluations on the backend that computed it;
//! - the indicator's [`IndicatorKey`]: its parameters and its whole input
//!   sub-expression (`rsi(ema(close, 5), 14)` entirely), compared exactly,
//!   not by hash.
//!
//! Every result is therefore bit-identical to [`Plan::evaluate`] on the
//! same data and backend, whether it came from the cache or not.
//!
//! # Bytes and eviction
//! The cache is a [`quick_cache`] table weighed in bytes (each entry: its
//! output buffers, key and bookkeeping; see [`EngineStats::bytes`]); its
//! policy is CLOCK-Pro/S3-FIFO-like (recency and frequency, scan
//! resistant), in `shards` independently locked parts that each hold at
//! most `capacity / shards` bytes, so the total never exceeds the
//! capacity. An entry larger than [`EngineStats::max_entry_bytes`] (90 %
//! of a shard) is computed and returned but not kept (counted in
//! [`EngineStats::uncached`]). Series themselves are held outside that
//! bound, until [`Engine::remove_series`].
//!
//! The buffers of entries the cache drops (evicted, or by
//! [`Engine::clear`]) that no [`Output`] still shares are kept, up to
//! `capacity / 8` bytes more ([`EngineStats::idle_bytes`]), and the next
//! misses of [`Engine::indicator`] write into them: a fresh buffer costs
//! a zeroing pass, and for long series a page fault per 4 KiB, as much as
//! a fast indicator itself. [`Engine::release_idle`] frees them.
//!
//! # Concurrency
//! `Engine` is `Send + Sync`; share it by reference or `Arc`. When several
//! threads ask for the same missing entry, one computes it while the
//! others wait for its result (quick_cache's placeholder guards), so each
//! is computed once; a thread never waits while holding such a guard (the
//! inputs of an indicator are fetched before its own entry is asked for),
//! so there is no deadlock. Different entries compute in parallel.

mod cache;
mod direct;
mod error;
mod series;

use std::collections::HashMap;
use std::num::NonZero;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, PoisonError, RwLock};

pub use error::EngineError;
pub use series::{Ohlcv, SeriesId};

use crate::Backend;
use crate::trigger::{
    Evaluation, IndicatorKey, IndicatorOutputs, Plan, Scratch, Series, TriggerSet,
};
use cache::{Bytes, CacheSource, CountEvictions, Counters, Table};
use direct::Pool;

/// The idle buffers kept for reuse hold at most `capacity / IDLE_FRACTION`
/// bytes.
const IDLE_FRACTION: u64 = 8;

/// The smallest shard [`Engine::new`] makes: entries up to 90 % of this are
/// always cacheable (a MACD over 600,000 bars).
const MIN_SHARD_BYTES: u64 = 16 << 20;

/// A series held by the engine.
#[derive(Debug)]
struct Stored {
    name: String,
    data: Ohlcv,
    fingerprint: u128,
}

#[derive(Debug, Default)]
struct Registry {
    by_id: HashMap<SeriesId, Arc<Stored>>,
    by_name: HashMap<String, SeriesId>,
}

/// Holds series and memoizes the indicators computed on them; see the
/// module docs.
pub struct Engine {
    registry: RwLock<Registry>,
    next_id: AtomicU64,
    table: Table,
    counters: Arc<Counters>,
    max_entry_bytes: u64,
    /// Buffers of dropped entries, for the next misses to write into.
    pool: Arc<Pool>,
}

impl core::fmt::Debug for Engine {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Engine")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// A snapshot of an engine's cache counters. While queries run the fields
/// are read one after the other, not at one instant; once they have
/// finished, `hits + misses == lookups` exactly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Indicator outputs asked of the cache (by [`Engine::indicator`] and
    /// by each indicator step of an evaluation).
    pub lookups: u64,
    /// Lookups answered from the cache, including those that waited for
    /// another thread computing the same entry.
    pub hits: u64,
    /// Lookups that computed the indicator.
    pub misses: u64,
    /// Entries removed to make room for others ([`Engine::clear`] is not
    /// counted).
    pub evictions: u64,
    /// Computed values not kept because they exceed `max_entry_bytes`.
    pub uncached: u64,
    /// Entries held now.
    pub entries: usize,
    /// Bytes held now: each entry's output buffers (by capacity), its key
    /// and about 100 bytes of bookkeeping. Never more than `capacity`.
    pub bytes: u64,
    /// Bytes of idle buffers kept from dropped entries for the next misses
    /// to write into (at most `capacity / 8`, besides `bytes`).
    pub idle_bytes: u64,
    /// The byte bound (the requested capacity rounded down to a multiple
    /// of the shard count).
    pub capacity: u64,
    /// The largest entry that is kept (90 % of a shard's capacity).
    pub max_entry_bytes: u64,
}

/// One indicator's outputs from [`Engine::indicator`]: derefs to the
/// output the expression named; [`Output::all`] gives every output of the
/// computation (shared with the cache, not copied).
#[derive(Clone, Debug)]
pub struct Output {
    all: IndicatorOutputs,
    index: usize,
}

impl Output {
    /// The output the expression named (e.g. `.signal` of a MACD).
    pub fn values(&self) -> &[f64] {
        &self.all[self.index]
    }

    /// Every output of the computation, in TA-Lib's order (MACD: macd,
    /// signal, hist; BBANDS: upper, middle, lower; STOCH: k, d).
    pub fn all(&self) -> &[Vec<f64>] {
        &self.all
    }

    /// Which of [`Output::all`] the expression named.
    pub fn index(&self) -> usize {
        self.index
    }
}

impl Deref for Output {
    type Target = [f64];

    fn deref(&self) -> &[f64] {
        self.values()
    }
}

impl Engine {
    /// An engine whose cache holds at most `capacity_bytes` (0: nothing is
    /// cached), in `capacity / 16 MiB` shards (at least 1, at most 4 per
    /// core, a power of two).
    pub fn new(capacity_bytes: u64) -> Engine {
        let cores = std::thread::available_parallelism().map_or(1, NonZero::get) as u64;
        let want = (capacity_bytes / MIN_SHARD_BYTES).clamp(1, 4 * cores);
        Engine::with_shards(capacity_bytes, 1 << want.ilog2())
    }

    /// An engine whose cache holds at most `capacity_bytes` in `shards`
    /// parts (rounded up to a power of two; fewer if the capacity is tiny).
    /// More shards mean less lock contention but a smaller largest
    /// cacheable entry (`0.9 × capacity / shards`).
    pub fn with_shards(capacity_bytes: u64, shards: usize) -> Engine {
        let shards = shards.clamp(1, 1 << 12).next_power_of_two();
        let weight = capacity_bytes / shards as u64 * shards as u64;
        let items = ((capacity_bytes / 65_536) as usize).clamp(32 * shards, 1 << 20);
        let counters = Arc::new(Counters::default());
        let pool = Arc::new(Pool::new(capacity_bytes / IDLE_FRACTION));
        let options = quick_cache::OptionsBuilder::new()
            .shards(shards)
            .estimated_items_capacity(items)
            .weight_capacity(weight)
            .build();
        let table = match options {
            Ok(o) => Table::with_options(
                o,
                Bytes,
                quick_cache::DefaultHashBuilder::default(),
                CountEvictions(counters.clone(), pool.clone()),
            ),
            // Only a missing setting fails, and all are set.
            Err(_) => unreachable!("every option is set"),
        };
        let max_entry_bytes = table.shard_capacity() / 10 * 9;
        Engine {
            registry: RwLock::default(),
            next_id: AtomicU64::new(0),
            table,
            counters,
            max_entry_bytes,
            pool,
        }
    }

    /// Holds `data` under `name` (a later series of the same name takes
    /// the name over; the earlier one stays reachable by its id) and
    /// fingerprints it. Errors: columns of different lengths
    /// ([`crate::Error::LengthMismatch`]).
    pub fn insert_series(
        &self,
        name: impl Into<String>,
        data: Ohlcv,
    ) -> Result<SeriesId, EngineError> {
        data.len()?;
        let fingerprint = data.fingerprint();
        let id = SeriesId(self.next_id.fetch_add(1, Relaxed));
        let name = name.into();
        let stored = Arc::new(Stored {
            name: name.clone(),
            data,
            fingerprint,
        });
        let mut reg = self
            .registry
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        reg.by_id.insert(id, stored);
        reg.by_name.insert(name, id);
        Ok(id)
    }

    /// The id of the series last inserted under `name`, if still held.
    pub fn series_id(&self, name: &str) -> Option<SeriesId> {
        let reg = self.registry.read().unwrap_or_else(PoisonError::into_inner);
        reg.by_name.get(name).copied()
    }

    /// The name a series was inserted under.
    pub fn series_name(&self, id: SeriesId) -> Result<String, EngineError> {
        Ok(self.stored(id)?.name.clone())
    }

    /// A series' content fingerprint (see [`Ohlcv::fingerprint`]).
    pub fn fingerprint(&self, id: SeriesId) -> Result<u128, EngineError> {
        Ok(self.stored(id)?.fingerprint)
    }

    /// Drops a series (returns whether it was held). Its cache entries are
    /// left to age out: they stay correct for any series of equal content.
    pub fn remove_series(&self, id: SeriesId) -> bool {
        let mut reg = self
            .registry
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let Some(stored) = reg.by_id.remove(&id) else {
            return false;
        };
        if reg.by_name.get(&stored.name) == Some(&id) {
            reg.by_name.remove(&stored.name);
        }
        true
    }

    fn stored(&self, id: SeriesId) -> Result<Arc<Stored>, EngineError> {
        let reg = self.registry.read().unwrap_or_else(PoisonError::into_inner);
        reg.by_id
            .get(&id)
            .cloned()
            .ok_or(EngineError::UnknownSeries(id))
    }

    fn source<'e>(&'e self, stored: &Stored) -> CacheSource<'e> {
        CacheSource {
            table: &self.table,
            counters: &self.counters,
            max_entry_bytes: self.max_entry_bytes,
            fingerprint: stored.fingerprint,
            backend: Backend::active(),
        }
    }

    /// The outputs of the indicator at the root of `expr` (e.g.
    /// `macd(12, 26, 9).signal`, `rsi(ema(close, 5), 14)`) over series
    /// `id`: from the cache, or computed — with every indicator inside its
    /// input — and kept. Bit-identical to evaluating `expr` with
    /// [`Plan::evaluate`] on this thread's backend. Errors: an unknown id;
    /// a root that is not an indicator ([`EngineError::NotAnIndicator`]); a
    /// column `expr` reads that the series lacks
    /// ([`crate::Error::MissingColumn`], named by `expr`'s text).
    pub fn indicator(&self, id: SeriesId, expr: &Series) -> Result<Output, EngineError> {
        let stored = self.stored(id)?;
        let not_indicator = || EngineError::NotAnIndicator {
            text: expr.to_string(),
        };
        let (key, index) = IndicatorKey::of(expr).ok_or_else(not_indicator)?;
        let source = self.source(&stored);
        let key = source.key(key);
        // An indicator of columns (the usual case): one lookup (a hash and
        // a shard read lock when it hits), and on a miss its function,
        // without a plan.
        if let Series::Indicator(ind) = expr
            && let Some(compute) = direct::plan_free(ind, &stored.data)
        {
            let all = source.lookup(&key, || compute(&self.pool))?;
            return Ok(Output { all, index });
        }
        if let Some(all) = self.table.get(&key) {
            self.counters.lookups.fetch_add(1, Relaxed);
            self.counters.hits.fetch_add(1, Relaxed);
            return Ok(Output { all, index });
        }
        // Not counted yet: the plan asks the source again, which counts.
        let bars = stored.data.bars();
        let (all, index) = Plan::indicator_with(expr, &bars, &mut Scratch::new(), &source)?
            .ok_or_else(not_indicator)?;
        Ok(Output { all, index })
    }

    /// Runs `plan` over series `id`, every indicator step read from (or
    /// computed into) the cache. Masks and series are bit-identical to
    /// [`Plan::evaluate`]'s on this thread's backend;
    /// [`Evaluation::indicators_computed`] counts the cache misses. Errors:
    /// an unknown id, and those of [`Plan::evaluate`].
    pub fn evaluate(&self, id: SeriesId, plan: &Plan) -> Result<Evaluation, EngineError> {
        self.evaluate_in(id, plan, &mut Scratch::new())
    }

    /// [`Engine::evaluate`] taking its temporary buffers from `scratch`
    /// (see [`Plan::evaluate_in`]); cached outputs are never recycled.
    pub fn evaluate_in(
        &self,
        id: SeriesId,
        plan: &Plan,
        scratch: &mut Scratch,
    ) -> Result<Evaluation, EngineError> {
        let stored = self.stored(id)?;
        let bars = stored.data.bars();
        Ok(plan.evaluate_with(&bars, scratch, &self.source(&stored))?)
    }

    /// Compiles `set` and runs it with [`Engine::evaluate`]. Errors: an
    /// empty set, and those of [`Engine::evaluate`].
    pub fn evaluate_set(&self, id: SeriesId, set: &TriggerSet) -> Result<Evaluation, EngineError> {
        self.evaluate(id, &set.plan()?)
    }

    /// The cache's counters and size now.
    pub fn stats(&self) -> EngineStats {
        let c = &self.counters;
        EngineStats {
            lookups: c.lookups.load(Relaxed),
            hits: c.hits.load(Relaxed),
            misses: c.misses.load(Relaxed),
            evictions: c.evictions.load(Relaxed),
            uncached: c.uncached.load(Relaxed),
            entries: self.table.len(),
            bytes: self.table.weight(),
            idle_bytes: self.pool.bytes(),
            capacity: self.table.capacity(),
            max_entry_bytes: self.max_entry_bytes,
        }
    }

    /// Drops every cache entry (series stay; counters keep counting). Their
    /// buffers (those no [`Output`] still shares) are kept for reuse within
    /// the idle bound (see [`EngineStats::idle_bytes`]).
    pub fn clear(&self) {
        for (_, outputs) in self.table.drain() {
            self.pool.recycle(outputs);
        }
    }

    /// Frees the idle buffers kept for reuse (see
    /// [`EngineStats::idle_bytes`]).
    pub fn release_idle(&self) {
        self.pool.clear();
    }
}
