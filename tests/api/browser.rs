//! The dashboard in a real browser: the real binary (`carebell serve --demo`) driven by
//! Debian's headless Chromium through playwright-core (`tests/e2e/dashboard.mjs`).
//! `scripts/test` installs Chromium and playwright-core and runs these after the other
//! tests, one at a time, so that the one-second checks are not measured on a machine
//! busy with a hundred other tests. Without Chromium or Node.js they fail and say so.

use crate::on_both_engines_by_engine;
use crate::process::ServerProcess as Server;
use std::path::{Path, PathBuf};
use std::process::Command;

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
        // Mail goes to a real SMTP server, where the journey reads it (a reset link, say).
        let smtp = crate::peers::SmtpPeer::start().await;
        // The journey announces availability twice within seconds to watch it arrive live
        // (and after a reconnect); the 6 h throttle of alerts has its own test.
        let server = Server::start(&url, &[
            ("CAREBELL__AVAILABILITY__THROTTLE", "0s".to_owned()),
            ("CAREBELL__EMAIL__SMTP__HOST", "127.0.0.1".to_owned()),
            ("CAREBELL__EMAIL__SMTP__PORT", smtp.port.to_string()),
            ("CAREBELL__EMAIL__SMTP__SECURITY", "none".to_owned()),
        ]);
        let shots = screenshot_dir(engine);
        let _ = std::fs::remove_dir_all(&shots);
        let out = Command::new("node")
            .arg(e2e_dir().join("dashboard.mjs"))
            .env("CAREBELL_URL", &server.base)
            .env("CAREBELL_PASSWORD", &server.password)
            .env("CAREBELL_MAIL_DIR", &smtp.dir)
            .env("CAREBELL_SMS_DIR", &server.sms_dir)
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
        for shot in ["practitioner-request.png", "patient-confirmed.png", "admin-deliveries.png", "password-reset.png", "offer-ar.png"] {
            let size = std::fs::metadata(shots.join(shot)).map(|m| m.len()).unwrap_or(0);
            assert!(size > 10_000, "screenshot {shot} was written ({size} bytes)");
        }
    }
}
