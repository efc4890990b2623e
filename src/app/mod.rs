//! What the two interfaces (the JSON API in `http`, the pages in `web`) share, below
//! both: the state every handler reaches, the client-facing error, the request
//! extractors, and signing in with its sessions and cookies.

pub mod error;
pub mod extract;
pub mod session;
pub mod streams;

pub use error::{ApiError, ApiResult};

use crate::clock::SharedClock;
use crate::config::Settings;
use crate::lifecycle::Lifecycle;
use crate::store::Store;
use std::sync::Arc;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub lifecycle: Lifecycle,
    pub clock: SharedClock,
    pub settings: Arc<Settings>,
    /// Announces in-app notifications as they are delivered (for live dashboards).
    pub live: crate::delivery::live::LiveHub,
    /// Failed sign-ins per account, browser and address.
    pub throttle: Arc<crate::auth::throttle::SignInThrottle>,
    /// Password checks, a bounded number at once.
    pub passwords: Arc<crate::auth::passwords::Passwords>,
    /// Open live streams per user, to cap them.
    pub streams: Arc<streams::OpenStreams>,
    /// Cancelled when the server is stopping: long-lived responses (live streams) end on
    /// it, so that a graceful shutdown does not wait for them forever.
    pub shutdown: tokio_util::sync::CancellationToken,
    /// Message texts in each language, for showing in-app notifications.
    pub templates: Arc<crate::templates::Templates>,
    /// The dashboard's page templates and interface texts.
    pub pages: Arc<crate::templates::pages::Pages>,
    /// This process's metrics (`GET /metrics`).
    pub metrics: crate::telemetry::Metrics,
    /// The dispatcher, for readiness (whether it runs here and still steps).
    pub dispatcher: crate::delivery::Dispatcher,
}
