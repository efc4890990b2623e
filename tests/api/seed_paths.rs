//! The paths of the system carebell replaces keep working.

use crate::on_both_engines;
use carebell::domain::Role;
use reqwest::StatusCode;
use serde_json::json;

on_both_engines! {
    async fn practitioner_dashboard_paths_behave_as_before(app) {
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        let slots = app.slots(&doctor, &[24, 26]).await;
        let first = app.book(&patient, slots[0]).await;
        let second = app.book(&patient, slots[1]).await;

        let (status, list) = app.get(&doctor, "/practitioner-dashboard/api/notifications/").await;
        assert_eq!((status, list["unread_count"].as_i64()), (StatusCode::OK, Some(2)));
        let id = list["notifications"][0]["id"].as_i64().unwrap();

        // The old dashboard posted forms.
        let resp = app.http.post(app.url("/practitioner-dashboard/api/notifications/mark-read/"))
            .bearer_auth(&doctor.token).form(&[("notification_id", id.to_string())]).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!((body["success"].as_bool(), body["unread_count"].as_i64()), (Some(true), Some(1)));
        let (status, body) = app.post(&doctor, "/practitioner-dashboard/api/notifications/mark-all-read/", json!({})).await;
        assert_eq!((status, body["unread_count"].as_i64()), (StatusCode::OK, Some(0)));

        let (status, body) = app.post(&doctor, &format!("/practitioner-dashboard/api/appointments/{first}/accept/"), json!({})).await;
        assert_eq!((status, body["appointment"]["status"].as_str()), (StatusCode::OK, Some("confirmed")));
        let (status, body) = app.post(&doctor, &format!("/practitioner-dashboard/api/appointments/{second}/decline/"), json!({"reason": "full"})).await;
        assert_eq!((status, body["appointment"]["status"].as_str()), (StatusCode::OK, Some("declined")));
        let (status, e) = app.post(&doctor, &format!("/practitioner-dashboard/api/appointments/{second}/approve/"), json!({})).await;
        assert_eq!((status, e["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));

        let (status, body) = app.post(&doctor, "/practitioner-dashboard/api/notify-availability/", json!({})).await;
        assert_eq!((status, body["success"].as_bool()), (StatusCode::OK, Some(true)), "{body}");
    }

    async fn patient_dashboard_paths_behave_as_before(app) {
        let doctor = app.user_with(Role::Practitioner, json!({"name": "<script>alert(1)</script>"})).await;
        let patient = app.user_with(Role::Patient, json!({"language": "ar"})).await;
        let slots = app.slots(&doctor, &[24]).await;
        let id = app.book(&patient, slots[0]).await;
        app.post(&doctor, &format!("/api/v1/appointments/{id}/accept"), json!({})).await;
        let ids: Vec<i64> = app.notifications(&patient).await.iter().map(|n| n["id"].as_i64().unwrap()).collect();

        let resp = app.http.get(app.url("/patient-dashboard/notifications/")).bearer_auth(&patient.token).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let csp = resp.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
        let html = resp.text().await.unwrap();
        assert!(html.contains("&lt;script&gt;alert(1)&lt;"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("dir=\"rtl\"") && html.contains("data-unread>2<"), "{html}");

        let (status, body) = app.post(&patient, "/patient-dashboard/mark-notification-read/", json!({"notification_id": ids[0]})).await;
        assert_eq!((status, body["unread_count"].as_i64()), (StatusCode::OK, Some(1)));
        let (status, body) = app.post(&patient, "/patient-dashboard/mark-notifications-read/", json!({})).await;
        assert_eq!((status, body["unread_count"].as_i64()), (StatusCode::OK, Some(0)));
    }
}
