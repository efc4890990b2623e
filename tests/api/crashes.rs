//! Promises tried under crashes and races: a dispatcher that dies mid-batch, a cancel that
//! races a due reminder, batches larger than the connection pool, live streams whose
//! notifications commit out of order, and clients that hang up mid-request.

use crate::delivery::smtp_to;
use crate::helpers::*;
use crate::on_both_engines_by_engine;
use crate::peers::{SmsPeer, SmtpPeer};
use crate::stream::SseClient;
use carebell::config::SmsProviderKind;
use carebell::domain::Role;
use futures::StreamExt;
use mail_parser::MessageParser;
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use sqlx::Connection;
use std::time::{Duration, SystemTime};

/// (recipient, subject, arrival time) of each message the SMTP peer stored, in order.
fn received(peer: &SmtpPeer) -> Vec<(String, String, SystemTime)> {
    peer.files()
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).unwrap();
            let m = MessageParser::default().parse(&bytes).unwrap();
            let to = m
                .header_raw("X-Envelope-To")
                .unwrap_or_default()
                .trim()
                .to_owned();
            let when = std::fs::metadata(p).unwrap().modified().unwrap();
            (to, m.subject().unwrap_or_default().to_owned(), when)
        })
        .collect()
}

/// The states of all delivery jobs, by state name.
async fn count_states(app: &TestApp) -> std::collections::BTreeMap<String, usize> {
    let (_, jobs) = app
        .get(&app.admin, "/api/v1/admin/deliveries?limit=500")
        .await;
    let mut out = std::collections::BTreeMap::new();
    for j in jobs["deliveries"].as_array().unwrap() {
        *out.entry(j["state"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    out
}

on_both_engines_by_engine! {
    async fn a_crash_mid_batch_repeats_only_the_send_in_flight(engine) {
        let peer = SmtpPeer::start().await;
        let app = spawn_app_with(engine, smtp_to(&peer)).await;
        let doctor = app.user(Role::Practitioner).await;
        let quick = app.user(Role::Patient).await;
        let stuck = app.user_with(Role::Patient, json!({"email": "hang@clinic.example"})).await;
        let slots = app.slots(&doctor, &[48, 50]).await;
        app.book(&quick, slots[0]).await;
        app.book(&stuck, slots[1]).await;

        // One batch of four emails: three are answered at once, the relay hangs on the fourth.
        let dispatcher = app.dispatcher.clone();
        let worker = tokio::spawn(async move { dispatcher.dispatch_once().await });
        let deadline = tokio::time::Instant::now() + Duration::from_secs(4);
        loop {
            let states = count_states(&app).await;
            if states.get("sent") == Some(&3) {
                assert_eq!(states.get("sending"), Some(&1), "{states:?}");
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "the three finished sends were not recorded while the fourth was in flight: {states:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // The worker dies with the fourth send in flight.
        worker.abort();
        let _ = worker.await;
        assert_eq!(peer.messages().len(), 3);

        // Another worker takes over once the lease has run out: only the fourth is tried again.
        app.clock.advance(Duration::from_secs(121));
        let tick = app.dispatcher.dispatch_once().await.unwrap();
        assert_eq!(tick.claimed, 1, "{tick:?}");
        let messages = received(&peer);
        assert_eq!(messages.len(), 3, "no message repeated: {messages:?}");
        let mut to: Vec<_> = messages.iter().map(|m| m.0.clone()).collect();
        to.sort();
        let mut expected = vec![quick.email.clone(), doctor.email.clone(), doctor.email.clone()];
        expected.sort();
        assert_eq!(to, expected);
    }

    async fn no_reminder_starts_after_the_cancel_that_voids_it_has_committed(engine) {
        let peer = SmtpPeer::start().await;
        let app = spawn_app_with(engine, |s| {
            smtp_to(&peer)(s);
            without_quiet_hours(s);
        })
        .await;
        let doctor = app.user(Role::Practitioner).await;
        const TRIALS: u64 = 10;
        let hours: Vec<u64> = (0..TRIALS).map(|k| 48 + 30 * k).collect();
        let slots = app.slots(&doctor, &hours).await;
        let mut cases = Vec::new();
        for (k, slot) in slots.iter().enumerate() {
            let patient = app.user_with(Role::Patient, json!({"email": format!("race{k}@clinic.example")})).await;
            let id = app.book(&patient, *slot).await;
            let (status, _) = app.post(&doctor, &format!("/api/v1/appointments/{id}/accept"), json!({})).await;
            assert_eq!(status, StatusCode::OK);
            cases.push((id, patient, hours[k]));
        }
        app.drain().await;
        let start = app.clock_now();
        let mut in_flight_seen = 0;
        for (id, patient, h) in &cases {
            // The 24 h reminder falls due; the practitioner cancels at that very moment.
            app.clock.set(start.plus(HOUR * (*h as u32 - 24)));
            let path = format!("/api/v1/appointments/{id}/cancel");
            let cancel = async {
                let (status, _) = app.post(&doctor, &path, json!({"reason": "the clinic is closed"})).await;
                (status, SystemTime::now())
            };
            let (dispatched, (cancelled, answered_at)) = tokio::join!(app.dispatcher.dispatch_once(), cancel);
            dispatched.unwrap();
            assert_eq!(cancelled, StatusCode::OK);
            app.drain().await;

            let mine: Vec<_> = received(&peer).into_iter().filter(|m| m.0 == patient.email).collect();
            let reminder = mine.iter().position(|m| m.1.starts_with("Reminder"));
            let cancellation = mine.iter().position(|m| m.1.starts_with("Appointment cancelled")).expect("the cancellation is sent");
            let job = app
                .deliveries_of(*id)
                .await
                .into_iter()
                .find(|j| j["kind"] == "appointment_reminder" && j["channel"] == "email" && j["due_at"] == app.clock_now().to_string());
            match reminder {
                None => {
                    assert!(job.is_none() || job.as_ref().unwrap()["state"] == "voided", "{job:?}");
                }
                Some(r) => {
                    assert!(cancellation > r, "the cancellation arrives after the reminder it overtook");
                    let job = job.expect("the reminder's job");
                    assert_eq!(job["state"], "sent");
                    if mine[r].2 > answered_at {
                        // Arrived after the cancel answered: it must have been handed over
                        // before the cancel committed, and be shown as such.
                        assert!(!job["in_flight_at_change"].is_null(), "{job}");
                    }
                    if !job["in_flight_at_change"].is_null() {
                        in_flight_seen += 1;
                    }
                }
            }
        }
        println!("{in_flight_seen} of {TRIALS} reminders were already in flight when the cancel committed");
    }

    async fn a_send_longer_than_the_lease_keeps_its_lease(engine) {
        let peer = SmtpPeer::start().await;
        let app = spawn_app_with(engine, |s| {
            smtp_to(&peer)(s);
            s.delivery.lease = Duration::from_secs(1);
        })
        .await;
        let doctor = app.user(Role::Practitioner).await;
        // The relay takes 2 s to answer this recipient: twice the lease.
        let patient = app.user_with(Role::Patient, json!({"email": "slow@clinic.example"})).await;
        let slot = app.slots(&doctor, &[48]).await[0];
        app.book(&patient, slot).await;
        let clock: carebell::clock::SharedClock = app.clock.clone();
        let rival = carebell::startup::build_dispatcher(&app.settings, &app.store, &clock, Default::default()).await.unwrap();
        let first = app.dispatcher.dispatch_once();
        let rivalry = async {
            // Time passes for everyone while the slow send goes on; the rival worker keeps
            // looking for expired leases.
            let mut taken = 0;
            for _ in 0..25 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                app.clock.advance(Duration::from_millis(100));
                taken += rival.dispatch_once().await.unwrap().claimed;
            }
            taken
        };
        let (tick, taken) = tokio::join!(first, rivalry);
        let tick = tick.unwrap();
        assert_eq!(tick.sent, 2, "{tick:?}");
        assert_eq!(taken, 0, "no job was taken over while its send went on");
        let to_patient = received(&peer).into_iter().filter(|m| m.0 == patient.email).count();
        assert_eq!(to_patient, 1, "sent once");
    }

    async fn a_batch_larger_than_the_smtp_pool_drains(engine) {
        let peer = SmtpPeer::start().await;
        let app = spawn_app_with(engine, |s| {
            smtp_to(&peer)(s);
            s.delivery.batch_size = 256;
            s.email.smtp.pool_size = 16;
            s.database.max_connections = 8;
        })
        .await;
        let patient = app.user(Role::Patient).await;
        const EMAILS: usize = 1_000;
        let mut tx = app.store.begin().await.unwrap();
        for i in 0..EMAILS {
            let note = carebell::store::notifications::NewNotification {
                recipient_id: patient.id,
                kind: carebell::domain::NotificationKind::AppointmentConfirmed,
                severity: carebell::domain::Severity::Success,
                link: None,
                data: serde_json::from_value(json!({
                    "appointment_id": i, "appointment_version": 2, "status": "confirmed",
                    "starts_at": "2026-12-03T09:00:00Z", "ends_at": "2026-12-03T09:30:00Z",
                    "patient_name": "Patient", "practitioner_name": "Dr Amina Haddad",
                    "urgency": "routine", "calendar": "request",
                }))
                .unwrap(),
                appointment_id: None,
                appointment_version: None,
                channels: vec![carebell::domain::Channel::Email],
                visible_from: None,
                reminder_offset: None,
                jobs_due: None,
            };
            carebell::store::notifications::insert(tx.conn(), &note, app.clock_now()).await.unwrap();
        }
        tx.commit().await.unwrap();
        let drained = tokio::time::timeout(Duration::from_secs(120), async {
            let mut sent = 0;
            while sent < EMAILS {
                let tick = app.dispatcher.dispatch_once().await.unwrap();
                assert_eq!((tick.dead, tick.retrying), (0, 0), "{tick:?}");
                sent += tick.sent;
            }
        })
        .await;
        assert!(drained.is_ok(), "the dispatcher hung: {:?}", count_states(&app).await);
        assert_eq!(peer.messages().len(), EMAILS, "each email once");
    }

    async fn sms_requests_carry_an_idempotency_key_per_job_and_try(engine) {
        let provider = SmsPeer::start().await;
        let app = spawn_app_with(engine, |s| {
            s.sms.provider = SmsProviderKind::Webhook;
            s.sms.webhook_url = Some(format!("{}/sms", provider.base_url));
        })
        .await;
        let doctor = app.user(Role::Practitioner).await;
        // The provider answers 500 to this number, then the test changes nothing: the retry
        // after a recorded failure is a new try, with a new key.
        let patient = app.user_with(Role::Patient, json!({"phone": "+33612345500"})).await;
        let slot = app.slots(&doctor, &[48]).await[0];
        let id = app.book(&patient, slot).await;
        app.post(&doctor, &format!("/api/v1/appointments/{id}/accept"), json!({})).await;
        app.drain().await;
        app.clock.advance(Duration::from_secs(61));
        app.drain().await;
        let keys: Vec<String> = provider
            .requests()
            .iter()
            .map(|r| r.headers["idempotency-key"].to_str().unwrap().to_owned())
            .collect();
        assert_eq!(keys.len(), 2, "{keys:?}");
        assert!(keys[0].ends_with("-try1") && keys[1].ends_with("-try2"), "{keys:?}");
        assert_eq!(keys[0].trim_end_matches("-try1"), keys[1].trim_end_matches("-try2"), "same job");
        let body: Value = serde_json::from_str(&provider.requests()[0].body).unwrap();
        assert_eq!(body["idempotency_key"], keys[0]);

        // A worker that dies after sending, before recording: the repeat has the same key.
        let mut c = app.store.acquire().await.unwrap();
        let jobs = carebell::store::deliveries::claim(&mut c, app.store.backend(), app.clock_now().plus(Duration::from_secs(3600)), Duration::from_secs(120), 10).await.unwrap();
        drop(c);
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].idempotency_key("x").rsplit('-').next(), Some("try3"));
        app.clock.advance(Duration::from_secs(3600 + 121));
        app.drain().await;
        let last = provider.requests().last().unwrap().headers["idempotency-key"].to_str().unwrap().to_owned();
        assert!(last.ends_with("-try3"), "the crashed try's key again: {last}");
    }
}

/// PostgreSQL assigns ids at insert, but transactions commit in any order. A notification
/// whose transaction commits after a later one's must still reach the live stream, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_stream_skips_nothing_when_commits_come_out_of_order() {
    let app = spawn_app(Engine::Postgres).await;
    let doctor = app.user(Role::Practitioner).await;
    let patient = app.user(Role::Patient).await;
    let slots = app
        .slots(&doctor, &(0..41).map(|k| 48 + k).collect::<Vec<_>>())
        .await;
    let wait = Duration::from_secs(5);
    let mut tab = SseClient::connect(&app, &doctor, None).await;
    assert_eq!(tab.next(wait).await.unwrap().event, "unread");

    // Writer A inserts a notification (the lower id) and does not commit yet.
    let mut a = sqlx::PgConnection::connect(app.settings.database.url.expose_secret())
        .await
        .unwrap();
    let mut tx = a.begin().await.unwrap();
    let early: i64 = sqlx::query_scalar(
        "INSERT INTO notifications (recipient_id, kind, severity, data, created_at, visible_from)
         VALUES ($1, 'system_notice', 'info', '{\"title\": \"Notice\", \"message\": \"Slow writer\"}', $2, $2) RETURNING id",
    )
    .bind(doctor.id)
    .bind(app.clock_now().millis())
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    // Writer B books (a higher id), commits, and it is delivered and streamed first.
    app.book(&patient, slots[0]).await;
    app.drain().await;
    let first = tab.next(wait).await.unwrap();
    assert_eq!(first.data["notification"]["kind"], "appointment_requested");
    assert!(first.data["notification"]["id"].as_i64().unwrap() > early);
    // A commits last.
    tx.commit().await.unwrap();
    app.drain().await;
    let second = tab
        .next(wait)
        .await
        .expect("the notification committed last is not skipped");
    assert_eq!(second.data["notification"]["id"].as_i64().unwrap(), early);
    assert!(
        second.id.as_ref().unwrap().parse::<i64>().unwrap()
            > first.id.as_ref().unwrap().parse::<i64>().unwrap()
    );
    // Resuming after the first event replays the second.
    let mut again = SseClient::connect(&app, &doctor, first.id.as_deref()).await;
    let replayed = again.next(wait).await.unwrap();
    assert_eq!(replayed.data["notification"]["id"].as_i64().unwrap(), early);

    // Several writers and two dispatchers (two instances) at once: every one arrives once.
    let clock: carebell::clock::SharedClock = app.clock.clone();
    let other =
        carebell::startup::build_dispatcher(&app.settings, &app.store, &clock, Default::default())
            .await
            .unwrap();
    let books = slots[1..].iter().map(|s| app.book(&patient, *s));
    let dispatching = async {
        for _ in 0..40 {
            let (x, y) = tokio::join!(app.dispatcher.dispatch_once(), other.dispatch_once());
            x.unwrap();
            y.unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::join!(futures::future::join_all(books), dispatching);
    app.drain().await;
    let mut seen = std::collections::BTreeSet::new();
    while let Some(e) = tab.next(Duration::from_millis(1_500)).await {
        if e.event == "notification" {
            assert!(
                seen.insert(e.data["notification"]["id"].as_i64().unwrap()),
                "each once"
            );
        }
    }
    assert_eq!(seen.len(), 40, "all 40 requests reached the live client");
}

/// Polls the count `sql` gives (with `$1` bound to `arg`, if any) until it is 0, failing
/// with `what` if it is not by `within`; returns how long it took.
async fn zero_within(
    admin: &mut sqlx::PgConnection,
    sql: &str,
    arg: Option<&str>,
    within: Duration,
    what: &str,
) -> Duration {
    let started = std::time::Instant::now();
    loop {
        let mut query = sqlx::query_scalar::<_, i64>(sql);
        if let Some(arg) = arg {
            query = query.bind(arg);
        }
        let n = query.fetch_one(&mut *admin).await.unwrap();
        if n == 0 {
            return started.elapsed();
        }
        assert!(started.elapsed() < within, "{n} {what} after {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Clients that hang up mid-request never leave a session idle in a transaction holding
/// locks, and delivery goes on without a pause (PostgreSQL).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_hanging_up_mid_request_never_stall_delivery() {
    let app = spawn_app_with(Engine::Postgres, |s| s.delivery.enabled = true).await;
    let doctor = app.user(Role::Practitioner).await;
    let patients = [app.user(Role::Patient).await, app.user(Role::Patient).await];
    let mut slots = Vec::new();
    for batch in 0..5 {
        let hours: Vec<u64> = (0..200).map(|k| 48 + batch * 200 + k).collect();
        slots.extend(app.slots(&doctor, &hours).await);
    }
    let impatient = reqwest::Client::new();
    // Bookings and accepts from clients that give up after 1 to 15 ms, 64 at a time.
    let load = slots[..999].iter().enumerate().map(|(k, slot)| {
        let give_up = Duration::from_millis(1 + (k as u64 * 7) % 15);
        let patient = patients[k % 2].token.clone();
        let doctor = doctor.token.clone();
        let impatient = impatient.clone();
        let base = app.base.clone();
        async move {
            let booked = impatient
                .post(format!("{base}/api/v1/appointments"))
                .bearer_auth(&patient)
                .timeout(give_up)
                .json(&json!({"slot_id": slot, "reason": "check-up"}))
                .send()
                .await;
            if let Ok(r) = booked {
                if let Ok(a) = r.json::<Value>().await {
                    let id = a["id"].as_i64().unwrap_or_default();
                    let _ = impatient
                        .post(format!("{base}/api/v1/appointments/{id}/accept"))
                        .bearer_auth(&doctor)
                        .timeout(give_up)
                        .json(&json!({}))
                        .send()
                        .await;
                }
            }
        }
    });
    futures::stream::iter(load)
        .buffer_unordered(64)
        .collect::<Vec<()>>()
        .await;
    let db = app
        .settings
        .database
        .url
        .expose_secret()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let mut admin = sqlx::PgConnection::connect(app.settings.database.url.expose_secret())
        .await
        .unwrap();
    // Requests the server was still finishing end within seconds; a transaction left
    // open by a dropped request would stay idle until the server's 30 s timeout.
    let settled = zero_within(
        &mut admin,
        "SELECT COUNT(*) FROM pg_stat_activity
         WHERE datname = $1 AND state = 'idle in transaction'",
        Some(&db),
        Duration::from_secs(10),
        "sessions left idle in a transaction",
    )
    .await;
    // The load's own messages all go out (none is held by a lock a hung-up request kept),
    // however many of its bookings got through before their clients gave up.
    let drained = zero_within(
        &mut admin,
        "SELECT COUNT(*) FROM delivery_jobs WHERE state IN ('pending', 'sending')",
        None,
        Duration::from_secs(20),
        "jobs of the hung-up load still queued",
    )
    .await;
    println!(
        "no idle transaction {settled:?} after the last client; the load's messages sent {drained:?} later"
    );

    // A booking now is delivered within the poll interval plus a send.
    let id = app.book(&patients[0], slots[999]).await;
    let started = std::time::Instant::now();
    loop {
        let jobs = app.deliveries_of(id).await;
        if !jobs.is_empty() && jobs.iter().all(|j| j["state"] == "sent") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "delivery stalled: {jobs:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("delivered {:?} after the booking", started.elapsed());
}
