//! Running it: metrics scraped while deliveries happen, readiness, request ids.

use crate::helpers::*;
use crate::on_both_engines_by_engine;
use crate::peers::SmsPeer;
use carebell::config::SmsProviderKind;
use carebell::domain::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

/// A metric's value in the text exposition (the sum over series matching every label).
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .filter(|l| {
            labels
                .iter()
                .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn scrape(app: &TestApp, token: Option<&str>) -> (StatusCode, String) {
    let mut request = app.http.get(app.url("/metrics"));
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let r = request.send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

on_both_engines_by_engine! {
    async fn metrics_move_as_jobs_are_sent_retried_and_go_dead(engine) {
        let provider = SmsPeer::start().await;
        let app = spawn_app_with(engine, |s| {
            s.metrics.token = Some(secrecy::SecretString::from("test-metrics-token"));
            s.sms.provider = SmsProviderKind::Webhook;
            s.sms.webhook_url = Some(format!("{}/sms", provider.base_url));
            s.sms.webhook_token = Some(secrecy::SecretString::from("test-token-not-secret"));
            s.delivery.retry_schedule = vec![Duration::from_secs(60)];
        })
        .await;
        // Only with the token.
        assert_eq!(scrape(&app, None).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(scrape(&app, Some("wrong")).await.0, StatusCode::UNAUTHORIZED);
        let (status, before) = scrape(&app, Some("test-metrics-token")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(before.contains("# TYPE carebell_http_requests_total counter"), "{before}");
        let sms = |text: &str, outcome: &str| value(text, "carebell_delivery_attempts_total", &[("channel", "sms"), ("outcome", outcome)]);
        assert_eq!((sms(&before, "sent"), sms(&before, "transient"), sms(&before, "permanent")), (0.0, 0.0, 0.0));

        // Three confirmations by SMS: one accepted (200), one busy (500: retried, then dead
        // when the one retry fails too), one refused for good (400: dead).
        let doctor = app.user(Role::Practitioner).await;
        let slots = app.slots(&doctor, &[48, 50, 52]).await;
        for (slot, code) in slots.iter().zip(["200", "500", "400"]) {
            let patient = app.user_with(Role::Patient, json!({"phone": format!("+33600000{code}")})).await;
            let id = app.book(&patient, *slot).await;
            app.post(&doctor, &format!("/api/v1/appointments/{id}/accept"), json!({})).await;
        }
        app.drain().await;
        let (_, during) = scrape(&app, Some("test-metrics-token")).await;
        assert_eq!((sms(&during, "sent"), sms(&during, "transient"), sms(&during, "permanent")), (1.0, 1.0, 1.0), "{during}");
        // Pending: the retry, and the 24 h and 2 h reminders of each visit.
        assert_eq!(value(&during, "carebell_delivery_jobs", &[("state", "pending"), ("channel", "sms")]), 7.0);
        assert_eq!(value(&during, "carebell_delivery_jobs", &[("state", "dead"), ("channel", "sms")]), 1.0);
        assert!(value(&during, "carebell_delivery_send_seconds_count", &[("channel", "sms")]) >= 3.0);
        assert!(value(&during, "carebell_delivery_attempts_total", &[("channel", "email"), ("outcome", "sent")]) >= 3.0);
        // The retry falls due; until it runs, the oldest due job ages.
        app.clock.advance(Duration::from_secs(90));
        let (_, waiting) = scrape(&app, Some("test-metrics-token")).await;
        assert_eq!(value(&waiting, "carebell_delivery_oldest_due_seconds", &[]), 30.0, "{waiting}");
        app.drain().await;
        let (_, after) = scrape(&app, Some("test-metrics-token")).await;
        assert_eq!(sms(&after, "transient"), 2.0, "the retry failed too");
        assert_eq!(value(&after, "carebell_delivery_jobs", &[("state", "dead"), ("channel", "sms")]), 2.0);
        assert_eq!(value(&after, "carebell_delivery_jobs", &[("state", "pending"), ("channel", "sms")]), 6.0);
        assert_eq!(value(&after, "carebell_delivery_oldest_due_seconds", &[]), 0.0);
        // Requests by route template and status, never by path values.
        assert!(value(&after, "carebell_http_requests_total", &[("route", "/api/v1/appointments/{id}/accept"), ("status", "200")]) >= 3.0, "{after}");
        assert!(value(&after, "carebell_http_requests_total", &[("route", "/metrics"), ("status", "401")]) >= 2.0);
        assert!(!after.contains("+33600000"), "no phone number in the metrics");
    }

    async fn metrics_are_not_served_without_a_token_but_can_have_their_own_address(engine) {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let app = spawn_app_with(engine, |s| {
            s.metrics.listen = Some(format!("127.0.0.1:{port}").parse().unwrap());
        })
        .await;
        let (status, body) = scrape(&app, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        let text = loop {
            if let Ok(r) = app.http.get(format!("http://127.0.0.1:{port}/metrics")).send().await {
                break r.text().await.unwrap();
            }
            assert!(std::time::Instant::now() < deadline, "the metrics address never answered");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert!(text.contains("carebell_delivery_jobs"), "{text}");
        let other = app.http.get(format!("http://127.0.0.1:{port}/api/v1/me")).send().await.unwrap();
        assert_eq!(other.status(), StatusCode::NOT_FOUND, "only the metrics there");
    }

    async fn readiness_reports_the_database_migrations_and_dispatcher_and_requests_carry_an_id(engine) {
        let app = spawn_app_with(engine, |s| s.delivery.enabled = true).await;
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        let ready: Value = loop {
            let r = app.http.get(app.url("/readyz")).send().await.unwrap();
            let status = r.status();
            let body: Value = r.json().await.unwrap();
            if status == StatusCode::OK {
                break body;
            }
            assert!(std::time::Instant::now() < deadline, "never ready: {body}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(ready, json!({"status": "ready", "database": "ok", "migrations": "current", "dispatcher": "running"}));
        // An API-only instance says the dispatcher runs elsewhere.
        let api_only = spawn_app(engine).await;
        let (status, body) = api_only.call(None, reqwest::Method::GET, "/readyz", None).await;
        assert_eq!((status, body["dispatcher"].as_str()), (StatusCode::OK, Some("elsewhere")));
        // A migration recorded as not applied makes it not ready.
        sqlx::query("UPDATE _sqlx_migrations SET success = FALSE WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)")
            .execute(api_only.store.pool()).await.unwrap();
        let (status, body) = api_only.call(None, reqwest::Method::GET, "/readyz", None).await;
        assert_eq!((status, body["migrations"].as_str(), body["status"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("behind"), Some("not_ready")));
        // Request ids: made when absent, kept when given, refused when odd.
        let r = app.http.get(app.url("/healthz")).send().await.unwrap();
        let made = r.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(made.len(), 16);
        let r = app.http.get(app.url("/healthz")).header("x-request-id", "abc-123").send().await.unwrap();
        assert_eq!(r.headers()["x-request-id"], "abc-123");
        let r = app.http.get(app.url("/healthz")).header("x-request-id", "a b<script>").send().await.unwrap();
        assert_ne!(r.headers()["x-request-id"], "a b<script>");
    }
}

crate::on_both_engines! {
    async fn the_audit_log_records_who_did_what_from_where_and_cannot_be_edited(app) {
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.patient_with_phone().await;
        let slot = app.slots(&doctor, &[48]).await[0];
        // A booking, sent with our own request id; its reason never reaches the log.
        let r = app.http.post(app.url("/api/v1/appointments")).bearer_auth(&patient.token)
            .header("x-request-id", "booking-1")
            .json(&json!({"slot_id": slot, "reason": "persistent back pain"})).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        app.post(&doctor, &format!("/api/v1/appointments/{id}/accept"), json!({})).await;
        app.post(&patient, &format!("/api/v1/appointments/{id}/cancel"), json!({})).await;
        // A failed and a successful sign-in.
        let (status, _) = app.call(None, reqwest::Method::POST, "/api/v1/auth/sign-in", Some(json!({"email": patient.email, "password": "not the password"}))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = app.call(None, reqwest::Method::POST, "/api/v1/auth/sign-in", Some(json!({"email": patient.email, "password": PASSWORD}))).await;
        assert_eq!(status, StatusCode::OK);
        app.call(Some(&patient), reqwest::Method::PUT, "/api/v1/me/preferences", Some(json!({"channels": {"reminders": {"sms": false}}}))).await;

        let search = |query: String| {
            let app = &app;
            async move {
                let (status, body) = app.get(&app.admin, &format!("/api/v1/admin/audit?{query}")).await;
                assert_eq!(status, StatusCode::OK, "{body}");
                body["events"].as_array().unwrap().iter().rev().map(|e| (e["action"].as_str().unwrap().to_owned(), e["actor_id"].as_i64(), e.clone())).collect::<Vec<_>>()
            }
        };
        let about = search(format!("appointment_id={id}")).await;
        let actions: Vec<_> = about.iter().map(|(a, actor, _)| (a.as_str(), *actor)).collect();
        assert_eq!(actions, [
            ("appointment.booked", Some(patient.id)),
            ("appointment.accepted", Some(doctor.id)),
            ("appointment.cancelled", Some(patient.id)),
        ]);
        let booked = &about[0].2;
        assert_eq!((booked["source_ip"].as_str(), booked["request_id"].as_str()), (Some("127.0.0.1"), Some("booking-1")));
        let mine: Vec<String> = search(format!("user_id={}", patient.id)).await.into_iter().map(|(a, _, _)| a).collect();
        for expected in ["user.created", "auth.token_created", "appointment.booked", "appointment.cancelled", "auth.sign_in_failed", "auth.signed_in", "preferences.changed"] {
            assert!(mine.iter().any(|a| a == expected), "{expected} in {mine:?}");
        }
        // By time: nothing before the start, everything from it.
        let start = app.clock_now().minus(Duration::from_secs(1)).to_string();
        assert!(search(format!("until={start}")).await.is_empty());
        assert_eq!(search(format!("from={start}&appointment_id={id}")).await.len(), 3);
        let (status, _) = app.get(&app.admin, "/api/v1/admin/audit?from=yesterday").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) = app.get(&patient, "/api/v1/admin/audit").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // No reason for the visit, no email, no password anywhere in it.
        let (_, everything) = app.get(&app.admin, "/api/v1/admin/audit?limit=500").await;
        let text = everything.to_string();
        assert!(!text.contains("back pain") && !text.contains(&patient.email) && !text.contains("not the password"), "{text}");
        // Append-only in the database itself.
        let pool = app.store.pool();
        assert!(sqlx::query("UPDATE audit_events SET action = 'x'").execute(pool).await.is_err());
        assert!(sqlx::query("DELETE FROM audit_events").execute(pool).await.is_err());
    }
}

crate::on_both_engines! {
    async fn admins_find_change_deactivate_and_reactivate_people(app) {
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.patient_with_phone().await;
        let others: Vec<_> = futures::future::join_all((0..3).map(|_| app.user(Role::Patient))).await;
        // Find by part of the email, any case, paged, newest first.
        let (status, page) = app.get(&app.admin, "/api/v1/admin/users?q=PATIENT&role=patient&limit=2").await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let ids: Vec<i64> = page["users"].as_array().unwrap().iter().map(|u| u["id"].as_i64().unwrap()).collect();
        let mut newest: Vec<i64> = others.iter().map(|u| u.id).chain([patient.id]).collect();
        newest.sort_unstable_by(|a, b| b.cmp(a));
        assert_eq!(ids, newest[..2]);
        let next = page["next_before"].as_i64().unwrap();
        let (_, rest) = app.get(&app.admin, &format!("/api/v1/admin/users?q=patient&role=patient&before={next}")).await;
        let rest: Vec<i64> = rest["users"].as_array().unwrap().iter().map(|u| u["id"].as_i64().unwrap()).collect();
        assert_eq!(rest, newest[2..]);
        let (status, _) = app.get(&patient, "/api/v1/admin/users").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // An admin changes the zone, language and role; bad values are named.
        let (status, changed) = app.call(Some(&app.admin), reqwest::Method::PATCH, &format!("/api/v1/admin/users/{}", others[0].id), Some(json!({"time_zone": "America/New_York", "language": "fr", "phone": "+1 212 555 0199"}))).await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!((changed["time_zone"].as_str(), changed["language"].as_str(), changed["phone"].as_str()), (Some("America/New_York"), Some("fr"), Some("+12125550199")));
        let (status, e) = app.call(Some(&app.admin), reqwest::Method::PATCH, &format!("/api/v1/admin/users/{}", others[0].id), Some(json!({"time_zone": "Mars/Olympus"}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(e["detail"].as_str().unwrap().starts_with("time_zone:"), "{e}");
        // Users edit their own profile, not their role.
        let (status, me) = app.call(Some(&patient), reqwest::Method::PATCH, "/api/v1/me", Some(json!({"name": "Lucie Martin", "phone": null}))).await;
        assert_eq!(status, StatusCode::OK, "{me}");
        assert_eq!((me["name"].as_str(), me["phone"].clone()), (Some("Lucie Martin"), Value::Null));
        let (status, _) = app.call(Some(&patient), reqwest::Method::PATCH, "/api/v1/me", Some(json!({"role": "admin"}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        app.call(Some(&patient), reqwest::Method::PATCH, "/api/v1/me", Some(json!({"phone": "+33 6 12 34 56 78"}))).await;

        // Deactivating ends the sessions at once and stops messages; the history stays.
        let slot = app.slots(&doctor, &[48]).await[0];
        let id = app.book(&patient, slot).await;
        app.drain().await;
        let (status, off) = app.post(&app.admin, &format!("/api/v1/admin/users/{}/deactivate", patient.id), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{off}");
        assert!(off["deactivated_at"].is_string());
        let (status, _) = app.get(&patient, "/api/v1/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "the token no longer works");
        let (status, e) = app.call(None, reqwest::Method::POST, "/api/v1/auth/sign-in", Some(json!({"email": patient.email, "password": PASSWORD}))).await;
        assert_eq!((status, e["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_credentials")), "the same answer as a wrong password");
        app.post(&doctor, &format!("/api/v1/appointments/{id}/accept"), json!({})).await;
        app.drain().await;
        let held: Vec<_> = app.deliveries_of(id).await.into_iter()
            .filter(|j| j["recipient_id"] == patient.id && j["kind"] == "appointment_confirmed")
            .map(|j| (j["state"].clone(), j["last_error"].clone())).collect();
        assert!(!held.is_empty() && held.iter().all(|h| *h == (json!("suppressed"), json!("suppressed: account deactivated"))), "{held:?}");
        let (status, a) = app.get(&app.admin, &format!("/api/v1/appointments/{id}")).await;
        assert_eq!((status, a["patient_id"].as_i64()), (StatusCode::OK, Some(patient.id)), "history kept");
        let (status, e) = app.post(&app.admin, &format!("/api/v1/admin/users/{}/deactivate", app.admin.id), json!({})).await;
        assert_eq!((status, e["code"].as_str()), (StatusCode::CONFLICT, Some("own_account")));
        // Reactivated: signs in again.
        let (status, _) = app.post(&app.admin, &format!("/api/v1/admin/users/{}/reactivate", patient.id), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = app.call(None, reqwest::Method::POST, "/api/v1/auth/sign-in", Some(json!({"email": patient.email, "password": PASSWORD}))).await;
        assert_eq!(status, StatusCode::OK);
        // All of it is on the record.
        let (_, log) = app.get(&app.admin, &format!("/api/v1/admin/audit?user_id={}", patient.id)).await;
        let actions: Vec<&str> = log["events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        for expected in ["user.updated", "user.deactivated", "user.reactivated"] {
            assert!(actions.contains(&expected), "{expected} in {actions:?}");
        }
    }
}

crate::on_both_engines! {
    async fn a_password_change_checks_the_current_one_and_ends_every_other_session(app) {
        let patient = app.user(Role::Patient).await;
        let other_token = app.token_for(&patient.email).await;
        let change = |current: &str, new: &str| json!({"current_password": current, "new_password": new});
        let (status, e) = app.post(&patient, "/api/v1/me/password", change("wrong password!", "a brand new password")).await;
        assert_eq!((status, e["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_credentials")));
        let (status, e) = app.post(&patient, "/api/v1/me/password", change(PASSWORD, "short")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(e["detail"].as_str().unwrap().starts_with("new_password:"), "{e}");
        let (status, _) = app.post(&patient, "/api/v1/me/password", change(PASSWORD, "a brand new password")).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        // The session in use goes on; every other one ended.
        assert_eq!(app.get(&patient, "/api/v1/me").await.0, StatusCode::OK);
        let other = app.http.get(app.url("/api/v1/me")).bearer_auth(&other_token).send().await.unwrap();
        assert_eq!(other.status(), StatusCode::UNAUTHORIZED);
        let (status, _) = app.call(None, reqwest::Method::POST, "/api/v1/auth/sign-in", Some(json!({"email": patient.email, "password": PASSWORD}))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "the old password no longer works");
        let (status, _) = app.call(None, reqwest::Method::POST, "/api/v1/auth/sign-in", Some(json!({"email": patient.email, "password": "a brand new password"}))).await;
        assert_eq!(status, StatusCode::OK);
        let (_, log) = app.get(&app.admin, &format!("/api/v1/admin/audit?user_id={}", patient.id)).await;
        let changed = log["events"].as_array().unwrap().iter().find(|e| e["action"] == "auth.password_changed").expect("on the record").clone();
        assert_eq!(changed["target"], "1 other sessions ended");
        assert!(!log.to_string().contains("brand new"), "no password in the log");
    }
}
