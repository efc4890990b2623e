//! `carebell import`, run as an operator runs it: the real binary on files with good and
//! bad rows, twice, and once dry.

use crate::helpers::{scratch_dir, spawn_app_with, TestApp};
use crate::on_both_engines_by_engine;
use secrecy::ExposeSecret;

fn run(app: &TestApp, args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_carebell"))
        .arg("import")
        .args(args)
        .args(["--database-url", app.settings.database.url.expose_secret()])
        .env("CAREBELL__EMAIL__OUTBOX_DIR", scratch_dir("mail"))
        .env("CAREBELL__SMS__OUTBOX_DIR", scratch_dir("sms"))
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.code().is_some(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.code().unwrap(),
        stdout + &String::from_utf8_lossy(&out.stderr),
    )
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let mut c = app.store.acquire().await.unwrap();
    sqlx::query_scalar(sql).fetch_one(&mut *c).await.unwrap()
}

/// (users, slots, appointments, notifications) in the database.
async fn counts(app: &TestApp) -> (i64, i64, i64, i64) {
    (
        count(
            app,
            "SELECT COUNT(*) FROM users WHERE email LIKE '%@old.example'",
        )
        .await,
        count(app, "SELECT COUNT(*) FROM slots").await,
        count(app, "SELECT COUNT(*) FROM appointments").await,
        count(app, "SELECT COUNT(*) FROM notifications").await,
    )
}

on_both_engines_by_engine! {
    async fn good_rows_are_imported_once_and_bad_rows_are_reported_with_their_line(engine) {
        let app = spawn_app_with(engine, |_| {}).await;
        let dir = scratch_dir("import");
        std::fs::create_dir_all(&dir).unwrap();
        // The CLI runs on the wall clock: one visit long past, two ahead.
        let day = |d: i64, h: u32| {
            (chrono::Utc::now().date_naive() + chrono::TimeDelta::days(d))
                .and_hms_opt(h, 0, 0)
                .unwrap()
                .and_utc()
                .to_rfc3339()
        };
        let users = dir.join("users.csv");
        std::fs::write(&users, "email,name,role,phone,time_zone,language
lucie@old.example,Lucie Martin,patient,+33 6 12 34 56 78,Europe/Paris,fr
not-an-email,Nobody,patient,,,
omar@old.example,Omar Benali,patient,,Africa/Casablanca,ar
haddad@old.example,Dr Amina Haddad,practitioner,,Europe/Paris,fr
ghost@old.example,Ghost,wizard,,,
").unwrap();
        let slots = dir.join("slots.json");
        std::fs::write(&slots, serde_json::json!({"slots": [
            {"practitioner_email": "haddad@old.example", "starts_at": day(20, 9), "ends_at": day(20, 10)},
            {"practitioner_email": "haddad@old.example", "starts_at": day(-3, 9), "ends_at": day(-3, 10)},
            {"practitioner_email": "lucie@old.example", "starts_at": day(21, 9), "ends_at": day(21, 10)}
        ]}).to_string()).unwrap();
        let appointments = dir.join("appointments.csv");
        std::fs::write(&appointments, format!("patient_email,practitioner_email,starts_at,ends_at,status,reason,urgency,cancelled_by,status_reason
lucie@old.example,haddad@old.example,{past},{past_end},confirmed,check-up,,,
lucie@old.example,haddad@old.example,{ahead},{ahead_end},confirmed,,soon,,
omar@old.example,haddad@old.example,{other},{other_end},cancelled,,,patient,moved away
omar@old.example,haddad@old.example,{ahead},{ahead_end},requested,,,,
nobody@old.example,haddad@old.example,{other},{other_end},requested,,,,
omar@old.example,haddad@old.example,{later},{later_end},maybe,,,,
",
            past = day(-30, 9), past_end = day(-30, 10),
            ahead = day(10, 9), ahead_end = day(10, 10),
            other = day(12, 9), other_end = day(12, 10),
            later = day(14, 9), later_end = day(14, 10),
        )).unwrap();
        let files = [users.to_str().unwrap(), slots.to_str().unwrap(), appointments.to_str().unwrap()];
        let before = counts(&app).await;

        // A dry run reports and writes nothing.
        let (code, out) = run(&app, &[&["--dry-run"][..], &files].concat());
        assert_eq!(code, 2, "{out}");
        assert!(out.contains("would import: 3 user(s), 1 slot(s), 3 appointment(s) (2 reminder(s) planned)"), "{out}");
        assert_eq!(counts(&app).await, before, "a dry run writes nothing");

        let (code, out) = run(&app, &files);
        assert_eq!(code, 2, "rows were rejected: {out}");
        assert!(out.contains("imported: 3 user(s), 1 slot(s), 3 appointment(s) (2 reminder(s) planned)"), "{out}");
        for (at, why) in [
            ("users.csv:3", "email"),
            ("users.csv:6", "role"),
            ("slots.json slots[1]", "in the future"),
            ("slots.json slots[2]", "is a patient, not a practitioner"),
            ("appointments.csv:5", "taken by another appointment"),
            ("appointments.csv:6", "no account with the email \"nobody@old.example\""),
            ("appointments.csv:7", "status"),
        ] {
            assert!(out.lines().any(|l| l.contains(&format!("{at}: ")) && l.contains(why)), "{at} ({why}) not reported:\n{out}");
        }
        assert!(out.contains("rejected: 7 row(s)"), "{out}");
        let after = counts(&app).await;
        // Three accounts; the free slot plus one slot per imported appointment; three
        // appointments; two reminders planned for the confirmed visit ahead, nothing else
        // (an import tells nobody about the past).
        assert_eq!(after, (before.0 + 3, before.1 + 4, before.2 + 3, before.3 + 2), "{out}");
        let statuses = {
            let mut c = app.store.acquire().await.unwrap();
            let rows: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as("SELECT status, cancelled_by, status_reason FROM appointments ORDER BY id")
                .fetch_all(&mut *c).await.unwrap();
            rows
        };
        assert_eq!(statuses, [
            ("confirmed".to_owned(), None, None),
            ("confirmed".to_owned(), None, None),
            ("cancelled".to_owned(), Some("patient".to_owned()), Some("moved away".to_owned())),
        ]);

        // A second run changes nothing.
        let (code, out) = run(&app, &files);
        assert_eq!(code, 2, "{out}");
        assert!(out.contains("imported: 0 user(s), 0 slot(s), 0 appointment(s) (0 reminder(s) planned)"), "{out}");
        assert!(out.contains("already present: 3 user(s), 1 slot(s), 3 appointment(s)"), "{out}");
        assert_eq!(counts(&app).await, after);

        // An imported account has no password: every sign-in is refused as a wrong one
        // (not a server error), until it is given one.
        for guess in ["", crate::helpers::PASSWORD, "!no-password"] {
            let r = app.http.post(app.url("/api/v1/auth/tokens"))
                .json(&serde_json::json!({"email": "omar@old.example", "password": guess}))
                .send().await.unwrap();
            assert_eq!(r.status(), reqwest::StatusCode::UNAUTHORIZED, "{guess:?}");
        }
        // An imported account signs in once it has a password.
        let set = std::process::Command::new(env!("CARGO_BIN_EXE_carebell"))
            .args(["set-password", "--email", "lucie@old.example", "--database-url", app.settings.database.url.expose_secret()])
            .env("CAREBELL_NEW_USER_PASSWORD", crate::helpers::PASSWORD)
            .env("RUST_LOG", "error")
            .output()
            .unwrap();
        assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
        let r = app.http.post(app.url("/api/v1/auth/tokens"))
            .json(&serde_json::json!({"email": "lucie@old.example", "password": crate::helpers::PASSWORD}))
            .send().await.unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::CREATED);
        let token = r.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
        let mine: serde_json::Value = app.http.get(app.url("/api/v1/appointments")).bearer_auth(token).send().await.unwrap().json().await.unwrap();
        assert_eq!(mine["appointments"].as_array().map(Vec::len), Some(2), "{mine}");
        // The import is in the audit log, without anyone's data.
        let (_, log) = app.get(&app.admin, "/api/v1/admin/audit").await;
        let imports: Vec<_> = log["events"].as_array().unwrap().iter().filter(|e| e["action"] == "import").collect();
        assert!(!imports.is_empty(), "{log}");
        assert!(imports.iter().all(|e| e["actor_id"].is_null() && !e.to_string().contains("@old.example")), "{imports:?}");
        let _ = &engine;
    }
}

on_both_engines_by_engine! {
    async fn two_imports_at_once_write_each_row_once(engine) {
        let app = spawn_app_with(engine, |_| {}).await;
        let dir = scratch_dir("import-twice");
        std::fs::create_dir_all(&dir).unwrap();
        let users = dir.join("users.csv");
        std::fs::write(&users, "email,name,role\npat@old.example,Pat Old,patient\ndoc@old.example,Dr Old,practitioner\n").unwrap();
        assert_eq!(run(&app, &[users.to_str().unwrap()]).0, 0);
        let day = |d: i64, h: u32| {
            (chrono::Utc::now().date_naive() + chrono::TimeDelta::days(d))
                .and_hms_opt(h, 0, 0)
                .unwrap()
                .and_utc()
                .to_rfc3339()
        };
        let mut csv = String::from("patient_email,practitioner_email,starts_at,ends_at,status\n");
        for i in 0..40 {
            csv.push_str(&format!("pat@old.example,doc@old.example,{},{},requested\n", day(-60 + i, 9), day(-60 + i, 10)));
        }
        let appointments = dir.join("appointments.csv");
        std::fs::write(&appointments, csv).unwrap();
        let before = counts(&app).await;
        // The same file, by two operators at the same moment.
        let spawn = || {
            std::process::Command::new(env!("CARGO_BIN_EXE_carebell"))
                .args(["import", appointments.to_str().unwrap(), "--database-url", app.settings.database.url.expose_secret()])
                .env("RUST_LOG", "error")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        for child in [a, b] {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        }
        let after = counts(&app).await;
        assert_eq!((after.1 - before.1, after.2 - before.2), (40, 40), "each slot and appointment once");
    }
}

on_both_engines_by_engine! {
    async fn an_import_killed_half_way_leaves_nothing(engine) {
        let app = spawn_app_with(engine, |_| {}).await;
        let dir = scratch_dir("import-killed");
        std::fs::create_dir_all(&dir).unwrap();
        // Enough rows that the import is still writing when it is killed.
        let mut users = String::from("email,name,role\ndoc@old.example,Dr Old,practitioner\n");
        let mut appointments = String::from("patient_email,practitioner_email,starts_at,ends_at,status\n");
        let start = chrono::Utc::now().date_naive() - chrono::TimeDelta::days(3000);
        for i in 0..3000 {
            users.push_str(&format!("p{i}@old.example,Patient {i},patient\n"));
            let day = (start + chrono::TimeDelta::days(i)).and_hms_opt(9, 0, 0).unwrap().and_utc();
            appointments.push_str(&format!(
                "p{i}@old.example,doc@old.example,{},{},confirmed\n",
                day.to_rfc3339(),
                (day + chrono::TimeDelta::minutes(30)).to_rfc3339()
            ));
        }
        let (u, a) = (dir.join("users.csv"), dir.join("appointments.csv"));
        std::fs::write(&u, users).unwrap();
        std::fs::write(&a, appointments).unwrap();
        let before = counts(&app).await;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_carebell"))
            .args(["import", u.to_str().unwrap(), a.to_str().unwrap(), "--database-url", app.settings.database.url.expose_secret()])
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        assert!(child.try_wait().unwrap().is_none(), "the import ended before it could be killed; give it more rows");
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        assert_eq!(counts(&app).await, before, "nothing of the killed import is left");
        // Run again to the end, it imports everything once.
        assert_eq!(run(&app, &[u.to_str().unwrap(), a.to_str().unwrap()]).0, 0);
        let after = counts(&app).await;
        assert_eq!((after.0 - before.0, after.2 - before.2), (3001, 3000));
    }
}
