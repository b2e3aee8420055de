//! Splitting a layer's output among threads: each thread computes a band of whole output rows.
//!
//! Every CPU kernel writes each output row from inputs it only reads, so bands of rows are
//! independent and need no synchronisation beyond the join at the end of the layer. With the
//! `threads` feature the bands run on Rayon's pool (native: one thread per core, or
//! `RAYON_NUM_THREADS`; in the browser: the pool `wasm-bindgen-rayon` starts in Web Workers
//! sharing the module's memory); without it, or for a layer too small to repay waking the pool,
//! the whole output is one band on the calling thread.

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Multiply-adds below which a band is not worth a thread: waking a parked worker costs a few
/// microseconds natively and tens in the browser, about what 2¹⁶ multiply-adds take.
const MIN_BAND_WORK: usize = 1 << 16;

/// The most threads the bands may use, whatever the pool has ([`limit_threads`]).
static THREAD_LIMIT: AtomicUsize = AtomicUsize::new(usize::MAX);

/// Let the layers that run from now on use at most `limit` threads (at least one); `usize::MAX`
/// lifts the limit. The page runs small photos on one thread of its pool this way, where the
/// split costs more than it brings.
pub fn limit_threads(limit: usize) {
    THREAD_LIMIT.store(limit.max(1), Ordering::Relaxed);
}

/// How many threads the bands may use: the pool's, within [`limit_threads`]'s limit.
pub fn threads() -> usize {
    #[cfg(feature = "threads")]
    let pool = rayon::current_num_threads();
    #[cfg(not(feature = "threads"))]
    let pool = 1;
    pool.min(THREAD_LIMIT.load(Ordering::Relaxed))
}

/// Call `band(rows, out_rows)` for bands of consecutive rows covering `0..rows`, where `out`
/// holds `rows` rows of `row_len` values and `out_rows` is the part of it for `rows`; in
/// parallel when there are threads and `work_per_row · rows` multiply-adds are enough to share.
pub fn for_each_band<F>(out: &mut [f32], row_len: usize, work_per_row: usize, band: F)
where
    F: Fn(Range<usize>, &mut [f32]) + Sync,
{
    let rows = out.len() / row_len.max(1);
    let work = rows.saturating_mul(work_per_row);
    let bands = (work / MIN_BAND_WORK).clamp(1, threads().min(rows.max(1)));
    if bands == 1 {
        return band(0..rows, out);
    }
    #[cfg(feature = "threads")]
    {
        use rayon::prelude::*;
        let rows_per_band = rows.div_ceil(bands);
        out.par_chunks_mut(rows_per_band * row_len)
            .enumerate()
            .for_each(|(i, chunk)| {
                let first = i * rows_per_band;
                band(first..first + chunk.len() / row_len, chunk)
            });
    }
}

/// Run `f` on a thread of the pool, so that the bands of every layer inside it are split
/// between threads that are already awake, rather than each layer waking the pool from outside.
/// On one thread, `f` runs where it is called.
pub fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    #[cfg(feature = "threads")]
    if threads() > 1 {
        return rayon::scope(|_| f());
    }
    f()
}
