//! Durable delivery through real peers: an SMTP server process and an HTTP SMS provider.

use crate::helpers::TestApp;
use crate::peers::{SmsPeer, SmtpPeer};
use crate::{on_both_engines, on_both_engines_by_engine};
use carebell::config::{Settings, SmsProviderKind, SmtpSecurity};
use carebell::domain::Role;
use mail_parser::{MessageParser, MimeHeaders};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

pub(crate) fn smtp_to(peer: &SmtpPeer) -> impl FnOnce(&mut Settings) + '_ {
    move |s: &mut Settings| {
        s.email.smtp.host = Some("127.0.0.1".into());
        s.email.smtp.port = Some(peer.port);
        s.email.smtp.security = SmtpSecurity::None;
        s.email.smtp.timeout = Duration::from_secs(5);
        s.clinic.name = "Clinique du Parc".into();
    }
}

async fn delivery(app: &TestApp, id: i64) -> Value {
    let (status, body) = app
        .get(&app.admin, &format!("/api/v1/admin/deliveries/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Jobs of the appointment but its reminders, as (id, kind, channel, state).
async fn job_states(app: &TestApp, appointment: i64) -> Vec<(i64, String, String, String)> {
    let mut jobs: Vec<_> = app
        .deliveries_of(appointment)
        .await
        .iter()
        .filter(|j| j["kind"] != "appointment_reminder")
        .map(|j| {
            let s = |k: &str| j[k].as_str().unwrap().to_owned();
            (
                j["id"].as_i64().unwrap(),
                s("kind"),
                s("channel"),
                s("state"),
            )
        })
        .collect();
    jobs.sort();
    jobs
}

on_both_engines_by_engine! {
    async fn emails_reach_a_real_smtp_server_with_both_parts_headers_and_calendar(engine) {
        let peer = SmtpPeer::start().await;
        let app = spawn_app_with(engine, smtp_to(&peer)).await;
        let doctor = app.user_with(Role::Practitioner, json!({"name": "Dr Haddad & Co"})).await;
        let patient = app.user_with(Role::Patient, json!({"name": "<script>alert(1)</script>", "language": "fr"})).await;
        let slot = app.slots(&doctor, &[48]).await[0];
        let id = app.book(&patient, slot).await;
        app.post(&doctor, &format!("/api/v1/appointments/{id}/accept"), json!({})).await;

        let tick = app.drain().await;
        // Booking received, request, confirmation, and the practitioner's invite.
        assert_eq!((tick.sent, tick.dead, tick.retrying), (4, 0, 0), "{tick:?}");
        let mails = peer.messages();
        assert_eq!(mails.len(), 4);
        let parsed: Vec<_> = mails.iter().map(|m| MessageParser::default().parse(m).unwrap()).collect();
        let confirmed = parsed
            .iter()
            .find(|m| m.subject().unwrap_or_default().starts_with("Rendez-vous confirmé"))
            .expect("the confirmation, in French");
        let notification = app.notifications(&patient).await[0]["id"].as_i64().unwrap();
        let message_id = confirmed.message_id().unwrap();
        assert!(message_id.starts_with(&format!("n{notification}.email.")) && message_id.ends_with("@carebell.localhost"), "{message_id}");
        assert!(confirmed.date().is_some());
        assert!(confirmed.from().unwrap().first().unwrap().address().unwrap().contains("no-reply@carebell.localhost"));
        assert_eq!(confirmed.to().unwrap().first().unwrap().address(), Some(patient.email.as_str()));
        assert!(confirmed.subject().unwrap().contains("(Europe/Paris)"), "{:?}", confirmed.subject());

        let text = confirmed.body_text(0).unwrap();
        let html = confirmed.body_html(0).unwrap();
        assert!(text.contains("Dr Haddad & Co a confirmé votre rendez-vous"), "{text}");
        assert!(html.contains("Dr Haddad &amp; Co"), "{html}");
        assert!(html.contains("style=\""), "CSS is inlined");
        let booked = parsed.iter().find(|m| m.subject().unwrap_or_default().starts_with("New appointment request")).unwrap();
        let booked_html = booked.body_html(0).unwrap();
        assert!(booked_html.contains("&lt;script&gt;alert(1)&lt;"), "{booked_html}");
        assert!(!booked_html.contains("<script>"));

        let ics = confirmed.attachments().find(|a| a.attachment_name() == Some("appointment.ics")).expect("calendar file");
        let ics = String::from_utf8_lossy(ics.contents()).to_string();
        assert!(ics.contains("METHOD:REQUEST") && ics.contains("STATUS:CONFIRMED"), "{ics}");
        assert!(ics.replace("\r\n ", "").contains(&format!("UID:appointment-{id}.")), "{ics}");
        assert!(ics.contains("SEQUENCE:2") && ics.contains("DTSTART:20261203T080000Z"), "{ics}");
        assert!(!booked.attachments().any(|a| a.attachment_name().is_some()), "no calendar for a mere request");

        // Every job sent once, with its attempt recorded.
        for (job, _, channel, state) in job_states(&app, id).await {
            assert_eq!(state, "sent", "{channel}");
            let detail = delivery(&app, job).await;
            let attempts = detail["attempts"].as_array().unwrap();
            assert_eq!(attempts.len(), 1, "{detail}");
            let expected = if channel == "email" { "250" } else { "file" };
            assert_eq!((attempts[0]["outcome"].as_str(), attempts[0]["code"].as_str()), (Some("sent"), Some(expected)));
        }
        // In-app notifications were handed to the live hook too.
        assert_eq!(app.drain().await, carebell::delivery::Tick::default());
    }

    async fn cancellation_mail_carries_a_calendar_cancel_with_the_same_uid(engine) {
        let peer = SmtpPeer::start().await;
        let app = spawn_app_with(engine, smtp_to(&peer)).await;
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        let slot = app.slots(&doctor, &[48]).await[0];
        let id = app.book(&patient, slot).await;
        app.post(&doctor, &format!("/api/v1/appointments/{id}/accept"), json!({})).await;
        app.post(&doctor, &format!("/api/v1/appointments/{id}/cancel"), json!({"reason": "ill"})).await;
        app.drain().await;
        let mails = peer.messages();
        let cancel = mails
            .iter()
            .map(|m| MessageParser::default().parse(m).unwrap())
            .find(|m| m.subject().unwrap_or_default().starts_with("Appointment cancelled"))
            .unwrap()
            .attachments()
            .map(|a| String::from_utf8_lossy(a.contents()).to_string())
            .next()
            .unwrap();
        assert!(cancel.contains("METHOD:CANCEL") && cancel.contains("STATUS:CANCELLED"), "{cancel}");
        assert!(cancel.contains(&format!("UID:appointment-{id}.")) && cancel.contains("SEQUENCE:3"), "{cancel}");
    }

    async fn an_smtp_outage_loses_nothing_and_sends_each_message_once(engine) {
        let mut peer = SmtpPeer::start().await;
        let app = spawn_app_with(engine, smtp_to(&peer)).await;
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        let slot = app.slots(&doctor, &[48]).await[0];
        peer.down().await;
        let id = app.book(&patient, slot).await;

        let tick = app.drain().await;
        assert_eq!((tick.claimed, tick.retrying, tick.sent), (2, 2, 0), "{tick:?}");
        assert!(job_states(&app, id).await.iter().all(|j| j.3 == "pending"));
        assert_eq!(app.drain().await.claimed, 0, "nothing is due before the retry time");

        peer.up().await;
        app.clock.advance(Duration::from_secs(61));
        let tick = app.drain().await;
        assert_eq!((tick.claimed, tick.sent), (2, 2), "{tick:?}");
        assert_eq!(peer.messages().len(), 2, "each message once");
        for (job, ..) in job_states(&app, id).await {
            let detail = delivery(&app, job).await;
            let outcomes: Vec<&str> = detail["attempts"].as_array().unwrap().iter().map(|a| a["outcome"].as_str().unwrap()).collect();
            assert_eq!(outcomes, ["transient", "sent"], "{detail}");
            assert_eq!(detail["delivery"]["state"], "sent");
        }
    }

    async fn a_burst_of_emails_shares_the_pools_connections(engine) {
        let peer = SmtpPeer::start().await;
        let app = spawn_app_with(engine, |s| {
            smtp_to(&peer)(s);
            s.email.smtp.pool_size = 3;
        })
        .await;
        let doctor = app.user(Role::Practitioner).await;
        let hours: Vec<u64> = (0..20).map(|h| 48 + 2 * h).collect();
        for slot in app.slots(&doctor, &hours).await {
            let patient = app.user(Role::Patient).await;
            app.book(&patient, slot).await;
        }
        // All 40 emails (booking received, request to the practitioner) are due at once.
        let tick = app.drain().await;
        assert_eq!((tick.sent, tick.retrying, tick.dead), (40, 0, 0), "{tick:?}");
        let sessions: std::collections::BTreeSet<String> = peer
            .messages()
            .iter()
            .map(|m| {
                let text = String::from_utf8_lossy(m);
                let line = text.lines().find(|l| l.starts_with("X-Peer-Session: ")).expect("the peer's session header");
                line["X-Peer-Session: ".len()..].to_owned()
            })
            .collect();
        assert_eq!(peer.messages().len(), 40);
        assert!(sessions.len() <= 3, "40 emails came over {} connections, pool of 3: {sessions:?}", sessions.len());
    }

    async fn a_relay_that_restarted_gets_the_next_email_on_a_new_connection(engine) {
        let mut peer = SmtpPeer::start().await;
        let app = spawn_app_with(engine, |s| {
            smtp_to(&peer)(s);
            s.email.smtp.pool_size = 1;
        })
        .await;
        let doctor = app.user(Role::Practitioner).await;
        let slots = app.slots(&doctor, &[48, 50]).await;
        app.book(&app.user(Role::Patient).await, slots[0]).await;
        assert_eq!(app.drain().await.sent, 2);
        // The relay restarts: the connection the pool kept is closed under it.
        peer.down().await;
        peer.up().await;
        app.book(&app.user(Role::Patient).await, slots[1]).await;
        let tick = app.drain().await;
        assert_eq!((tick.sent, tick.retrying), (2, 0), "sent at once on a new connection: {tick:?}");
        assert_eq!(peer.messages().len(), 4, "each message once");
    }

    async fn a_451_is_retried_until_exhausted_and_a_550_is_dead_at_once(engine) {
        let peer = SmtpPeer::start().await;
        let app = spawn_app_with(engine, |s| {
            smtp_to(&peer)(s);
            s.delivery.retry_schedule = vec![Duration::from_secs(60), Duration::from_secs(120)];
        })
        .await;
        let doctor = app.user(Role::Practitioner).await;
        let busy = app.user_with(Role::Patient, json!({"email": "tempfail.ann@clinic.example"})).await;
        let gone = app.user_with(Role::Patient, json!({"email": "reject.bob@clinic.example"})).await;
        let fine = app.user(Role::Patient).await;
        let slots = app.slots(&doctor, &[48, 50, 52]).await;
        let busy_appt = app.book(&busy, slots[0]).await;
        let gone_appt = app.book(&gone, slots[1]).await;
        let fine_appt = app.book(&fine, slots[2]).await;

        let tick = app.drain().await;
        assert_eq!((tick.sent, tick.retrying, tick.dead), (4, 1, 1), "{tick:?}");
        let job_of = |jobs: Vec<(i64, String, String, String)>| jobs.into_iter().find(|j| j.1 == "booking_received").unwrap();
        let (gone_job, .., state) = job_of(job_states(&app, gone_appt).await);
        assert_eq!(state, "dead");
        let detail = delivery(&app, gone_job).await;
        assert!(detail["delivery"]["last_error"].as_str().unwrap().contains("No such user"), "{detail}");
        assert_eq!(detail["attempts"][0]["code"], "550");
        assert_eq!(job_of(job_states(&app, fine_appt).await).3, "sent", "a poison job blocks nobody");

        let (busy_job, ..) = job_of(job_states(&app, busy_appt).await);
        let detail = delivery(&app, busy_job).await;
        assert_eq!((detail["delivery"]["state"].as_str(), detail["attempts"][0]["code"].as_str()), (Some("pending"), Some("451")));
        app.clock.advance(Duration::from_secs(60));
        assert_eq!(app.drain().await.retrying, 1);
        app.clock.advance(Duration::from_secs(120));
        assert_eq!(app.drain().await.dead, 1);
        let detail = delivery(&app, busy_job).await;
        assert_eq!(detail["attempts"].as_array().unwrap().len(), 3, "{detail}");
        assert!(detail["delivery"]["last_error"].as_str().unwrap().starts_with("retries exhausted"), "{detail}");

        // An operator retries a dead job; one that is not dead is refused.
        let (status, body) = app.post(&app.admin, &format!("/api/v1/admin/deliveries/{busy_job}/retry"), json!({})).await;
        assert_eq!((status, body["delivery"]["state"].as_str()), (StatusCode::OK, Some("pending")), "{body}");
        let (status, e) = app.post(&app.admin, &format!("/api/v1/admin/deliveries/{busy_job}/retry"), json!({})).await;
        assert_eq!((status, e["code"].as_str()), (StatusCode::CONFLICT, Some("not_dead")));
        assert_eq!(app.drain().await.retrying, 1, "a fresh schedule after a manual retry");
        let (_, dead) = app.get(&app.admin, "/api/v1/admin/deliveries?state=dead").await;
        assert_eq!(dead["deliveries"].as_array().unwrap().len(), 1);
    }

    async fn an_admin_retry_wakes_the_running_dispatcher(engine) {
        let provider = SmsPeer::start().await;
        let app = spawn_app_with(engine, |s| {
            s.delivery.enabled = true;
            // Only a wake-up can make it look again within the test.
            s.delivery.poll_interval = Duration::from_secs(600);
            s.sms.provider = SmsProviderKind::Webhook;
            s.sms.webhook_url = Some(format!("{}/sms", provider.base_url));
            s.sms.webhook_token = Some(secrecy::SecretString::from("test-token-not-secret"));
        })
        .await;
        let doctor = app.user(Role::Practitioner).await;
        // The provider refuses this number for good (400): the SMS goes dead at once.
        let patient = app.user_with(Role::Patient, json!({"phone": "+33600000400"})).await;
        let slot = app.slots(&doctor, &[48]).await[0];
        let id = app.book(&patient, slot).await;
        app.post(&doctor, &format!("/api/v1/appointments/{id}/accept"), json!({})).await;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let job = loop {
            let sms = job_states(&app, id).await.into_iter().find(|j| j.2 == "sms");
            if let Some(job) = sms.filter(|j| j.3 == "dead") {
                break job;
            }
            assert!(std::time::Instant::now() < deadline, "the SMS never went dead");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(provider.requests().len(), 1);
        let (status, _) = app.post(&app.admin, &format!("/api/v1/admin/deliveries/{}/retry", job.0), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while provider.requests().len() < 2 {
            assert!(std::time::Instant::now() < deadline, "the retried job was not sent before the next poll");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn sms_provider_answers_are_classified_like_smtp_replies(engine) {
        let provider = SmsPeer::start().await;
        let app = spawn_app_with(engine, |s| {
            s.sms.provider = SmsProviderKind::Webhook;
            s.sms.webhook_url = Some(format!("{}/sms", provider.base_url));
            s.sms.webhook_token = Some(secrecy::SecretString::from("test-token-not-secret"));
            s.sms.from = Some("Carebell".into());
        })
        .await;
        let doctor = app.user(Role::Practitioner).await;
        let hours: Vec<u64> = (0..4).map(|i| 48 + i * 2).collect();
        let slots = app.slots(&doctor, &hours).await;
        let mut appointments = Vec::new();
        for (slot, code) in slots.iter().zip(["200", "429", "500", "400"]) {
            let patient = app.user_with(Role::Patient, json!({"phone": format!("+33600000{code}")})).await;
            let id = app.book(&patient, *slot).await;
            app.post(&doctor, &format!("/api/v1/appointments/{id}/accept"), json!({})).await;
            appointments.push((code, id));
        }
        app.drain().await;
        for (code, id) in &appointments {
            let sms = job_states(&app, *id).await.into_iter().find(|j| j.2 == "sms").unwrap();
            let expected = match *code { "200" => "sent", "400" => "dead", _ => "pending" };
            assert_eq!(sms.3, expected, "provider answered {code}");
        }
        let requests = provider.requests();
        assert_eq!(requests.len(), 4);
        for r in &requests {
            assert_eq!(r.headers["authorization"], "Bearer test-token-not-secret");
            let body: Value = serde_json::from_str(&r.body).unwrap();
            let text = body["body"].as_str().unwrap();
            assert!(text.chars().count() <= 160 && !text.contains("back pain"), "{text}");
            assert_eq!(body["from"], "Carebell");
        }
    }

    async fn twilio_adapter_posts_the_form_twilio_expects(engine) {
        let provider = SmsPeer::start().await;
        let app = spawn_app_with(engine, |s| {
            s.sms.provider = SmsProviderKind::Twilio;
            s.sms.twilio_base_url = provider.base_url.clone();
            s.sms.twilio_account_sid = Some("AC123".into());
            s.sms.twilio_auth_token = Some(secrecy::SecretString::from("token-for-tests"));
            s.sms.from = Some("+15005550006".into());
        })
        .await;
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user_with(Role::Patient, json!({"phone": "+33600000200"})).await;
        let slot = app.slots(&doctor, &[48]).await[0];
        let id = app.book(&patient, slot).await;
        app.post(&doctor, &format!("/api/v1/appointments/{id}/accept"), json!({})).await;
        app.drain().await;
        let r = &provider.requests()[0];
        assert_eq!(r.path, "/2010-04-01/Accounts/AC123/Messages.json");
        assert!(r.headers["authorization"].to_str().unwrap().starts_with("Basic "));
        let form: Vec<(String, String)> = serde_urlencoded::from_str(&r.body).unwrap();
        let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!((get("To").as_deref(), get("From").as_deref()), (Some("+33600000200"), Some("+15005550006")));
        assert!(get("Body").unwrap().contains("confirmed"));
        assert_eq!(job_states(&app, id).await.into_iter().find(|j| j.2 == "sms").unwrap().3, "sent");
    }

    async fn a_worker_killed_between_claim_and_record_loses_nothing(engine) {
        let peer = SmtpPeer::start().await;
        let app = spawn_app_with(engine, smtp_to(&peer)).await;
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        let slot = app.slots(&doctor, &[48]).await[0];
        let id = app.book(&patient, slot).await;

        // A worker claims the jobs and dies before sending or recording anything.
        let dead_worker = {
            let mut c = app.store.acquire().await.unwrap();
            carebell::store::deliveries::claim(&mut c, app.store.backend(), app.clock_now(), Duration::from_secs(120), 10)
                .await
                .unwrap()
        };
        assert_eq!(dead_worker.len(), 2);
        assert_eq!(app.drain().await.claimed, 0, "leased jobs are not taken while the lease runs");
        app.clock.advance(Duration::from_secs(121));
        let tick = app.drain().await;
        assert_eq!((tick.claimed, tick.sent), (2, 2), "{tick:?}");
        assert_eq!(peer.messages().len(), 2);

        // The dead worker comes back and tries to record a failure: fenced off.
        let mut c = app.store.acquire().await.unwrap();
        let stale = carebell::store::deliveries::AttemptRecord {
            started_at: app.clock_now(),
            duration_ms: 1,
            outcome: carebell::store::deliveries::Outcome::Permanent,
            code: Some("550"),
            reply: Some("late"),
            provider_message_id: None,
        };
        let moved = carebell::store::deliveries::record(&mut c, &dead_worker[0], &stale, app.clock_now()).await.unwrap();
        assert!(!moved);
        drop(c);
        assert!(job_states(&app, id).await.iter().all(|j| j.3 == "sent"));
    }
}

on_both_engines! {
    async fn in_app_notifications_are_handed_to_the_live_hook(app) {
        let mut live = app.dispatcher.live().subscribe();
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        let slot = app.slots(&doctor, &[48]).await[0];
        app.book(&patient, slot).await;
        let tick = app.drain().await;
        assert_eq!(tick.in_app, 2);
        let mut recipients = vec![live.recv().await.unwrap().recipient_id(), live.recv().await.unwrap().recipient_id()];
        recipients.sort();
        assert_eq!(recipients, [patient.id.min(doctor.id), patient.id.max(doctor.id)]);
        assert!(live.try_recv().is_err(), "each once");
        // Without SMTP configured, mail lands in the outbox folder.
        assert_eq!(tick.sent, 2);
    }
}

/// The real binary: SIGTERM while a send is in flight lets it finish and record, then exits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_in_flight_sends_finish_before_exit() {
    let peer = SmtpPeer::start().await;
    let app = crate::helpers::spawn_app_with(crate::helpers::Engine::Sqlite, smtp_to(&peer)).await;
    // The worker process runs on the wall clock.
    app.clock.set(carebell::domain::Timestamp::from_datetime(
        chrono::Utc::now(),
    ));
    let doctor = app.user(Role::Practitioner).await;
    let patient = app
        .user_with(Role::Patient, json!({"email": "slow.sue@clinic.example"}))
        .await;
    let slot = app.slots(&doctor, &[48]).await[0];
    let id = app.book(&patient, slot).await;
    let url = {
        // The same database file the test app uses.
        let row: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT seq, name, file FROM pragma_database_list")
                .fetch_all(app.store.pool())
                .await
                .unwrap_or_default();
        format!(
            "sqlite://{}",
            row.first().map(|r| r.2.clone()).expect("database file")
        )
    };
    let mut worker = tokio::process::Command::new(env!("CARGO_BIN_EXE_carebell"))
        .args(["worker", "--database-url", &url])
        .envs(crate::helpers::WITHOUT_QUIET_HOURS_ENV)
        .env("CAREBELL__EMAIL__SMTP__HOST", "127.0.0.1")
        .env("CAREBELL__EMAIL__SMTP__PORT", peer.port.to_string())
        .env("CAREBELL__EMAIL__SMTP__SECURITY", "none")
        .env(
            "CAREBELL__SMS__OUTBOX_DIR",
            crate::helpers::scratch_dir("sms"),
        )
        .env(
            "CAREBELL__EMAIL__OUTBOX_DIR",
            crate::helpers::scratch_dir("mail"),
        )
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // Wait until the slow message is being sent.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let patient_job = loop {
        assert!(
            std::time::Instant::now() < deadline,
            "the worker never started sending: {:?}",
            job_states(&app, id).await
        );
        let jobs = job_states(&app, id).await;
        let job = jobs
            .into_iter()
            .find(|j| j.1 == "booking_received")
            .unwrap();
        if job.3 == "sending" {
            break job.0;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let pid = worker.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(20), worker.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "the worker exits cleanly: {status:?}");
    let detail = delivery(&app, patient_job).await;
    assert_eq!(detail["delivery"]["state"], "sent", "{detail}");
    assert_eq!(peer.messages().len(), 2);
}
