//! Bad input gets a clear JSON error, never a 500.

use crate::helpers::*;
use crate::on_both_engines;
use carebell::domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_engines! {
    async fn malformed_requests_get_stable_json_errors(app) {
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        let slot = app.slots(&doctor, &[24]).await[0];
        let raw = |user: &TestUser, method: Method, path: &str, body: &'static str, ctype: &'static str| {
            app.http
                .request(method, app.url(path))
                .bearer_auth(&user.token)
                .header("content-type", ctype)
                .body(body)
        };
        let cases = [
            (raw(&patient, Method::POST, "/api/v1/appointments", "{not json", "application/json"), 400, "invalid_json"),
            (raw(&patient, Method::POST, "/api/v1/appointments", "[1,2]", "application/json"), 422, "validation_failed"),
            (raw(&patient, Method::POST, "/api/v1/appointments", r#"{"slot_id":"x"}"#, "application/json"), 422, "validation_failed"),
            (raw(&patient, Method::POST, "/api/v1/appointments", r#"{"slot_id":1,"evil":1}"#, "application/json"), 422, "validation_failed"),
            (raw(&patient, Method::POST, "/api/v1/appointments", "", "application/json"), 422, "validation_failed"),
            (raw(&patient, Method::POST, "/api/v1/appointments", r#"{"slot_id":99999999999999}"#, "application/json"), 404, "not_found"),
            (raw(&patient, Method::POST, "/api/v1/appointments", r#"{"slot_id":-1}"#, "application/json"), 404, "not_found"),
            (raw(&patient, Method::GET, "/api/v1/appointments/abc", "", "text/plain"), 400, "invalid_path"),
            (raw(&patient, Method::GET, "/api/v1/appointments/99999999999999999999", "", "text/plain"), 400, "invalid_path"),
            (raw(&patient, Method::GET, "/api/v1/notifications?limit=0", "", "text/plain"), 400, "invalid_query"),
            (raw(&patient, Method::GET, "/api/v1/notifications?limit=abc", "", "text/plain"), 400, "invalid_query"),
            (raw(&patient, Method::GET, "/api/v1/appointments?status=lost", "", "text/plain"), 400, "invalid_query"),
            (raw(&patient, Method::GET, "/api/v1/nowhere", "", "text/plain"), 404, "not_found"),
            (raw(&patient, Method::PATCH, "/api/v1/appointments", "", "text/plain"), 405, "method_not_allowed"),
            (raw(&doctor, Method::POST, "/api/v1/slots", r#"{"slots":[{"starts_at":"tomorrow","ends_at":"x"}]}"#, "application/json"), 422, "validation_failed"),
            (raw(&doctor, Method::POST, "/api/v1/slots", r#"{"slots":[]}"#, "application/json"), 422, "validation_failed"),
            (raw(&doctor, Method::POST, "/api/v1/slots", r#"{"slots":[{"starts_at":"2026-12-05T10:00:00Z","ends_at":"2026-12-05T09:00:00Z"}]}"#, "application/json"), 422, "validation_failed"),
            (raw(&doctor, Method::POST, "/api/v1/slots", r#"{"slots":[{"starts_at":"9999-12-31T23:00:00Z","ends_at":"9999-12-31T23:30:00Z"}]}"#, "application/json"), 422, "validation_failed"),
            (raw(&app.admin, Method::POST, "/api/v1/admin/users", r#"{"role":"patient","name":"A","email":"not-an-email","password":"long enough pw"}"#, "application/json"), 422, "validation_failed"),
            (raw(&app.admin, Method::POST, "/api/v1/admin/users", r#"{"role":"patient","name":"A","email":"a@b.example","phone":"0612","password":"long enough pw"}"#, "application/json"), 422, "validation_failed"),
            (raw(&app.admin, Method::POST, "/api/v1/admin/users", r#"{"role":"patient","name":"A","email":"a@b.example","time_zone":"Mars/Base","password":"long enough pw"}"#, "application/json"), 422, "validation_failed"),
            (raw(&app.admin, Method::POST, "/api/v1/admin/users", r#"{"role":"patient","name":"A","email":"a@b.example","password":"short"}"#, "application/json"), 422, "validation_failed"),
            (raw(&app.admin, Method::POST, "/api/v1/admin/users", r#"{"role":"god","name":"A","email":"a@b.example","password":"long enough pw"}"#, "application/json"), 422, "validation_failed"),
            (raw(&app.admin, Method::GET, "/api/v1/admin/deliveries?state=lost", "", "text/plain"), 400, "invalid_query"),
        ];
        for (req, status, code) in cases {
            let resp = req.send().await.unwrap();
            let got = resp.status().as_u16();
            let body: serde_json::Value = resp.json().await.expect("every error body is JSON");
            assert_eq!((got, body["code"].as_str().unwrap_or("")), (status, code), "{body}");
            assert!(!body["detail"].as_str().unwrap().is_empty());
        }
        let huge = "x".repeat(1_001);
        let (status, e) = app.post(&patient, "/api/v1/appointments", json!({"slot_id": slot, "reason": huge})).await;
        assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed")));
        let (status, e) = app.post(&patient, "/api/v1/appointments", json!({"slot_id": slot, "urgency": "yesterday"})).await;
        assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed")));
        // A duplicate email is a conflict, whatever its case.
        let body = json!({"role": "patient", "name": "B", "email": patient.email.to_uppercase(), "password": PASSWORD});
        let (status, e) = app.post(&app.admin, "/api/v1/admin/users", body).await;
        assert_eq!((status, e["code"].as_str()), (StatusCode::CONFLICT, Some("email_taken")));
    }

    async fn random_bodies_never_cause_a_server_error(app) {
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        app.slots(&doctor, &[24]).await;
        let bodies = [
            "null", "true", "0", "\"\"", "{}", "[]", "{\"slot_id\":null}", "{\"slot_id\":1.5}",
            "{\"slots\":[{}]}", "{\"slots\":{}}", "{\"reason\":[]}", "{\"notification_id\":\"1\"}",
            "\u{0}\u{1}", "{\"slot_id\":1,\"reason\":\"\\u0000\"}", "notification_id=abc", "%%%",
        ];
        let targets = [
            (&patient, "/api/v1/appointments"),
            (&patient, "/api/v1/appointments/1/cancel"),
            (&patient, "/api/v1/appointments/1/reschedule"),
            (&doctor, "/api/v1/slots"),
            (&doctor, "/api/v1/appointments/1/decline"),
            (&doctor, "/api/v1/availability/notify"),
            (&doctor, "/practitioner-dashboard/api/notifications/mark-read/"),
            (&patient, "/patient-dashboard/mark-notification-read/"),
            (&app.admin, "/api/v1/admin/users"),
        ];
        for (user, path) in targets {
            for body in bodies {
                for ctype in ["application/json", "application/x-www-form-urlencoded"] {
                    let resp = app.http.post(app.url(path)).bearer_auth(&user.token)
                        .header("content-type", ctype).body(body).send().await.unwrap();
                    let status = resp.status();
                    let text = resp.text().await.unwrap();
                    assert!(status.is_client_error() || status.is_success(), "{path} {body:?} {ctype}: {status} {text}");
                    if status.is_client_error() {
                        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                        assert!(v["code"].is_string(), "{text}");
                    }
                }
            }
        }
    }
}
