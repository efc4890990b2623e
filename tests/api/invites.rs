//! Calendar invites as calendar programs read them: every `.ics` the service mails is
//! parsed by an independent parser (the Python `icalendar` package) and each property a
//! calendar client relies on is checked, for the patient and the practitioner.

use crate::helpers::*;
use crate::on_both_engines_by_engine;
use carebell::domain::Role;
use mail_parser::{MessageParser, MimeHeaders};
use serde_json::{json, Value};

/// What `icalendar` makes of a calendar file, as JSON.
fn parse_ics(ics: &str) -> Value {
    const SCRIPT: &str = r#"
import json, sys, icalendar
cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
def party(p):
    return {"value": str(p), "cn": str(p.params.get("CN", ""))}
events = []
for e in cal.walk("VEVENT"):
    attendees = e.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    events.append({
        "uid": str(e.get("UID")),
        "sequence": int(e.get("SEQUENCE")),
        "dtstart": e.decoded("DTSTART").isoformat(),
        "dtend": e.decoded("DTEND").isoformat(),
        "summary": str(e.get("SUMMARY")),
        "description": str(e.get("DESCRIPTION")),
        "location": str(e.get("LOCATION")),
        "status": str(e.get("STATUS")),
        "organizer": party(e.get("ORGANIZER")),
        "attendees": [party(a) for a in attendees if a is not None],
        "alarms": [{"action": str(a.get("ACTION")), "trigger": str(a.decoded("TRIGGER"))} for a in e.walk("VALARM")],
    })
print(json.dumps({"method": str(cal.get("METHOD")), "version": str(cal.get("VERSION")), "prodid": str(cal.get("PRODID")), "events": events}))
"#;
    let out = python(SCRIPT, ics.as_bytes(), &format!("icalendar ({ics})"));
    serde_json::from_slice(&out).unwrap()
}

/// Every mailed message: (recipient, subject, Message-ID, text part, calendar file).
fn mailed(app: &TestApp) -> Vec<(String, String, String, String, Option<String>)> {
    let mut files: Vec<_> = std::fs::read_dir(&app.settings.email.outbox_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    // In the order they were written: `n<notification id>-email….eml`.
    files.sort_by_key(|p| {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        name.trim_start_matches('n')
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse::<i64>()
            .unwrap_or(i64::MAX)
    });
    files
        .iter()
        .map(|path| {
            let bytes = std::fs::read(path).unwrap();
            let m = MessageParser::default().parse(&bytes).unwrap();
            let to = m
                .to()
                .unwrap()
                .first()
                .unwrap()
                .address()
                .unwrap()
                .to_owned();
            let ics = m
                .attachments()
                .find(|a| a.attachment_name() == Some("appointment.ics"))
                .map(|a| String::from_utf8_lossy(a.contents()).into_owned());
            (
                to,
                m.subject().unwrap_or_default().to_owned(),
                m.message_id().unwrap_or_default().to_owned(),
                m.body_text(0).unwrap().into_owned(),
                ics,
            )
        })
        .collect()
}

async fn installation_id(app: &TestApp) -> String {
    let mut c = app.store.acquire().await.unwrap();
    sqlx::query_scalar("SELECT id FROM installation")
        .fetch_one(&mut *c)
        .await
        .unwrap()
}

const ADDRESS: &str = "12 rue des Lilas, 75011 Paris";
const PHONE: &str = "+33 1 23 45 67 89";

fn clinic(s: &mut carebell::config::Settings) {
    s.clinic.name = "Clinique du Parc".into();
    s.clinic.address = Some(ADDRESS.into());
    s.clinic.phone = Some(PHONE.into());
}

on_both_engines_by_engine! {
    async fn every_calendar_file_is_read_by_an_independent_parser_with_every_property(engine) {
        let app = spawn_app_with(engine, clinic).await;
        let doctor = app.user_with(Role::Practitioner, json!({"name": "Dr Amina Haddad"})).await;
        let patient = app.user_with(Role::Patient, json!({"name": "Lucie Martin", "language": "fr"})).await;
        let slots = app.slots(&doctor, &[48, 72]).await;
        let (_, booked) = app.post(&patient, "/api/v1/appointments", json!({"slot_id": slots[0], "reason": "persistent cough"})).await;
        let id = booked["id"].as_i64().unwrap();
        app.post(&doctor, &format!("/api/v1/appointments/{id}/accept"), json!({})).await;
        app.post(&patient, &format!("/api/v1/appointments/{id}/reschedule"), json!({"slot_id": slots[1]})).await;
        app.post(&doctor, &format!("/api/v1/appointments/{id}/cancel"), json!({"reason": "ill"})).await;
        app.drain().await;

        let installation = installation_id(&app).await;
        assert_eq!(installation.len(), 32, "{installation}");
        let uid = format!("appointment-{id}.{installation}@carebell.localhost");
        let mails = mailed(&app);
        let attachment_words = ["calendrier joint", "calendar file"];
        let mut invites = Vec::new();
        for (to, subject, message_id, text, ics) in &mails {
            assert!(message_id.contains(&format!(".email.{installation}@")), "{message_id}");
            // The text mentions the calendar file exactly when the message carries one.
            let mentions = attachment_words.iter().any(|w| text.contains(w));
            assert_eq!(mentions, ics.is_some(), "{to} {subject}: {text}");
            if let Some(ics) = ics {
                invites.push((to.clone(), parse_ics(ics)));
            }
        }
        // Confirmed, moved, cancelled: three changes, each to both people.
        let to_patient: Vec<&Value> = invites.iter().filter(|(to, _)| *to == patient.email).map(|(_, c)| c).collect();
        let to_doctor: Vec<&Value> = invites.iter().filter(|(to, _)| *to == doctor.email).map(|(_, c)| c).collect();
        assert_eq!((to_patient.len(), to_doctor.len()), (3, 3), "{invites:#?}");
        for (calendars, reader) in [(&to_patient, &patient), (&to_doctor, &doctor)] {
            let reader_name = if reader.id == patient.id { "Lucie Martin" } else { "Dr Amina Haddad" };
            let methods: Vec<&str> = calendars.iter().map(|c| c["method"].as_str().unwrap()).collect();
            assert_eq!(methods, ["REQUEST", "REQUEST", "CANCEL"], "{reader_name}");
            let sequences: Vec<i64> = calendars.iter().map(|c| c["events"][0]["sequence"].as_i64().unwrap()).collect();
            assert_eq!(sequences, [2, 3, 4], "each change supersedes the last");
            for c in calendars.iter() {
                assert_eq!(c["version"], "2.0");
                let e = &c["events"][0];
                assert_eq!(e["uid"], uid.as_str(), "one event, updated in place");
                assert_eq!(e["location"], ADDRESS);
                let description = e["description"].as_str().unwrap();
                assert!(description.contains("Dr Amina Haddad") && description.contains(PHONE), "{description}");
                assert!(description.contains(&format!("/appointments/{id}")), "{description}");
                assert!(!format!("{c}").contains("persistent cough"), "no reason for the visit: {c}");
                assert_eq!(e["organizer"]["cn"], "Dr Amina Haddad");
                assert_eq!(e["organizer"]["value"], "mailto:no-reply@carebell.localhost");
                assert_eq!(e["attendees"][0]["cn"], reader_name);
                assert_eq!(e["attendees"][0]["value"], format!("mailto:{}", reader.email).as_str());
                let cancelled = c["method"] == "CANCEL";
                assert_eq!(e["status"], if cancelled { "CANCELLED" } else { "CONFIRMED" });
                if cancelled {
                    assert_eq!(e["alarms"], json!([]));
                } else {
                    assert_eq!(e["alarms"], json!([{"action": "DISPLAY", "trigger": "-1 day, 23:00:00"}]));
                }
            }
            // Start and end are the appointment's, as it was at each step.
            let first = &calendars[0]["events"][0];
            assert!(first["dtstart"].as_str().unwrap().starts_with("2026-12-03T08:00:00"), "{first}");
            let moved = &calendars[1]["events"][0];
            assert!(moved["dtstart"].as_str().unwrap().starts_with("2026-12-04T08:00:00"), "{moved}");
            assert!(moved["dtend"].as_str().unwrap() > moved["dtstart"].as_str().unwrap());
        }
    }

    async fn practitioners_get_no_invite_when_the_clinic_turns_it_off(engine) {
        let app = spawn_app_with(engine, |s| {
            clinic(s);
            s.email.invite_practitioners = false;
        })
        .await;
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        let slot = app.slots(&doctor, &[48]).await[0];
        let id = app.book(&patient, slot).await;
        app.post(&doctor, &format!("/api/v1/appointments/{id}/accept"), json!({})).await;
        app.post(&doctor, &format!("/api/v1/appointments/{id}/cancel"), json!({"reason": "ill"})).await;
        app.drain().await;
        let mails = mailed(&app);
        assert!(mails.iter().any(|m| m.0 == patient.email && m.4.is_some()));
        assert!(mails.iter().all(|m| m.0 != doctor.email || m.4.is_none()), "{:?}", mails.iter().map(|m| (&m.0, &m.1)).collect::<Vec<_>>());
    }
}
