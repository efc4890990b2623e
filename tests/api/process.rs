//! The real binary as a child process: `carebell serve`, stopped with SIGTERM (or killed)
//! when dropped, with its address read from what it prints.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `carebell serve --demo` process.
pub struct ServerProcess {
    pub child: Child,
    pub base: String,
    pub password: String,
    /// Where it writes text messages (`sms.outbox_dir`).
    pub sms_dir: std::path::PathBuf,
}

impl ServerProcess {
    /// Starts `carebell serve --demo` on a free port with the database at `database_url`,
    /// the outboxes in scratch folders and the extra environment `env`.
    pub fn start(database_url: &str, env: &[(&str, String)]) -> ServerProcess {
        let password = uuid::Uuid::new_v4().simple().to_string();
        let sms_dir = crate::helpers::scratch_dir("sms");
        let mut command = Command::new(env!("CARGO_BIN_EXE_carebell"));
        command
            .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
            .args(["--database-url", database_url])
            .env("CAREBELL_DEMO_PASSWORD", &password)
            .env(
                "CAREBELL__EMAIL__OUTBOX_DIR",
                crate::helpers::scratch_dir("mail"),
            )
            .env("CAREBELL__SMS__OUTBOX_DIR", &sms_dir)
            .env("RUST_LOG", "warn")
            .envs(crate::helpers::WITHOUT_QUIET_HOURS_ENV)
            .stdout(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("carebell starts");
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
        ServerProcess {
            child,
            base,
            password,
            sms_dir,
        }
    }

    /// The process's resident memory now and at its peak, in MiB (from /proc).
    pub fn memory_mib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the server's /proc status");
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|kb| kb.parse::<u64>().ok())
                .map(|kb| kb / 1024)
                .unwrap_or_else(|| panic!("{name} in /proc status"))
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

impl Drop for ServerProcess {
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
