//! The dashboard in a real browser: the real binary (`carebell serve --demo`) driven by
//! Debian's headless Chromium through playwright-core (`tests/e2e/dashboard.mjs`).
//! `scripts/test` installs Chromium and playwright-core and runs these after the other
//! tests, one at a time, so that the one-second checks are not measured on a machine
//! busy with a hundred other tests. Without Chromium or Node.js they fail and say so.

use crate::on_both_engines_by_engine;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `carebell serve --demo` process, stopped with SIGTERM when dropped.
struct Server {
    child: Child,
    base: String,
    password: String,
}

impl Server {
    fn start(database_url: &str) -> Server {
        let password = uuid::Uuid::new_v4().simple().to_string();
        let mut child = Command::new(env!("CARGO_BIN_EXE_carebell"))
            .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
            .args(["--database-url", database_url])
            .env("CAREBELL_DEMO_PASSWORD", &password)
            .env(
                "CAREBELL__EMAIL__OUTBOX_DIR",
                crate::helpers::scratch_dir("mail"),
            )
            .env(
                "CAREBELL__SMS__OUTBOX_DIR",
                crate::helpers::scratch_dir("sms"),
            )
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("carebell starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads every line, so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("Dashboard: ") {
                    let _ = tx.send(url.trim_end_matches("/sign-in").to_owned());
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("carebell prints the dashboard address");
        Server {
            child,
            base,
            password,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
    }
}

fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e")
}

/// Where the screenshots go: `target/e2e/<engine>/`.
fn screenshot_dir(engine: crate::helpers::Engine) -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target folder")
        .to_owned();
    target
        .join("e2e")
        .join(format!("{engine:?}").to_lowercase())
}

on_both_engines_by_engine! {
    async fn the_dashboard_is_live_in_headless_chromium(engine) {
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        assert!(
            Path::new(&chromium).exists(),
            "{chromium} is missing: scripts/test installs Debian's chromium package"
        );
        assert!(
            e2e_dir().join("node_modules/playwright-core").is_dir(),
            "tests/e2e/node_modules is missing: scripts/test runs `npm ci` there"
        );
        let url = database_url(engine).await;
        let server = Server::start(&url);
        let shots = screenshot_dir(engine);
        let _ = std::fs::remove_dir_all(&shots);
        let out = Command::new("node")
            .arg(e2e_dir().join("dashboard.mjs"))
            .env("CAREBELL_URL", &server.base)
            .env("CAREBELL_PASSWORD", &server.password)
            .env("CAREBELL_SCREENSHOTS", &shots)
            .env("CHROMIUM", &chromium)
            .output()
            .expect("node runs (Node.js must be installed)");
        drop(server);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        println!("{stdout}");
        assert!(out.status.success(), "the browser test failed:\n{stdout}\n{stderr}");
        assert!(stdout.contains("dashboard end-to-end: ok"), "{stdout}");
        for shot in ["practitioner-request.png", "patient-confirmed.png", "admin-deliveries.png"] {
            let size = std::fs::metadata(shots.join(shot)).map(|m| m.len()).unwrap_or(0);
            assert!(size > 10_000, "screenshot {shot} was written ({size} bytes)");
        }
    }
}
