//! Per-NAS bounded queues served round-robin, so one NAS sending a flood cannot starve the
//! others: it fills its own queue (the rest of its packets are dropped and counted) while
//! every other NAS still gets its turn. Pure data, no I/O.

use std::collections::VecDeque;

#[derive(Debug)]
pub struct Fair<T> {
    queues: Vec<VecDeque<T>>,
    per_nas: usize,
    /// The queue whose turn is next.
    next: usize,
    len: usize,
}

impl<T> Fair<T> {
    /// `nases` queues of at most `per_nas` items each.
    pub fn new(nases: usize, per_nas: usize) -> Fair<T> {
        Fair { queues: (0..nases).map(|_| VecDeque::new()).collect(), per_nas: per_nas.max(1), next: 0, len: 0 }
    }

    /// Queues `item` for NAS `nas`; gives it back if that NAS's queue is full.
    pub fn push(&mut self, nas: usize, item: T) -> Result<(), T> {
        match self.queues.get_mut(nas) {
            Some(queue) if queue.len() < self.per_nas => {
                queue.push_back(item);
                self.len += 1;
                Ok(())
            }
            _ => Err(item),
        }
    }

    /// The next item, taking the NASes in turn.
    pub fn pop(&mut self) -> Option<(usize, T)> {
        if self.len == 0 {
            return None;
        }
        let count = self.queues.len();
        for step in 0..count {
            let nas = (self.next + step) % count;
            if let Some(item) = self.queues[nas].pop_front() {
                self.next = (nas + 1) % count;
                self.len -= 1;
                return Some((nas, item));
            }
        }
        None
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Empties every queue (at shutdown), returning how many items were waiting.
    pub fn clear(&mut self) -> usize {
        self.queues.iter_mut().for_each(VecDeque::clear);
        std::mem::replace(&mut self.len, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flooding_nas_fills_only_its_own_queue_and_others_take_turns() {
        let mut fair = Fair::new(3, 4);
        for n in 0..100 {
            let _ = fair.push(0, n);
        }
        assert_eq!(fair.len(), 4, "NAS 0's queue is bounded");
        assert_eq!(fair.push(0, 100), Err(100));
        fair.push(1, 1000).unwrap();
        fair.push(2, 2000).unwrap();
        fair.push(2, 2001).unwrap();
        let order: Vec<_> = std::iter::from_fn(|| fair.pop()).collect();
        assert_eq!(order, [(0, 0), (1, 1000), (2, 2000), (0, 1), (2, 2001), (0, 2), (0, 3)]);
        assert!(fair.is_empty());
        assert_eq!(fair.push(7, 1), Err(1), "no such NAS");
    }
}
