//! Recycled buffers for the feature maps.
//!
//! Every layer writes a fresh map, and a pass at 256 px allocates and frees about fifty of
//! them, up to a few megabytes each. Natively the system allocator hands large blocks back to
//! the operating system when they are freed, and every page of the next one then faults in
//! zeroed: measured, a third of the network's time (`linseg bench network`: 3.8 ms, 2.4 ms with
//! glibc told to keep its memory). So a freed map's buffer waits here for the next map of about
//! its size.

use std::sync::{Mutex, MutexGuard};

/// At most this many buffers wait; when more come back, the smallest go first (small blocks
/// are cheap to allocate).
const MAX_SPARE: usize = 32;

/// The most bytes the waiting buffers hold together: natively, every map of a pass at 1024 px.
/// In WebAssembly nothing waits: the allocator there keeps freed memory inside the module (its
/// memory never shrinks), so there is no fault to save, and memory held here for maps would be
/// missing for the attention blocks' large intermediates in a 4 GiB address space.
const MAX_SPARE_BYTES: usize = if cfg!(target_arch = "wasm32") {
    0
} else {
    512 << 20
};

static SPARE: Mutex<Spare> = Mutex::new(Spare::new(MAX_SPARE, MAX_SPARE_BYTES));

fn spare() -> MutexGuard<'static, Spare> {
    SPARE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `len` zeros, in a recycled buffer when one of about that size is spare.
pub fn zeros(len: usize) -> Vec<f32> {
    let recycled = spare().take(len);
    zeroed(recycled, len)
}

/// Keep `buffer` for a later [`zeros`].
pub fn recycle(buffer: Vec<f32>) {
    spare().give(buffer);
}

/// `len` zeros in `buffer`, or in a new one.
fn zeroed(buffer: Option<Vec<f32>>, len: usize) -> Vec<f32> {
    match buffer {
        Some(mut buffer) => {
            buffer.clear();
            buffer.resize(len, 0.0);
            buffer
        }
        None => vec![0.0; len],
    }
}

/// Buffers waiting for a map, within a count and a byte limit.
struct Spare {
    buffers: Vec<Vec<f32>>,
    max_count: usize,
    max_bytes: usize,
}

impl Spare {
    const fn new(max_count: usize, max_bytes: usize) -> Self {
        Spare {
            buffers: Vec::new(),
            max_count,
            max_bytes,
        }
    }

    /// The smallest waiting buffer that holds `len` values, if it is at most twice that: a
    /// small map does not hold on to a large buffer.
    fn take(&mut self, len: usize) -> Option<Vec<f32>> {
        let fits = len..=2 * len.max(1);
        let best = (0..self.buffers.len())
            .filter(|&i| fits.contains(&self.buffers[i].capacity()))
            .min_by_key(|&i| self.buffers[i].capacity());
        best.map(|i| self.buffers.swap_remove(i))
    }

    /// Let `buffer` wait; the smallest waiting ones go while the limits are exceeded.
    fn give(&mut self, buffer: Vec<f32>) {
        if buffer.capacity() == 0 || bytes(&buffer) > self.max_bytes {
            return;
        }
        self.buffers.push(buffer);
        while self.buffers.len() > self.max_count
            || self.buffers.iter().map(bytes).sum::<usize>() > self.max_bytes
        {
            let smallest = (0..self.buffers.len())
                .min_by_key(|&i| self.buffers[i].capacity())
                .expect("a buffer to let go");
            self.buffers.swap_remove(smallest);
        }
    }
}

fn bytes(buffer: &Vec<f32>) -> usize {
    buffer.capacity() * size_of::<f32>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_buffer_comes_back_zeroed_for_a_map_of_about_its_size() {
        let mut spare = Spare::new(4, 1 << 20);
        let dirty = vec![7.0f32; 1000];
        let address = dirty.as_ptr();
        spare.give(dirty);
        assert!(
            spare.take(300).is_none(),
            "a third of it is too small a request"
        );
        assert!(spare.take(1001).is_none(), "too large a request");
        let reused = zeroed(spare.take(600), 600);
        assert_eq!(reused.as_ptr(), address);
        assert_eq!(reused, vec![0.0; 600]);
        assert!(spare.take(600).is_none(), "taken once");
    }

    #[test]
    fn the_smallest_buffers_go_past_the_limits() {
        let mut spare = Spare::new(2, 4 * 1000);
        for len in [100, 300, 200] {
            spare.give(vec![0.0; len]);
        }
        let waiting = |spare: &Spare| {
            let mut lens: Vec<usize> = spare.buffers.iter().map(Vec::capacity).collect();
            lens.sort();
            lens
        };
        assert_eq!(waiting(&spare), [200, 300], "at most two");
        spare.give(vec![0.0; 600]);
        assert_eq!(waiting(&spare), [300, 600], "at most 4,000 bytes");
        spare.give(vec![0.0; 2000]);
        assert_eq!(
            waiting(&spare),
            [300, 600],
            "larger than the byte limit alone"
        );
    }
}
