//! A map from group key to per-key state, bounded: entries idle for longer
//! than their time-to-live are swept lazily, and beyond the size limit the
//! least recently touched are evicted in batches (one pass evicts an
//! eighth, so the cost per insert stays constant).

use std::collections::HashMap;

/// One key's state with its bookkeeping.
#[derive(Debug)]
pub(crate) struct Slot<V> {
    /// Latest event time seen for the key (ms).
    pub(crate) latest: i64,
    /// When the key was last touched (the engine's signal counter).
    pub(crate) tick: u64,
    pub(crate) v: V,
}

#[derive(Debug)]
pub(crate) struct KeyMap<V> {
    map: HashMap<Box<str>, Slot<V>>,
    ticks: Vec<u64>,
}

impl<V> Default for KeyMap<V> {
    fn default() -> Self {
        KeyMap {
            map: HashMap::new(),
            ticks: Vec::new(),
        }
    }
}

impl<V> KeyMap<V> {
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut Slot<V>> {
        self.map.get_mut(key)
    }

    pub(crate) fn insert(&mut self, key: &str, slot: Slot<V>) {
        self.map.insert(key.into(), slot);
    }

    /// Removes the entries for which `expired` holds, handing each to
    /// `removed`. Returns how many were removed.
    pub(crate) fn sweep(
        &mut self,
        mut expired: impl FnMut(&Slot<V>) -> bool,
        mut removed: impl FnMut(&mut V),
    ) -> usize {
        let before = self.map.len();
        self.map.retain(|_, s| {
            if expired(s) {
                removed(&mut s.v);
                false
            } else {
                true
            }
        });
        before - self.map.len()
    }

    /// Evicts the least recently touched entries so that at most
    /// `limit - limit / 8` remain (at least one goes when at the limit).
    /// Returns how many were evicted.
    pub(crate) fn evict_lru(&mut self, limit: usize, removed: impl FnMut(&mut V)) -> usize {
        let keep = limit.saturating_sub((limit / 8).max(1));
        let n = self.map.len();
        if n <= keep {
            return 0;
        }
        let drop = n - keep;
        self.ticks.clear();
        self.ticks.extend(self.map.values().map(|s| s.tick));
        let (_, &mut cut, _) = self.ticks.select_nth_unstable(drop - 1);
        let evicted = self.sweep(|s| s.tick <= cut, removed);
        self.ticks.clear();
        self.ticks.shrink_to(1024);
        evicted
    }

    /// Every entry, emptying the map.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = (Box<str>, Slot<V>)> + '_ {
        self.map.drain()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(latest: i64, tick: u64) -> Slot<u32> {
        Slot {
            latest,
            tick,
            v: tick as u32,
        }
    }

    #[test]
    fn sweep_and_lru() {
        let mut m = KeyMap::default();
        for i in 0..100u64 {
            m.insert(&format!("k{i}"), slot(i as i64, i));
        }
        assert_eq!(m.len(), 100);
        let mut gone = Vec::new();
        assert_eq!(m.sweep(|s| s.latest < 10, |v| gone.push(*v)), 10);
        assert_eq!(m.len(), 90);
        gone.sort_unstable();
        assert_eq!(gone, (0..10).collect::<Vec<u32>>());
        // Limit 80: keep 70, evicting the 20 least recently touched.
        assert_eq!(m.evict_lru(80, |_| {}), 20);
        assert_eq!(m.len(), 70);
        assert!(m.get_mut("k29").is_none() && m.get_mut("k30").is_some());
        assert_eq!(m.evict_lru(1000, |_| {}), 0);
        assert_eq!(m.evict_lru(1, |_| {}), 70);
        assert_eq!(m.drain().count(), 0);
    }
}
