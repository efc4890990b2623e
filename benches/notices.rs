//! The fan-out of a notice to 100,000 recipients (see docs/BENCHMARKS.md).
//!
//! `cargo bench --bench notices [-- RECIPIENTS...]` (default 10000 100000) stores that many
//! patients, writes a notice to all of them (in-app and email) and confirms it, then
//! measures, on SQLite and (when one answers) PostgreSQL:
//! - the draft: counting the audience;
//! - the fan-out: every batch the dispatcher's planner writes, each its own transaction
//!   (total time, recipients per second, and how long a batch holds its transaction:
//!   p50, p99, max), and the process's peak memory while it runs;
//! - delivering the in-app copies: giving each its stream position and announcing it.
//!
//! PostgreSQL: `$CAREBELL_BENCH_POSTGRES_URL`, else postgres://postgres@127.0.0.1:5432/postgres;
//! a database is created for the run and dropped after it.

use carebell::clock::{ManualClock, SharedClock};
use carebell::config::Settings;
use carebell::domain::notice::{Audience, NoticeTexts};
use carebell::domain::{Channel, Email, Language, PersonName, Role, Severity, TimeZone, Timestamp};
use carebell::startup::{build_dispatcher, open_store};
use carebell::store::notices::{self, NewNotice};
use carebell::store::users::{self, NewUser};
use secrecy::SecretString;
use sqlx::Connection;
use std::time::{Duration, Instant};

const T0: i64 = 1_796_112_000_000; // 2026-12-01T08:00:00Z

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let sizes: Vec<i64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000]
    } else {
        sizes
    };
    println!(
        "carebell notice fan-out benchmark ({} cores)",
        std::thread::available_parallelism()?.get()
    );
    let admin_url = std::env::var("CAREBELL_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let postgres = sqlx::PgConnection::connect(&admin_url).await.is_ok();
    for n in sizes {
        run("sqlite", n, None).await?;
        if postgres {
            run("postgres", n, Some(&admin_url)).await?;
        } else {
            println!("(no PostgreSQL at {admin_url}: skipped)");
        }
    }
    Ok(())
}

/// Resident memory now and its peak since the last reset, in MiB (Linux).
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(0.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Resets the peak of resident memory to what is resident now (Linux 4.0+).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn run(engine: &str, recipients: i64, postgres: Option<&str>) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!(
        "carebell-notices-{}-{engine}-{recipients}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir)?;
    let mut settings = Settings::default();
    let database = format!("carebell_bench_{}_{recipients}", std::process::id());
    settings.database.url = SecretString::from(match postgres {
        None => format!("sqlite://{}/bench.db", dir.display()),
        Some(admin) => {
            let mut c = sqlx::PgConnection::connect(admin).await?;
            sqlx::Executor::execute(&mut c, format!("CREATE DATABASE {database}").as_str()).await?;
            let (head, _) = admin.rsplit_once('/').unwrap_or((admin, ""));
            format!("{head}/{database}")
        }
    });
    settings.email.outbox_dir = dir.join("mail");
    settings.sms.outbox_dir = dir.join("sms");
    let store = open_store(&settings).await?;
    let clock = ManualClock::new(Timestamp::from_millis(T0));
    let shared: SharedClock = clock.clone();
    let dispatcher = build_dispatcher(&settings, &store, &shared, Default::default()).await?;

    // The sender, then the patients in one statement.
    let started = Instant::now();
    let mut c = store.acquire().await?;
    let admin = users::insert(
        &mut c,
        &NewUser {
            role: Role::Admin,
            name: PersonName::parse("Admin Bench")?,
            email: Email::parse("admin@bench.example")?,
            phone: None,
            time_zone: TimeZone::parse("Europe/Paris")?,
            language: Language::En,
            password_hash: "!".into(),
        },
        Timestamp::from_millis(T0),
    )
    .await?;
    let series = match postgres {
        None => format!(
            "WITH RECURSIVE seq(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM seq WHERE x < {recipients} - 1) SELECT x FROM seq"
        ),
        Some(_) => format!("SELECT x FROM generate_series(0, {recipients} - 1) AS x"),
    };
    sqlx::query(&format!(
        "INSERT INTO users (role, name, email, phone, time_zone, language, password_hash, created_at)
         SELECT 'patient', 'Patient ' || x, 'p' || x || '@bench.example', NULL, 'Europe/Paris',
             CASE x % 3 WHEN 0 THEN 'en' WHEN 1 THEN 'fr' ELSE 'ar' END, '!', {T0}
         FROM ({series}) s"
    ))
    .execute(&mut *c)
    .await?;
    sqlx::query("ANALYZE").execute(&mut *c).await?;
    println!(
        "\n{engine}: {recipients} patients stored in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // The draft: its audience counted.
    let texts = NoticeTexts::parse(
        [
            (
                "en",
                "Closed on Monday",
                "The clinic is closed on Monday 7 December.",
            ),
            (
                "fr",
                "Fermé lundi",
                "La clinique est fermée le lundi 7 décembre.",
            ),
        ],
        false,
    )?;
    let now = Timestamp::from_millis(T0);
    let started = Instant::now();
    let mut tx = store.begin().await?;
    let notice = notices::insert_draft(
        tx.conn(),
        &NewNotice {
            sender_id: admin.id,
            severity: Severity::Info,
            channels: &[Channel::Email],
            texts: &texts,
            audience: &Audience::Patients,
        },
        now,
    )
    .await?;
    notices::confirm(tx.conn(), &notice, now).await?;
    tx.commit().await?;
    anyhow::ensure!(
        notice.audience_size == recipients,
        "audience {}",
        notice.audience_size
    );
    println!(
        "  draft and confirm (audience counted twice): {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );

    // The fan-out, a batch per transaction, as the planner runs it.
    reset_peak();
    let (rss_before, _) = memory();
    let started = Instant::now();
    let mut batches = Vec::new();
    let mut written = 0;
    loop {
        let t = Instant::now();
        let n = dispatcher.plan_notices().await?;
        if n == 0 {
            break;
        }
        batches.push(t.elapsed());
        written += n;
    }
    let secs = started.elapsed().as_secs_f64();
    let (_, peak) = memory();
    anyhow::ensure!(written as i64 == recipients, "wrote {written}");
    batches.sort();
    println!(
        "  fan-out: {written} notifications and {written} email jobs in {} batches, {secs:.2} s ({:.0} recipients/s)",
        batches.len(),
        written as f64 / secs
    );
    println!(
        "  one batch's transaction: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&batches, 0.5),
        percentile(&batches, 0.99),
        percentile(&batches, 1.0)
    );
    println!(
        "  memory: {rss_before:.0} MiB resident before, peak {peak:.0} MiB during (+{:.1} MiB)",
        peak - rss_before
    );

    // The in-app copies reach their inboxes.
    let started = Instant::now();
    let mut delivered = 0;
    loop {
        let n = dispatcher.deliver_in_app().await?;
        if n == 0 {
            break;
        }
        delivered += n;
    }
    let secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(delivered as i64 == recipients, "delivered {delivered}");
    println!(
        "  in-app delivery: {delivered} in {secs:.2} s ({:.0}/s)",
        delivered as f64 / secs
    );

    store.close().await;
    drop(dispatcher);
    if let Some(admin) = postgres {
        let mut c = sqlx::PgConnection::connect(admin).await?;
        sqlx::Executor::execute(
            &mut c,
            format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)").as_str(),
        )
        .await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
