//! Live events across instances on PostgreSQL: NOTIFY what this process publishes, LISTEN
//! for what the others publish. (SQLite runs as one instance and needs neither.)

use crate::delivery::live::{Envelope, LiveEvent, LiveHub, PG_CHANNEL};
use crate::store::{Backend, Store};
use secrecy::ExposeSecret;
use sqlx::postgres::PgListener;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Gives `hub` a NOTIFY side when the store is PostgreSQL; the sender task lives as long
/// as the hub.
pub fn attach_notifier(hub: LiveHub, store: &Store) -> LiveHub {
    if store.backend() != Backend::Postgres {
        return hub;
    }
    let (tx, mut rx) = mpsc::unbounded_channel::<LiveEvent>();
    let hub = hub.with_remote(tx);
    let origin = hub.instance().to_owned();
    let pool = store.pool().clone();
    tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            let payload = match serde_json::to_string(&Envelope {
                origin: origin.clone(),
                event,
            }) {
                Ok(p) => p,
                Err(_) => continue,
            };
            let sent = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(PG_CHANNEL)
                .bind(payload)
                .execute(&pool)
                .await;
            if let Err(e) = sent {
                // Other instances' dashboards catch up on their next reconnect or page load.
                tracing::warn!(error = %e, "could not send a live event to the other instances");
            }
        }
    });
    hub
}

/// Republishes the other instances' live events into `hub` until `shutdown`.
pub async fn listen(
    hub: LiveHub,
    database_url: secrecy::SecretString,
    shutdown: CancellationToken,
) {
    loop {
        let result = async {
            let mut listener = PgListener::connect(database_url.expose_secret()).await?;
            listener.listen(PG_CHANNEL).await?;
            tracing::info!("listening for live events of other instances");
            loop {
                let n = tokio::select! {
                    n = listener.recv() => n?,
                    _ = shutdown.cancelled() => return Ok::<(), sqlx::Error>(()),
                };
                match serde_json::from_str::<Envelope>(n.payload()) {
                    Ok(env) if env.origin != hub.instance() => hub.publish_local(env.event),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "ignoring a malformed live event"),
                }
            }
        }
        .await;
        match result {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = %e, "live event listener lost its connection; reconnecting");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = shutdown.cancelled() => return,
                }
            }
        }
    }
}
