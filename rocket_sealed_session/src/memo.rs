//! A per-thread list in front of a process-wide registry, for values looked
//! up on every request by a key that rarely changes (a payload type, a key
//! id): the request reads its own thread's short list, without a lock; the
//! registry is asked once per thread and key.

use std::cell::RefCell;
use std::thread::LocalKey;

/// The entries one thread has looked up.
pub(crate) type ThreadList<K, V> = RefCell<Vec<(K, V)>>;

/// `key`'s value from this thread's `list`; the first time, `registry`'s
/// answer, which the list then keeps.
pub(crate) fn per_thread<K: Copy + PartialEq + 'static, V: Clone + 'static>(
    list: &'static LocalKey<ThreadList<K, V>>,
    key: K,
    registry: impl FnOnce() -> V,
) -> V {
    let known = |entries: &Vec<(K, V)>| {
        entries.iter().find(|(known, _)| *known == key).map(|(_, value)| value.clone())
    };
    if let Some(value) = list.with_borrow(known) {
        return value;
    }
    let value = registry();
    list.with_borrow_mut(|entries| entries.push((key, value.clone())));
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        static LIST: ThreadList<u8, u32> = const { RefCell::new(Vec::new()) };
    }

    #[test]
    fn the_registry_is_asked_once_per_thread_and_key() {
        let asked = Cell::new(0);
        let ask = |value| {
            asked.set(asked.get() + 1);
            value
        };
        assert_eq!(per_thread(&LIST, 1, || ask(10)), 10);
        assert_eq!(per_thread(&LIST, 1, || ask(99)), 10);
        assert_eq!(per_thread(&LIST, 2, || ask(20)), 20);
        assert_eq!(asked.get(), 2);
        let other_thread = std::thread::spawn(|| per_thread(&LIST, 1, || 11));
        assert_eq!(other_thread.join().ok(), Some(11));
    }
}
