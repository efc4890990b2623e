//! Booking under load, through the HTTP API of the real binary, to the email at the SMTP
//! peer (see docs/BENCHMARKS.md).
//!
//! `cargo bench --bench booking [-- SECONDS] [api-only]` (default 5) seeds practitioners with free
//! 15-minute slots and one patient (with an API token) per booking, runs `carebell serve`
//! as its own process (dispatcher inside, email to the in-binary SMTP sink, quiet hours
//! off) and, on SQLite and then PostgreSQL (`CAREBELL_BENCH_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`, in a database of its own that is dropped
//! afterwards; skipped with a notice when unreachable), books at these loads:
//! - paced: one client, 20 bookings a second;
//! - 1, 8 and 32 clients, each booking again as soon as it is answered, for SECONDS.
//!
//! Each load reports bookings/s, the answer's p50/p99, and booking → email at the peer
//! p50/p99 (from the request leaving to the patient's "booking received" arriving). During
//! the 8-client load four other practitioners each add 200 slots at once, in parallel; every
//! answer that is not 201 is counted and shown. On PostgreSQL, pgbench then writes the
//! booking's rows (see [`PGBENCH_SCRIPT`]) into the same database at 1, 8 and 32 clients.
//! `api-only` runs the server with `delivery.enabled = false`: the lifecycle's commits
//! alone, without the dispatcher's work in the same process (and no email to measure).

mod common;

use carebell::clock::{Clock, SystemClock};
use carebell::config::Settings;
use carebell::domain::{Email, Language, PersonName, Role, SlotWindow, TimeZone, Timestamp};
use carebell::startup::open_store;
use carebell::store::sessions::{self, NewSession, SessionKind};
use carebell::store::slots;
use carebell::store::users::{self, NewUser};
use common::{pct, serve, smtp_sink, with_database, Server, SinkStats};
use secrecy::SecretString;
use sqlx::Connection;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DOCTORS: usize = 8;
const POSTERS: usize = 4;
const MINUTE: u64 = 60;

/// What one booking request saw.
struct Booked {
    patient: usize,
    sent: Instant,
    answered: Duration,
    status: u16,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let seconds = std::env::args()
        .find_map(|a| a.parse().ok())
        .unwrap_or(5u64);
    let api_only = std::env::args().any(|a| a == "api-only");
    println!(
        "carebell booking benchmark ({} cores, {seconds} s per closed-loop load{})",
        std::thread::available_parallelism()?.get(),
        if api_only { ", dispatcher off" } else { "" }
    );
    let dir = std::env::temp_dir().join(format!("carebell-booking-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    // Room for the fastest run seen so far (about 2,000 bookings/s) at every load.
    let patients = (2_500 * seconds as usize * 3 + 200).max(2_000);

    let sqlite = format!("sqlite://{}/bench.db", dir.display());
    run("SQLite", &sqlite, &dir, seconds, patients, api_only).await?;

    let admin = std::env::var("CAREBELL_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    match sqlx::PgConnection::connect(&admin).await {
        Ok(mut c) => {
            let name = format!("carebell_bench_{}", std::process::id());
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut c)
                .await?;
            let url = with_database(&admin, &name);
            let outcome = run("PostgreSQL", &url, &dir, seconds, patients, api_only).await;
            sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .execute(&mut c)
                .await?;
            outcome?;
        }
        Err(e) => println!("PostgreSQL: not measured ({admin} unreachable: {e})"),
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

struct Seeded {
    /// (token, slot id) of each patient's one booking.
    patients: Vec<(String, i64)>,
    /// Tokens of the practitioners who add slots during the load.
    posters: Vec<String>,
}

async fn seed(url: &str, patients: usize) -> anyhow::Result<Seeded> {
    let mut settings = Settings::default();
    settings.database.url = SecretString::from(url.to_string());
    let store = open_store(&settings).await?;
    let now = SystemClock.now();
    let hash = carebell::auth::passwords::hash_password("benchmark password".into()).await?;
    let mut tx = store.begin().await?;
    let person = |role: Role, i: usize| NewUser {
        role,
        name: PersonName::parse(&format!("Person {i}")).expect("name"),
        email: Email::parse(&format!("person{i}@bench.example")).expect("email"),
        phone: None,
        time_zone: TimeZone::parse("Europe/Paris").expect("zone"),
        language: Language::ALL[i % 3],
        password_hash: hash.clone(),
    };
    let mut slot_ids = Vec::with_capacity(patients);
    let tomorrow = now.plus(Duration::from_secs(86_400));
    for d in 0..DOCTORS {
        let doctor = users::insert(tx.conn(), &person(Role::Practitioner, d), now).await?;
        for k in 0..patients.div_ceil(DOCTORS) {
            let start = tomorrow.plus(Duration::from_secs(15 * MINUTE * k as u64));
            let w = SlotWindow::new(start, start.plus(Duration::from_secs(15 * MINUTE)), now)?;
            slot_ids.push(slots::insert(tx.conn(), doctor.id, w, now).await?.id);
        }
    }
    let mut posters = Vec::new();
    for p in 0..POSTERS {
        let u = users::insert(tx.conn(), &person(Role::Practitioner, DOCTORS + p), now).await?;
        posters.push(token_for(&mut tx, u.id, now).await?);
    }
    let mut out = Vec::with_capacity(patients);
    for (i, slot) in slot_ids.into_iter().take(patients).enumerate() {
        let u = users::insert(tx.conn(), &person(Role::Patient, 100 + i), now).await?;
        out.push((token_for(&mut tx, u.id, now).await?, slot));
    }
    tx.commit().await?;
    store.close().await;
    Ok(Seeded {
        patients: out,
        posters,
    })
}

/// An API token for user `id`, a day long.
async fn token_for(
    tx: &mut carebell::store::Tx,
    id: i64,
    now: Timestamp,
) -> anyhow::Result<String> {
    let token = carebell::auth::random_token();
    let session = NewSession {
        token: &token,
        user_id: id,
        kind: SessionKind::Api,
        csrf_token: None,
        label: None,
        created_at: now,
        expires_at: now.plus(Duration::from_secs(86_400)),
    };
    sessions::insert(tx.conn(), &session).await?;
    Ok(token)
}

async fn run(
    engine: &str,
    url: &str,
    dir: &std::path::Path,
    seconds: u64,
    patients: usize,
    api_only: bool,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let seeded = seed(url, patients).await?;
    println!(
        "\n{engine}: {patients} patients, {} slots seeded in {:.1} s",
        seeded.patients.len(),
        started.elapsed().as_secs_f64()
    );
    let (smtp, sink) = smtp_sink().await?;
    sink.record_arrivals.store(true, Ordering::SeqCst);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;
    let Server {
        child: mut server,
        base,
    } = if api_only {
        // The lifecycle's own commits: no dispatcher in this process takes its share of
        // the CPU (a deployment's API instances, with `carebell dispatch` elsewhere).
        let off = [("CAREBELL__DELIVERY__ENABLED", "false")];
        serve(dir, engine, url, smtp, &http, &off).await?
    } else {
        serve(dir, engine, url, smtp, &http, &[]).await?
    };

    let next = Arc::new(AtomicUsize::new(0));
    let patients = Arc::new(seeded.patients);
    let loads: [(&str, usize, Option<Duration>); 4] = [
        ("paced, 20/s", 1, Some(Duration::from_millis(50))),
        ("1 client", 1, None),
        ("8 clients", 8, None),
        ("32 clients", 32, None),
    ];
    for (label, clients, pace) in loads {
        let length = if pace.is_some() {
            Duration::from_secs(3)
        } else {
            Duration::from_secs(seconds)
        };
        let results: Arc<Mutex<Vec<Booked>>> = Arc::default();
        let posting = if clients == 8 {
            let (http, base, tokens) = (http.clone(), base.clone(), seeded.posters.clone());
            Some(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(1)).await;
                post_slots(&http, &base, &tokens).await
            }))
        } else {
            None
        };
        let t0 = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let (http, base, next, patients, results) = (
                http.clone(),
                base.clone(),
                next.clone(),
                patients.clone(),
                results.clone(),
            );
            tasks.push(tokio::spawn(async move {
                while t0.elapsed() < length {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some((token, slot)) = patients.get(i) else {
                        break;
                    };
                    let sent = Instant::now();
                    let status = http
                        .post(format!("{base}/api/v1/appointments"))
                        .bearer_auth(token)
                        .json(&serde_json::json!({"slot_id": slot, "reason": "bench"}))
                        .send()
                        .await
                        .map_or(0, |r| r.status().as_u16());
                    let answered = sent.elapsed();
                    results.lock().unwrap().push(Booked {
                        patient: i,
                        sent,
                        answered,
                        status,
                    });
                    if let Some(p) = pace {
                        tokio::time::sleep(p.saturating_sub(answered)).await;
                    }
                }
            }));
        }
        for t in tasks {
            t.await?;
        }
        let secs = t0.elapsed().as_secs_f64();
        let posted = match posting {
            Some(p) => Some(p.await??),
            None => None,
        };
        let results = std::mem::take(&mut *results.lock().unwrap());
        report(engine, label, secs, &results, (!api_only).then_some(&*sink)).await?;
        if let Some(statuses) = posted {
            println!("  four parallel 200-slot POST /slots during the load answered {statuses:?}");
        }
    }
    server.kill().await?;
    if engine == "PostgreSQL" {
        pgbench(url, dir).await?;
    }
    Ok(())
}

/// The booking's own rows per transaction (an appointment, two notifications, two email
/// jobs, an audit event), written by pgbench with prepared statements into the same
/// database: the rate PostgreSQL itself reaches, for the ratio of issue 17.
const PGBENCH_SCRIPT: &str = "\\set p random(:lo, :hi)
BEGIN;
INSERT INTO appointments (slot_id, patient_id, practitioner_id, status, reason, urgency, version, starts_at, ends_at, created_at, updated_at) VALUES (NULL, :p, :lo, 'requested', 'bench', 'routine', 1, 1900000000000, 1900000900000, 1800000000000, 1800000000000) RETURNING id AS a \\gset
INSERT INTO notifications (recipient_id, kind, severity, link, data, appointment_id, appointment_version, created_at, visible_from, reminder_offset_s, in_app, delivered_at) VALUES (:p, 'booking_received', 'info', '/appointments', '{}', :a, 1, 1800000000000, 1800000000000, NULL, 1, NULL) RETURNING id AS n1 \\gset
INSERT INTO delivery_jobs (notification_id, channel, state, due_at, created_at, updated_at) VALUES (:n1, 'email', 'pending', 1900000000000, 1800000000000, 1800000000000);
INSERT INTO notifications (recipient_id, kind, severity, link, data, appointment_id, appointment_version, created_at, visible_from, reminder_offset_s, in_app, delivered_at) VALUES (:lo, 'appointment_requested', 'info', '/appointments', '{}', :a, 1, 1800000000000, 1800000000000, NULL, 1, NULL) RETURNING id AS n2 \\gset
INSERT INTO delivery_jobs (notification_id, channel, state, due_at, created_at, updated_at) VALUES (:n2, 'email', 'pending', 1900000000000, 1800000000000, 1800000000000);
INSERT INTO audit_events (at, actor_id, action, subject_user_id, appointment_id, target, source_ip, request_id) VALUES (1800000000000, :p, 'appointment.booked', NULL, :a, NULL, NULL, NULL);
COMMIT;
";

/// Runs [`PGBENCH_SCRIPT`] at 1, 8 and 32 clients, 5 s each, after carebell's own loads
/// (the database is dropped afterwards). Skipped, saying so, where there is no `pgbench`.
async fn pgbench(url: &str, dir: &std::path::Path) -> anyhow::Result<()> {
    let mut c = sqlx::PgConnection::connect(url).await?;
    let (lo, hi): (i64, i64) = sqlx::query_as("SELECT min(id), max(id) FROM users")
        .fetch_one(&mut c)
        .await?;
    let script = dir.join("booking-rows.sql");
    std::fs::write(&script, PGBENCH_SCRIPT)?;
    for clients in [1, 8, 32] {
        let out = tokio::process::Command::new("pgbench")
            .args(["-n", "-M", "prepared", "-T", "5", "-j", "2"])
            .arg(format!("-c{clients}"))
            .arg(format!("-Dlo={lo}"))
            .arg(format!("-Dhi={hi}"))
            .arg("-f")
            .arg(&script)
            .arg(url)
            .output()
            .await;
        let out = match out {
            Ok(out) => out,
            Err(e) => {
                println!("pgbench: not measured ({e})");
                return Ok(());
            }
        };
        let text = String::from_utf8_lossy(&out.stdout);
        let tps = text
            .lines()
            .find(|l| l.starts_with("tps ="))
            .unwrap_or("no tps line");
        anyhow::ensure!(
            out.status.success(),
            "pgbench failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        println!("pgbench, the booking's rows, {clients} clients: {tps}");
    }
    Ok(())
}

/// Four practitioners each add 200 slots at once; returns each answer's status.
async fn post_slots(
    http: &reqwest::Client,
    base: &str,
    tokens: &[String],
) -> anyhow::Result<Vec<u16>> {
    let start = SystemClock
        .now()
        .plus(Duration::from_secs(400 * 86_400))
        .millis();
    let posts = tokens.iter().map(|token| {
        let slots: Vec<_> = (0..200)
            .map(|k| {
                let s = Timestamp::from_millis(start + k * 15 * 60_000);
                let e = Timestamp::from_millis(start + (k + 1) * 15 * 60_000);
                serde_json::json!({"starts_at": s.to_string(), "ends_at": e.to_string()})
            })
            .collect();
        http.post(format!("{base}/api/v1/slots"))
            .bearer_auth(token)
            .json(&serde_json::json!({"slots": slots, "notify_followers": false}))
            .send()
    });
    let answers = futures::future::join_all(posts).await;
    Ok(answers
        .into_iter()
        .map(|a| a.map_or(0, |r| r.status().as_u16()))
        .collect())
}

async fn report(
    engine: &str,
    label: &str,
    secs: f64,
    results: &[Booked],
    sink: Option<&SinkStats>,
) -> anyhow::Result<()> {
    let ok: Vec<&Booked> = results.iter().filter(|b| b.status == 201).collect();
    let mut others: BTreeMap<u16, usize> = BTreeMap::new();
    for b in results.iter().filter(|b| b.status != 201) {
        *others.entry(b.status).or_default() += 1;
    }
    let mut answers: Vec<f64> = ok.iter().map(|b| ms(b.answered)).collect();
    answers.sort_by(f64::total_cmp);
    anyhow::ensure!(
        !answers.is_empty(),
        "{engine} {label}: no booking succeeded: {others:?}"
    );
    let email = match sink {
        Some(sink) => {
            let e = to_email(engine, label, &ok, sink).await?;
            format!(
                "booking -> email at the peer p50 {:.1} ms, p99 {:.1} ms",
                pct(&e, 0.5),
                pct(&e, 0.99)
            )
        }
        None => "email not sent here".into(),
    };
    println!(
        "{engine} {label}: {} bookings in {secs:.1} s = {:.0}/s; answer p50 {:.1} ms, p99 {:.1} ms; {email}; not 201: {others:?}",
        ok.len(),
        ok.len() as f64 / secs,
        pct(&answers, 0.5),
        pct(&answers, 0.99),
    );
    Ok(())
}

/// Waits until every accepted booking's "booking received" email has reached the patient;
/// the time from each request to its email, sorted.
async fn to_email(
    engine: &str,
    label: &str,
    ok: &[&Booked],
    sink: &SinkStats,
) -> anyhow::Result<Vec<f64>> {
    let wanted: HashMap<String, Instant> = ok
        .iter()
        .map(|b| (format!("person{}@bench.example", 100 + b.patient), b.sent))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut times = loop {
        let arrived: Vec<f64> = {
            let arrivals = sink.arrivals.lock().unwrap();
            let mut first: HashMap<&str, Instant> = HashMap::new();
            for (to, at) in arrivals.iter() {
                first.entry(to.as_str()).or_insert(*at);
            }
            wanted
                .iter()
                .filter_map(|(to, sent)| first.get(to.as_str()).map(|at| ms(*at - *sent)))
                .collect()
        };
        if arrived.len() == wanted.len() || Instant::now() > deadline {
            break arrived;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    anyhow::ensure!(
        times.len() == wanted.len(),
        "{engine} {label}: {} of {} patients' emails arrived",
        times.len(),
        wanted.len()
    );
    times.sort_by(f64::total_cmp);
    Ok(times)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
