//! Reminder scheduling cost on SQLite (see docs/BENCHMARKS.md).
//!
//! `cargo bench --bench reminders [-- STORED...]` (default 100000 1000000) stores that many
//! confirmed future appointments, each with its 24 h and 2 h reminders (in-app record and
//! email job), then measures:
//! - a full dispatcher tick when nothing is due (100 ticks: p50, p99, max);
//! - finding 10,000 due reminders: checking each against its appointment and delivering the
//!   in-app records that apply (one statement), and claiming the 10,000 due email jobs.

use carebell::clock::{ManualClock, SharedClock};
use carebell::config::Settings;
use carebell::domain::{Email, Language, PersonName, Role, TimeZone, Timestamp};
use carebell::startup::{build_dispatcher, open_store};
use carebell::store::users::{self, NewUser};
use carebell::store::{deliveries, notifications};
use secrecy::SecretString;
use std::time::{Duration, Instant};

const T0: i64 = 1_796_112_000_000; // 2026-12-01T08:00:00Z
const DUE: i64 = 10_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let sizes: Vec<i64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![100_000, 1_000_000]
    } else {
        sizes
    };
    println!(
        "carebell reminder benchmark (SQLite, {} cores)",
        std::thread::available_parallelism()?.get()
    );
    for stored in sizes {
        run(stored).await?;
    }
    Ok(())
}

async fn run(stored: i64) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!(
        "carebell-reminders-{}-{stored}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir)?;
    let mut settings = Settings::default();
    // Throughput, not recipients' quiet hours (which would hold messages at night).
    settings.quiet_hours.start = settings.quiet_hours.end;
    settings.quiet_hours.start_between = [settings.quiet_hours.end; 2];
    settings.database.url = SecretString::from(format!("sqlite://{}/bench.db", dir.display()));
    settings.email.outbox_dir = dir.join("mail");
    settings.sms.outbox_dir = dir.join("sms");
    settings.delivery.batch_size = 625; // the in-app pump takes 16 batches: 10,000
    let store = open_store(&settings).await?;
    let clock = ManualClock::new(Timestamp::from_millis(T0));
    let shared: SharedClock = clock.clone();
    let dispatcher = build_dispatcher(&settings, &store, &shared, Default::default()).await?;

    let started = Instant::now();
    let mut c = store.acquire().await?;
    for (role, name) in [
        (Role::Practitioner, "Dr Bench"),
        (Role::Patient, "Pat Bench"),
    ] {
        let u = NewUser {
            role,
            name: PersonName::parse(name)?,
            email: Email::parse(&format!("{}@bench.example", name.replace(' ', ".")))?,
            phone: None,
            time_zone: TimeZone::parse("Europe/Paris")?,
            language: Language::En,
            password_hash: "x".into(),
        };
        users::insert(&mut c, &u, Timestamp::from_millis(T0)).await?;
    }
    // Appointments spread over the 60 days after T0 + 25 h, so nothing is due at T0.
    let step = 60 * 86_400_000 / stored;
    let first = T0 + 25 * 3_600_000;
    sqlx::query(&format!(
        "WITH RECURSIVE seq(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM seq WHERE x < {stored} - 1)
         INSERT INTO appointments (slot_id, patient_id, practitioner_id, status, reason, urgency, version,
             starts_at, ends_at, created_at, updated_at)
         SELECT NULL, 2, 1, 'confirmed', '', 'routine', 2, {first} + x * {step}, {first} + x * {step} + 1800000, {T0}, {T0}
         FROM seq"
    ))
    .execute(&mut *c)
    .await?;
    sqlx::query(&format!(
        "INSERT INTO notifications (recipient_id, kind, severity, link, data, appointment_id,
             appointment_version, created_at, visible_from, reminder_offset_s)
         SELECT 2, 'appointment_reminder', 'info', NULL, '{{}}', a.id, 2, {T0},
             a.starts_at - o.s * 1000, o.s
         FROM appointments a, (SELECT 86400 AS s UNION ALL SELECT 7200) o"
    ))
    .execute(&mut *c)
    .await?;
    sqlx::query(&format!(
        "INSERT INTO delivery_jobs (notification_id, channel, state, due_at, created_at, updated_at)
         SELECT id, 'email', 'pending', visible_from, {T0}, {T0} FROM notifications WHERE kind = 'appointment_reminder'"
    ))
    .execute(&mut *c)
    .await?;
    sqlx::query("ANALYZE").execute(&mut *c).await?;
    // Setup's writes are folded into the database file now, not during the first ticks.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut *c)
        .await?;
    println!(
        "\n{stored} future appointments stored ({} reminders, {} reminder jobs) in {:.1} s",
        2 * stored,
        2 * stored,
        started.elapsed().as_secs_f64()
    );

    // Idle: a whole dispatcher step (in-app pump + job claim) with nothing due.
    let mut idle = Vec::new();
    for _ in 0..100 {
        let t = Instant::now();
        let tick = dispatcher.dispatch_once().await?;
        idle.push(t.elapsed());
        anyhow::ensure!(tick.is_idle(), "something was due: {tick:?}");
    }
    idle.sort();
    println!(
        "idle scheduler tick: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        ms(idle[49]),
        ms(idle[98]),
        ms(idle[99])
    );

    // Move to the instant at which exactly DUE reminders are due.
    let at: i64 = sqlx::query_scalar(&format!(
        "SELECT visible_from FROM notifications ORDER BY visible_from LIMIT 1 OFFSET {}",
        DUE - 1
    ))
    .fetch_one(&mut *c)
    .await?;
    let now = Timestamp::from_millis(at);
    clock.set(now);

    drop(c);
    // In-app: each due reminder is checked against its appointment in the same statement
    // that delivers it.
    let t = Instant::now();
    let mut tx = store.begin().await?;
    let due = notifications::deliver_due_in_app(&mut tx, now, DUE).await?;
    tx.commit().await?;
    let claim_in_app = t.elapsed();
    let mut c = store.acquire().await?;
    let t = Instant::now();
    let jobs =
        deliveries::claim(&mut c, store.backend(), now, Duration::from_secs(120), DUE).await?;
    let claim_jobs = t.elapsed();
    anyhow::ensure!(jobs.len() as i64 == DUE, "expected {DUE} due jobs");
    println!(
        "{DUE} due reminders: checked against their appointments and delivered in-app (or voided) {:.1} ms ({} apply), claim email jobs {:.1} ms",
        ms(claim_in_app),
        due.len(),
        ms(claim_jobs)
    );
    drop(c);
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
