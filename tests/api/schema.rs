//! The OpenAPI document served at `/api/v1/openapi.json` is checked against what the
//! service really answers: a scenario calls every documented operation (successes and the
//! usual refusals), and each JSON answer is validated against the schema the document
//! gives for that operation and status, by an independent JSON Schema validator.

use crate::helpers::*;
use crate::on_both_engines;
use crate::stream::SseClient;
use carebell::domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

struct Checker {
    doc: Value,
    /// (method, path template) of every operation answered so far.
    seen: BTreeSet<(String, String)>,
    problems: Vec<String>,
}

impl Checker {
    fn new(doc: Value) -> Self {
        Self {
            doc,
            seen: BTreeSet::new(),
            problems: Vec::new(),
        }
    }

    /// Validates a value against one of the document's named schemas.
    fn check_component(&mut self, name: &str, what: &str, value: &Value) {
        let schema = json!({ "$ref": format!("#/components/schemas/{name}") });
        self.validate(&schema, what, value);
    }

    /// Validates one answer of `method template` against the document.
    fn check(&mut self, method: &Method, template: &str, status: StatusCode, body: &Value) {
        let op = &self.doc["paths"][template][method.as_str().to_lowercase()];
        if op.is_null() {
            self.problems
                .push(format!("{method} {template} is not in the document"));
            return;
        }
        self.seen.insert((method.to_string(), template.to_owned()));
        let response = &op["responses"][status.as_str()];
        if response.is_null() {
            self.problems.push(format!(
                "{method} {template} answered {status}, which the document does not list: {body}"
            ));
            return;
        }
        let Some(schema) = response["content"]["application/json"]
            .get("schema")
            .cloned()
        else {
            if !body.is_null() {
                self.problems.push(format!(
                    "{method} {template} {status}: a body the document does not describe: {body}"
                ));
            }
            return;
        };
        self.validate(&schema, &format!("{method} {template} {status}"), body);
    }

    fn validate(&mut self, schema: &Value, what: &str, body: &Value) {
        // The schema with the document's components beside it, so `$ref`s resolve; every
        // object with listed properties is closed, so a field the document does not
        // describe is reported too.
        let mut components = self.doc["components"].clone();
        close_objects(&mut components);
        let mut root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": components,
        });
        root["allOf"] = json!([schema]);
        let validator = match jsonschema::validator_for(&root) {
            Ok(v) => v,
            Err(e) => {
                self.problems.push(format!(
                    "{what}: the document's schema does not compile: {e}"
                ));
                return;
            }
        };
        for error in validator.iter_errors(body) {
            self.problems
                .push(format!("{what}: {error} at {}", error.instance_path()));
        }
    }
}

/// Adds `additionalProperties: false` to every object schema that lists its properties
/// and says nothing about others.
fn close_objects(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            map.values_mut().for_each(close_objects);
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

/// Calls and checks: `$method $path` (the template is given to find the operation).
macro_rules! call {
    ($checker:expr, $app:expr, $who:expr, $method:expr, $template:expr, $path:expr, $body:expr) => {{
        let path = String::from($path);
        let (status, body) = $app.call($who, $method, &path, $body).await;
        $checker.check(&$method, $template, status, &body);
        (status, body)
    }};
}

on_both_engines! { crate::preferences::with_inbound_secrets;
    async fn every_documented_answer_matches_the_document(app) {
        let (_, doc) = app.call(None, Method::GET, "/api/v1/openapi.json", None).await;
        let mut c = Checker::new(doc.clone());
        c.seen.insert(("GET".into(), "/api/v1/openapi.json".into()));
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user_with(Role::Patient, json!({"phone": "+33 6 12 34 56 78"})).await;
        let d = doctor.id;
        let (g, p, put, del) = (Method::GET, Method::POST, Method::PUT, Method::DELETE);

        call!(c, app, None, g.clone(), "/healthz", "/healthz", None);
        call!(c, app, None, g.clone(), "/readyz", "/readyz", None);
        call!(c, app, None, g.clone(), "/metrics", "/metrics", None);
        call!(c, app, None, p.clone(), "/api/v1/auth/sign-in", "/api/v1/auth/sign-in", Some(json!({"email": patient.email, "password": PASSWORD})));
        call!(c, app, None, p.clone(), "/api/v1/auth/sign-in", "/api/v1/auth/sign-in", Some(json!({"email": patient.email, "password": "wrong password"})));
        call!(c, app, None, p.clone(), "/api/v1/auth/sign-in", "/api/v1/auth/sign-in", Some(json!({"email": 1})));
        call!(c, app, None, p.clone(), "/api/v1/auth/tokens", "/api/v1/auth/tokens", Some(json!({"email": doctor.email, "password": PASSWORD, "label": "schema test"})));
        call!(c, app, None, g.clone(), "/api/v1/me", "/api/v1/me", None);
        call!(c, app, Some(&patient), g.clone(), "/api/v1/me", "/api/v1/me", None);
        call!(c, app, Some(&patient), g.clone(), "/api/v1/practitioners", "/api/v1/practitioners", None);
        call!(c, app, Some(&patient), put.clone(), "/api/v1/practitioners/{id}/follow", format!("/api/v1/practitioners/{d}/follow"), None);
        call!(c, app, Some(&patient), g.clone(), "/api/v1/follows", "/api/v1/follows", None);

        let start = app.clock_now().plus(HOUR * 48);
        let (_, made) = call!(c, app, Some(&doctor), p.clone(), "/api/v1/slots", "/api/v1/slots", Some(json!({"slots": [
            {"starts_at": start.to_string(), "ends_at": start.plus(HOUR / 2).to_string()},
            {"starts_at": start.plus(HOUR).to_string(), "ends_at": start.plus(HOUR * 3 / 2).to_string()},
            {"starts_at": start.plus(HOUR * 2).to_string(), "ends_at": start.plus(HOUR * 5 / 2).to_string()},
        ]})));
        call!(c, app, Some(&doctor), p.clone(), "/api/v1/slots", "/api/v1/slots", Some(json!({"slots": [
            {"starts_at": start.to_string(), "ends_at": start.plus(HOUR / 2).to_string()}
        ]})));
        let slots: Vec<i64> = made["slots"].as_array().map(|s| s.iter().filter_map(|s| s["id"].as_i64()).collect()).unwrap_or_default();
        assert_eq!(slots.len(), 3, "{made}");
        call!(c, app, Some(&doctor), g.clone(), "/api/v1/slots", "/api/v1/slots", None);
        call!(c, app, Some(&patient), g.clone(), "/api/v1/practitioners/{id}/slots", format!("/api/v1/practitioners/{d}/slots"), None);
        call!(c, app, Some(&patient), g.clone(), "/api/v1/practitioners/{id}/slots", "/api/v1/practitioners/999999/slots", None);
        call!(c, app, Some(&doctor), del.clone(), "/api/v1/slots/{id}", format!("/api/v1/slots/{}", slots[2]), None);
        call!(c, app, Some(&doctor), p.clone(), "/api/v1/availability/notify", "/api/v1/availability/notify", Some(json!({"note": "Friday"})));

        let (_, booked) = call!(c, app, Some(&patient), p.clone(), "/api/v1/appointments", "/api/v1/appointments", Some(json!({"slot_id": slots[0], "reason": "check-up"})));
        let id = booked["id"].as_i64().unwrap();
        call!(c, app, Some(&patient), p.clone(), "/api/v1/appointments", "/api/v1/appointments", Some(json!({"slot_id": slots[0]})));
        call!(c, app, Some(&patient), g.clone(), "/api/v1/appointments", "/api/v1/appointments", None);
        call!(c, app, Some(&patient), g.clone(), "/api/v1/appointments/{id}", format!("/api/v1/appointments/{id}"), None);
        call!(c, app, Some(&patient), g.clone(), "/api/v1/appointments/{id}", "/api/v1/appointments/abc", None);
        call!(c, app, Some(&patient), p.clone(), "/api/v1/appointments/{id}/accept", format!("/api/v1/appointments/{id}/accept"), None);
        call!(c, app, Some(&doctor), p.clone(), "/api/v1/appointments/{id}/accept", format!("/api/v1/appointments/{id}/accept"), None);
        call!(c, app, Some(&patient), p.clone(), "/api/v1/appointments/{id}/reschedule", format!("/api/v1/appointments/{id}/reschedule"), Some(json!({"slot_id": slots[1]})));
        call!(c, app, Some(&doctor), p.clone(), "/api/v1/appointments/{id}/cancel", format!("/api/v1/appointments/{id}/cancel"), Some(json!({})));
        call!(c, app, Some(&doctor), p.clone(), "/api/v1/appointments/{id}/cancel", format!("/api/v1/appointments/{id}/cancel"), Some(json!({"reason": "ill"})));
        let (_, second) = app.call(Some(&patient), p.clone(), "/api/v1/appointments", Some(json!({"slot_id": slots[0]}))).await;
        let second = second["id"].as_i64().unwrap();
        call!(c, app, Some(&doctor), p.clone(), "/api/v1/appointments/{id}/decline", format!("/api/v1/appointments/{second}/decline"), Some(json!({"reason": "full"})));
        call!(c, app, Some(&doctor), p.clone(), "/api/v1/appointments/{id}/decline", format!("/api/v1/appointments/{second}/decline"), Some(json!({})));
        // The waitlist: someone waits, a confirmed visit is cancelled, its slot is offered.
        let waiter = app.user(Role::Patient).await;
        let (_, entry) = call!(c, app, Some(&waiter), p.clone(), "/api/v1/waitlist", "/api/v1/waitlist", Some(json!({"practitioner_id": doctor.id, "day_start": "08:00", "day_end": "20:00"})));
        call!(c, app, Some(&waiter), p.clone(), "/api/v1/waitlist", "/api/v1/waitlist", Some(json!({"practitioner_id": doctor.id, "day_start": "08:00"})));
        call!(c, app, Some(&doctor), g.clone(), "/api/v1/waitlist", "/api/v1/waitlist", None);
        call!(c, app, Some(&app.admin), g.clone(), "/api/v1/waitlist", "/api/v1/waitlist", None);
        let (_, third) = app.call(Some(&patient), p.clone(), "/api/v1/appointments", Some(json!({"slot_id": slots[0], "reason": "again"}))).await;
        let third = third["id"].as_i64().unwrap();
        app.call(Some(&doctor), p.clone(), &format!("/api/v1/appointments/{third}/accept"), None).await;
        call!(c, app, Some(&patient), p.clone(), "/api/v1/appointments/{id}/confirm-attendance", format!("/api/v1/appointments/{third}/confirm-attendance"), None);
        call!(c, app, Some(&patient), p.clone(), "/api/v1/appointments/{id}/confirm-attendance", "/api/v1/appointments/999999/confirm-attendance", None);
        app.call(Some(&patient), p.clone(), &format!("/api/v1/appointments/{third}/cancel"), Some(json!({}))).await;
        let (_, offers) = call!(c, app, Some(&waiter), g.clone(), "/api/v1/offers", "/api/v1/offers", None);
        let offer = offers["offers"][0]["id"].as_i64().expect("the freed slot is offered");
        call!(c, app, Some(&waiter), g.clone(), "/api/v1/offers/{id}", format!("/api/v1/offers/{offer}"), None);
        call!(c, app, Some(&waiter), p.clone(), "/api/v1/offers/{id}/decline", format!("/api/v1/offers/{offer}/decline"), None);
        call!(c, app, Some(&waiter), p.clone(), "/api/v1/offers/{id}/accept", format!("/api/v1/offers/{offer}/accept"), None);
        call!(c, app, Some(&waiter), p.clone(), "/api/v1/offers/{id}/decline", "/api/v1/offers/999999/decline", None);
        call!(c, app, Some(&waiter), del.clone(), "/api/v1/waitlist/{id}", format!("/api/v1/waitlist/{}", entry["id"]), None);
        call!(c, app, Some(&waiter), del.clone(), "/api/v1/waitlist/{id}", format!("/api/v1/waitlist/{}", entry["id"]), None);
        app.drain().await;

        let (_, list) = call!(c, app, Some(&patient), g.clone(), "/api/v1/notifications", "/api/v1/notifications", None);
        call!(c, app, Some(&patient), g.clone(), "/api/v1/notifications", "/api/v1/notifications?limit=1000", None);
        let note = list["notifications"][0]["id"].as_i64().unwrap();
        call!(c, app, Some(&patient), g.clone(), "/api/v1/notifications/unread-count", "/api/v1/notifications/unread-count", None);
        call!(c, app, Some(&patient), p.clone(), "/api/v1/notifications/{id}/read", format!("/api/v1/notifications/{note}/read"), None);
        call!(c, app, Some(&doctor), p.clone(), "/api/v1/notifications/{id}/read", format!("/api/v1/notifications/{note}/read"), None);
        call!(c, app, Some(&patient), p.clone(), "/api/v1/notifications/read-all", "/api/v1/notifications/read-all", None);

        call!(c, app, Some(&app.admin), p.clone(), "/api/v1/admin/users", "/api/v1/admin/users", Some(json!({"role": "patient", "name": "New Patient", "email": "new@patient.example", "password": "a long enough password"})));
        call!(c, app, Some(&app.admin), p.clone(), "/api/v1/admin/users", "/api/v1/admin/users", Some(json!({"role": "patient", "name": "New Patient", "email": "new@patient.example", "password": "a long enough password"})));
        call!(c, app, Some(&patient), p.clone(), "/api/v1/admin/users", "/api/v1/admin/users", Some(json!({})));
        let (_, jobs) = call!(c, app, Some(&app.admin), g.clone(), "/api/v1/admin/deliveries", "/api/v1/admin/deliveries", None);
        let job = jobs["deliveries"][0]["id"].as_i64().unwrap();
        call!(c, app, Some(&app.admin), g.clone(), "/api/v1/admin/deliveries/{id}", format!("/api/v1/admin/deliveries/{job}"), None);
        call!(c, app, Some(&app.admin), p.clone(), "/api/v1/admin/deliveries/{id}/retry", format!("/api/v1/admin/deliveries/{job}/retry"), None);
        call!(c, app, Some(&app.admin), g.clone(), "/api/v1/admin/deliveries/{id}", "/api/v1/admin/deliveries/999999", None);
        call!(c, app, Some(&patient), del.clone(), "/api/v1/practitioners/{id}/follow", format!("/api/v1/practitioners/{d}/follow"), None);

        // Preferences, the consent record and the providers' webhooks.
        let (pu, me) = (put.clone(), patient.id);
        call!(c, app, Some(&patient), g.clone(), "/api/v1/me/preferences", "/api/v1/me/preferences", None);
        call!(c, app, Some(&patient), pu.clone(), "/api/v1/me/preferences", "/api/v1/me/preferences", Some(json!({"channels": {"availability": {"sms": false}}, "quiet_hours": {"start": "22:00", "end": "07:00"}})));
        call!(c, app, Some(&patient), pu.clone(), "/api/v1/me/preferences", "/api/v1/me/preferences", Some(json!({"channels": {"appointment_updates": {"email": false, "sms": false}}})));
        call!(c, app, Some(&patient), pu.clone(), "/api/v1/me/preferences", "/api/v1/me/preferences", Some(json!({"quiet": 1})));
        call!(c, app, Some(&app.admin), g.clone(), "/api/v1/admin/users/{id}/preferences", format!("/api/v1/admin/users/{me}/preferences"), None);
        call!(c, app, Some(&app.admin), pu.clone(), "/api/v1/admin/users/{id}/preferences", format!("/api/v1/admin/users/{me}/preferences"), Some(json!({"channels": {"notices": {"email": false}}})));
        call!(c, app, Some(&patient), pu.clone(), "/api/v1/admin/users/{id}/preferences", format!("/api/v1/admin/users/{me}/preferences"), Some(json!({})));
        call!(c, app, Some(&app.admin), g.clone(), "/api/v1/admin/users/{id}/consents", format!("/api/v1/admin/users/{me}/consents"), None);
        call!(c, app, Some(&app.admin), g.clone(), "/api/v1/admin/users/{id}/consents", "/api/v1/admin/users/999999/consents", None);
        call!(c, app, Some(&app.admin), g.clone(), "/api/v1/admin/audit", "/api/v1/admin/audit?limit=5", None);
        let pa = Method::PATCH;
        call!(c, app, Some(&patient), pa.clone(), "/api/v1/me", "/api/v1/me", Some(json!({"language": "fr"})));
        call!(c, app, Some(&patient), pa.clone(), "/api/v1/me", "/api/v1/me", Some(json!({"time_zone": "Nowhere/Else"})));
        call!(c, app, Some(&app.admin), g.clone(), "/api/v1/admin/users", "/api/v1/admin/users?q=patient&limit=2", None);
        call!(c, app, Some(&app.admin), pa.clone(), "/api/v1/admin/users/{id}", format!("/api/v1/admin/users/{me}"), Some(json!({"language": "en"})));
        call!(c, app, Some(&app.admin), pa.clone(), "/api/v1/admin/users/{id}", "/api/v1/admin/users/999999", Some(json!({})));
        let spare = app.user(Role::Patient).await;
        call!(c, app, Some(&spare), p.clone(), "/api/v1/me/password", "/api/v1/me/password", Some(json!({"current_password": PASSWORD, "new_password": "x"})));
        call!(c, app, Some(&spare), p.clone(), "/api/v1/me/password", "/api/v1/me/password", Some(json!({"current_password": PASSWORD, "new_password": "another long password"})));
        call!(c, app, None, p.clone(), "/api/v1/auth/password-reset", "/api/v1/auth/password-reset", Some(json!({"email": spare.email})));
        call!(c, app, None, p.clone(), "/api/v1/auth/password-reset", "/api/v1/auth/password-reset", Some(json!({"email": "not an address"})));
        call!(c, app, None, p.clone(), "/api/v1/auth/password-reset", "/api/v1/auth/password-reset", Some(json!({})));
        app.drain().await;
        let link = std::fs::read_dir(&app.settings.email.outbox_dir).unwrap()
            .map(|e| std::fs::read(e.unwrap().path()).unwrap())
            .map(|raw| mail_parser::MessageParser::default().parse(&raw).unwrap().body_text(0).unwrap().into_owned())
            .find_map(|mail| mail.find("/password-reset/").map(|at| mail[at + 16..].chars().take_while(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c)).collect::<String>()))
            .expect("the reset email");
        call!(c, app, None, p.clone(), "/api/v1/auth/password-reset/complete", "/api/v1/auth/password-reset/complete", Some(json!({"token": link, "new_password": "short"})));
        call!(c, app, None, p.clone(), "/api/v1/auth/password-reset/complete", "/api/v1/auth/password-reset/complete", Some(json!({"token": link, "new_password": "a reset long password"})));
        call!(c, app, None, p.clone(), "/api/v1/auth/password-reset/complete", "/api/v1/auth/password-reset/complete", Some(json!({"token": link, "new_password": "a reset long password"})));
        let spare = TestUser { token: app.token_for_with(&spare.email, "a reset long password").await, ..spare };
        call!(c, app, Some(&app.admin), p.clone(), "/api/v1/admin/users/{id}/deactivate", format!("/api/v1/admin/users/{}/deactivate", spare.id), None);
        call!(c, app, Some(&app.admin), p.clone(), "/api/v1/admin/users/{id}/deactivate", format!("/api/v1/admin/users/{}/deactivate", app.admin.id), None);
        call!(c, app, Some(&app.admin), p.clone(), "/api/v1/admin/users/{id}/reactivate", format!("/api/v1/admin/users/{}/reactivate", spare.id), None);
        call!(c, app, Some(&app.admin), g.clone(), "/api/v1/admin/audit", "/api/v1/admin/audit?from=soon", None);
        call!(c, app, None, p.clone(), "/webhooks/sms/twilio", "/webhooks/sms/twilio", Some(json!({"From": "+33612345678", "Body": "STOP"})));
        call!(c, app, None, p.clone(), "/webhooks/sms/inbound", "/webhooks/sms/inbound", Some(json!({"from": "+33612345678", "body": "HELP"})));
        let help = json!({"from": "+33612345678", "to": "+33100000000", "body": "HELP", "id": "m-1"}).to_string();
        let signature = carebell::auth::signed::body_signature(b"test-inbound-secret", help.as_bytes());
        let answer = app.http.post(app.url("/webhooks/sms/inbound")).header("x-carebell-signature", signature).header("content-type", "application/json").body(help).send().await.unwrap();
        let status = answer.status();
        let body: Value = answer.json().await.unwrap();
        c.check(&p, "/webhooks/sms/inbound", status, &body);
        let bad = json!({"from": "not a number", "body": "HELP"}).to_string();
        let signature = carebell::auth::signed::body_signature(b"test-inbound-secret", bad.as_bytes());
        let answer = app.http.post(app.url("/webhooks/sms/inbound")).header("x-carebell-signature", signature).body(bad).send().await.unwrap();
        let status = answer.status();
        let body: Value = answer.json().await.unwrap();
        c.check(&p, "/webhooks/sms/inbound", status, &body);

        // The paths of the system carebell replaces, in their own shapes.
        let (_, old) = call!(c, app, Some(&doctor), g.clone(), "/practitioner-dashboard/api/notifications/", "/practitioner-dashboard/api/notifications/", None);
        let old_note = old["notifications"][0]["id"].as_i64().unwrap();
        call!(c, app, Some(&doctor), p.clone(), "/practitioner-dashboard/api/notifications/mark-read/", "/practitioner-dashboard/api/notifications/mark-read/", Some(json!({"notification_id": old_note.to_string()})));
        call!(c, app, Some(&doctor), p.clone(), "/practitioner-dashboard/api/notifications/mark-read/", "/practitioner-dashboard/api/notifications/mark-read/", Some(json!({"notification_id": "999999"})));
        call!(c, app, Some(&patient), p.clone(), "/practitioner-dashboard/api/notifications/mark-read/", "/practitioner-dashboard/api/notifications/mark-read/", Some(json!({"notification_id": 1})));
        call!(c, app, Some(&doctor), p.clone(), "/practitioner-dashboard/api/notifications/mark-all-read/", "/practitioner-dashboard/api/notifications/mark-all-read/", None);
        let (_, third) = app.call(Some(&patient), p.clone(), "/api/v1/appointments", Some(json!({"slot_id": slots[1]}))).await;
        let third = third["id"].as_i64().unwrap_or(0);
        call!(c, app, Some(&doctor), p.clone(), "/practitioner-dashboard/api/appointments/{id}/{action}/", format!("/practitioner-dashboard/api/appointments/{third}/accept/"), None);
        call!(c, app, Some(&doctor), p.clone(), "/practitioner-dashboard/api/appointments/{id}/{action}/", format!("/practitioner-dashboard/api/appointments/{third}/approve/"), None);
        call!(c, app, Some(&doctor), p.clone(), "/practitioner-dashboard/api/appointments/{id}/{action}/", format!("/practitioner-dashboard/api/appointments/{third}/decline/"), None);
        call!(c, app, Some(&doctor), p.clone(), "/practitioner-dashboard/api/notify-availability/", "/practitioner-dashboard/api/notify-availability/", Some(json!({"message": "More on Friday"})));
        let (_, mine) = app.call(Some(&patient), g.clone(), "/api/v1/notifications", None).await;
        let mine = mine["notifications"][0]["id"].as_i64().unwrap();
        call!(c, app, Some(&patient), p.clone(), "/patient-dashboard/mark-notification-read/", "/patient-dashboard/mark-notification-read/", Some(json!({"notification_id": mine})));
        call!(c, app, Some(&patient), p.clone(), "/patient-dashboard/mark-notifications-read/", "/patient-dashboard/mark-notifications-read/", None);
        call!(c, app, Some(&doctor), p.clone(), "/patient-dashboard/mark-notifications-read/", "/patient-dashboard/mark-notifications-read/", None);
        // Notices: a draft, sent, shown with its progress, cancelled.
        let texts = json!({"en": {"title": "Closed", "message": "Closed on Monday."}, "fr": {"title": "Fermé", "message": "Fermé lundi."}});
        let (_, drafted) = call!(c, app, Some(&app.admin), p.clone(), "/api/v1/notices", "/api/v1/notices", Some(json!({"texts": texts, "channels": ["email", "sms"], "audience": {"kind": "patients"}})));
        call!(c, app, Some(&app.admin), p.clone(), "/api/v1/notices", "/api/v1/notices", Some(json!({"texts": {}, "audience": {"kind": "patients"}})));
        call!(c, app, Some(&patient), p.clone(), "/api/v1/notices", "/api/v1/notices", Some(json!({"texts": texts, "audience": {"kind": "patients"}})));
        let (_, late) = call!(c, app, Some(&doctor), p.clone(), "/api/v1/notices", "/api/v1/notices", Some(json!({"texts": texts, "audience": {"kind": "booked_between", "from": start.to_string(), "until": start.plus(HOUR * 24).to_string()}})));
        let n = drafted["id"].as_i64().unwrap();
        call!(c, app, Some(&app.admin), p.clone(), "/api/v1/notices/{id}/send", format!("/api/v1/notices/{n}/send"), None);
        call!(c, app, Some(&app.admin), p.clone(), "/api/v1/notices/{id}/send", format!("/api/v1/notices/{n}/send"), None);
        app.drain().await;
        call!(c, app, Some(&app.admin), g.clone(), "/api/v1/notices/{id}", format!("/api/v1/notices/{n}"), None);
        call!(c, app, Some(&doctor), g.clone(), "/api/v1/notices/{id}", format!("/api/v1/notices/{n}"), None);
        call!(c, app, Some(&app.admin), g.clone(), "/api/v1/notices", "/api/v1/notices?limit=1", None);
        call!(c, app, Some(&doctor), g.clone(), "/api/v1/notices", "/api/v1/notices", None);
        let l = late["id"].as_i64().unwrap();
        call!(c, app, Some(&doctor), p.clone(), "/api/v1/notices/{id}/cancel", format!("/api/v1/notices/{l}/cancel"), None);
        call!(c, app, Some(&doctor), p.clone(), "/api/v1/notices/{id}/cancel", format!("/api/v1/notices/{l}/cancel"), None);
        // Webhook endpoints, push subscriptions, receipts and bounces.
        let (_, made) = call!(c, app, Some(&app.admin), p.clone(), "/api/v1/admin/webhooks", "/api/v1/admin/webhooks", Some(json!({"url": "https://127.0.0.1:9/hooks", "event_types": ["appointment.confirmed"]})));
        call!(c, app, Some(&app.admin), p.clone(), "/api/v1/admin/webhooks", "/api/v1/admin/webhooks", Some(json!({"url": "http://127.0.0.1:9/"})));
        let e = made["endpoint"]["id"].as_i64().unwrap();
        call!(c, app, Some(&app.admin), g.clone(), "/api/v1/admin/webhooks", "/api/v1/admin/webhooks", None);
        call!(c, app, Some(&patient), g.clone(), "/api/v1/admin/webhooks", "/api/v1/admin/webhooks", None);
        call!(c, app, Some(&app.admin), g.clone(), "/api/v1/admin/webhooks/{id}", format!("/api/v1/admin/webhooks/{e}"), None);
        call!(c, app, Some(&app.admin), g.clone(), "/api/v1/admin/webhooks/{id}", "/api/v1/admin/webhooks/999999", None);
        call!(c, app, Some(&app.admin), pa.clone(), "/api/v1/admin/webhooks/{id}", format!("/api/v1/admin/webhooks/{e}"), Some(json!({"enabled": false, "event_types": ["*"]})));
        call!(c, app, Some(&app.admin), pa.clone(), "/api/v1/admin/webhooks/{id}", format!("/api/v1/admin/webhooks/{e}"), Some(json!({"event_types": ["nope"]})));
        call!(c, app, Some(&app.admin), p.clone(), "/api/v1/admin/webhooks/{id}/rotate-secret", format!("/api/v1/admin/webhooks/{e}/rotate-secret"), None);
        call!(c, app, Some(&app.admin), p.clone(), "/api/v1/admin/webhooks/{id}/rotate-secret", "/api/v1/admin/webhooks/999999/rotate-secret", None);
        call!(c, app, Some(&patient), g.clone(), "/api/v1/push/key", "/api/v1/push/key", None);
        let sub = json!({"endpoint": "https://push.example/send/1", "keys": {"p256dh": "BLn9b-VR0ca83knDNZ32dCHGyjJp-1riX9ZTN40MqV8K_LpQmLqxC_DoHvqvFXO_nGdAB4W9dogZb_sM-uV4JbY", "auth": "_ordMnz7uTCmrpBTeUV4Bw"}});
        call!(c, app, Some(&patient), p.clone(), "/api/v1/me/push-subscriptions", "/api/v1/me/push-subscriptions", Some(sub));
        call!(c, app, Some(&patient), p.clone(), "/api/v1/me/push-subscriptions", "/api/v1/me/push-subscriptions", Some(json!({"endpoint": "http://x/", "keys": {"p256dh": "A", "auth": "B"}})));
        call!(c, app, Some(&patient), g.clone(), "/api/v1/me/push-subscriptions", "/api/v1/me/push-subscriptions", None);
        call!(c, app, Some(&patient), del.clone(), "/api/v1/me/push-subscriptions", "/api/v1/me/push-subscriptions", Some(json!({"endpoint": "https://push.example/send/1"})));
        call!(c, app, Some(&patient), del.clone(), "/api/v1/me/push-subscriptions", "/api/v1/me/push-subscriptions", Some(json!({"endpoint": "https://push.example/send/1"})));
        call!(c, app, None, p.clone(), "/webhooks/sms/twilio/status", "/webhooks/sms/twilio/status", Some(json!({"MessageSid": "SM1", "MessageStatus": "delivered"})));
        call!(c, app, None, p.clone(), "/webhooks/sms/status", "/webhooks/sms/status", Some(json!({"id": "x", "status": "delivered"})));
        let receipt = json!({"id": "nobody", "status": "delivered"}).to_string();
        let signature = carebell::auth::signed::body_signature(b"test-inbound-secret", receipt.as_bytes());
        let answer = app.http.post(app.url("/webhooks/sms/status")).header("x-carebell-signature", signature).body(receipt).send().await.unwrap();
        c.check(&p, "/webhooks/sms/status", answer.status(), &Value::Null);
        call!(c, app, None, g.clone(), "/webhooks/whatsapp", "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1", None);
        call!(c, app, None, p.clone(), "/webhooks/whatsapp", "/webhooks/whatsapp", Some(json!({"entry": []})));
        call!(c, app, None, p.clone(), "/webhooks/email/bounce", "/webhooks/email/bounce", Some(json!("not signed")));
        // The event stream: a fresh client first hears the unread count; one resuming from
        // the start hears every notification again.
        let mut fresh = SseClient::connect(&app, &patient, None).await;
        let unread = fresh.next(Duration::from_secs(5)).await.expect("an unread event");
        assert_eq!(unread.event, "unread");
        c.check_component("UnreadCount", "the stream's unread event", &unread.data);
        let mut resumed = SseClient::connect(&app, &patient, Some("0")).await;
        let event = resumed.next(Duration::from_secs(5)).await.expect("a notification event");
        assert_eq!(event.event, "notification");
        c.check_component("NotificationEvent", "the stream's notification event", &event.data);
        c.seen.insert(("GET".into(), "/api/v1/notifications/stream".into()));
        call!(c, app, Some(&patient), p.clone(), "/api/v1/auth/sign-out", "/api/v1/auth/sign-out", None);

        // Every documented operation was tried.
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for method in ops.as_object().unwrap().keys().filter(|m| *m != "parameters") {
                if !c.seen.contains(&(method.to_uppercase(), path.clone())) {
                    c.problems.push(format!("{} {path} was not tried", method.to_uppercase()));
                }
            }
        }
        assert!(c.problems.is_empty(), "the document and the answers disagree:\n{}", c.problems.join("\n"));
    }
}
