//! Two-way SMS: patients answer reminders and offers by text, through Twilio's signed
//! webhook, in their own language.

use crate::helpers::*;
use crate::on_both_engines;
use crate::preferences::{twilio_reply, with_inbound_secrets};
use carebell::domain::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

const TOKEN: &str = "test-twilio-auth-token";

fn configure(s: &mut carebell::config::Settings) {
    with_inbound_secrets(s);
    without_quiet_hours(s);
}

async fn appointment(app: &TestApp, who: &TestUser, id: i64) -> Value {
    let (status, body) = app.get(who, &format!("/api/v1/appointments/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

struct Language {
    code: &'static str,
    phone: &'static str,
    confirm: &'static str,
    cancel: &'static str,
    yes: &'static str,
    which: &'static str,
    thanks: &'static str,
    too_late: &'static str,
    help: &'static str,
    taken: &'static str,
}

const LANGUAGES: [Language; 3] = [
    Language {
        code: "en",
        phone: "+33612345601",
        confirm: "C",
        cancel: "X",
        yes: "Y",
        which: "which appointment?",
        thanks: "thank you",
        too_late: "too late",
        help: "reply C to confirm",
        taken: "is yours",
    },
    Language {
        code: "fr",
        phone: "+33612345602",
        confirm: "confirmer",
        cancel: "annuler",
        yes: "oui",
        which: "quel rendez-vous ?",
        thanks: "merci",
        too_late: "trop tard",
        help: "répondez C pour confirmer",
        taken: "est à vous",
    },
    Language {
        code: "ar",
        phone: "+33612345603",
        confirm: "تأكيد",
        cancel: "إلغاء",
        yes: "نعم",
        which: "أي موعد؟",
        thanks: "شكرًا",
        too_late: "فات أوان",
        help: "أرسل C أو تأكيد",
        taken: "لك",
    },
];

on_both_engines! {
    configure;

    async fn replies_confirm_cancel_and_answer_offers_in_the_patients_language(app) {
        let mut people = Vec::new();
        for l in &LANGUAGES {
            let doctor = app.user(Role::Practitioner).await;
            let patient = app.user_with(Role::Patient, json!({"phone": l.phone, "language": l.code})).await;
            // One visit inside the 2 h cancel cut-off by the time of the replies, one a day on.
            let early = app.confirmed(&doctor, &patient, 7).await;
            let late = app.confirmed(&doctor, &patient, 30).await;
            people.push((l, doctor, patient, early, late));
        }
        // Both reminders have gone out by SMS.
        app.clock.advance(Duration::from_secs(6 * 3600));
        app.drain().await;

        for (l, doctor, patient, early, late) in &people {
            let (status, twiml) = twilio_reply(&app, TOKEN, l.phone, l.confirm).await;
            assert_eq!(status, StatusCode::OK);
            assert!(twiml.contains(l.which), "{}: {twiml}", l.code);
            assert!(twiml.contains("C1") && twiml.contains("C2"), "{}: {twiml}", l.code);
            assert!(appointment(&app, patient, *late).await["attendance_confirmed_at"].is_null());

            let (_, twiml) = twilio_reply(&app, TOKEN, l.phone, &format!("{} 2", l.confirm)).await;
            assert!(twiml.contains(l.thanks), "{}: {twiml}", l.code);
            let seen = appointment(&app, doctor, *late).await;
            assert!(seen["attendance_confirmed_at"].is_string(), "the practitioner sees it: {seen}");
            assert!(appointment(&app, doctor, *early).await["attendance_confirmed_at"].is_null());
            let browser = reqwest::Client::builder().cookie_store(true).build().unwrap();
            let signed_in = browser.post(app.url("/api/v1/auth/sign-in"))
                .json(&json!({"email": doctor.email, "password": PASSWORD})).send().await.unwrap();
            assert_eq!(signed_in.status(), StatusCode::OK);
            let agenda = browser.get(app.url("/practitioner")).send().await.unwrap().text().await.unwrap();
            assert_eq!(agenda.matches("data-attending").count(), 1, "the agenda marks the one who confirmed: {agenda}");

            let (_, twiml) = twilio_reply(&app, TOKEN, l.phone, &format!("{}1", l.cancel)).await;
            assert!(twiml.contains(l.too_late), "{}: {twiml}", l.code);
            assert_eq!(appointment(&app, patient, *early).await["status"], "confirmed");

            let (_, twiml) = twilio_reply(&app, TOKEN, l.phone, "when is it again?").await;
            assert!(twiml.contains(l.help), "{}: {twiml}", l.code);

            // An offer of a freed time, taken by text.
            let other = app.user(Role::Patient).await;
            let freed = app.confirmed(doctor, &other, 50).await;
            let (status, _) = app.post(patient, "/api/v1/waitlist", json!({"practitioner_id": doctor.id})).await;
            assert_eq!(status, StatusCode::CREATED);
            let (status, _) = app.post(&other, &format!("/api/v1/appointments/{freed}/cancel"), json!({})).await;
            assert_eq!(status, StatusCode::OK);
            let (_, twiml) = twilio_reply(&app, TOKEN, l.phone, l.yes).await;
            assert!(twiml.contains(l.taken), "{}: {twiml}", l.code);
            let (_, mine) = app.get(patient, "/api/v1/appointments").await;
            assert_eq!(mine["appointments"].as_array().unwrap().len(), 3, "{}: {mine}", l.code);
        }

        // STOP keeps its meaning; the audit log has each reply's keyword and outcome only.
        let (_, twiml) = twilio_reply(&app, TOKEN, LANGUAGES[0].phone, "STOP").await;
        assert!(twiml.contains("no more text messages"), "{twiml}");
        let (_, audit) = app.get(&app.admin, "/api/v1/admin/audit?limit=200").await;
        let targets: Vec<String> = audit["events"].as_array().unwrap().iter()
            .filter(|e| e["action"] == "sms.replied")
            .map(|e| e["target"].as_str().unwrap_or_default().to_owned()).collect();
        for want in ["confirm → ambiguous", "confirm → confirmed", "cancel → too_late", "unknown → help", "yes → accepted"] {
            assert_eq!(targets.iter().filter(|t| *t == want).count(), 3, "{want} in {targets:?}");
        }
        assert!(!targets.iter().any(|t| t.contains("again")), "no message text in the audit log");
    }

    async fn a_cancel_by_text_is_done_when_the_policy_allows_and_unsigned_replies_change_nothing(app) {
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user_with(Role::Patient, json!({"phone": "+33612345609"})).await;
        let id = app.confirmed(&doctor, &patient, 30).await;
        app.clock.advance(Duration::from_secs(6 * 3600));
        app.drain().await;
        let unsigned = app.http.post(app.url("/webhooks/sms/twilio"))
            .form(&[("From", "+33612345609"), ("Body", "X")]).send().await.unwrap();
        assert_eq!(unsigned.status(), StatusCode::FORBIDDEN);
        assert_eq!(appointment(&app, &patient, id).await["status"], "confirmed");
        let (_, twiml) = twilio_reply(&app, TOKEN, "+33612345609", "x").await;
        assert!(twiml.contains("is cancelled"), "{twiml}");
        let a = appointment(&app, &patient, id).await;
        assert_eq!(a["status"], "cancelled");
        assert_eq!(a["cancelled_by"], "patient");
        // Nobody to answer about any more; a number we do not know gets the same.
        let (_, twiml) = twilio_reply(&app, TOKEN, "+33612345609", "C").await;
        assert!(twiml.contains("no upcoming appointment"), "{twiml}");
        let (_, twiml) = twilio_reply(&app, TOKEN, "+33699999999", "Y").await;
        assert!(twiml.contains("no time is held"), "{twiml}");
    }
}

fn with_followup(s: &mut carebell::config::Settings) {
    configure(s);
    s.reminders.confirmation_followup = Some(Duration::from_secs(20 * 3600));
}

on_both_engines! {
    with_followup;

    async fn an_unconfirmed_visit_gets_a_second_reminder_by_email_and_a_confirmed_one_does_not(app) {
        let doctor = app.user(Role::Practitioner).await;
        let confirming = app.user_with(Role::Patient, json!({"phone": "+33612345611"})).await;
        let silent = app.user_with(Role::Patient, json!({"phone": "+33612345612"})).await;
        let a = app.confirmed(&doctor, &confirming, 30).await;
        let b = app.confirmed(&doctor, &silent, 32).await;
        // The 24 h reminder of the first is out by SMS; its patient replies C.
        app.clock.advance(Duration::from_secs(6 * 3600));
        app.drain().await;
        let (_, twiml) = twilio_reply(&app, TOKEN, "+33612345611", "C").await;
        assert!(twiml.contains("thank you"), "{twiml}");
        // The second visit's 24 h reminder, then past both follow-up times (20 h before each).
        app.clock.advance(Duration::from_secs(2 * 3600));
        app.drain().await;
        app.clock.advance(Duration::from_secs(4 * 3600));
        app.drain().await;
        let checks: Vec<Mail> = outbox_mails(&app).into_iter()
            .filter(|m| m.text.contains("You have not told us yet that you are coming")).collect();
        assert_eq!(checks.len(), 1, "{checks:?}");
        assert_eq!(checks[0].to, silent.email, "only the patient who did not confirm");
        // Not by SMS: the follow-up is the other channel.
        let jobs = app.deliveries_of(b).await;
        let reminders_by_sms = jobs.iter().filter(|j| j["kind"] == "appointment_reminder" && j["channel"] == "sms" && j["state"] == "sent").count();
        assert_eq!(reminders_by_sms, 1, "the 24 h reminder only: {jobs:?}");
        let voided = app.deliveries_of(a).await.into_iter()
            .filter(|j| j["state"] == "voided" && j["last_error"] == "the patient confirmed").count();
        assert!(voided >= 1, "the confirmed patient's follow-up is voided");
        // The confirmed patient's follow-up was voided, in-app too.
        let shown = app.notifications(&confirming).await;
        assert!(!shown.iter().any(|n| n["message"].as_str().unwrap_or_default().contains("not told us yet")), "{shown:?}");
    }
}
