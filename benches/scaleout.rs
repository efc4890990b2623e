//! Dispatch shared by several instances on one PostgreSQL (see docs/SCALING.md).
//!
//! `cargo bench --bench scaleout [-- EMAILS ROUNDS]` (default 6000 and 3): for one, two and
//! three `carebell serve` processes on one database (`CAREBELL_BENCH_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`, a fresh database per run, dropped
//! afterwards), each sending its email to an SMTP sink of its own, stores EMAILS
//! notifications due at once, each to a recipient of its own with one email job, and
//! waits until every email has arrived. Reports emails/s, each instance's share, how many
//! recipients got an email more than once (0 is the promise) and how many jobs the
//! database holds as sent. Rounds alternate 1, 2, 3 instances; medians at the end.

mod common;

use carebell::clock::{SharedClock, SystemClock};
use carebell::config::Settings;
use carebell::domain::Channel;
use carebell::startup::open_store;
use common::{insert, pct, seed_recipients, serve, smtp_sink, with_database, SinkStats};
use secrecy::SecretString;
use sqlx::Connection;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let emails = args.first().copied().unwrap_or(6_000);
    let rounds = args.get(1).copied().unwrap_or(3);
    let admin = std::env::var("CAREBELL_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    println!(
        "carebell scale-out benchmark ({} cores, {emails} emails, {rounds} rounds)",
        std::thread::available_parallelism()?.get()
    );
    let mut rates: HashMap<usize, Vec<f64>> = HashMap::new();
    for round in 1..=rounds {
        for instances in [1, 2, 3] {
            let rate = run(&admin, instances, emails, round).await?;
            rates.entry(instances).or_default().push(rate);
        }
    }
    for instances in [1, 2, 3] {
        let mut v = rates.remove(&instances).unwrap_or_default();
        v.sort_by(f64::total_cmp);
        println!(
            "median, {instances} instance(s): {:.0} emails/s",
            pct(&v, 0.5)
        );
    }
    Ok(())
}

async fn run(admin: &str, instances: usize, emails: usize, round: usize) -> anyhow::Result<f64> {
    let name = format!("carebell_scale_{}_{instances}", std::process::id());
    let mut c = sqlx::PgConnection::connect(admin).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut c)
        .await?;
    let url = with_database(admin, &name);
    let outcome = measure(&url, instances, emails, round).await;
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut c)
        .await?;
    outcome
}

async fn measure(url: &str, instances: usize, emails: usize, round: usize) -> anyhow::Result<f64> {
    let dir =
        std::env::temp_dir().join(format!("carebell-scale-{}-{instances}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut settings = Settings::default();
    settings.database.url = SecretString::from(url.to_string());
    let store = open_store(&settings).await?;
    let recipients = seed_recipients(&store, emails).await?;
    let http = reqwest::Client::new();
    let mut sinks: Vec<Arc<SinkStats>> = Vec::new();
    let mut servers = Vec::new();
    for i in 0..instances {
        let (port, sink) = smtp_sink().await?;
        sink.record_arrivals.store(true, Ordering::SeqCst);
        servers.push(serve(&dir, &format!("instance{i}"), url, port, &http, &[]).await?);
        sinks.push(sink);
    }
    let clock: SharedClock = Arc::new(SystemClock);
    let t0 = Instant::now();
    insert(&store, &recipients, emails, &[Channel::Email], &clock).await?;
    let arrived = |sinks: &[Arc<SinkStats>]| -> u64 {
        sinks
            .iter()
            .map(|s| s.messages.load(Ordering::SeqCst))
            .sum()
    };
    let deadline = Instant::now() + Duration::from_secs(300);
    while arrived(&sinks) < emails as u64 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let secs = t0.elapsed().as_secs_f64();
    // Whatever a second sending would add arrives within the lease's renewals; wait a
    // little past the last one before counting.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let shares: Vec<u64> = sinks
        .iter()
        .map(|s| s.messages.load(Ordering::SeqCst))
        .collect();
    let mut per_recipient: HashMap<String, usize> = HashMap::new();
    for sink in &sinks {
        for (to, _) in sink.arrivals.lock().unwrap().iter() {
            *per_recipient.entry(to.clone()).or_default() += 1;
        }
    }
    let twice = per_recipient.values().filter(|n| **n > 1).count();
    let sent: i64 = sqlx::query_scalar("SELECT count(*) FROM delivery_jobs WHERE state = 'sent'")
        .fetch_one(store.pool())
        .await?;
    for mut s in servers {
        s.child.kill().await?;
    }
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    anyhow::ensure!(
        per_recipient.len() == emails,
        "{instances} instance(s): {} of {emails} recipients got their email",
        per_recipient.len()
    );
    let rate = emails as f64 / secs;
    println!(
        "round {round}, {instances} instance(s): {emails} emails in {secs:.2} s = {rate:.0}/s; \
         shares {shares:?}; recipients emailed more than once: {twice}; jobs sent: {sent}"
    );
    Ok(rate)
}
