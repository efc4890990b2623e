//! Reaching people and systems, tried from the other side with real peers on loopback:
//! a webhook receiver that checks every signature with the Standard Webhooks library, a
//! push service whose messages are opened with an independent ECE implementation and whose
//! VAPID tokens are checked, a WhatsApp Cloud API peer, and the providers' signed receipts
//! (and forged ones).

use crate::helpers::*;
use crate::peers::{HttpPeer, Plays, SmsPeer, SmtpPeer};
use crate::{on_both_engines, on_both_engines_by_engine};
use carebell::config::{ReminderEmail, Settings, SmsProviderKind, SmtpSecurity};
use carebell::domain::Role;
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::time::Duration;

/// Runs `tests/reach_checks.py MODE` with `input`; its JSON answer, or why it refused.
fn check(mode: &str, input: &Value) -> Result<Value, String> {
    use std::io::Write;
    let python = std::env::var("CAREBELL_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reach_checks.py");
    let mut child = std::process::Command::new(python)
        .args([script, mode])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the tests' Python (scripts/test installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).expect("the checker prints JSON"))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// What the Standard Webhooks library makes of a request a receiver got, received when it
/// was sent (its own timestamp; the test's clock moves on).
fn verify_webhook(secret: &str, r: &crate::peers::Received) -> Result<Value, String> {
    let headers: serde_json::Map<String, Value> =
        ["webhook-id", "webhook-timestamp", "webhook-signature"]
            .iter()
            .map(|h| (h.to_string(), json!(r.header(h))))
            .collect();
    check(
        "webhook",
        &json!({
            "secret": secret,
            "headers": headers,
            "body": String::from_utf8_lossy(&r.body),
            "now": r.header("webhook-timestamp").parse::<i64>().unwrap_or(0),
        }),
    )
    .map(|v| v["payload"].clone())
}

async fn register(app: &TestApp, url: &str, events: Value) -> (i64, String) {
    let (status, body) = app
        .post(
            &app.admin,
            "/api/v1/admin/webhooks",
            json!({"url": url, "event_types": events, "description": "Billing sync"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (
        body["endpoint"]["id"].as_i64().unwrap(),
        body["secret"].as_str().unwrap().to_owned(),
    )
}

fn webhooks_over_http(s: &mut Settings) {
    without_quiet_hours(s);
    s.webhooks.allow_http = true;
    s.delivery.retry_schedule = vec![Duration::from_secs(60), Duration::from_secs(300)];
}

on_both_engines! { webhooks_over_http;
    async fn every_appointment_event_reaches_the_endpoint_signed_per_the_standard(app) {
        let receiver = HttpPeer::start(Plays::WebhookReceiver).await;
        let (endpoint, secret) = register(&app, &format!("{}/hooks/carebell", receiver.base_url), json!(["*"])).await;
        assert!(secret.starts_with("whsec_"));
        // The secret is shown once: the endpoint's own answers never carry it.
        let (_, shown) = app.get(&app.admin, &format!("/api/v1/admin/webhooks/{endpoint}")).await;
        assert!(!shown.to_string().contains(&secret[6..]), "{shown}");

        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        let slots = app.slots(&doctor, &[48, 50, 52]).await;
        let a = app.book(&patient, slots[0]).await;
        app.post(&doctor, &format!("/api/v1/appointments/{a}/accept"), json!({})).await;
        app.post(&patient, &format!("/api/v1/appointments/{a}/reschedule"), json!({"slot_id": slots[1]})).await;
        app.post(&patient, &format!("/api/v1/appointments/{a}/cancel"), json!({"reason": "feeling better"})).await;
        let b = app.book(&patient, slots[2]).await;
        app.post(&doctor, &format!("/api/v1/appointments/{b}/decline"), json!({"reason": "on leave"})).await;
        app.drain().await;
        app.drain().await;

        let got = receiver.received();
        let mut types = Vec::new();
        for r in &got {
            assert_eq!(r.path, "/hooks/carebell");
            assert_eq!(r.header("content-type"), "application/json");
            let payload = verify_webhook(&secret, r).unwrap_or_else(|e| panic!("the library refused it: {e}"));
            assert_eq!(r.header("webhook-timestamp"), (app.clock_now().millis() / 1000).to_string());
            assert!(r.header("webhook-id").starts_with("msg_"));
            let text = String::from_utf8_lossy(&r.body);
            for secret_text in ["back pain", "feeling better", "on leave", &patient.email] {
                assert!(!text.contains(secret_text), "a webhook carries no reason nor address: {text}");
            }
            types.push(payload["type"].as_str().unwrap().to_owned());
        }
        for wanted in ["appointment.requested", "appointment.confirmed", "appointment.rescheduled", "appointment.cancelled", "appointment.declined", "delivery.sent"] {
            assert!(types.iter().any(|t| t == wanted), "{wanted} in {types:?}");
        }
        let confirmed = got.iter().map(|r| r.json()).find(|p| p["type"] == "appointment.confirmed").unwrap();
        assert_eq!(confirmed["data"]["appointment_id"], a);
        assert_eq!((confirmed["data"]["status"].as_str(), confirmed["data"]["patient_id"].as_i64()), (Some("confirmed"), Some(patient.id)));
        let moved = got.iter().map(|r| r.json()).find(|p| p["type"] == "appointment.rescheduled").unwrap();
        assert!(moved["data"]["previous_starts_at"].is_string() && moved["data"]["by"] == "patient", "{moved}");
        // Each message once, with its own id.
        let mut ids: Vec<String> = got.iter().map(|r| r.header("webhook-id")).collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "one request per message when the receiver answers 200");
        // The verifier is not a rubber stamp: a changed body, or another secret, is refused.
        let mut forged = got[0].clone();
        forged.body = forged.body.iter().map(|b| if *b == b'1' { b'2' } else { *b }).collect();
        assert!(verify_webhook(&secret, &forged).is_err());
        assert!(verify_webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &got[0]).is_err());
        // Operators see every webhook job beside the other deliveries.
        let (_, jobs) = app.get(&app.admin, "/api/v1/admin/deliveries?channel=webhook&limit=500").await;
        let jobs = jobs["deliveries"].as_array().unwrap().clone();
        assert_eq!(jobs.len(), got.len());
        assert!(jobs.iter().all(|j| j["state"] == "sent" && j["endpoint_id"] == endpoint && j["recipient_id"].is_null()), "{jobs:?}");
    }

    async fn only_the_chosen_event_types_are_sent_and_a_bad_endpoint_is_refused(app) {
        let receiver = HttpPeer::start(Plays::WebhookReceiver).await;
        register(&app, &receiver.base_url, json!(["appointment.cancelled"])).await;
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        let slot = app.slots(&doctor, &[48]).await[0];
        let a = app.book(&patient, slot).await;
        app.post(&patient, &format!("/api/v1/appointments/{a}/cancel"), json!({})).await;
        app.drain().await;
        let types: Vec<String> = receiver.received().iter().map(|r| r.json()["type"].as_str().unwrap().to_owned()).collect();
        assert_eq!(types, ["appointment.cancelled"]);
        for (body, what) in [
            (json!({"url": "ftp://example.org/x"}), "scheme"),
            (json!({"url": "not a url"}), "parse"),
            (json!({"url": "https://user:pw@example.org/"}), "credentials"),
            (json!({"url": "https://example.org/", "event_types": ["appointment.exploded"]}), "event type"),
        ] {
            let (status, answer) = app.post(&app.admin, "/api/v1/admin/webhooks", body).await;
            assert_eq!((status, answer["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed")), "{what}: {answer}");
        }
        assert_eq!(app.post(&patient, "/api/v1/admin/webhooks", json!({"url": "https://example.org/"})).await.0, StatusCode::FORBIDDEN);
    }

    async fn an_outage_loses_nothing_and_a_retried_message_keeps_its_id(app) {
        let mut receiver = HttpPeer::start(Plays::WebhookReceiver).await;
        let (_, secret) = register(&app, &receiver.base_url, json!(["appointment.requested"])).await;
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        let slots = app.slots(&doctor, &[48, 50, 52]).await;
        receiver.down().await;
        for slot in &slots {
            app.book(&patient, *slot).await;
        }
        let tick = app.drain().await;
        assert!(tick.retrying >= 3, "refused connections are retried: {tick:?}");
        assert!(receiver.received().is_empty());
        // Back up, but answering 503 once: that message is tried again with the same id.
        receiver.up().await;
        receiver.answer_next(&[503]);
        app.clock.advance(Duration::from_secs(75));
        app.drain().await;
        app.clock.advance(Duration::from_secs(400));
        app.drain().await;
        let got = receiver.received();
        assert_eq!(got.len(), 4, "three messages, one of them twice");
        let ids: std::collections::BTreeSet<String> = got.iter().map(|r| r.header("webhook-id")).collect();
        assert_eq!(ids.len(), 3, "a retry carries the message's own id, for de-duplication");
        for r in &got {
            assert!(verify_webhook(&secret, r).is_ok());
        }
        let (_, jobs) = app.get(&app.admin, "/api/v1/admin/deliveries?channel=webhook").await;
        assert!(jobs["deliveries"].as_array().unwrap().iter().all(|j| j["state"] == "sent"), "{jobs}");
    }

    async fn a_rotated_secret_signs_beside_the_new_one_until_the_overlap_ends(app) {
        let receiver = HttpPeer::start(Plays::WebhookReceiver).await;
        let (endpoint, old) = register(&app, &receiver.base_url, json!(["appointment.requested"])).await;
        let (status, rotated) = app.post(&app.admin, &format!("/api/v1/admin/webhooks/{endpoint}/rotate-secret"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{rotated}");
        let new = rotated["secret"].as_str().unwrap().to_owned();
        assert_ne!(new, old);
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        let slots = app.slots(&doctor, &[48, 80]).await;
        app.book(&patient, slots[0]).await;
        app.drain().await;
        let first = receiver.received().pop().unwrap();
        assert_eq!(first.header("webhook-signature").split(' ').count(), 2);
        assert!(verify_webhook(&old, &first).is_ok() && verify_webhook(&new, &first).is_ok());
        // After the overlap (24 h) only the new secret signs.
        app.clock.advance(HOUR * 25);
        app.book(&patient, slots[1]).await;
        app.drain().await;
        let second = receiver.received().pop().unwrap();
        assert_eq!(second.header("webhook-signature").split(' ').count(), 1);
        assert!(verify_webhook(&new, &second).is_ok());
        assert!(verify_webhook(&old, &second).is_err());
        let (_, audit) = app.get(&app.admin, &format!("/api/v1/admin/audit?user_id={}", app.admin.id)).await;
        assert!(audit.to_string().contains("webhook.secret_rotated"));
        assert!(!audit.to_string().contains(&new[6..]), "no secret in the audit log");
    }
}

/// An endpoint is turned off after failing this long.
fn failing_endpoints(s: &mut Settings) {
    webhooks_over_http(s);
    s.webhooks.disable_after = Duration::from_secs(3600);
}

on_both_engines! { failing_endpoints;
    async fn an_endpoint_failing_for_long_is_turned_off_the_admins_are_told_and_it_can_be_mended(app) {
        let receiver = HttpPeer::start(Plays::WebhookReceiver).await;
        receiver.answer_always(Some(500));
        let (endpoint, _) = register(&app, &receiver.base_url, json!(["appointment.requested"])).await;
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        let slots = app.slots(&doctor, &[48, 50, 52, 54]).await;
        // A message every 20 minutes, each failing: after an hour of failures it is off.
        for slot in &slots[..3] {
            app.book(&patient, *slot).await;
            app.drain().await;
            app.clock.advance(Duration::from_secs(20 * 60));
            app.drain().await;
        }
        app.clock.advance(Duration::from_secs(10 * 60));
        app.drain().await;
        let (_, e) = app.get(&app.admin, &format!("/api/v1/admin/webhooks/{endpoint}")).await;
        assert_eq!(e["enabled"], false, "{e}");
        assert!(e["disabled_reason"].as_str().unwrap().contains("failed for 1h"), "{e}");
        let told = app.notifications(&app.admin).await;
        let notice = told.iter().find(|n| n["kind"] == "webhook_disabled").expect("the admins are told");
        assert!(notice["message"].as_str().unwrap().contains(&receiver.base_url), "{notice}");
        assert_eq!(notice["link"], "/admin/webhooks");
        assert!(outbox_mails(&app).iter().any(|m| m.to == app.admin.email && m.subject.contains("turned off")));
        // Off: new events are not queued for it, and what was queued is dropped.
        let before = receiver.received().len();
        app.book(&patient, slots[3]).await;
        app.clock.advance(HOUR);
        app.drain().await;
        assert_eq!(receiver.received().len(), before);
        // Mended and on again: its dead messages can be retried by an admin.
        receiver.answer_always(None);
        let (status, e) = app.call(Some(&app.admin), Method::PATCH, &format!("/api/v1/admin/webhooks/{endpoint}"), Some(json!({"enabled": true}))).await;
        assert_eq!(status, StatusCode::OK);
        assert!(e["failing_since"].is_null() && e["disabled_reason"].is_null(), "{e}");
        let (_, dead) = app.get(&app.admin, "/api/v1/admin/deliveries?channel=webhook&state=dead").await;
        let dead = dead["deliveries"].as_array().unwrap().clone();
        assert!(!dead.is_empty());
        for j in &dead {
            let (status, _) = app.post(&app.admin, &format!("/api/v1/admin/deliveries/{}/retry", j["id"]), json!({})).await;
            assert_eq!(status, StatusCode::OK);
        }
        app.drain().await;
        assert!(receiver.received().len() >= before + dead.len());
        // The admin page shows it, with a button to turn it off.
        let b = reqwest::Client::builder().cookie_store(true).build().unwrap();
        b.post(app.url("/api/v1/auth/sign-in")).json(&json!({"email": app.admin.email, "password": PASSWORD})).send().await.unwrap();
        let page = b.get(app.url("/admin/webhooks")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains(&format!("data-endpoint=\"{endpoint}\" data-enabled=\"true\"")) && page.contains(&format!("/admin/webhooks/{endpoint}/disable")), "{page}");
    }
}

on_both_engines_by_engine! {
    async fn a_webhook_claimed_by_a_worker_that_died_is_sent_again_with_the_same_id(engine) {
        let app = spawn_app_with(engine, webhooks_over_http).await;
        let receiver = HttpPeer::start(Plays::WebhookReceiver).await;
        let (_, secret) = register(&app, &receiver.base_url, json!(["appointment.requested"])).await;
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        let slot = app.slots(&doctor, &[48]).await[0];
        app.book(&patient, slot).await;
        // A worker claims everything and dies (SIGKILL before any outcome is written).
        let dead = {
            let mut c = app.store.acquire().await.unwrap();
            carebell::store::deliveries::claim(&mut c, app.store.backend(), app.clock_now(), Duration::from_secs(120), 50).await.unwrap()
        };
        assert!(dead.iter().any(|j| j.channel == carebell::domain::Channel::Webhook));
        app.drain().await;
        assert!(receiver.received().is_empty(), "nothing is sent while its lease runs");
        app.clock.advance(Duration::from_secs(121));
        app.drain().await;
        let got = receiver.received();
        assert_eq!(got.len(), 1);
        assert!(verify_webhook(&secret, &got[0]).is_ok());
        assert_eq!(got[0].header("webhook-id"), format!("msg_{}", dead.iter().find(|j| j.channel == carebell::domain::Channel::Webhook).unwrap().webhook_message_id.unwrap()));
    }
}

fn twilio(peer: &SmsPeer) -> impl FnOnce(&mut Settings) + '_ {
    move |s: &mut Settings| {
        without_quiet_hours(s);
        s.sms.provider = SmsProviderKind::Twilio;
        s.sms.twilio_base_url = peer.base_url.clone();
        s.sms.twilio_account_sid = Some("ACtest".into());
        s.sms.twilio_auth_token = Some(SecretString::from("test-twilio-token"));
        s.sms.from = Some("+15005550006".into());
        s.sms.inbound_secret = Some(SecretString::from("test-inbound-secret"));
        s.reminders.email = ReminderEmail::Fallback;
        s.webhooks.allow_http = true;
        s.email.inbound_secret = Some(SecretString::from("test-bounce-secret"));
    }
}

/// Posts a Twilio status callback, signed as Twilio signs it (or with another token).
async fn twilio_status(
    app: &TestApp,
    token: &str,
    sid: &str,
    status: &str,
    code: Option<&str>,
) -> StatusCode {
    let mut params = vec![
        ("MessageSid".to_owned(), sid.to_owned()),
        ("MessageStatus".to_owned(), status.to_owned()),
        ("AccountSid".to_owned(), "ACtest".to_owned()),
    ];
    if let Some(c) = code {
        params.push(("ErrorCode".to_owned(), c.to_owned()));
    }
    let url = format!(
        "{}/webhooks/sms/twilio/status",
        app.settings.server.public_url
    );
    let signature = carebell::auth::signed::twilio_signature(token, &url, &params);
    app.http
        .post(app.url("/webhooks/sms/twilio/status"))
        .header("x-twilio-signature", signature)
        .form(&params)
        .send()
        .await
        .unwrap()
        .status()
}

/// (kind, channel, state, receipt code) of a user's jobs, oldest first.
async fn jobs_of(
    app: &TestApp,
    user: &TestUser,
) -> Vec<(String, String, String, Option<String>, Value)> {
    let (_, jobs) = app
        .get(
            &app.admin,
            &format!(
                "/api/v1/admin/deliveries?recipient_id={}&limit=500",
                user.id
            ),
        )
        .await;
    let mut out: Vec<_> = jobs["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            (
                j["kind"].as_str().unwrap().to_owned(),
                j["channel"].as_str().unwrap().to_owned(),
                j["state"].as_str().unwrap().to_owned(),
                j["receipt_code"].as_str().map(str::to_owned),
                j.clone(),
            )
        })
        .collect();
    out.reverse();
    out
}

on_both_engines_by_engine! {
    async fn receipts_mark_texts_delivered_or_undelivered_and_an_undelivered_reminder_falls_back_to_email(engine) {
        let provider = SmsPeer::start().await;
        let app = spawn_app_with(engine, twilio(&provider)).await;
        let receiver = HttpPeer::start(Plays::WebhookReceiver).await;
        app.post(&app.admin, "/api/v1/admin/webhooks", json!({"url": receiver.base_url, "event_types": ["delivery.delivered", "delivery.failed"]})).await;
        let doctor = app.user(Role::Practitioner).await;
        // The SMS peer answers by the number's last three digits: 200.
        let patient = app.user_with(Role::Patient, json!({"phone": "+33 6 00 00 02 00"})).await;
        let slot = app.slots(&doctor, &[26]).await[0];
        let a = app.book(&patient, slot).await;
        app.post(&doctor, &format!("/api/v1/appointments/{a}/accept"), json!({})).await;
        app.drain().await;
        // Twilio was told where to post receipts.
        let request = provider.requests().into_iter().find(|r| r.body.contains("StatusCallback")).expect("the confirmation SMS");
        assert!(request.body.contains("webhooks%2Fsms%2Ftwilio%2Fstatus"), "{}", request.body);
        let sid = |kind: &str, jobs: &[(String, String, String, Option<String>, Value)]| -> i64 {
            jobs.iter().find(|j| j.0 == kind && j.1 == "sms").unwrap().4["id"].as_i64().unwrap()
        };
        let jobs = jobs_of(&app, &patient).await;
        let confirmed_sms = sid("appointment_confirmed", &jobs);
        // The SMS peer answers sid SM<n>: the first SMS it got is SM1.
        let first_sid = "SM1";
        // A forged receipt changes nothing.
        assert_eq!(twilio_status(&app, "not-the-token", first_sid, "undelivered", Some("30003")).await, StatusCode::FORBIDDEN);
        assert!(jobs_of(&app, &patient).await.iter().all(|j| j.2 != "undelivered"));
        assert_eq!(twilio_status(&app, "test-twilio-token", first_sid, "delivered", None).await, StatusCode::NO_CONTENT);
        let jobs = jobs_of(&app, &patient).await;
        let j = jobs.iter().find(|j| j.4["id"] == confirmed_sms).unwrap();
        assert_eq!(j.2, "delivered", "{jobs:?}");
        // The 2 h reminder (26 h ahead, the 24 h one is due in 2 h) goes by SMS only.
        app.clock.advance(HOUR * 2);
        app.drain().await;
        let jobs = jobs_of(&app, &patient).await;
        let reminders: Vec<_> = jobs.iter().filter(|j| j.0 == "appointment_reminder").collect();
        assert!(reminders.iter().all(|j| j.1 != "email"), "fallback mode: no reminder email up front: {reminders:?}");
        let reminder_sms = reminders.iter().find(|j| j.1 == "sms" && j.2 == "sent").expect("the 24 h reminder SMS went");
        let reminder_sid = format!("SM{}", provider.requests().len());
        assert_eq!(twilio_status(&app, "test-twilio-token", &reminder_sid, "undelivered", Some("30006")).await, StatusCode::NO_CONTENT);
        app.drain().await;
        let jobs = jobs_of(&app, &patient).await;
        let sms = jobs.iter().find(|j| j.4["id"] == reminder_sms.4["id"]).unwrap();
        assert_eq!((sms.2.as_str(), sms.3.as_deref()), ("undelivered", Some("30006")), "{jobs:?}");
        let fallback = jobs.iter().find(|j| j.0 == "appointment_reminder" && j.1 == "email").expect("the email fallback");
        assert_eq!((fallback.2.as_str(), fallback.4["fallback_for"].as_i64()), ("sent", reminder_sms.4["id"].as_i64()));
        assert!(outbox_mails(&app).iter().any(|m| m.to == patient.email && m.subject.starts_with("Reminder")));
        // Integrators heard of both receipts.
        let types: Vec<String> = receiver.received().iter().map(|r| r.json()["type"].as_str().unwrap().to_owned()).collect();
        assert_eq!(types, ["delivery.delivered", "delivery.failed"]);
        let failed = receiver.received()[1].json();
        assert_eq!((failed["data"]["channel"].as_str(), failed["data"]["provider_code"].as_str()), (Some("sms"), Some("30006")));
        // The JSON provider's receipts, signed with its own secret.
        let body = json!({"id": "SM1", "status": "undelivered", "code": "x"}).to_string();
        let bad = app.http.post(app.url("/webhooks/sms/status")).header("x-carebell-signature", "sha256=00").body(body.clone()).send().await.unwrap();
        assert_eq!(bad.status(), StatusCode::FORBIDDEN);
        let signature = carebell::auth::signed::body_signature(b"test-inbound-secret", body.as_bytes());
        let good = app.http.post(app.url("/webhooks/sms/status")).header("x-carebell-signature", signature).body(body).send().await.unwrap();
        assert_eq!(good.status(), StatusCode::NO_CONTENT);
        let jobs = jobs_of(&app, &patient).await;
        assert_eq!(jobs.iter().find(|j| j.4["id"] == confirmed_sms).unwrap().2, "undelivered");
    }

    async fn a_bounce_holds_email_back_until_the_address_changes(engine) {
        let smtp = SmtpPeer::start().await;
        let provider = SmsPeer::start().await;
        let app = spawn_app_with(engine, |s| {
            twilio(&provider)(s);
            s.email.smtp.host = Some("127.0.0.1".into());
            s.email.smtp.port = Some(smtp.port);
            s.email.smtp.security = SmtpSecurity::None;
        }).await;
        let doctor = app.user(Role::Practitioner).await;
        let lucie = app.user_with(Role::Patient, json!({"email": "lucie@bounce.example"})).await;
        let slots = app.slots(&doctor, &[48, 50, 52, 54]).await;
        // A delivery-status notification says her mailbox does not exist.
        let dsn = "From: MAILER-DAEMON@mx.bounce.example\r\nTo: no-reply@carebell.localhost\r\nSubject: Undelivered Mail\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.bounce.example\r\n\r\nFinal-Recipient: rfc822; lucie@bounce.example\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n--b--\r\n";
        let unsigned = app.http.post(app.url("/webhooks/email/bounce")).body(dsn).send().await.unwrap();
        assert_eq!(unsigned.status(), StatusCode::FORBIDDEN);
        let signature = carebell::auth::signed::body_signature(b"test-bounce-secret", dsn.as_bytes());
        let r = app.http.post(app.url("/webhooks/email/bounce")).header("x-carebell-signature", signature).body(dsn).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.json::<Value>().await.unwrap()["bounced"], 1);
        app.book(&lucie, slots[0]).await;
        app.drain().await;
        let jobs = jobs_of(&app, &lucie).await;
        let booked = jobs.iter().find(|j| j.0 == "booking_received" && j.1 == "email").unwrap();
        assert_eq!(booked.2, "suppressed");
        assert_eq!(booked.4["last_error"], "suppressed: address bouncing (5.1.1)");
        // She changes her address: email goes again.
        let (status, _) = app.call(Some(&lucie), Method::PATCH, "/api/v1/me", Some(json!({"email": "lucie@fixed.example"}))).await;
        assert_eq!(status, StatusCode::OK);
        app.book(&lucie, slots[1]).await;
        app.drain().await;
        assert!(smtp.messages().iter().any(|m| String::from_utf8_lossy(m).contains("X-Envelope-To: lucie@fixed.example")));
        // A relay that refuses the mailbox for good (550) marks it too.
        let (status, _) = app.call(Some(&lucie), Method::PATCH, "/api/v1/me", Some(json!({"email": "reject.lucie@fixed.example"}))).await;
        assert_eq!(status, StatusCode::OK);
        app.book(&lucie, slots[2]).await;
        app.drain().await;
        app.book(&lucie, slots[3]).await;
        app.drain().await;
        let jobs = jobs_of(&app, &lucie).await;
        let emails: Vec<&str> = jobs.iter().filter(|j| j.0 == "booking_received" && j.1 == "email").map(|j| j.2.as_str()).collect();
        assert_eq!(emails, ["suppressed", "sent", "dead", "suppressed"], "{jobs:?}");
        // Taken already: 409.
        let other = app.user(Role::Patient).await;
        let (status, body) = app.call(Some(&other), Method::PATCH, "/api/v1/me", Some(json!({"email": "reject.lucie@fixed.example"}))).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("email_taken")));
    }
}

fn web_push(s: &mut Settings) {
    without_quiet_hours(s);
    s.push.allow_http = true;
}

on_both_engines! { web_push;
    async fn a_push_is_encrypted_to_the_browser_and_signed_for_its_push_service(app) {
        let service = HttpPeer::start(Plays::PushService).await;
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user_with(Role::Patient, json!({"language": "fr"})).await;
        let keys = check("push-keys", &json!({})).unwrap();
        let endpoint = format!("{}/push/send/abc123", service.base_url);
        let (status, body) = app.post(&patient, "/api/v1/me/push-subscriptions", json!({
            "endpoint": endpoint, "expirationTime": null,
            "keys": {"p256dh": keys["p256dh"], "auth": keys["auth"]}, "user_agent": "Test Browser",
        })).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        // Refused: a key that is not a P-256 point, an auth secret of the wrong size.
        let (status, _) = app.post(&patient, "/api/v1/me/push-subscriptions", json!({"endpoint": endpoint, "keys": {"p256dh": "AAAA", "auth": keys["auth"]}})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _) = app.post(&patient, "/api/v1/me/push-subscriptions", json!({"endpoint": endpoint, "keys": {"p256dh": keys["p256dh"], "auth": "AAAA"}})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (_, me) = app.get(&patient, "/api/v1/me").await;
        assert!(me["push_enabled_at"].is_string(), "{me}");

        let slot = app.slots(&doctor, &[48]).await[0];
        let a = app.book(&patient, slot).await;
        app.post(&doctor, &format!("/api/v1/appointments/{a}/accept"), json!({})).await;
        app.drain().await;
        let got = service.received();
        assert_eq!(got.len(), 2, "booking received and confirmed, one push each");
        // VAPID tokens are for push services, which check them against the wall clock.
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        for r in &got {
            assert_eq!(r.path, "/push/send/abc123");
            assert_eq!(r.header("content-encoding"), "aes128gcm");
            assert!(r.header("ttl").parse::<u64>().unwrap() > 0);
            assert_eq!(r.header("urgency"), "high");
            assert!(r.header("topic").len() <= 32 && !r.header("topic").is_empty());
            use base64::Engine;
            let opened = check("push-open", &json!({
                "private": keys["private"], "auth": keys["auth"],
                "body": base64::engine::general_purpose::STANDARD.encode(&r.body),
                "authorization": r.header("authorization"),
                "audience": service.base_url, "now": now,
            })).unwrap_or_else(|e| panic!("the push does not open: {e}"));
            let payload = &opened["payload"];
            assert!(payload["url"].as_str().unwrap().ends_with(&format!("/appointments/{a}")), "{payload}");
            assert_eq!(payload["lang"], "fr");
            assert!(!payload.to_string().contains("back pain"), "the minimum only: {payload}");
            assert!(opened["claims"]["sub"].as_str().unwrap().starts_with("mailto:"));
        }
        let titles: Vec<String> = got.iter().map(|r| {
            use base64::Engine;
            check("push-open", &json!({"private": keys["private"], "auth": keys["auth"], "body": base64::engine::general_purpose::STANDARD.encode(&r.body), "authorization": r.header("authorization"), "audience": service.base_url, "now": now})).unwrap()["payload"]["title"].as_str().unwrap().to_owned()
        }).collect();
        assert!(titles.iter().any(|t| t.contains("confirmé")), "{titles:?}");
        // Someone else's key cannot open it.
        let other = check("push-keys", &json!({})).unwrap();
        use base64::Engine;
        assert!(check("push-open", &json!({"private": other["private"], "auth": keys["auth"], "body": base64::engine::general_purpose::STANDARD.encode(&got[0].body), "authorization": got[0].header("authorization"), "audience": service.base_url, "now": now})).is_err());
        // The push service says the subscription is gone: it is forgotten.
        service.answer_next(&[410]);
        app.post(&patient, &format!("/api/v1/appointments/{a}/cancel"), json!({})).await;
        app.drain().await;
        let (_, subs) = app.get(&patient, "/api/v1/me/push-subscriptions").await;
        assert!(subs["subscriptions"].as_array().unwrap().is_empty(), "{subs}");
        let jobs = jobs_of(&app, &patient).await;
        let gone = jobs.iter().find(|j| j.0 == "cancellation_confirmed" && j.1 == "push").unwrap();
        assert_eq!(gone.2, "voided");
        assert!(gone.4["last_error"].as_str().unwrap().contains("unsubscribed"), "{:?}", gone.4);
        // Push is a channel like the others: turned off for a category, it is held back.
        app.post(&patient, "/api/v1/me/push-subscriptions", json!({"endpoint": endpoint, "keys": {"p256dh": keys["p256dh"], "auth": keys["auth"]}})).await;
        let (status, _) = app.call(Some(&patient), Method::PUT, "/api/v1/me/preferences", Some(json!({"channels": {"appointment_updates": {"push": false}}}))).await;
        assert_eq!(status, StatusCode::OK);
        let slot = app.slots(&doctor, &[72]).await[0];
        app.book(&patient, slot).await;
        app.drain().await;
        let jobs = jobs_of(&app, &patient).await;
        let last = jobs.iter().rev().find(|j| j.1 == "push").unwrap();
        assert_eq!((last.2.as_str(), last.4["last_error"].as_str()), ("suppressed", Some("suppressed: push off for appointment_updates")));
        let (status, _) = app.call(Some(&patient), Method::DELETE, "/api/v1/me/push-subscriptions", Some(json!({"endpoint": endpoint}))).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (_, consents) = app.get(&app.admin, &format!("/api/v1/admin/users/{}/consents", patient.id)).await;
        assert!(consents.to_string().contains("\"channel\":\"push\""), "{consents}");
    }
}

fn whatsapp(peer: &HttpPeer) -> impl FnOnce(&mut Settings) + '_ {
    move |s: &mut Settings| {
        without_quiet_hours(s);
        s.whatsapp.base_url = peer.base_url.clone();
        s.whatsapp.phone_number_id = Some("106540352242922".into());
        s.whatsapp.access_token = Some(SecretString::from("test-whatsapp-token"));
        s.whatsapp.app_secret = Some(SecretString::from("test-app-secret"));
        s.whatsapp.verify_token = Some(SecretString::from("test-verify-token"));
    }
}

on_both_engines_by_engine! {
    async fn whatsapp_sends_templates_to_those_who_agreed_and_takes_its_signed_statuses(engine) {
        let peer = HttpPeer::start(Plays::WhatsApp).await;
        let app = spawn_app_with(engine, whatsapp(&peer)).await;
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user_with(Role::Patient, json!({"phone": "+33 6 12 34 56 78", "language": "ar"})).await;
        let slots = app.slots(&doctor, &[48, 50]).await;
        // Not before they agree.
        let a = app.book(&patient, slots[0]).await;
        app.post(&doctor, &format!("/api/v1/appointments/{a}/accept"), json!({})).await;
        app.drain().await;
        assert!(peer.received().is_empty());
        let (status, prefs) = app.call(Some(&patient), Method::PUT, "/api/v1/me/preferences", Some(json!({"whatsapp": true}))).await;
        assert_eq!(status, StatusCode::OK, "{prefs}");
        assert_eq!((prefs["whatsapp_available"].as_bool(), prefs["whatsapp_agreed"].as_bool()), (Some(true), Some(true)));
        let (_, consents) = app.get(&app.admin, &format!("/api/v1/admin/users/{}/consents", patient.id)).await;
        assert!(consents.to_string().contains("\"channel\":\"whatsapp\""), "{consents}");
        app.post(&patient, &format!("/api/v1/appointments/{a}/reschedule"), json!({"slot_id": slots[1]})).await;
        app.drain().await;
        let got = peer.received();
        assert_eq!(got.len(), 1, "the move, where the SMS goes too");
        let r = &got[0];
        assert_eq!(r.path, "/v21.0/106540352242922/messages");
        assert_eq!(r.header("authorization"), "Bearer test-whatsapp-token");
        let body = r.json();
        assert_eq!((body["messaging_product"].as_str(), body["to"].as_str(), body["type"].as_str()), (Some("whatsapp"), Some("33612345678"), Some("template")));
        assert_eq!(body["template"]["name"], "carebell_appointment_modified");
        assert_eq!(body["template"]["language"]["code"], "ar");
        let params: Vec<String> = body["template"]["components"][0]["parameters"].as_array().unwrap().iter().map(|p| p["text"].as_str().unwrap().to_owned()).collect();
        let (_, me) = app.get(&doctor, "/api/v1/me").await;
        assert_eq!(params.len(), 3);
        assert_eq!(params[1], me["name"].as_str().unwrap());
        assert!(!body.to_string().contains("back pain"));
        // Its status webhooks, signed with the app secret; a forged one changes nothing.
        let status_body = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp", "metadata": {"phone_number_id": "106540352242922"},
            "statuses": [{"id": "wamid.TEST1", "status": "failed", "timestamp": "1796112000", "recipient_id": "33612345678", "errors": [{"code": 131026, "title": "Message undeliverable"}]}]}}]}]}).to_string();
        let forged = app.http.post(app.url("/webhooks/whatsapp")).header("x-hub-signature-256", carebell::auth::signed::body_signature(b"another secret", status_body.as_bytes())).body(status_body.clone()).send().await.unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        let good = app.http.post(app.url("/webhooks/whatsapp")).header("x-hub-signature-256", carebell::auth::signed::body_signature(b"test-app-secret", status_body.as_bytes())).body(status_body).send().await.unwrap();
        assert_eq!(good.status(), StatusCode::OK);
        assert_eq!(good.json::<Value>().await.unwrap()["matched"], 1);
        let jobs = jobs_of(&app, &patient).await;
        let wa = jobs.iter().find(|j| j.1 == "whatsapp").unwrap();
        assert_eq!((wa.2.as_str(), wa.3.as_deref()), ("undelivered", Some("131026")));
        // The subscription handshake.
        let ok = app.http.get(app.url("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=test-verify-token&hub.challenge=1158201444")).send().await.unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(ok.text().await.unwrap(), "1158201444");
        let wrong = app.http.get(app.url("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1")).send().await.unwrap();
        assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
        // Withdrawn: no more WhatsApp.
        app.call(Some(&patient), Method::PUT, "/api/v1/me/preferences", Some(json!({"whatsapp": false}))).await;
        app.post(&doctor, &format!("/api/v1/appointments/{a}/cancel"), json!({"reason": "ill"})).await;
        app.drain().await;
        assert_eq!(peer.received().len(), 1);
    }
}
