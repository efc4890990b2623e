//! Notices, tried as their readers (each in their own language, through each channel, under
//! their own choices), as their senders (the confirmation step, progress, cancelling,
//! the rate limit) and as an operator whose process dies mid-fan-out.

use crate::helpers::*;
use crate::{on_both_engines, on_both_engines_by_engine};
use carebell::domain::{Email, Language, PersonName, PhoneNumber, Role, TimeZone};
use carebell::store::users::{self, NewUser};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use std::time::Duration;

/// `n` patients written straight into the database (no password: they never sign in
/// here), in `lang`, with a phone number when `phone` is set. Returns their ids.
async fn patients_in_db(app: &TestApp, n: usize, lang: Language, phone: bool) -> Vec<i64> {
    let mut tx = app.store.begin().await.unwrap();
    let mut ids = Vec::with_capacity(n);
    let tag = uuid::Uuid::new_v4().simple().to_string();
    for i in 0..n {
        let new = NewUser {
            role: Role::Patient,
            name: PersonName::parse(&format!("Bulk {i}")).unwrap(),
            email: Email::parse(&format!("bulk{i}.{tag}@patient.example")).unwrap(),
            phone: phone.then(|| PhoneNumber::parse(&format!("+336{:08}", i)).unwrap()),
            time_zone: TimeZone::parse("Europe/Paris").unwrap(),
            language: lang,
            password_hash: carebell::auth::passwords::NO_PASSWORD.to_owned(),
        };
        ids.push(
            users::insert(tx.conn(), &new, app.clock_now())
                .await
                .unwrap()
                .id,
        );
    }
    tx.commit().await.unwrap();
    ids
}

async fn draft(app: &TestApp, sender: &TestUser, body: Value) -> (StatusCode, Value) {
    app.post(sender, "/api/v1/notices", body).await
}

async fn send(app: &TestApp, sender: &TestUser, id: i64) -> (StatusCode, Value) {
    app.post(sender, &format!("/api/v1/notices/{id}/send"), json!({}))
        .await
}

async fn notice(app: &TestApp, who: &TestUser, id: i64) -> Value {
    let (status, body) = app.get(who, &format!("/api/v1/notices/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// (to, subject, text part, has List-Unsubscribe) of every email in the outbox.
fn emails(app: &TestApp) -> Vec<(String, String, String, bool)> {
    outbox_mails(app)
        .into_iter()
        .map(|m| (m.to, m.subject, m.text, m.unsubscribe))
        .collect()
}

fn texts_sent(app: &TestApp) -> Vec<String> {
    std::fs::read_dir(&app.settings.sms.outbox_dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect()
}

fn closed() -> Value {
    json!({
        "en": {"title": "Closed on Monday", "message": "The clinic is closed on Monday 7 December."},
        "fr": {"title": "Fermé lundi", "message": "La clinique est fermée le lundi 7 décembre."},
    })
}

/// Quiet hours off, and notices written five recipients at a time.
fn small_batches(s: &mut carebell::config::Settings) {
    without_quiet_hours(s);
    s.notices.batch_size = 5;
}

on_both_engines! { small_batches;
    async fn an_admin_notice_reaches_its_audience_in_each_readers_language_once_confirmed(app) {
        let english = app.user_with(Role::Patient, json!({"phone": "+33 6 11 22 33 44"})).await;
        let french = app.user_with(Role::Patient, json!({"language": "fr"})).await;
        let arabic = app.user_with(Role::Patient, json!({"language": "ar"})).await;
        let gone = app.user(Role::Patient).await;
        app.post(&app.admin, &format!("/api/v1/admin/users/{}/deactivate", gone.id), json!({})).await;
        let doctor = app.user(Role::Practitioner).await;

        let (status, d) = draft(&app, &app.admin, json!({"texts": closed(), "severity": "warning", "channels": ["email", "sms"], "audience": {"kind": "patients"}})).await;
        assert_eq!(status, StatusCode::CREATED, "{d}");
        assert_eq!((d["state"].as_str(), d["audience_size"].as_i64()), (Some("draft"), Some(3)), "the three active patients: {d}");
        // A draft sends nothing.
        app.drain().await;
        assert!(emails(&app).is_empty() && app.kinds(&english).await.is_empty());

        let id = d["id"].as_i64().unwrap();
        let (status, s) = send(&app, &app.admin, id).await;
        assert_eq!((status, s["state"].as_str()), (StatusCode::OK, Some("sending")), "{s}");
        app.drain().await;
        let done = notice(&app, &app.admin, id).await;
        assert_eq!(done["state"], "sent", "{done}");
        let p = &done["progress"];
        assert_eq!((p["planned"].as_i64(), p["shown"].as_i64()), (Some(3), Some(3)), "{done}");
        assert_eq!((p["email"]["sent"].as_i64(), p["sms"]["sent"].as_i64()), (Some(3), Some(1)), "SMS only to the one with a number: {done}");

        // Each reader in their language; Arabic has no text of its own, so English.
        let first = |n: Vec<Value>| n.into_iter().next().expect("a notification");
        let fr = first(app.notifications(&french).await);
        assert_eq!((fr["kind"].as_str(), fr["title"].as_str(), fr["severity"].as_str()), (Some("system_notice"), Some("Fermé lundi"), Some("warning")));
        assert!(fr["message"].as_str().unwrap().contains("fermée le lundi"), "{fr}");
        assert_eq!(first(app.notifications(&arabic).await)["title"], "Closed on Monday");
        assert_eq!(first(app.notifications(&english).await)["link"], "/dashboard");
        assert!(app.kinds(&doctor).await.is_empty(), "not a patient");
        let mails = emails(&app);
        assert_eq!(mails.len(), 3, "{mails:?}");
        let to_french = mails.iter().find(|m| m.0 == french.email).unwrap();
        assert_eq!(to_french.1, "Fermé lundi");
        assert!(to_french.3, "a notice email carries one-click unsubscribe");
        assert!(to_french.2.contains("/dashboard"), "its button opens the reader's dashboard: {}", to_french.2);
        assert!(!mails.iter().any(|m| m.0 == gone.email), "nothing to a deactivated account");
        let texts = texts_sent(&app);
        assert_eq!(texts.len(), 1);
        assert!(texts[0].contains("Closed on Monday. The clinic is closed on Monday 7 December."), "{}", texts[0]);
        // Sending it again is refused.
        let (status, body) = send(&app, &app.admin, id).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("notice_not_draft")));
        // The audit log says who sent what to how many, never the text.
        let (_, audit) = app.get(&app.admin, &format!("/api/v1/admin/audit?user_id={}", app.admin.id)).await;
        let log = audit.to_string();
        assert!(log.contains("notice.drafted") && log.contains("notice.sent") && log.contains(&format!("notice {id} to 3 people")), "{log}");
        assert!(!log.contains("Closed on Monday") && !log.contains("7 December"), "{log}");
    }

    async fn a_practitioner_tells_the_days_patients_they_are_running_late(app) {
        let doctor = app.user(Role::Practitioner).await;
        let other_doctor = app.user(Role::Practitioner).await;
        // T0 is Tuesday 1 December, 09:00 in Paris. Tomorrow: 10:00 and 12:00 (Paris).
        let slots = app.slots(&doctor, &[25, 27, 49, 26]).await;
        let elsewhere = app.slots(&other_doctor, &[25]).await;
        let confirmed = app.user_with(Role::Patient, json!({"phone": "+33 6 00 00 00 01"})).await;
        let requested = app.user(Role::Patient).await;
        let next_day = app.user(Role::Patient).await;
        let cancelled = app.user(Role::Patient).await;
        let other = app.user(Role::Patient).await;
        let a = app.book(&confirmed, slots[0]).await;
        app.post(&doctor, &format!("/api/v1/appointments/{a}/accept"), json!({})).await;
        app.book(&requested, slots[1]).await;
        app.book(&next_day, slots[2]).await;
        let c = app.book(&cancelled, slots[3]).await;
        app.post(&cancelled, &format!("/api/v1/appointments/{c}/cancel"), json!({})).await;
        app.book(&other, elsewhere[0]).await;
        app.drain().await;

        let late = json!({"en": {"title": "Running late", "message": "I am running about 40 minutes late this morning."}});
        // Not to everyone, nor to another practitioner's patients.
        let (status, _) = draft(&app, &doctor, json!({"texts": late, "audience": {"kind": "everyone"}})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = draft(&app, &doctor, json!({"texts": late, "audience": {"kind": "booked_on", "date": "2026-12-02", "practitioner_id": other_doctor.id}})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, d) = draft(&app, &doctor, json!({"texts": late, "channels": ["sms"], "audience": {"kind": "booked_on", "date": "2026-12-02"}})).await;
        assert_eq!(status, StatusCode::CREATED, "{d}");
        assert_eq!(d["audience_size"], 2, "the confirmed and the requested visit of that day: {d}");
        assert_eq!((d["audience"]["kind"].as_str(), d["audience"]["practitioner_id"].as_i64()), (Some("booked_between"), Some(doctor.id)));
        let id = d["id"].as_i64().unwrap();
        send(&app, &doctor, id).await;
        app.drain().await;
        let told: Vec<bool> = futures::future::join_all([&confirmed, &requested, &next_day, &cancelled, &other].map(|p| async {
            app.kinds(p).await.contains(&"system_notice".to_owned())
        })).await;
        assert_eq!(told, [true, true, false, false, false]);
        let n = &app.notifications(&requested).await[0];
        let (_, me) = app.get(&doctor, "/api/v1/me").await;
        let name = me["name"].as_str().unwrap();
        assert!(n["message"].as_str().unwrap().contains(name), "signed by the practitioner: {n}");
        let texts: Vec<String> = texts_sent(&app).into_iter().filter(|t| t.contains("Running late")).collect();
        assert_eq!(texts.len(), 1, "one SMS, to the patient with a number");
        assert!(texts[0].contains(name) && texts[0].contains("40 minutes"), "{}", texts[0]);
        // Only the sender and admins see it.
        assert_eq!(app.get(&other_doctor, &format!("/api/v1/notices/{id}")).await.0, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&confirmed, "/api/v1/notices").await.0, StatusCode::FORBIDDEN);
        let (_, mine) = app.get(&doctor, "/api/v1/notices").await;
        assert_eq!(mine["notices"].as_array().unwrap().len(), 1);
        let (_, theirs) = app.get(&other_doctor, "/api/v1/notices").await;
        assert!(theirs["notices"].as_array().unwrap().is_empty());
        assert_eq!(notice(&app, &app.admin, id).await["progress"]["sms"]["sent"], 1);
    }

    async fn cancelling_a_notice_in_flight_stops_what_is_not_yet_delivered(app) {
        patients_in_db(&app, 12, Language::En, false).await;
        let (_, d) = draft(&app, &app.admin, json!({"texts": closed(), "audience": {"kind": "patients"}})).await;
        let id = d["id"].as_i64().unwrap();
        assert_eq!(d["audience_size"], 12);
        send(&app, &app.admin, id).await;
        // One batch of five is written; then the admin cancels.
        assert_eq!(app.dispatcher.plan_notices().await.unwrap(), 5);
        let (status, c) = app.post(&app.admin, &format!("/api/v1/notices/{id}/cancel"), json!({})).await;
        assert_eq!((status, c["state"].as_str()), (StatusCode::OK, Some("cancelled")), "{c}");
        assert_eq!((c["progress"]["planned"].as_i64(), c["progress"]["email"]["voided"].as_i64()), (Some(5), Some(5)), "{c}");
        app.drain().await;
        let after = notice(&app, &app.admin, id).await;
        assert_eq!(after["progress"]["planned"], 5, "nothing more was written: {after}");
        assert_eq!((after["progress"]["shown"].as_i64(), after["progress"]["email"]["sent"].as_i64()), (Some(0), Some(0)), "{after}");
        assert!(emails(&app).is_empty());
        let (status, body) = app.post(&app.admin, &format!("/api/v1/notices/{id}/cancel"), json!({})).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("notice_cancelled")));
        // A draft can be cancelled (discarded) too, and then not sent.
        let (_, d) = draft(&app, &app.admin, json!({"texts": closed(), "audience": {"kind": "patients"}})).await;
        let id = d["id"].as_i64().unwrap();
        app.post(&app.admin, &format!("/api/v1/notices/{id}/cancel"), json!({})).await;
        assert_eq!(send(&app, &app.admin, id).await.0, StatusCode::CONFLICT);
    }

    async fn two_instances_share_a_fan_out_and_write_nobody_twice(app) {
        let ids = patients_in_db(&app, 40, Language::Fr, true).await;
        let other = app.another_dispatcher().await;
        let (_, d) = draft(&app, &app.admin, json!({"texts": closed(), "channels": ["email", "sms"], "audience": {"kind": "everyone"}})).await;
        let id = d["id"].as_i64().unwrap();
        assert_eq!(d["audience_size"], 40, "everyone but the sender: {d}");
        send(&app, &app.admin, id).await;
        let plan = |dispatcher: carebell::delivery::Dispatcher| async move {
            let mut written = 0;
            loop {
                match dispatcher.plan_notices().await.unwrap() {
                    0 => return written,
                    n => written += n,
                }
            }
        };
        let (a, b) = tokio::join!(plan(app.dispatcher.clone()), plan(other));
        assert_eq!(a + b, 40, "{a} + {b}");
        let mut c = app.store.acquire().await.unwrap();
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT n.recipient_id, COUNT(j.id) FROM notifications n LEFT JOIN delivery_jobs j ON j.notification_id = n.id
             WHERE n.notice_id = $1 GROUP BY n.recipient_id ORDER BY n.recipient_id",
        )
        .bind(id)
        .fetch_all(&mut *c)
        .await
        .unwrap();
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), ids, "each recipient once");
        assert!(rows.iter().all(|r| r.1 == 2), "an email and an SMS each: {rows:?}");
        assert_eq!(notice(&app, &app.admin, id).await["state"], "sent");
    }

    async fn a_sender_is_held_to_their_rate_and_told_when_to_try_again(app) {
        let doctor = app.user(Role::Practitioner).await;
        let body = json!({"texts": {"en": {"title": "T", "message": "M"}}, "channels": [], "audience": {"kind": "booked_on", "date": "2026-12-02"}});
        for _ in 0..10 {
            let (_, d) = draft(&app, &doctor, body.clone()).await;
            assert_eq!(send(&app, &doctor, d["id"].as_i64().unwrap()).await.0, StatusCode::OK);
            app.clock.advance(Duration::from_secs(60));
        }
        let (_, d) = draft(&app, &doctor, body.clone()).await;
        let id = d["id"].as_i64().unwrap();
        let r = app.http.post(app.url(&format!("/api/v1/notices/{id}/send"))).bearer_auth(&doctor.token).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert_eq!(wait, 3600 - 600, "the oldest of the ten leaves the window then");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "rate_limited");
        // Another sender is not held by it.
        let (_, mine) = draft(&app, &app.admin, json!({"texts": closed(), "audience": {"kind": "practitioners"}})).await;
        assert_eq!(send(&app, &app.admin, mine["id"].as_i64().unwrap()).await.0, StatusCode::OK);
        app.clock.advance(Duration::from_secs(wait));
        assert_eq!(send(&app, &doctor, id).await.0, StatusCode::OK);
    }

    async fn bad_notices_get_clear_errors(app) {
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        let ok = json!({"en": {"title": "T", "message": "M"}});
        let cases = [
            json!({"texts": {}, "audience": {"kind": "patients"}}),
            json!({"texts": {"de": {"title": "T", "message": "M"}}, "audience": {"kind": "patients"}}),
            json!({"texts": {"en": {"title": "Two\nlines", "message": "M"}}, "audience": {"kind": "patients"}}),
            json!({"texts": {"en": {"title": "T", "message": "x".repeat(400)}}, "channels": ["sms"], "audience": {"kind": "patients"}}),
            json!({"texts": ok, "channels": ["pigeon"], "audience": {"kind": "patients"}}),
            json!({"texts": ok, "severity": "loud", "audience": {"kind": "patients"}}),
            json!({"texts": ok, "audience": {"kind": "users", "user_ids": [999999]}}),
            json!({"texts": ok, "audience": {"kind": "users", "user_ids": []}}),
            json!({"texts": ok, "audience": {"kind": "patients_of", "practitioner_id": patient.id}}),
            json!({"texts": ok, "audience": {"kind": "booked_on", "date": "tomorrow"}}),
            json!({"texts": ok, "audience": {"kind": "booked_between", "from": "2026-12-03T00:00:00Z", "until": "2026-12-02T00:00:00Z"}}),
        ];
        for body in cases {
            let (status, answer) = draft(&app, &app.admin, body.clone()).await;
            assert_eq!((status, answer["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed")), "{body} -> {answer}");
        }
        for body in [json!({"texts": ok, "audience": {"kind": "planets"}}), json!({"texts": ok}), json!({"texts": ok, "audience": {"kind": "patients"}, "extra": 1})] {
            let (status, answer) = draft(&app, &app.admin, body.clone()).await;
            assert!(status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY, "{body} -> {status} {answer}");
            assert!(answer["code"].is_string(), "{answer}");
        }
        assert_eq!(draft(&app, &patient, json!({"texts": ok, "audience": {"kind": "patients"}})).await.0, StatusCode::FORBIDDEN);
        let (_, d) = draft(&app, &app.admin, json!({"texts": ok, "audience": {"kind": "users", "user_ids": [patient.id, patient.id]}})).await;
        assert_eq!(d["audience_size"], 1, "a list names each account once: {d}");
        let id = d["id"].as_i64().unwrap();
        assert_eq!(send(&app, &doctor, id).await.0, StatusCode::NOT_FOUND, "not the sender");
        assert_eq!(app.get(&app.admin, "/api/v1/notices/999999").await.0, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&app.admin, "/api/v1/notices/abc").await.0, StatusCode::BAD_REQUEST);
    }
}

on_both_engines! {
    async fn a_notice_follows_each_readers_choices_and_quiet_hours(app) {
        let off = app.user(Role::Patient).await;
        let night_owl = app.user_with(Role::Patient, json!({"time_zone": "America/New_York"})).await;
        let paris = app.user(Role::Patient).await;
        let (status, _) = app.call(Some(&off), Method::PUT, "/api/v1/me/preferences", Some(json!({"channels": {"notices": {"email": false}}}))).await;
        assert_eq!(status, StatusCode::OK);
        // 22:30 in Paris, 16:30 in New York.
        app.clock.advance(HOUR * 13 + Duration::from_secs(30 * 60));
        let (_, d) = draft(&app, &app.admin, json!({"texts": closed(), "audience": {"kind": "patients"}})).await;
        let id = d["id"].as_i64().unwrap();
        send(&app, &app.admin, id).await;
        app.drain().await;
        let p = notice(&app, &app.admin, id).await["progress"].clone();
        assert_eq!((p["email"]["suppressed"].as_i64(), p["email"]["sent"].as_i64(), p["email"]["pending"].as_i64()), (Some(1), Some(1), Some(1)), "{p}");
        let sent: Vec<String> = emails(&app).into_iter().map(|m| m.0).collect();
        assert_eq!(sent, std::slice::from_ref(&night_owl.email));
        // In-app reaches all three at once, whatever the hour.
        assert_eq!(p["shown"], 3);
        // Morning in Paris: the held email goes.
        app.clock.advance(HOUR * 10);
        app.drain().await;
        assert!(emails(&app).iter().any(|m| m.0 == paris.email));
        assert!(!emails(&app).iter().any(|m| m.0 == off.email));
    }
}

on_both_engines_by_engine! {
    async fn a_worker_killed_mid_fan_out_writes_each_recipient_once_after_restarting(engine) {
        let app = spawn_app_with(engine, without_quiet_hours).await;
        let ids = patients_in_db(&app, 3000, Language::En, false).await;
        let (_, d) = draft(&app, &app.admin, json!({"texts": closed(), "channels": [], "audience": {"kind": "patients"}})).await;
        let id = d["id"].as_i64().unwrap();
        send(&app, &app.admin, id).await;
        let url = app.settings.database.url.expose_secret().to_owned();
        // Killed when the test ends, pass or fail.
        struct Worker(std::process::Child);
        impl Drop for Worker {
            fn drop(&mut self) {
                let _ = self.0.kill();
                let _ = self.0.wait();
            }
        }
        let worker = || {
            Worker(std::process::Command::new(env!("CARGO_BIN_EXE_carebell"))
                .args(["worker", "--database-url", &url])
                .envs(WITHOUT_QUIET_HOURS_ENV)
                .env("CAREBELL__NOTICES__BATCH_SIZE", "10")
                .env("CAREBELL__EMAIL__OUTBOX_DIR", scratch_dir("mail"))
                .env("CAREBELL__SMS__OUTBOX_DIR", scratch_dir("sms"))
                .env("RUST_LOG", "error")
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap())
        };
        let planned = || async {
            let mut c = app.store.acquire().await.unwrap();
            let (planned, written): (i64, i64) = sqlx::query_as(
                "SELECT planned, (SELECT COUNT(*) FROM notifications WHERE notice_id = $1) FROM notices WHERE id = $1",
            )
            .bind(id)
            .fetch_one(&mut *c)
            .await
            .unwrap();
            (planned, written)
        };
        let mut first = worker();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let (planned, _) = planned().await;
            if planned >= 100 {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the worker never started the fan-out");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        first.0.kill().unwrap(); // SIGKILL, between or inside a batch
        first.0.wait().unwrap();
        let (at_kill, written) = planned().await;
        assert!(at_kill < 3000, "killed before the end ({at_kill}); give it more recipients");
        assert_eq!(at_kill, written, "the cursor and the rows written commit together");
        let second = worker();
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        while notice(&app, &app.admin, id).await["state"] != "sent" {
            assert!(std::time::Instant::now() < deadline, "the restarted worker never finished: {:?}", planned().await);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        drop(second);
        let mut c = app.store.acquire().await.unwrap();
        let recipients: Vec<i64> = sqlx::query_scalar("SELECT recipient_id FROM notifications WHERE notice_id = $1 ORDER BY recipient_id")
            .bind(id)
            .fetch_all(&mut *c)
            .await
            .unwrap();
        assert_eq!(recipients, ids, "every patient once, none twice");
    }
}
