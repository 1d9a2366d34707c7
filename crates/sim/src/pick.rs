//! Random choices the models share: weighted tables (Zipf-like activity) and a
//! queue of lines due later (session closes, connection teardowns).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// A table of integer weights sampled by binary search on cumulative sums.
#[derive(Debug, Clone)]
pub(crate) struct Weighted {
    cum: Vec<u64>,
}

impl Weighted {
    pub(crate) fn new(weights: impl IntoIterator<Item = u64>) -> Self {
        let mut total = 0u64;
        let cum = weights
            .into_iter()
            .map(|w| {
                total += w;
                total
            })
            .collect();
        Weighted { cum }
    }

    /// Zipf-like weights for `n` ranks: `w(r) = 1 / (r + offset)`, scaled to integers.
    pub(crate) fn zipf(n: usize, offset: f64) -> Self {
        Weighted::new((0..n).map(|r| (1e9 / (r as f64 + offset)) as u64 + 1))
    }

    /// An index drawn with probability proportional to its weight.
    #[inline]
    pub(crate) fn sample(&self, rng: &mut ChaCha8Rng) -> usize {
        let total = self.cum.last().copied().unwrap_or(0);
        if total == 0 {
            return 0;
        }
        let x = rng.random_range(0..total);
        self.cum.partition_point(|&c| c <= x)
    }
}

/// `true` with probability `p`.
#[inline]
pub(crate) fn chance(rng: &mut ChaCha8Rng, p: f64) -> bool {
    rng.random::<f64>() < p
}

/// A uniformly chosen element of a non-empty slice.
#[inline]
pub(crate) fn one<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

/// Items due at a given line number, popped in (due, insertion) order.
#[derive(Debug)]
pub(crate) struct Deferred<T: Ord> {
    heap: BinaryHeap<Reverse<(u64, u64, T)>>,
    seq: u64,
}

impl<T: Ord> Deferred<T> {
    pub(crate) fn new() -> Self {
        Deferred {
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }

    pub(crate) fn push(&mut self, due_line: u64, item: T) {
        self.seq += 1;
        self.heap.push(Reverse((due_line, self.seq, item)));
    }

    /// The earliest item due at or before `line`.
    pub(crate) fn pop_due(&mut self, line: u64) -> Option<T> {
        match self.heap.peek() {
            Some(Reverse((due, _, _))) if *due <= line => {
                self.heap.pop().map(|Reverse((_, _, item))| item)
            }
            _ => None,
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn zipf_is_skewed() {
        let w = Weighted::zipf(100, 1.0);
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut counts = [0u32; 100];
        for _ in 0..20_000 {
            counts[w.sample(&mut rng)] += 1;
        }
        assert!(counts[0] > counts[10] * 5);
        assert!(counts.iter().all(|&c| c < 20_000));
    }

    #[test]
    fn deferred_order() {
        let mut d = Deferred::new();
        d.push(5, 'b');
        d.push(3, 'a');
        d.push(5, 'c');
        assert_eq!(d.pop_due(2), None);
        assert_eq!(d.pop_due(9), Some('a'));
        assert_eq!(d.pop_due(9), Some('b'));
        assert_eq!(d.pop_due(9), Some('c'));
        assert_eq!(d.len(), 0);
    }
}
