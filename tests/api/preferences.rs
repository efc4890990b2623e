//! Recipients in control: channels per category, quiet hours, SMS keywords, one-click
//! unsubscribe and the consent record, tried from the outside.

use crate::helpers::*;
use crate::{on_both_engines, on_both_engines_by_engine};
use carebell::domain::{Role, Timestamp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

/// The Twilio auth token and webhook secret of these tests (not real credentials).
const TWILIO_TOKEN: &str = "test-twilio-auth-token";
const INBOUND_SECRET: &str = "test-inbound-secret";

pub(crate) fn with_inbound_secrets(s: &mut carebell::config::Settings) {
    s.sms.twilio_auth_token = Some(secrecy::SecretString::from(TWILIO_TOKEN));
    s.sms.inbound_secret = Some(secrecy::SecretString::from(INBOUND_SECRET));
}

fn at(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

/// Reminder jobs of an appointment as (channel, state, last_error).
async fn reminder_jobs(app: &TestApp, appointment: i64) -> Vec<(String, String, String)> {
    let mut jobs: Vec<_> = app
        .deliveries_of(appointment)
        .await
        .iter()
        .filter(|j| j["kind"] == "appointment_reminder")
        .map(|j| {
            let s = |k: &str| j[k].as_str().unwrap_or_default().to_owned();
            (s("channel"), s("state"), s("last_error"))
        })
        .collect();
    jobs.sort();
    jobs
}

/// Text messages written to the outbox so far, as (to, body).
fn texts(app: &TestApp) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&app.settings.sms.outbox_dir)
        .into_iter()
        .flatten()
    {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        out.push((
            v["to"].as_str().unwrap_or_default().to_owned(),
            v["body"].as_str().unwrap_or_default().to_owned(),
        ));
    }
    out
}

async fn put_preferences(app: &TestApp, user: &TestUser, body: Value) -> (StatusCode, Value) {
    app.call(
        Some(user),
        Method::PUT,
        "/api/v1/me/preferences",
        Some(body),
    )
    .await
}

async fn consents(app: &TestApp, user: &TestUser) -> Vec<Value> {
    let (status, body) = app
        .get(
            &app.admin,
            &format!("/api/v1/admin/users/{}/consents", user.id),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["consents"].as_array().unwrap().clone()
}

/// Posts a Twilio incoming message, signed with `token` over the public URL.
pub(crate) async fn twilio_reply(
    app: &TestApp,
    token: &str,
    from: &str,
    body: &str,
) -> (StatusCode, String) {
    let params = vec![
        (
            "AccountSid".to_owned(),
            "AC00000000000000000000000000000000".to_owned(),
        ),
        ("Body".to_owned(), body.to_owned()),
        ("From".to_owned(), from.to_owned()),
        (
            "MessageSid".to_owned(),
            "SM00000000000000000000000000000001".to_owned(),
        ),
        ("To".to_owned(), "+33100000000".to_owned()),
    ];
    let url = format!(
        "{}/webhooks/sms/twilio",
        app.settings.server.public_url.trim_end_matches('/')
    );
    let signature = carebell::auth::signed::twilio_signature(token, &url, &params);
    let response = app
        .http
        .post(app.url("/webhooks/sms/twilio"))
        .header("x-twilio-signature", signature)
        .form(&params)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

on_both_engines! {
    async fn sms_off_for_reminders_keeps_email_and_in_app_and_records_the_suppression(app) {
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.patient_with_phone().await;
        // 54 h ahead of 08:00 UTC: a visit at 15:00 in Paris, reminders at 15:00 the day
        // before and 13:00, outside quiet hours.
        let id = app.confirmed(&doctor, &patient, 54).await;
        app.drain().await;
        // Turned off after the reminder's jobs were queued: the change still applies.
        let (status, prefs) = put_preferences(&app, &patient, json!({"channels": {"reminders": {"sms": false}}})).await;
        assert_eq!(status, StatusCode::OK, "{prefs}");
        let reminders = prefs["categories"].as_array().unwrap().iter().find(|c| c["category"] == "reminders").unwrap().clone();
        assert_eq!((reminders["email"].clone(), reminders["sms"].clone()), (json!(true), json!(false)));
        let sms_before = texts(&app).len();
        app.clock.advance(Duration::from_secs(30 * 3600));
        app.drain().await;
        let jobs = reminder_jobs(&app, id).await;
        assert!(jobs.contains(&("email".into(), "sent".into(), String::new())), "{jobs:?}");
        assert!(jobs.contains(&("sms".into(), "suppressed".into(), "suppressed: sms off for reminders".into())), "{jobs:?}");
        assert_eq!(texts(&app).len(), sms_before, "no text message went out");
        assert!(app.kinds(&patient).await.contains(&"appointment_reminder".to_owned()), "the in-app reminder is there");
        // Admins find it among suppressed jobs, with its reason.
        let (_, held) = app.get(&app.admin, "/api/v1/admin/deliveries?state=suppressed").await;
        assert_eq!(held["deliveries"].as_array().unwrap().len(), 1, "{held}");
        // Turned on again before the 2 h reminder: that one goes by SMS.
        put_preferences(&app, &patient, json!({"channels": {"reminders": {"sms": true}}})).await;
        app.clock.advance(Duration::from_secs(22 * 3600));
        app.drain().await;
        let sent_sms = reminder_jobs(&app, id).await.iter().filter(|j| j.0 == "sms" && j.1 == "sent").count();
        assert_eq!(sent_sms, 1);
        // Both changes are on the record, as the API made them.
        let record = consents(&app, &patient).await;
        let made: Vec<_> = record.iter().map(|r| (r["category"].clone(), r["channel"].clone(), r["old_value"].clone(), r["new_value"].clone(), r["source"].clone())).collect();
        assert_eq!(made, [
            (json!("reminders"), json!("sms"), json!("on"), json!("off"), json!("api")),
            (json!("reminders"), json!("sms"), json!("off"), json!("on"), json!("api")),
        ]);
    }

    async fn a_required_category_keeps_one_channel_and_quiet_hours_stay_in_range(app) {
        let patient = app.patient_with_phone().await;
        let (status, body) = put_preferences(&app, &patient, json!({"channels": {"appointment_updates": {"email": false, "sms": false}}})).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed")), "{body}");
        let (status, _) = put_preferences(&app, &patient, json!({"channels": {"appointment_updates": {"email": false}}})).await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = put_preferences(&app, &patient, json!({"channels": {"appointment_updates": {"sms": false}}})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the last channel stays: {body}");
        for bad in [json!({"start": "17:00", "end": "08:00"}), json!({"start": "22:00", "end": "12:00"}), json!({"start": "25:00", "end": "08:00"})] {
            let (status, body) = put_preferences(&app, &patient, json!({"quiet_hours": bad})).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad} {body}");
        }
        let (status, body) = put_preferences(&app, &patient, json!({"channels": {"reminders": {"in_app": false}}})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "in-app stays: {body}");
        let (status, body) = put_preferences(&app, &patient, json!({"quiet_hours": {"start": "22:30", "end": "07:00"}})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["quiet_hours"]["own"], true);
        let (_, body) = put_preferences(&app, &patient, json!({"quiet_hours": null})).await;
        assert_eq!((body["quiet_hours"]["own"].clone(), body["quiet_hours"]["start"].clone()), (json!(false), json!("21:00")));
        // Nothing refused was written; every accepted change was.
        let record = consents(&app, &patient).await;
        let values: Vec<_> = record.iter().map(|r| (r["category"].clone(), r["new_value"].clone())).collect();
        assert_eq!(values, [
            (json!("appointment_updates"), json!("off")),
            (json!("quiet_hours"), json!("22:30-07:00")),
            (json!("quiet_hours"), json!("clinic")),
        ]);
    }

    async fn the_consent_record_cannot_be_edited(app) {
        let patient = app.patient_with_phone().await;
        put_preferences(&app, &patient, json!({"channels": {"availability": {"email": false}}})).await;
        let mut c = app.store.acquire().await.unwrap();
        let update = sqlx::query("UPDATE consent_records SET new_value = 'on'").execute(&mut *c).await;
        let delete = sqlx::query("DELETE FROM consent_records").execute(&mut *c).await;
        drop(c);
        assert!(update.is_err() && delete.is_err(), "the database refuses: {update:?} {delete:?}");
        assert_eq!(consents(&app, &patient).await.len(), 1);
    }
}

on_both_engines_by_engine! {
    async fn quiet_hours_defer_email_and_sms_to_their_end_in_paris_and_new_york_across_a_dst_night(engine) {
        let app = spawn_app_with(engine, |_| {}).await;
        let doctor = app.user(Role::Practitioner).await;
        let paris = app.user_with(Role::Patient, json!({"phone": "+33 6 11 11 11 11", "time_zone": "Europe/Paris"})).await;
        let new_york = app.user_with(Role::Patient, json!({"phone": "+1 212 555 0101", "time_zone": "America/New_York"})).await;
        // Saturday 31 October 2026, 22:30 UTC: 23:30 in Paris (quiet), 18:30 in New York.
        app.clock.set(at("2026-10-31T22:30:00Z"));
        let slots = app.slots(&doctor, &[72, 73]).await;
        let for_paris = app.book(&paris, slots[0]).await;
        let for_new_york = app.book(&new_york, slots[1]).await;
        app.drain().await;
        // Paris's "booking received" waits; New York's went.
        let state_of = |jobs: Vec<(String, String, String, i64)>, who: i64| -> Vec<String> {
            jobs.into_iter().filter(|j| j.3 == who).map(|j| format!("{}:{}", j.1, j.2)).collect()
        };
        let paris_jobs = state_of(app.jobs(for_paris).await, paris.id);
        assert!(!paris_jobs.is_empty() && paris_jobs.iter().all(|j| j.ends_with(":pending")), "{paris_jobs:?}");
        let new_york_jobs = state_of(app.jobs(for_new_york).await, new_york.id);
        assert!(!new_york_jobs.is_empty() && new_york_jobs.iter().all(|j| j.ends_with(":sent")), "{new_york_jobs:?}");
        let waiting = app.deliveries_of(for_paris).await;
        let paris_job = waiting.iter().find(|j| j["recipient_id"] == paris.id).unwrap();
        assert_eq!(paris_job["due_at"], "2026-11-01T07:00:00Z", "08:00 in Paris (UTC+1 since 25 October)");
        assert!(paris_job["last_error"].as_str().unwrap().starts_with("deferred: quiet hours"));
        // 02:30 UTC: 21:30 on 31 October in New York; a message to them now waits through
        // the night the clocks fall back (02:00 EDT → 01:00 EST) until 08:00 EST, 13:00 UTC.
        app.clock.set(at("2026-11-01T02:30:00Z"));
        let (status, _) = app.post(&new_york, &format!("/api/v1/appointments/{for_new_york}/cancel"), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        app.drain().await;
        let cancelled: Vec<_> = app.deliveries_of(for_new_york).await.into_iter().filter(|j| j["kind"] == "cancellation_confirmed").collect();
        assert!(cancelled.iter().all(|j| j["state"] == "pending" && j["due_at"] == "2026-11-01T13:00:00Z"), "{cancelled:?}");
        // At 07:00 UTC Paris's messages go, once; at 13:00 New York's.
        app.clock.set(at("2026-11-01T07:00:00Z"));
        app.drain().await;
        let paris_jobs = state_of(app.jobs(for_paris).await, paris.id);
        assert!(paris_jobs.iter().all(|j| j.ends_with(":sent")), "{paris_jobs:?}");
        app.clock.set(at("2026-11-01T12:59:00Z"));
        app.drain().await;
        assert!(app.deliveries_of(for_new_york).await.iter().filter(|j| j["kind"] == "cancellation_confirmed").all(|j| j["state"] == "pending"));
        app.clock.set(at("2026-11-01T13:00:00Z"));
        app.drain().await;
        app.clock.advance(Duration::from_secs(3600));
        app.drain().await;
        let sent: Vec<_> = app.deliveries_of(for_new_york).await.into_iter().filter(|j| j["kind"] == "cancellation_confirmed").map(|j| (j["state"].clone(), j["attempts"].clone())).collect();
        assert!(!sent.is_empty() && sent.iter().all(|s| *s == (json!("sent"), json!(1))), "sent once each, the wait used no try: {sent:?}");
        let texts_to_new_york = texts(&app).into_iter().filter(|(to, _)| to == "+12125550101").count();
        let sms_jobs = app.deliveries_of(for_new_york).await.iter().filter(|j| j["channel"] == "sms" && j["recipient_id"] == new_york.id).count();
        assert_eq!(texts_to_new_york, sms_jobs, "one text per job, none twice");
    }

    async fn stop_opts_out_at_once_start_opts_back_in_and_a_forged_signature_changes_nothing(engine) {
        let app = spawn_app_with(engine, with_inbound_secrets).await;
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.patient_with_phone().await;
        let id = app.confirmed(&doctor, &patient, 54).await;
        app.drain().await;
        // A forged request (wrong token) and an unsigned one: 403, nothing changed.
        let (status, _) = twilio_reply(&app, "not-the-token", "+33612345678", "STOP").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let unsigned = app.http.post(app.url("/webhooks/sms/twilio")).form(&[("From", "+33612345678"), ("Body", "STOP")]).send().await.unwrap();
        assert_eq!(unsigned.status(), StatusCode::FORBIDDEN);
        let (_, prefs) = app.get(&patient, "/api/v1/me/preferences").await;
        assert_eq!(prefs["sms_opted_out"], false);
        assert!(consents(&app, &patient).await.is_empty());
        // " stop " in any case opts the number out at once, with one confirmation.
        let (status, twiml) = twilio_reply(&app, TWILIO_TOKEN, "+33612345678", "  Stop ").await;
        assert_eq!(status, StatusCode::OK);
        assert!(twiml.contains("<Message>") && twiml.contains("START"), "{twiml}");
        let (_, again) = twilio_reply(&app, TWILIO_TOKEN, "+33612345678", "STOPALL").await;
        assert!(again.contains("<Message>"), "answered again, but recorded once: {again}");
        let (_, prefs) = app.get(&patient, "/api/v1/me/preferences").await;
        assert_eq!(prefs["sms_opted_out"], true);
        // The 24 h reminder: email and in-app, no SMS.
        let before = texts(&app).len();
        app.clock.advance(Duration::from_secs(30 * 3600));
        app.drain().await;
        assert_eq!(texts(&app).len(), before);
        assert!(reminder_jobs(&app, id).await.contains(&("sms".into(), "suppressed".into(), "suppressed: sms opted out (STOP)".into())));
        // HELP names the clinic; START opts back in; the 2 h reminder goes by SMS.
        let (_, help) = twilio_reply(&app, TWILIO_TOKEN, "+33612345678", "help").await;
        assert!(help.contains(&app.settings.clinic.name), "{help}");
        let (_, started) = twilio_reply(&app, TWILIO_TOKEN, "+33612345678", "START").await;
        assert!(started.contains("STOP"), "{started}");
        app.clock.advance(Duration::from_secs(22 * 3600));
        app.drain().await;
        assert_eq!(texts(&app).len(), before + 1, "the 2 h reminder");
        let record: Vec<_> = consents(&app, &patient).await.iter().map(|r| (r["source"].clone(), r["channel"].clone(), r["new_value"].clone(), r["phone"].clone())).collect();
        assert_eq!(record, [
            (json!("sms_keyword"), json!("sms"), json!("off"), json!("+33612345678")),
            (json!("sms_keyword"), json!("sms"), json!("on"), json!("+33612345678")),
        ]);
        // The webhook provider's JSON form, with its own signature.
        let body = json!({"from": "+33612345678", "to": "+33100000000", "body": "quit", "id": "m-1"}).to_string();
        let signature = carebell::auth::signed::body_signature(INBOUND_SECRET.as_bytes(), body.as_bytes());
        let forged = app.http.post(app.url("/webhooks/sms/inbound")).header("x-carebell-signature", "sha256=00").header("content-type", "application/json").body(body.clone()).send().await.unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        let ok = app.http.post(app.url("/webhooks/sms/inbound")).header("x-carebell-signature", signature).header("content-type", "application/json").body(body).send().await.unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
        let reply: Value = ok.json().await.unwrap();
        assert!(reply["reply"].as_str().unwrap().contains("START"), "{reply}");
        let (_, prefs) = app.get(&patient, "/api/v1/me/preferences").await;
        assert_eq!(prefs["sms_opted_out"], true);
    }

    async fn one_click_unsubscribe_works_without_cookies_and_is_on_the_record(engine) {
        let app = spawn_app_with(engine, |_| {}).await;
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        app.call(Some(&patient), Method::PUT, &format!("/api/v1/practitioners/{}/follow", doctor.id), None).await;
        app.slots(&doctor, &[30]).await;
        let (status, _) = app.post(&doctor, "/api/v1/availability/notify", json!({})).await;
        assert_eq!(status, StatusCode::OK);
        app.drain().await;
        // The availability email carries RFC 8058 headers and a footer link.
        let mail = std::fs::read_dir(&app.settings.email.outbox_dir).unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .find(|m| m.contains(&patient.email))
            .expect("the availability email");
        let message = mail_parser::MessageParser::default().parse(mail.as_bytes()).unwrap();
        let header = |name: &str| message.header_raw(name).map(|v| v.trim().to_owned());
        assert_eq!(header("List-Unsubscribe-Post").as_deref(), Some("List-Unsubscribe=One-Click"));
        let target = header("List-Unsubscribe").unwrap();
        let url = target.trim_start_matches('<').split('>').next().unwrap().to_owned();
        assert!(url.starts_with(&format!("{}/unsubscribe/", app.settings.server.public_url)), "{url}");
        assert!(message.body_text(0).unwrap().contains(&url), "the footer links it too");
        let path = url.trim_start_matches(&app.settings.server.public_url).to_owned();
        // A client with no cookie at all, as a mail provider posts it.
        let bare = reqwest::Client::new();
        let page = bare.get(app.url(&path)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        assert!(page.text().await.unwrap().contains("<form method=\"post\""), "GET only asks");
        let (_, prefs) = app.get(&patient, "/api/v1/me/preferences").await;
        assert_eq!(prefs["categories"][2]["email"], true, "a GET changes nothing");
        let done = bare.post(app.url(&path)).header("content-type", "application/x-www-form-urlencoded").body("List-Unsubscribe=One-Click").send().await.unwrap();
        assert_eq!(done.status(), StatusCode::OK);
        let (_, prefs) = app.get(&patient, "/api/v1/me/preferences").await;
        let availability = prefs["categories"].as_array().unwrap().iter().find(|c| c["category"] == "availability").unwrap().clone();
        assert_eq!(availability["email"], false);
        let record = consents(&app, &patient).await;
        assert_eq!(record.len(), 1);
        assert_eq!((record[0]["source"].clone(), record[0]["category"].clone(), record[0]["new_value"].clone()), (json!("unsubscribe_link"), json!("availability"), json!("off")));
        // A tampered token is refused and changes nothing.
        let tampered = path.replacen(&format!("/{}.", patient.id), &format!("/{}.", doctor.id), 1);
        let refused = bare.post(app.url(&tampered)).body("List-Unsubscribe=One-Click").send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::NOT_FOUND);
        // The next alert (after the 6 h throttle window) is held back and says why.
        app.clock.advance(Duration::from_secs(6 * 3600));
        app.slots(&doctor, &[40]).await;
        app.post(&doctor, "/api/v1/availability/notify", json!({})).await;
        app.drain().await;
        let (_, held) = app.get(&app.admin, "/api/v1/admin/deliveries?state=suppressed").await;
        assert_eq!(held["deliveries"][0]["last_error"], "suppressed: email off for availability", "{held}");
        // Appointment emails carry no unsubscribe header.
        let slot = app.slots(&doctor, &[50]).await[0];
        app.book(&patient, slot).await;
        app.drain().await;
        let booking_mail = std::fs::read_dir(&app.settings.email.outbox_dir).unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .find(|m| m.contains(&patient.email) && !m.contains("List-Unsubscribe"));
        assert!(booking_mail.is_some(), "the booking email has no List-Unsubscribe");
    }
}

/// What the test believes the patient chose, kept beside the service's own state.
#[derive(Debug, Clone)]
struct Model {
    /// (category, channel) → on.
    on: std::collections::BTreeMap<(String, String), bool>,
    opted_out: bool,
    /// Own quiet hours in minutes after midnight, else the clinic's 21:00–08:00.
    quiet: (u32, u32),
}

impl Model {
    fn channel_on(&self, category: &str, channel: &str) -> bool {
        *self
            .on
            .get(&(category.to_owned(), channel.to_owned()))
            .unwrap_or(&true)
    }

    /// Whether `at` is inside quiet hours on a Paris clock, and when they end.
    fn quiet_until(&self, at: Timestamp) -> Option<Timestamp> {
        use chrono::{TimeZone, Timelike};
        let tz = chrono_tz::Europe::Paris;
        let local = at.to_datetime().with_timezone(&tz);
        let minute = local.hour() * 60 + local.minute();
        let (s, e) = self.quiet;
        let inside = if s <= e {
            s <= minute && minute < e
        } else {
            minute >= s || minute < e
        };
        if !inside {
            return None;
        }
        let day = if minute < e {
            local.date_naive()
        } else {
            local.date_naive().succ_opt().unwrap()
        };
        let end = day.and_hms_opt(e / 60, e % 60, 0).unwrap();
        Some(Timestamp::from_datetime(
            tz.from_local_datetime(&end).earliest().unwrap().to_utc(),
        ))
    }

    /// Whether a message may go out at `now`; `None` when the choices say "not now, later".
    fn allows(
        &self,
        category: &str,
        channel: &str,
        visit: Timestamp,
        now: Timestamp,
    ) -> Option<bool> {
        if channel == "sms" && (self.opted_out || !self.channel_on(category, "sms")) {
            return Some(false);
        }
        if channel == "email" && !self.channel_on(category, "email") {
            let sms_reaches = self.channel_on(category, "sms") && !self.opted_out;
            if category != "appointment_updates" || sms_reaches {
                return Some(false);
            }
        }
        match self.quiet_until(now) {
            None => Some(true),
            Some(end) if category == "appointment_updates" && visit < end => Some(true),
            Some(end)
                if category == "reminders" && end > visit.minus(Duration::from_secs(3600)) =>
            {
                Some(false)
            }
            Some(_) => None,
        }
    }
}

fn category_of(kind: &str) -> &'static str {
    match kind {
        "appointment_reminder" => "reminders",
        "new_availability" => "availability",
        "system_notice" => "notices",
        _ => "appointment_updates",
    }
}

on_both_engines! { with_inbound_secrets;
    async fn random_choices_and_clock_moves_never_send_what_the_choices_forbid_nor_lose_what_they_allow(app) {
        use rand::{Rng, SeedableRng};
        let seed: u64 = std::env::var("CAREBELL_PROPERTY_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20261125);
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ (app.engine == Engine::Postgres) as u64);
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.patient_with_phone().await;
        let mut model = Model { on: Default::default(), opted_out: false, quiet: (21 * 60, 8 * 60) };
        let mut visits: std::collections::BTreeMap<i64, Timestamp> = Default::default();
        let (mut sent, mut held, mut deferred) = (0, 0, 0);
        for step in 0..40 {
            match rng.gen_range(0..10) {
                0..=1 => {
                    let hours = rng.gen_range(3..60);
                    let start = app.clock_now().plus(HOUR * hours as u32);
                    if visits.values().any(|v| v.millis().abs_diff(start.millis()) < 3_600_000) {
                        continue; // the practitioner's slots may not overlap
                    }
                    let slot = app.slots(&doctor, &[hours]).await[0];
                    let id = app.book(&patient, slot).await;
                    app.post(&doctor, &format!("/api/v1/appointments/{id}/accept"), json!({})).await;
                    visits.insert(id, app.clock_now().plus(HOUR * hours as u32));
                }
                2..=4 => {
                    let category = ["appointment_updates", "reminders"][rng.gen_range(0..2)];
                    let channel = ["email", "sms"][rng.gen_range(0..2)];
                    let on = rng.gen_bool(0.5);
                    let (status, _) = put_preferences(&app, &patient, json!({"channels": {category: {channel: on}}})).await;
                    if status == StatusCode::OK {
                        model.on.insert((category.to_owned(), channel.to_owned()), on);
                    } else {
                        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
                        assert_eq!(category, "appointment_updates", "only the required category refuses");
                    }
                }
                5 => {
                    let word = if rng.gen_bool(0.5) { "STOP" } else { "START" };
                    let body = json!({"from": "+33612345678", "body": word}).to_string();
                    let signature = carebell::auth::signed::body_signature(INBOUND_SECRET.as_bytes(), body.as_bytes());
                    let r = app.http.post(app.url("/webhooks/sms/inbound")).header("x-carebell-signature", signature).body(body).send().await.unwrap();
                    assert_eq!(r.status(), StatusCode::OK);
                    model.opted_out = word == "STOP";
                }
                6 => {
                    let own = rng.gen_bool(0.7);
                    let (s, e) = (rng.gen_range(19 * 60..=23 * 60), rng.gen_range(6 * 60..=10 * 60));
                    let hours = if own { json!({"start": format!("{:02}:{:02}", s / 60, s % 60), "end": format!("{:02}:{:02}", e / 60, e % 60)}) } else { Value::Null };
                    let (status, body) = put_preferences(&app, &patient, json!({"quiet_hours": hours})).await;
                    assert_eq!(status, StatusCode::OK, "{body}");
                    model.quiet = if own { (s, e) } else { (21 * 60, 8 * 60) };
                }
                _ => app.clock.advance(Duration::from_secs(rng.gen_range(10..8 * 60) * 60)),
            }
            let before: std::collections::BTreeMap<i64, Value> = all_jobs(&app, &visits, patient.id).await;
            app.drain().await;
            let now = app.clock_now();
            for (id, job) in all_jobs(&app, &visits, patient.id).await {
                let was = before.get(&id).map(|j| j["state"].as_str().unwrap().to_owned()).unwrap_or_default();
                let state = job["state"].as_str().unwrap();
                let category = category_of(job["kind"].as_str().unwrap());
                let channel = job["channel"].as_str().unwrap();
                let visit = visits[&job["appointment_id"].as_i64().unwrap()];
                let due = Timestamp::parse_rfc3339(job["due_at"].as_str().unwrap()).unwrap();
                let verdict = model.allows(category, channel, visit, now);
                let what = format!("step {step} seed {seed}: job {id} {category}/{channel} {was}->{state} at {now} ({model:?}): {job}");
                if state == "sent" && was != "sent" {
                    assert_eq!(verdict, Some(true), "sent against the choices: {what}");
                    sent += 1;
                }
                if state == "suppressed" && was != "suppressed" {
                    assert_eq!(verdict, Some(false), "held back though allowed: {what}");
                    held += 1;
                }
                if state == "pending" && due <= now {
                    panic!("left behind though due: {what}");
                }
                if state == "pending" && was == "pending" && before[&id]["due_at"] != job["due_at"] {
                    assert_eq!(verdict, None, "made to wait though not in quiet hours: {what}");
                    deferred += 1;
                }
            }
        }
        // Past every visit, through days and nights: whatever waited has gone, been held
        // back, or been voided with its visit; nothing is left behind.
        for _ in 0..16 {
            app.clock.advance(Duration::from_secs(6 * 3600));
            app.drain().await;
        }
        for (id, job) in all_jobs(&app, &visits, patient.id).await {
            let state = job["state"].as_str().unwrap();
            assert!(matches!(state, "sent" | "suppressed" | "voided"), "job {id} is {state}: {job}");
        }
        // Other seeds (CAREBELL_PROPERTY_SEED) may not reach every outcome; the default does.
        if std::env::var("CAREBELL_PROPERTY_SEED").is_err() {
            assert!(sent > 0 && held > 0 && deferred > 0, "the default seed exercises every outcome: sent {sent}, held {held}, deferred {deferred}");
        }
    }
}

/// The patient's delivery jobs of every appointment, by id.
async fn all_jobs(
    app: &TestApp,
    visits: &std::collections::BTreeMap<i64, Timestamp>,
    patient: i64,
) -> std::collections::BTreeMap<i64, Value> {
    let mut out = std::collections::BTreeMap::new();
    for id in visits.keys() {
        for job in app.deliveries_of(*id).await {
            if job["recipient_id"] == patient {
                out.insert(job["id"].as_i64().unwrap(), job);
            }
        }
    }
    out
}

on_both_engines! {
    async fn a_reminder_that_quiet_hours_would_make_late_goes_out_the_evening_before(app) {
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.patient_with_phone().await;
        // Tuesday 1 December, 08:00 UTC (09:00 in Paris). A visit on Thursday at 07:30 in
        // Paris (06:30 UTC): its 2 h reminder (05:30 Paris) falls in quiet hours that end at
        // 08:00, after the visit has begun. Its email and SMS go at 20:59 on Wednesday.
        let starts = at("2026-12-03T06:30:00Z");
        let (status, made) = app.post(&doctor, "/api/v1/slots", json!({"slots": [{"starts_at": starts.to_string(), "ends_at": starts.plus(HOUR).to_string()}], "notify_followers": false})).await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        let early = app.book(&patient, made["slots"][0]["id"].as_i64().unwrap()).await;
        app.post(&doctor, &format!("/api/v1/appointments/{early}/accept"), json!({})).await;
        let two_hour: Vec<_> = app.deliveries_of(early).await.into_iter()
            .filter(|j| j["kind"] == "appointment_reminder" && j["due_at"] != "2026-12-02T06:30:00Z")
            .map(|j| j["due_at"].as_str().unwrap().to_owned()).collect();
        assert_eq!(two_hour, ["2026-12-02T19:59:00Z", "2026-12-02T19:59:00Z"], "20:59 in Paris, before quiet hours");
        app.clock.set(at("2026-12-02T19:59:00Z"));
        app.drain().await;
        let sent = app.deliveries_of(early).await.into_iter()
            .filter(|j| j["kind"] == "appointment_reminder" && j["state"] == "sent").count();
        assert_eq!(sent, 4, "the 24 h reminder's email and SMS, and now the 2 h one's");
        // A visit booked during the night for 07:00 cannot be reminded in time by email or
        // SMS: held back with its reason; the in-app reminder still appears.
        app.clock.set(at("2026-12-02T22:00:00Z"));
        let starts = at("2026-12-03T06:00:00Z");
        let (_, made) = app.post(&doctor, "/api/v1/slots", json!({"slots": [{"starts_at": starts.to_string(), "ends_at": starts.plus(HOUR / 2).to_string()}], "notify_followers": false})).await;
        let late = app.book(&patient, made["slots"][0]["id"].as_i64().unwrap()).await;
        app.post(&doctor, &format!("/api/v1/appointments/{late}/accept"), json!({})).await;
        app.clock.set(at("2026-12-03T04:00:00Z"));
        app.drain().await;
        let held: Vec<_> = app.deliveries_of(late).await.into_iter()
            .filter(|j| j["kind"] == "appointment_reminder")
            .map(|j| (j["state"].clone(), j["last_error"].clone())).collect();
        assert_eq!(held, [
            (json!("suppressed"), json!("suppressed: quiet hours last until too close to the visit")),
            (json!("suppressed"), json!("suppressed: quiet hours last until too close to the visit")),
        ]);
        let in_app = app.notifications(&patient).await.iter()
            .filter(|n| n["kind"] == "appointment_reminder" && n["appointment_id"] == late).count();
        assert_eq!(in_app, 1);
    }
}

on_both_engines! {
    async fn the_same_change_sent_eight_times_at_once_is_recorded_once(app) {
        let patient = app.patient_with_phone().await;
        let body = json!({"channels": {"reminders": {"sms": false}}});
        let answers = futures::future::join_all((0..8).map(|_| put_preferences(&app, &patient, body.clone()))).await;
        assert!(answers.iter().all(|(s, _)| *s == StatusCode::OK), "{answers:?}");
        let record = consents(&app, &patient).await;
        assert_eq!(record.len(), 1, "one change, one entry: {record:?}");
        let (_, log) = app.get(&app.admin, &format!("/api/v1/admin/audit?user_id={}", patient.id)).await;
        let changes = log["events"].as_array().unwrap().iter().filter(|e| e["action"] == "preferences.changed").count();
        assert_eq!(changes, 1, "{log}");
    }
}
