//! Delivery throughput and latency on SQLite (see docs/BENCHMARKS.md).
//!
//! `cargo bench --bench delivery [-- EMAILS IN_APP]` stores EMAILS notifications with an
//! email job each and IN_APP notifications without jobs, due now, then steps the
//! dispatcher until all are delivered. Email goes over SMTP (pooled) to a minimal SMTP
//! sink on loopback that accepts every message. Reports deliveries per second and the
//! time from due to delivered (p50/p99), read back from the stored timestamps.

mod common;

use carebell::clock::{SharedClock, SystemClock};
use carebell::config::{Settings, SmtpSecurity};
use carebell::domain::Channel;
use carebell::startup::{build_dispatcher, open_store};
use common::{insert, latencies, report, seed_recipients, smtp_sink};
use secrecy::SecretString;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let emails = args.first().copied().unwrap_or(5_000);
    let in_app = args.get(1).copied().unwrap_or(50_000);
    let dir = std::env::temp_dir().join(format!("carebell-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (port, received) = smtp_sink().await?;

    let mut settings = Settings::default();
    // Throughput, not recipients' quiet hours (which would hold messages at night).
    settings.quiet_hours.start = settings.quiet_hours.end;
    settings.quiet_hours.start_between = [settings.quiet_hours.end; 2];
    settings.database.url = SecretString::from(format!("sqlite://{}/bench.db", dir.display()));
    settings.email.smtp.host = Some("127.0.0.1".into());
    settings.email.smtp.port = Some(port);
    settings.email.smtp.security = SmtpSecurity::None;
    settings.email.smtp.pool_size = 16;
    settings.delivery.batch_size = 256;
    settings.sms.outbox_dir = dir.join("sms");
    let store = open_store(&settings).await?;
    let clock: SharedClock = Arc::new(SystemClock);
    let wake = carebell::lifecycle::WakeSignal::default();
    let dispatcher = build_dispatcher(&settings, &store, &clock, wake.clone()).await?;

    let recipients = seed_recipients(&store, 100).await?;
    println!(
        "carebell delivery benchmark (SQLite, {} cores)",
        std::thread::available_parallelism()?.get()
    );

    // Email: every notification also has one in-app record, delivered first.
    insert(&store, &recipients, emails, &[Channel::Email], &clock).await?;
    let started = Instant::now();
    let mut sent = 0;
    while sent < emails {
        let tick = dispatcher.dispatch_once().await?;
        sent += tick.sent;
        anyhow::ensure!(
            tick.dead == 0 && tick.retrying == 0,
            "unexpected failures: {tick:?}"
        );
    }
    let secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        received.messages.load(Ordering::SeqCst) as usize == emails,
        "the sink did not get every message"
    );
    let lat = latencies(
        &store,
        "SELECT sent_at - due_at FROM delivery_jobs WHERE state = 'sent'",
    )
    .await?;
    report("email over SMTP (pool of 16)", emails, secs, &lat);

    insert(&store, &recipients, in_app, &[], &clock).await?;
    let started = Instant::now();
    let mut delivered = 0;
    while delivered < in_app {
        delivered += dispatcher.dispatch_once().await?.in_app;
    }
    let secs = started.elapsed().as_secs_f64();
    let lat = latencies(
        &store,
        "SELECT delivered_at - created_at FROM notifications WHERE id > (SELECT MAX(notification_id) FROM delivery_jobs)",
    )
    .await?;
    report("in-app (marked delivered + live hook)", in_app, secs, &lat);

    // Steady state: commits at a fixed rate while the dispatcher loop runs, woken by each
    // commit as the lifecycle wakes it. Latency here is what a user waits.
    let shutdown = tokio_util::sync::CancellationToken::new();
    let worker = tokio::spawn(dispatcher.clone().run(shutdown.clone()));
    for (label, channels, per_tick) in [
        ("steady email, 200/s", vec![Channel::Email], 10),
        ("steady in-app, 2,000/s", vec![], 100),
    ] {
        let before: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM notifications")
            .fetch_one(store.pool())
            .await?;
        let ticks = 100; // every 50 ms for 5 s
        let mut interval = tokio::time::interval(std::time::Duration::from_millis(50));
        for _ in 0..ticks {
            interval.tick().await;
            insert(&store, &recipients, per_tick, &channels, &clock).await?;
            wake.wake();
        }
        let total = ticks * per_tick;
        let sql = if channels.is_empty() {
            format!("SELECT delivered_at - created_at FROM notifications WHERE id > {before} AND delivered_at IS NOT NULL")
        } else {
            format!("SELECT j.sent_at - j.due_at FROM delivery_jobs j WHERE j.notification_id > {before} AND j.state = 'sent'")
        };
        let deadline = Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let lat = latencies(&store, &sql).await.unwrap_or_default();
            if lat.len() >= total {
                report(label, total, 5.0, &lat);
                break;
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "{label}: only {} of {total} delivered",
                lat.len()
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    shutdown.cancel();
    worker.await?;
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
