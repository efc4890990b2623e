//! Live stream at scale (see docs/BENCHMARKS.md).
//!
//! `cargo bench --bench stream [-- CLIENTS BOOKINGS]` (default 5000 and 200) runs the real
//! `carebell serve` binary (SQLite, dispatcher inside) as a separate process, connects
//! CLIENTS Server-Sent-Events clients (one per practitioner), then books BOOKINGS slots of
//! randomly chosen practitioners, about 20 per second. For each booking it measures the
//! time from sending the booking request (so: including its commit) to the practitioner's
//! client receiving the event, and it reads the server's resident memory with every
//! client connected.

use carebell::clock::{Clock, SystemClock};
use carebell::config::Settings;
use carebell::domain::{Email, Language, PersonName, Role, SlotWindow, TimeZone};
use carebell::startup::open_store;
use carebell::store::sessions::{self, NewSession, SessionKind};
use carebell::store::slots;
use carebell::store::users::{self, NewUser};
use rand::Rng;
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let clients = args.first().copied().unwrap_or(5_000);
    let bookings = args.get(1).copied().unwrap_or(200).min(clients);
    let dir = std::env::temp_dir().join(format!("carebell-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let db = format!("sqlite://{}/bench.db", dir.display());

    // Seed: practitioners with one slot each and a session token, one patient.
    let mut settings = Settings::default();
    settings.database.url = SecretString::from(db.clone());
    let store = open_store(&settings).await?;
    let now = SystemClock.now();
    let hash = carebell::auth::passwords::hash_password("benchmark password".into()).await?;
    let mut tx = store.begin().await?;
    let mut doctors = Vec::with_capacity(clients);
    for i in 0..=clients {
        let role = if i == clients {
            Role::Patient
        } else {
            Role::Practitioner
        };
        let u = users::insert(
            tx.conn(),
            &NewUser {
                role,
                name: PersonName::parse(&format!("User {i}"))?,
                email: Email::parse(&format!("user{i}@bench.example"))?,
                phone: None,
                time_zone: TimeZone::parse("Europe/Paris")?,
                language: Language::En,
                password_hash: hash.clone(),
            },
            now,
        )
        .await?;
        let token = carebell::auth::random_token();
        let session = NewSession {
            token: &token,
            user_id: u.id,
            kind: SessionKind::Api,
            csrf_token: None,
            label: None,
            created_at: now,
            expires_at: now.plus(Duration::from_secs(86_400)),
        };
        sessions::insert(tx.conn(), &session).await?;
        if role == Role::Practitioner {
            let start = now.plus(Duration::from_secs(86_400));
            let w = SlotWindow::new(start, start.plus(Duration::from_secs(1800)), now)?;
            let slot = slots::insert(tx.conn(), u.id, w, now).await?;
            doctors.push((u.id, token, slot.id));
        } else {
            doctors.push((u.id, token, 0));
        }
    }
    tx.commit().await?;
    store.close().await;
    let (_, patient_token, _) = doctors.pop().expect("patient");

    // The server, as its own process.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_carebell"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            &db,
        ])
        .env("CAREBELL__LOG__FILTER", "warn")
        .env(
            "MALLOC_ARENA_MAX",
            std::env::var("MALLOC_ARENA_MAX").unwrap_or_default(),
        )
        .env("CAREBELL__EMAIL__OUTBOX_DIR", dir.join("mail"))
        .env("CAREBELL__SMS__OUTBOX_DIR", dir.join("sms"))
        .kill_on_drop(true)
        .spawn()?;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?;
    for _ in 0..100 {
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rss_idle = rss_mb(server.id().unwrap_or_default());

    // Connect every client; each reports when its first notification event arrives.
    let arrivals: Arc<Mutex<HashMap<i64, Instant>>> = Arc::default();
    let connected = Arc::new(tokio::sync::Semaphore::new(0));
    let started = Instant::now();
    for (user_id, token, _) in &doctors {
        let (http, base, token, user_id) = (http.clone(), base.clone(), token.clone(), *user_id);
        let (arrivals, connected) = (arrivals.clone(), connected.clone());
        tokio::spawn(async move {
            let Ok(mut response) = http
                .get(format!("{base}/api/v1/notifications/stream"))
                .bearer_auth(token)
                .send()
                .await
            else {
                return;
            };
            let mut seen_first = false;
            while let Ok(Some(chunk)) = response.chunk().await {
                let text = String::from_utf8_lossy(&chunk);
                if !seen_first && text.contains("event: unread") {
                    seen_first = true;
                    connected.add_permits(1);
                }
                if text.contains("event: notification") {
                    arrivals
                        .lock()
                        .unwrap()
                        .entry(user_id)
                        .or_insert_with(Instant::now);
                }
            }
        });
    }
    let all = connected.acquire_many(doctors.len() as u32).await?;
    all.forget();
    let connect_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_connected = rss_mb(server.id().unwrap_or_default());
    println!(
        "{} clients connected in {connect_secs:.1} s; server resident memory {rss_idle:.0} MB before, {rss_connected:.0} MB with them",
        doctors.len()
    );

    // Book at about 20 per second; remember when each request left.
    let mut sent_at = HashMap::new();
    let mut rng = rand::thread_rng();
    let mut chosen: Vec<usize> = (0..doctors.len()).collect();
    for i in 0..bookings {
        let j = rng.gen_range(i..chosen.len());
        chosen.swap(i, j);
    }
    for &k in chosen.iter().take(bookings) {
        let (doctor_id, _, slot) = &doctors[k];
        let t = Instant::now();
        let r = http
            .post(format!("{base}/api/v1/appointments"))
            .bearer_auth(&patient_token)
            .json(&serde_json::json!({"slot_id": slot, "reason": "bench"}))
            .send()
            .await?;
        anyhow::ensure!(r.status() == 201, "booking failed: {}", r.status());
        sent_at.insert(*doctor_id, t);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let arrivals = arrivals.lock().unwrap().clone();
    let mut latencies: Vec<f64> = sent_at
        .iter()
        .filter_map(|(id, t)| {
            arrivals
                .get(id)
                .map(|a| a.duration_since(*t).as_secs_f64() * 1000.0)
        })
        .collect();
    latencies.sort_by(|a, b| a.total_cmp(b));
    anyhow::ensure!(
        latencies.len() == bookings,
        "only {} of {bookings} events arrived",
        latencies.len()
    );
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "carebell live stream benchmark (SQLite, {} cores)",
        std::thread::available_parallelism()?.get()
    );
    println!(
        "{bookings} bookings at ~20/s: booking sent -> event at the client p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pct(0.5),
        pct(0.99),
        latencies[latencies.len() - 1]
    );
    println!("server resident memory: {rss_idle:.0} MB before clients, {rss_connected:.0} MB with {} clients", doctors.len());
    server.kill().await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<f64>().ok())
            })
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}
