//! Recycled buffers for the feature maps.
//!
//! Every layer writes a fresh map, and a pass at 256 px allocates and frees about sixty of
//! them, up to a few megabytes each. Natively the system allocator hands large blocks back to
//! the operating system when they are freed, and every page of the next one then faults in
//! zeroed: measured, 38 % of the network's time (`linseg bench network`: 3.8 ms, 2.4 ms with
//! glibc told to keep its memory). So a freed map's buffer waits here for the next map of
//! about its size, natively and in the browser alike.

use std::sync::Mutex;

/// At most this many buffers wait; when more come back, the smallest goes (small blocks are
/// cheap to allocate).
const MAX_SPARE: usize = 32;

/// A spare buffer is given to a request of at least this fraction of its capacity, so that a
/// small map does not hold on to a large buffer.
const MIN_FILL: usize = 2;

static SPARE: Mutex<Vec<Vec<f32>>> = Mutex::new(Vec::new());

/// `len` zeros, in a recycled buffer when one of about that size is spare.
pub fn zeros(len: usize) -> Vec<f32> {
    let recycled = {
        let mut spare = SPARE
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let fits = |buffer: &Vec<f32>| (len..=MIN_FILL * len.max(1)).contains(&buffer.capacity());
        let best = (0..spare.len())
            .filter(|&i| fits(&spare[i]))
            .min_by_key(|&i| spare[i].capacity());
        best.map(|i| spare.swap_remove(i))
    };
    match recycled {
        Some(mut buffer) => {
            buffer.clear();
            buffer.resize(len, 0.0);
            buffer
        }
        None => vec![0.0; len],
    }
}

/// Keep `buffer` for a later [`zeros`].
pub fn recycle(buffer: Vec<f32>) {
    if buffer.capacity() == 0 {
        return;
    }
    let mut spare = SPARE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    spare.push(buffer);
    if spare.len() > MAX_SPARE {
        let smallest = (0..spare.len())
            .min_by_key(|&i| spare[i].capacity())
            .expect("more than MAX_SPARE buffers");
        spare.swap_remove(smallest);
    }
}
