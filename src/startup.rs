//! Builds the application from its settings: store, services, router, listener.

use crate::app::AppState;
use crate::catalogue::Catalogue;
use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::delivery::live::LiveHub;
use crate::delivery::Dispatcher;
use crate::http;
use crate::lifecycle::{Lifecycle, WakeSignal};
use crate::store::Store;
use crate::templates::{describe_source, Templates};
use anyhow::Context;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// A bound, ready-to-run carebell.
pub struct Application {
    listener: TcpListener,
    addr: SocketAddr,
    state: AppState,
    dispatcher: Dispatcher,
    run_dispatcher: bool,
}

impl Application {
    /// Connects and migrates the database and binds the listener (port 0 picks a free
    /// port, as tests do).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    pub async fn build_with_clock(settings: Settings, clock: SharedClock) -> anyhow::Result<Self> {
        let store = open_store(&settings).await?;
        let listener = TcpListener::bind(settings.server.listen)
            .await
            .with_context(|| format!("binding server.listen {}", settings.server.listen))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        let wake = WakeSignal::default();
        let lifecycle = build_lifecycle(&settings, &store, &clock, wake.clone());
        let dispatcher = build_dispatcher(&settings, &store, &clock, wake).await?;
        let run_dispatcher = settings.delivery.enabled;
        let state = AppState {
            store,
            lifecycle,
            clock,
            live: dispatcher.live().clone(),
            templates: dispatcher.templates().clone(),
            pages: Arc::new(
                crate::templates::pages::Pages::load(
                    dispatcher.templates().catalogue().clone(),
                    &settings.clinic,
                )
                .context("loading the dashboard pages")?,
            ),
            throttle: Arc::new(crate::auth::throttle::SignInThrottle::new(&settings.auth)),
            passwords: Arc::new(crate::auth::passwords::Passwords::new(
                settings.auth.max_concurrent_hashes,
                settings.auth.hash_queue_wait,
            )),
            streams: Default::default(),
            shutdown: CancellationToken::new(),
            metrics: dispatcher.metrics().clone(),
            dispatcher: dispatcher.clone(),
            settings: Arc::new(settings),
        };
        Ok(Self {
            listener,
            addr,
            state,
            dispatcher,
            run_dispatcher,
        })
    }

    /// The dispatcher, for tests that step it by hand (with `delivery.enabled = false`).
    pub fn dispatcher(&self) -> &Dispatcher {
        &self.dispatcher
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` is cancelled, then lets in-flight requests finish.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let pages = crate::web::router(&self.state.settings.clinic);
        let router = http::router(self.state.clone(), pages);
        tracing::info!(addr = %self.addr, database = self.state.store.backend().name(), "carebell is listening");
        if self.state.store.backend() == crate::store::Backend::Postgres {
            tokio::spawn(crate::realtime::listen(
                self.state.live.clone(),
                self.state.settings.database.url.clone(),
                shutdown.clone(),
            ));
        }
        tokio::spawn(self.state.throttle.clone().prune_until(
            self.state.store.clone(),
            self.state.clock.clone(),
            std::time::Duration::from_secs(600),
            shutdown.clone(),
        ));
        let worker = self
            .run_dispatcher
            .then(|| tokio::spawn(self.dispatcher.clone().run(shutdown.clone())));
        if let Some(addr) = self.state.settings.metrics.listen {
            let listener = TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding metrics.listen {addr}"))?;
            tracing::info!(addr = %addr, "metrics are served on their own address");
            let router = http::metrics_router(self.state.clone());
            let stop = shutdown.clone();
            tokio::spawn(async move {
                let served = axum::serve(listener, router)
                    .with_graceful_shutdown(async move { stop.cancelled().await })
                    .await;
                if let Err(e) = served {
                    tracing::error!(error = %e, "the metrics listener stopped");
                }
            });
        }
        let stop = shutdown.clone();
        let streams = self.state.shutdown.clone();
        let served = serve_http1(self.listener, router, stop, streams).await;
        // Whatever ended the server, the dispatcher finishes its sends before we close.
        shutdown.cancel();
        if let Some(worker) = worker {
            if let Err(e) = worker.await {
                tracing::error!(error = %e, "dispatcher task ended abnormally");
            }
        }
        self.state.store.close().await;
        served
    }
}

/// Serves HTTP/1.1 until `stop`, then stops accepting, ends the live streams (which never
/// finish by themselves) and waits for the requests in flight.
///
/// HTTP/1.1 only: browsers speak HTTP/2 only over TLS, which a reverse proxy in front of
/// carebell ends, and an HTTP/1-only connection keeps far less state than one that must
/// be ready for both (this matters with thousands of open live streams; see
/// docs/BENCHMARKS.md).
async fn serve_http1(
    listener: TcpListener,
    router: axum::Router,
    stop: CancellationToken,
    streams: CancellationToken,
) -> anyhow::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors, say: wait a little rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = stop.cancelled() => break,
        };
        let _ = stream.set_nodelay(true);
        // The peer's address goes with each request (the client's address for throttling).
        // Inserted per request rather than by layering the router per connection, which
        // would copy every route for each of thousands of open streams.
        let router = router.clone();
        let service = hyper::service::service_fn(
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                tower::ServiceExt::oneshot(router.clone(), request)
            },
        );
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(std::time::Duration::from_secs(30))
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    streams.cancel();
    graceful.shutdown().await;
    Ok(())
}

/// The dispatcher with its templates and channels, as configured.
/// The lifecycle services as the settings configure them.
pub fn build_lifecycle(
    settings: &Settings,
    store: &Store,
    clock: &SharedClock,
    wake: WakeSignal,
) -> Lifecycle {
    Lifecycle::with_wake_signal(
        store.clone(),
        clock.clone(),
        settings.lifecycle.clone(),
        wake,
    )
    .with_reminder_offsets(settings.reminders.offsets.clone())
    .with_reminder_email(settings.reminders.email)
    .with_choice_rules(crate::notify::choices::Rules::from_settings(settings))
    .with_availability_throttle(settings.availability.throttle)
    .with_waitlist(settings.waitlist.clone())
    .with_confirmation_followup(settings.reminders.confirmation_followup)
    .with_matrix(crate::notify::Matrix {
        invite_practitioners: settings.email.invite_practitioners,
    })
}

pub async fn build_dispatcher(
    settings: &Settings,
    store: &Store,
    clock: &SharedClock,
    wake: WakeSignal,
) -> anyhow::Result<Dispatcher> {
    let catalogue = Arc::new(
        Catalogue::load(settings.clinic.templates_dir.as_deref())
            .context("loading the catalogue of wording")?,
    );
    let (installation, link_key, vapid_key) = {
        let mut c = store.acquire().await?;
        let id = crate::store::installation::id(&mut c, clock.now())
            .await
            .context("reading the installation id")?;
        let key = crate::store::installation::signing_key(&mut c)
            .await
            .context("reading the link signing key")?;
        let candidate = crate::delivery::push::PushSender::new_private_key();
        let vapid = crate::store::installation::vapid_key(&mut c, &candidate)
            .await
            .context("reading the VAPID key")?;
        (id, key, vapid)
    };
    let from: lettre::message::Mailbox = settings.email.from.parse().context("email.from")?;
    let origin = crate::templates::CalendarOrigin {
        sender: from.email.to_string(),
        uid_domain: format!("{installation}@{}", from.email.domain()),
    };
    let templates = Templates::load(
        catalogue,
        &settings.clinic,
        &settings.server.public_url,
        settings.lifecycle.patient_cancel_cutoff,
        origin,
    )
    .context("loading templates")?
    .with_link_key(link_key);
    tracing::info!(templates = %describe_source(settings.clinic.templates_dir.as_deref()), "templates loaded");
    Dispatcher::new(
        settings,
        build_lifecycle(settings, store, clock, wake),
        Arc::new(templates),
        crate::realtime::attach_notifier(LiveHub::default(), store),
        crate::delivery::Identity {
            id: installation,
            vapid_key,
        },
    )
}

/// Opens the configured database, creating the SQLite folder and applying migrations
/// when `database.migrate_on_start` is set.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    if let Some(dir) = settings.sqlite_dir() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        }
    }
    let store = Store::connect(&settings.database).await?;
    if settings.database.migrate_on_start {
        store.migrate().await?;
    }
    Ok(store)
}

/// Cancels `token` on SIGINT or SIGTERM.
pub fn cancel_on_signal(token: CancellationToken) {
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for SIGTERM");
                    std::future::pending::<()>().await
                }
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {}
            _ = term => {}
        }
        tracing::info!("shutting down");
        token.cancel();
    });
}
