//! The live-push hook: what connected dashboards must hear about, fanned out inside this
//! process (the stream endpoint subscribes).

use tokio::sync::broadcast;

/// Something a signed-in user's open pages should learn at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveEvent {
    /// A notification reached the user's in-app inbox.
    Delivered {
        recipient_id: i64,
        notification_id: i64,
    },
    /// The user read one or all notifications (in another tab, say): the count changed.
    ReadChanged { recipient_id: i64 },
}

impl LiveEvent {
    pub fn recipient_id(&self) -> i64 {
        match self {
            Self::Delivered { recipient_id, .. } | Self::ReadChanged { recipient_id } => {
                *recipient_id
            }
        }
    }
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
