//! What the benchmarks share: seeded recipients, notifications due now, percentiles and an
//! in-binary SMTP peer. Each benchmark uses only part of it.
#![allow(dead_code)]

use carebell::clock::{Clock, SharedClock, SystemClock};
use carebell::domain::{
    Channel, Email, Language, NotificationKind, PersonName, Role, Severity, TimeZone,
};
use carebell::store::notifications::{self, NewNotification};
use carebell::store::users::{self, NewUser};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

pub fn report(what: &str, n: usize, secs: f64, lat: &[i64]) {
    println!(
        "{what}: {n} in {secs:.2} s = {:.0}/s; due -> delivered p50 {} ms, p99 {} ms",
        n as f64 / secs,
        pct(lat, 0.50),
        pct(lat, 0.99)
    );
}

/// The value at fraction `p` of sorted `v` (nearest rank).
pub fn pct<T: Copy>(v: &[T], p: f64) -> T {
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

pub async fn latencies(store: &carebell::store::Store, sql: &str) -> anyhow::Result<Vec<i64>> {
    let mut v: Vec<i64> = sqlx::query_scalar(sql).fetch_all(store.pool()).await?;
    v.sort_unstable();
    anyhow::ensure!(!v.is_empty(), "no latencies");
    Ok(v)
}

pub async fn seed_recipients(store: &carebell::store::Store, n: usize) -> anyhow::Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(n);
    let mut c = store.acquire().await?;
    for i in 0..n {
        let u = NewUser {
            role: Role::Patient,
            name: PersonName::parse(&format!("Patient {i}"))?,
            email: Email::parse(&format!("patient{i}@bench.example"))?,
            phone: None,
            time_zone: TimeZone::parse("Europe/Paris")?,
            language: Language::ALL[i % 3],
            password_hash: "x".into(),
        };
        ids.push(users::insert(&mut c, &u, SystemClock.now()).await?.id);
    }
    Ok(ids)
}

/// Stores `n` confirmation notices, due as they are written, each with a job per channel.
pub async fn insert(
    store: &carebell::store::Store,
    recipients: &[i64],
    n: usize,
    channels: &[Channel],
    clock: &SharedClock,
) -> anyhow::Result<()> {
    for chunk in (0..n).collect::<Vec<_>>().chunks(1_000) {
        let now = clock.now();
        let mut tx = store.begin().await?;
        for i in chunk {
            let note = NewNotification {
                recipient_id: recipients[i % recipients.len()],
                kind: NotificationKind::AppointmentConfirmed,
                severity: Severity::Success,
                link: Some(format!("/appointments/{i}")),
                data: serde_json::from_value(serde_json::json!({
                    "appointment_id": i, "appointment_version": 2, "status": "confirmed",
                    "starts_at": "2026-12-01T09:00:00Z", "ends_at": "2026-12-01T09:30:00Z",
                    "patient_name": "Patient", "practitioner_name": "Dr Amina Haddad",
                    "urgency": "routine", "calendar": "request",
                }))?,
                appointment_id: None,
                appointment_version: None,
                channels: channels.to_vec(),
                visible_from: None,
                reminder_offset: None,
                jobs_due: None,
            };
            notifications::insert(tx.conn(), &note, now).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// What the in-binary SMTP peer saw.
#[derive(Default)]
pub struct SinkStats {
    pub messages: AtomicU64,
    pub ehlos: AtomicU64,
    /// The last message's DATA as it came on the wire (dot-stuffed, CRLF line ends).
    pub sample: Mutex<Vec<u8>>,
    /// (first recipient, arrival) of every message, when asked for.
    pub arrivals: Mutex<Vec<(String, Instant)>>,
    pub record_arrivals: std::sync::atomic::AtomicBool,
}

/// A minimal SMTP server on loopback that accepts every message at once.
pub async fn smtp_sink() -> anyhow::Result<(u16, Arc<SinkStats>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let stats = Arc::new(SinkStats::default());
    let shared = stats.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let _ = socket.set_nodelay(true);
            let stats = shared.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                let mut data: Option<Vec<u8>> = None;
                let mut rcpt = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let reply: &[u8] = if let Some(body) = data.as_mut() {
                        if line != "." {
                            body.extend_from_slice(line.as_bytes());
                            body.extend_from_slice(b"\r\n");
                            continue;
                        }
                        if stats.record_arrivals.load(Ordering::Relaxed) {
                            let to = std::mem::take(&mut rcpt);
                            stats.arrivals.lock().unwrap().push((to, Instant::now()));
                        }
                        *stats.sample.lock().unwrap() = data.take().unwrap_or_default();
                        stats.messages.fetch_add(1, Ordering::SeqCst);
                        b"250 2.0.0 queued\r\n"
                    } else {
                        match line.get(..4).map(|v| v.to_ascii_uppercase()).as_deref() {
                            Some("EHLO") => {
                                stats.ehlos.fetch_add(1, Ordering::SeqCst);
                                b"250-sink\r\n250 8BITMIME\r\n"
                            }
                            Some("RCPT") => {
                                if rcpt.is_empty() {
                                    rcpt = recipient(&line);
                                }
                                b"250 OK\r\n"
                            }
                            Some("DATA") => {
                                data = Some(Vec::new());
                                b"354 go ahead\r\n"
                            }
                            Some("QUIT") => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                break;
                            }
                            _ => b"250 OK\r\n",
                        }
                    };
                    if write.write_all(reply).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    Ok((port, stats))
}

/// The address in `RCPT TO:<address>`.
fn recipient(line: &str) -> String {
    line.split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(addr, _)| addr.to_ascii_lowercase())
        .unwrap_or_default()
}

/// A `carebell serve` process of the benchmarks: email over SMTP to `smtp` on loopback,
/// quiet hours off (throughput, not recipients' nights), logs at `warn`.
pub struct Server {
    pub child: tokio::process::Child,
    pub base: String,
}

/// Starts `carebell serve` on `url` with its files under `dir/name` and waits until it
/// answers `/healthz`.
pub async fn serve(
    dir: &std::path::Path,
    name: &str,
    url: &str,
    smtp: u16,
    http: &reqwest::Client,
    env: &[(&str, &str)],
) -> anyhow::Result<Server> {
    let home = dir.join(name);
    std::fs::create_dir_all(&home)?;
    let config = home.join("bench.toml");
    std::fs::write(
        &config,
        format!(
            "[email.smtp]\nhost = \"127.0.0.1\"\nport = {smtp}\nsecurity = \"none\"\n\n\
             [quiet_hours]\nstart = \"08:00\"\nend = \"08:00\"\nstart_between = [\"08:00\", \"08:00\"]\n"
        ),
    )?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_carebell"))
        .arg("--config")
        .arg(&config)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--database-url", url])
        .env("CAREBELL__LOG__FILTER", "warn")
        .env("CAREBELL__EMAIL__OUTBOX_DIR", home.join("mail"))
        .env("CAREBELL__SMS__OUTBOX_DIR", home.join("sms"))
        .envs(env.iter().copied())
        .kill_on_drop(true)
        .spawn()?;
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..200 {
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            return Ok(Server { child, base });
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    anyhow::bail!("{name}: the server did not start")
}

/// `url` with its database name replaced.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    if query.is_empty() {
        format!("{base}/{name}")
    } else {
        format!("{base}/{name}?{query}")
    }
}
