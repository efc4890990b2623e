//! carebell's email throughput against what the SMTP peer itself can take (see
//! docs/BENCHMARKS.md).
//!
//! `cargo bench --bench smtp_peer [-- EMAILS POOL ROUNDS]` (default 5000 8 3). For each
//! peer, the in-binary Rust sink and aiosmtpd (a Python process, skipped with a notice when
//! no Python with aiosmtpd is found: `CAREBELL_BENCH_PYTHON`, else `target/py/bin/python`
//! as `scripts/test` installs it), it alternates two senders for ROUNDS rounds:
//! - carebell: EMAILS email jobs due at once, sent by the dispatcher with
//!   `email.smtp.pool_size` = POOL and the default batch size, timed from the first claim to
//!   the last recorded send;
//! - a plain client: POOL persistent connections (one EHLO each, then MAIL, RCPT, DATA per
//!   message, waiting for each reply as lettre does) sending the same number of copies of
//!   one message carebell sent.
//!
//! It prints each round, the medians, their ratio and the EHLOs carebell's run made.

mod common;

use carebell::clock::{SharedClock, SystemClock};
use carebell::config::{Settings, SmtpSecurity};
use carebell::domain::Channel;
use carebell::startup::{build_dispatcher, open_store};
use common::{insert, seed_recipients, smtp_sink, SinkStats};
use secrecy::SecretString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// What the sender under test reads from a peer: (EHLOs, messages) so far.
enum Peer {
    Sink(Arc<SinkStats>),
    Aiosmtpd {
        child: Box<tokio::process::Child>,
        out: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    },
}

impl Peer {
    async fn counts(&mut self) -> anyhow::Result<(u64, u64)> {
        match self {
            Peer::Sink(s) => Ok((
                s.ehlos.load(Ordering::SeqCst),
                s.messages.load(Ordering::SeqCst),
            )),
            Peer::Aiosmtpd { child, out } => {
                let stdin = child.stdin.as_mut().expect("piped");
                stdin.write_all(b"counts\n").await?;
                let line = out.next_line().await?.unwrap_or_default();
                let mut it = line.split(' ').map(str::parse::<u64>);
                match (it.next(), it.next()) {
                    (Some(Ok(e)), Some(Ok(m))) => Ok((e, m)),
                    _ => anyhow::bail!("aiosmtpd said {line:?}"),
                }
            }
        }
    }
}

const AIOSMTPD: &str = r#"
import sys
from aiosmtpd.controller import Controller

class Count:
    ehlos = 0
    messages = 0
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        Count.ehlos += 1
        session.host_name = hostname
        return responses
    async def handle_DATA(self, server, session, envelope):
        Count.messages += 1
        return "250 OK"

controller = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
for _ in sys.stdin:
    print(Count.ehlos, Count.messages, flush=True)
controller.stop()
"#;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let emails = args.first().copied().unwrap_or(5_000);
    let pool = args.get(1).copied().unwrap_or(8);
    let rounds = args.get(2).copied().unwrap_or(3).max(1);
    let dir = std::env::temp_dir().join(format!("carebell-smtp-peer-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    println!(
        "carebell SMTP peer benchmark (SQLite, {} cores): {emails} emails, pool {pool}, batch {}",
        std::thread::available_parallelism()?.get(),
        Settings::default().delivery.batch_size
    );

    let (port, stats) = smtp_sink().await?;
    let mut sink = Peer::Sink(stats.clone());
    // The plain client sends what carebell sent: one message, taken from a first small run.
    carebell(&dir, port, 20, pool, &mut sink).await?;
    let sample = stats.sample.lock().unwrap().clone();
    anyhow::ensure!(!sample.is_empty(), "no message reached the sink");
    println!("message size on the wire: {} bytes", sample.len());
    compare(
        "Rust sink",
        &dir,
        port,
        &mut sink,
        emails,
        pool,
        rounds,
        &sample,
    )
    .await?;

    match python() {
        Some(python) => {
            let port = free_port()?;
            let script = dir.join("aiosmtpd_count.py");
            std::fs::write(&script, AIOSMTPD)?;
            let mut child = tokio::process::Command::new(&python)
                .arg(&script)
                .arg(port.to_string())
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn()?;
            let mut out = BufReader::new(child.stdout.take().expect("piped")).lines();
            anyhow::ensure!(
                out.next_line().await?.as_deref() == Some("ready"),
                "aiosmtpd did not start"
            );
            let mut peer = Peer::Aiosmtpd {
                child: Box::new(child),
                out,
            };
            compare("aiosmtpd", &dir, port, &mut peer, emails, pool, rounds, &sample).await?;
        }
        None => println!(
            "aiosmtpd: not measured (no Python with aiosmtpd; set CAREBELL_BENCH_PYTHON or run scripts/test once)"
        ),
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn compare(
    name: &str,
    dir: &Path,
    port: u16,
    peer: &mut Peer,
    emails: usize,
    pool: usize,
    rounds: usize,
    sample: &[u8],
) -> anyhow::Result<()> {
    let (mut ours, mut theirs, mut ehlos) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=rounds {
        let (rate, e) = carebell(dir, port, emails, pool, peer).await?;
        let plain = plain(port, emails, pool, sample, peer).await?;
        println!(
            "{name} round {round}: carebell {rate:.0}/s ({e} EHLOs), plain client {plain:.0}/s"
        );
        ours.push(rate);
        theirs.push(plain);
        ehlos.push(e);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (a, b) = (median(&mut ours), median(&mut theirs));
    println!(
        "{name}: median carebell {a:.0}/s, plain client {b:.0}/s, ratio {:.2}; EHLOs per run {:?} (pool {pool})",
        a / b,
        ehlos
    );
    Ok(())
}

/// carebell's dispatcher sends `emails` due jobs; returns emails/s and the EHLOs it made.
async fn carebell(
    dir: &Path,
    port: u16,
    emails: usize,
    pool: usize,
    peer: &mut Peer,
) -> anyhow::Result<(f64, u64)> {
    static RUN: AtomicUsize = AtomicUsize::new(0);
    let db = dir.join(format!("run-{}", RUN.fetch_add(1, Ordering::SeqCst)));
    std::fs::create_dir_all(&db)?;
    let mut settings = Settings::default();
    settings.quiet_hours.start = settings.quiet_hours.end;
    settings.quiet_hours.start_between = [settings.quiet_hours.end; 2];
    settings.database.url = SecretString::from(format!("sqlite://{}/bench.db", db.display()));
    settings.email.smtp.host = Some("127.0.0.1".into());
    settings.email.smtp.port = Some(port);
    settings.email.smtp.security = SmtpSecurity::None;
    settings.email.smtp.pool_size = pool as u32;
    settings.sms.outbox_dir = db.join("sms");
    let store = open_store(&settings).await?;
    let clock: SharedClock = Arc::new(SystemClock);
    let dispatcher = build_dispatcher(&settings, &store, &clock, Default::default()).await?;
    let recipients = seed_recipients(&store, 100).await?;
    insert(&store, &recipients, emails, &[Channel::Email], &clock).await?;
    let (ehlos_before, before) = peer.counts().await?;
    let started = Instant::now();
    let mut sent = 0;
    while sent < emails {
        let tick = dispatcher.dispatch_once().await?;
        sent += tick.sent;
        anyhow::ensure!(tick.dead == 0 && tick.retrying == 0, "failures: {tick:?}");
    }
    let secs = started.elapsed().as_secs_f64();
    let (ehlos, after) = peer.counts().await?;
    anyhow::ensure!(
        (after - before) as usize == emails,
        "the peer got {} of {emails}",
        after - before
    );
    // The pool's idle connections go with the dispatcher; the next run starts cold.
    drop(dispatcher);
    store.close().await;
    let _ = std::fs::remove_dir_all(&db);
    Ok((emails as f64 / secs, ehlos - ehlos_before))
}

/// `conns` persistent connections send `emails` copies of `sample`; returns emails/s.
async fn plain(
    port: u16,
    emails: usize,
    conns: usize,
    sample: &[u8],
    peer: &mut Peer,
) -> anyhow::Result<f64> {
    let (_, before) = peer.counts().await?;
    let left = Arc::new(AtomicUsize::new(emails));
    let sample: Arc<[u8]> = sample.into();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (left, sample) = (left.clone(), sample.clone());
        tasks.push(tokio::spawn(async move {
            let socket = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
            socket.set_nodelay(true)?;
            let mut s = BufReader::new(socket);
            reply(&mut s).await?;
            command(&mut s, b"EHLO plain.bench.example\r\n").await?;
            let mut body = sample.to_vec();
            body.extend_from_slice(b".\r\n");
            while left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                command(&mut s, b"MAIL FROM:<no-reply@bench.example>\r\n").await?;
                command(&mut s, b"RCPT TO:<patient0@bench.example>\r\n").await?;
                command(&mut s, b"DATA\r\n").await?;
                command(&mut s, &body).await?;
            }
            command(&mut s, b"QUIT\r\n").await?;
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    let (_, after) = peer.counts().await?;
    anyhow::ensure!(
        (after - before) as usize == emails,
        "the peer got {} of {emails}",
        after - before
    );
    Ok(emails as f64 / secs)
}

/// Writes `line` in one write and reads the whole reply, which must not be an error.
async fn command(s: &mut BufReader<tokio::net::TcpStream>, line: &[u8]) -> anyhow::Result<()> {
    s.get_mut().write_all(line).await?;
    reply(s).await
}

async fn reply(s: &mut BufReader<tokio::net::TcpStream>) -> anyhow::Result<()> {
    loop {
        let mut line = String::new();
        anyhow::ensure!(s.read_line(&mut line).await? > 0, "the peer closed");
        anyhow::ensure!(
            line.starts_with('2') || line.starts_with('3'),
            "the peer said {line:?}"
        );
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok(());
        }
    }
}

fn python() -> Option<PathBuf> {
    let candidates = std::env::var_os("CAREBELL_BENCH_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/py/bin/python")]);
    for p in candidates {
        let ok = std::process::Command::new(&p)
            .args(["-c", "import aiosmtpd"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(p);
        }
    }
    None
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}
