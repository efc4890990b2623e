//! The live-push hook: what connected dashboards must hear about. Inside a process it is a
//! broadcast channel the stream endpoint subscribes to; on PostgreSQL every event is also
//! sent with NOTIFY, and each API server LISTENs and republishes the events of the other
//! instances (see `crate::realtime`), so a dashboard hears about a notification whichever
//! instance delivered it.

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};

/// The PostgreSQL channel live events travel on between instances.
pub const PG_CHANNEL: &str = "carebell_live";

/// Something a signed-in user's open pages should learn at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
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

/// An event as it travels between instances.
#[derive(Debug, Serialize, Deserialize)]
pub struct Envelope {
    /// The instance that published it, so that it does not republish its own.
    pub origin: String,
    pub event: LiveEvent,
}

/// Fan-out of [`LiveEvent`]s.
#[derive(Clone)]
pub struct LiveHub {
    tx: broadcast::Sender<LiveEvent>,
    /// Set on PostgreSQL: events to NOTIFY the other instances about.
    remote: Option<mpsc::UnboundedSender<LiveEvent>>,
    instance: std::sync::Arc<str>,
}

impl LiveHub {
    pub fn new(capacity: usize) -> Self {
        Self {
            tx: broadcast::channel(capacity.max(16)).0,
            remote: None,
            instance: crate::auth::random_token()[..16].into(),
        }
    }

    /// Also sends every published event to the other instances, through `notify`.
    pub fn with_remote(mut self, notify: mpsc::UnboundedSender<LiveEvent>) -> Self {
        self.remote = Some(notify);
        self
    }

    /// This process's id among the instances.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    pub fn publish(&self, event: LiveEvent) {
        // No subscriber is fine: the record is stored and listed on the next page load.
        let _ = self.tx.send(event);
        if let Some(remote) = &self.remote {
            let _ = remote.send(event);
        }
    }

    /// Publishes an event that came from another instance (not sent on again).
    pub fn publish_local(&self, event: LiveEvent) {
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
