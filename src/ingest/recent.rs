//! A bounded set of recently seen event ids, so redeliveries are answered without touching the
//! database. Oldest ids are forgotten first; the store remains the authority.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

/// The ids (for lookups) and their insertion order (for forgetting the oldest).
#[derive(Default)]
struct Seen {
    ids: HashSet<Arc<str>>,
    order: VecDeque<Arc<str>>,
}

/// Recently seen ids, at most `capacity` of them.
pub(crate) struct RecentIds {
    capacity: usize,
    inner: Mutex<Seen>,
}

impl RecentIds {
    /// An empty set remembering up to `capacity` ids.
    pub(crate) fn new(capacity: usize) -> Self {
        Self { capacity: capacity.max(1), inner: Mutex::new(Seen::default()) }
    }

    /// Whether `id` was seen recently.
    pub(crate) fn contains(&self, id: &str) -> bool {
        self.inner.lock().expect("recent ids lock").ids.contains(id)
    }

    /// Remembers `id`, forgetting the oldest beyond capacity.
    pub(crate) fn insert(&self, id: &str) {
        let mut seen = self.inner.lock().expect("recent ids lock");
        let id: Arc<str> = id.into();
        if seen.ids.insert(id.clone()) {
            seen.order.push_back(id);
            while seen.order.len() > self.capacity {
                if let Some(old) = seen.order.pop_front() {
                    seen.ids.remove(&old);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgets_the_oldest_beyond_capacity() {
        let r = RecentIds::new(2);
        r.insert("a");
        r.insert("b");
        r.insert("a");
        assert!(r.contains("a") && r.contains("b"));
        r.insert("c");
        assert!(!r.contains("a"));
        assert!(r.contains("b") && r.contains("c"));
        assert_eq!(r.inner.lock().unwrap().order.len(), 2);
    }
}
