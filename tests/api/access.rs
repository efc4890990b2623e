//! Nobody can read or change another user's notifications, appointments or slots: every
//! endpoint, with every role, on someone else's ids.

use crate::on_both_engines;
use carebell::domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const FORBIDDEN: StatusCode = StatusCode::FORBIDDEN;
const NOT_FOUND: StatusCode = StatusCode::NOT_FOUND;
const OK: StatusCode = StatusCode::OK;

struct Case {
    method: Method,
    path: String,
    body: Option<Value>,
}

fn case(method: Method, path: impl Into<String>, body: Option<Value>) -> Case {
    Case {
        method,
        path: path.into(),
        body,
    }
}

on_both_engines! {
    async fn every_endpoint_refuses_other_peoples_ids_for_every_role(app) {
        let doctor = app.user(Role::Practitioner).await;
        let other_doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        let other_patient = app.user(Role::Patient).await;
        let slots = app.slots(&doctor, &[24, 26]).await;
        let (held, free) = (slots[0], slots[1]);
        let appt = app.book(&patient, held).await;
        let note = app.notifications(&patient).await[0]["id"].as_i64().unwrap();
        let doctor_note = app.notifications(&doctor).await[0]["id"].as_i64().unwrap();

        use Method as M;
        let a = |suffix: &str| format!("/api/v1/appointments/{appt}{suffix}");
        // Requests about the appointment, slot and notifications of `patient` and `doctor`.
        let foreign = vec![
            (case(M::GET, a(""), None), [NOT_FOUND, NOT_FOUND]),
            (case(M::POST, a("/accept"), None), [NOT_FOUND, NOT_FOUND]),
            (case(M::POST, a("/decline"), None), [NOT_FOUND, NOT_FOUND]),
            (case(M::POST, a("/cancel"), Some(json!({"reason": "x"}))), [NOT_FOUND, NOT_FOUND]),
            (case(M::POST, a("/reschedule"), Some(json!({"slot_id": free}))), [NOT_FOUND, NOT_FOUND]),
            (case(M::POST, format!("/api/v1/notifications/{note}/read"), None), [NOT_FOUND, NOT_FOUND]),
            (case(M::POST, format!("/api/v1/notifications/{doctor_note}/read"), None), [NOT_FOUND, NOT_FOUND]),
            (case(M::DELETE, format!("/api/v1/slots/{free}"), None), [FORBIDDEN, NOT_FOUND]),
            // The old paths answer "not found" as the old system did: 200, success false.
            (case(M::POST, format!("/practitioner-dashboard/api/appointments/{appt}/accept/"), None), [FORBIDDEN, OK]),
            (case(M::POST, format!("/practitioner-dashboard/api/appointments/{appt}/decline/"), None), [FORBIDDEN, OK]),
            (case(M::POST, "/practitioner-dashboard/api/notifications/mark-read/", Some(json!({"notification_id": doctor_note}))), [FORBIDDEN, OK]),
            (case(M::POST, "/patient-dashboard/mark-notification-read/", Some(json!({"notification_id": note}))), [OK, FORBIDDEN]),
        ];
        for (c, [as_other_patient, as_other_doctor]) in &foreign {
            for (who, expected) in [(&other_patient, as_other_patient), (&other_doctor, as_other_doctor)] {
                let (status, body) = app.call(Some(who), c.method.clone(), &c.path, c.body.clone()).await;
                assert_eq!(status, *expected, "{} {} as {:?}: {body}", c.method, c.path, who.role);
                if c.path.starts_with("/api/") {
                    assert!(body["code"].is_string() && body["detail"].is_string(), "{body}");
                } else {
                    assert_eq!(body["success"], false, "{body}");
                    let code = body["code"].as_str().unwrap();
                    assert!(code == "not_found" || code == "forbidden", "{body}");
                }
            }
        }

        // Role-restricted endpoints, for each role that may not use them.
        let role_bound = vec![
            (case(M::POST, "/api/v1/appointments", Some(json!({"slot_id": free}))), vec![&doctor, &app.admin]),
            (case(M::POST, a("/accept"), None), vec![&patient]),
            (case(M::POST, "/api/v1/slots", Some(json!({"slots": []}))), vec![&patient, &app.admin]),
            (case(M::GET, "/api/v1/slots", None), vec![&patient, &app.admin]),
            (case(M::DELETE, format!("/api/v1/slots/{free}"), None), vec![&patient, &app.admin]),
            (case(M::POST, "/api/v1/availability/notify", None), vec![&patient, &app.admin]),
            (case(M::PUT, format!("/api/v1/practitioners/{}/follow", doctor.id), None), vec![&doctor, &app.admin]),
            (case(M::DELETE, format!("/api/v1/practitioners/{}/follow", doctor.id), None), vec![&doctor, &app.admin]),
            (case(M::GET, "/api/v1/follows", None), vec![&doctor, &app.admin]),
            (case(M::POST, "/api/v1/admin/users", Some(json!({}))), vec![&patient, &doctor]),
            (case(M::GET, "/api/v1/admin/deliveries", None), vec![&patient, &doctor]),
            (case(M::GET, "/api/v1/admin/deliveries/1", None), vec![&patient, &doctor]),
            (case(M::POST, "/api/v1/admin/deliveries/1/retry", None), vec![&patient, &doctor]),
            (case(M::GET, "/practitioner-dashboard/api/notifications/", None), vec![&patient, &app.admin]),
            (case(M::POST, "/practitioner-dashboard/api/notifications/mark-all-read/", None), vec![&patient, &app.admin]),
            (case(M::POST, "/practitioner-dashboard/api/notify-availability/", None), vec![&patient, &app.admin]),
            (case(M::POST, "/patient-dashboard/mark-notifications-read/", None), vec![&doctor, &app.admin]),
        ];
        for (c, who) in &role_bound {
            for u in who {
                let (status, body) = app.call(Some(u), c.method.clone(), &c.path, c.body.clone()).await;
                assert_eq!(status, FORBIDDEN, "{} {} as {:?}: {body}", c.method, c.path, u.role);
            }
        }

        // Lists show only one's own.
        for u in [&other_patient, &other_doctor] {
            let (_, mine) = app.get(u, "/api/v1/appointments").await;
            assert!(mine["appointments"].as_array().unwrap().is_empty(), "{mine}");
            assert!(app.notifications(u).await.is_empty());
        }

        // Nothing above changed anything.
        let (_, still) = app.get(&patient, &a("")).await;
        assert_eq!((still["status"].as_str(), still["version"].as_i64()), (Some("requested"), Some(1)));
        assert_eq!(app.unread(&patient).await, 1);
        assert_eq!(app.unread(&doctor).await, 1);
        let (_, own) = app.get(&doctor, "/api/v1/slots").await;
        assert_eq!(own["slots"].as_array().unwrap().len(), 2);
    }

    async fn every_private_endpoint_needs_a_sign_in(app) {
        let paths = [
            (Method::GET, "/api/v1/me"),
            (Method::POST, "/api/v1/auth/sign-out"),
            (Method::GET, "/api/v1/practitioners"),
            (Method::GET, "/api/v1/practitioners/1/slots"),
            (Method::PUT, "/api/v1/practitioners/1/follow"),
            (Method::DELETE, "/api/v1/practitioners/1/follow"),
            (Method::GET, "/api/v1/follows"),
            (Method::GET, "/api/v1/slots"),
            (Method::POST, "/api/v1/slots"),
            (Method::DELETE, "/api/v1/slots/1"),
            (Method::POST, "/api/v1/availability/notify"),
            (Method::GET, "/api/v1/appointments"),
            (Method::POST, "/api/v1/appointments"),
            (Method::GET, "/api/v1/appointments/1"),
            (Method::POST, "/api/v1/appointments/1/accept"),
            (Method::POST, "/api/v1/appointments/1/decline"),
            (Method::POST, "/api/v1/appointments/1/cancel"),
            (Method::POST, "/api/v1/appointments/1/reschedule"),
            (Method::GET, "/api/v1/notifications"),
            (Method::GET, "/api/v1/notifications/unread-count"),
            (Method::GET, "/api/v1/notifications/stream"),
            (Method::POST, "/api/v1/notifications/read-all"),
            (Method::POST, "/api/v1/notifications/1/read"),
            (Method::POST, "/api/v1/admin/users"),
            (Method::GET, "/api/v1/admin/deliveries"),
            (Method::GET, "/api/v1/admin/deliveries/1"),
            (Method::POST, "/api/v1/admin/deliveries/1/retry"),
            (Method::GET, "/practitioner-dashboard/api/notifications/"),
            (Method::POST, "/practitioner-dashboard/api/notifications/mark-read/"),
            (Method::POST, "/practitioner-dashboard/api/notifications/mark-all-read/"),
            (Method::POST, "/practitioner-dashboard/api/appointments/1/accept/"),
            (Method::POST, "/practitioner-dashboard/api/notify-availability/"),
            (Method::POST, "/patient-dashboard/mark-notifications-read/"),
            (Method::POST, "/patient-dashboard/mark-notification-read/"),
        ];
        // (The old HTML page sends a signed-out browser to sign in: seed_paths.rs.)
        for (method, path) in paths {
            let (status, body) = app.call(None, method.clone(), path, None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {body}");
            assert_eq!(body["code"], "unauthenticated");
        }
    }
}
