//! The live-push hook: in-app notifications, once delivered, are announced here for the
//! connected dashboards (the stream endpoint subscribes).

use tokio::sync::broadcast;

/// A notification that reached a user's in-app inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveEvent {
    pub recipient_id: i64,
    pub notification_id: i64,
}

/// Fan-out of [`LiveEvent`]s inside this process.
#[derive(Clone)]
pub struct LiveHub {
    tx: broadcast::Sender<LiveEvent>,
}

impl LiveHub {
    pub fn new(capacity: usize) -> Self {
        Self {
            tx: broadcast::channel(capacity.max(16)).0,
        }
    }

    pub fn publish(&self, event: LiveEvent) {
        // No subscriber is fine: the record is stored and listed on the next page load.
        let _ = self.tx.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.tx.subscribe()
    }
}

impl Default for LiveHub {
    fn default() -> Self {
        Self::new(4_096)
    }
}
