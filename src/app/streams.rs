//! The live streams open per user, to cap them.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

/// The live streams open per user in this process. Opening one more than the cap closes
/// the oldest (a forgotten tab), so one account cannot hold thousands of connections.
#[derive(Default)]
pub struct OpenStreams {
    by_user: Mutex<HashMap<i64, VecDeque<(u64, CancellationToken)>>>,
    next: std::sync::atomic::AtomicU64,
}

/// Cancelled when the stream must end (the user opened too many); removes itself when
/// dropped.
pub struct StreamTicket {
    streams: Arc<OpenStreams>,
    user_id: i64,
    id: u64,
    pub closed: CancellationToken,
}

impl OpenStreams {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, VecDeque<(u64, CancellationToken)>>> {
        self.by_user.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many streams are open.
    pub fn total(&self) -> usize {
        self.lock().values().map(VecDeque::len).sum()
    }

    /// Registers a new stream of `user_id`, closing the oldest ones beyond `cap`.
    pub fn open(self: &Arc<Self>, user_id: i64, cap: usize) -> StreamTicket {
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let closed = CancellationToken::new();
        let mut map = self.lock();
        let open = map.entry(user_id).or_default();
        open.push_back((id, closed.clone()));
        while open.len() > cap {
            if let Some((_, oldest)) = open.pop_front() {
                oldest.cancel();
            }
        }
        StreamTicket {
            streams: self.clone(),
            user_id,
            id,
            closed,
        }
    }
}

impl Drop for StreamTicket {
    fn drop(&mut self) {
        let mut map = self.streams.lock();
        if let Some(open) = map.get_mut(&self.user_id) {
            open.retain(|(id, _)| *id != self.id);
            if open.is_empty() {
                map.remove(&self.user_id);
            }
        }
    }
}
