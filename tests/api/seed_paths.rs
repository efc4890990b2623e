//! The paths of the system carebell replaces, driven as that system's own dashboard code
//! drives them: a browser signs in through the sign-in page, the page's script reads the
//! `csrftoken` cookie and sends it as `X-CSRFToken` with `Content-Type: application/json`,
//! ids go as strings (`'{{ notification.id }}'`), and the answers are read by the fields
//! its JavaScript reads (`success`, `notifications[].is_read`, `url`, `type`, `time_ago`, …).

use crate::helpers::{form_token, TestApp, TestUser, PASSWORD};
use crate::on_both_engines;
use carebell::domain::Role;
use reqwest::cookie::CookieStore;
use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::Arc;

/// A browser of the old dashboard: a cookie jar it can read (as `document.cookie` can
/// read the cookies that are not `HttpOnly`), redirects not followed.
struct OldBrowser {
    http: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
    base: reqwest::Url,
}

impl OldBrowser {
    fn new(app: &TestApp) -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            http,
            jar,
            base: app.url("/").parse().unwrap(),
        }
    }

    /// `getCookie(name)` as the old script wrote it.
    fn get_cookie(&self, name: &str) -> Option<String> {
        let header = self.jar.cookies(&self.base)?;
        header
            .to_str()
            .unwrap()
            .split("; ")
            .find_map(|c| c.strip_prefix(&format!("{name}=")).map(str::to_owned))
    }

    /// Signs in through the sign-in page's form, as a person does; returns the answer.
    async fn sign_in(
        &self,
        app: &TestApp,
        user: &TestUser,
        next: Option<&str>,
    ) -> reqwest::Response {
        let page = self
            .http
            .get(app.url("/sign-in"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let token = form_token(&page);
        let mut form = vec![
            ("email", user.email.as_str()),
            ("password", PASSWORD),
            ("csrf_token", token.as_str()),
        ];
        if let Some(next) = next {
            form.push(("next", next));
        }
        self.http
            .post(app.url("/sign-in"))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// `fetch(path, {method: 'POST', headers: {'Content-Type': 'application/json',
    /// 'X-CSRFToken': getCookie('csrftoken')}, body: JSON.stringify(body)})`.
    async fn post(&self, app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
        let mut request = self
            .http
            .post(app.url(path))
            .header("content-type", "application/json");
        if let Some(token) = self.get_cookie("csrftoken") {
            request = request.header("X-CSRFToken", token);
        }
        let r = request.body(body.to_string()).send().await.unwrap();
        (r.status(), r.json().await.unwrap())
    }

    async fn get(&self, app: &TestApp, path: &str) -> (StatusCode, Value) {
        let r = self.http.get(app.url(path)).send().await.unwrap();
        (r.status(), r.json().await.unwrap())
    }
}

on_both_engines! {
    async fn the_old_practitioner_dashboard_script_works_unchanged(app) {
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        let hours: Vec<u64> = (0..24).map(|i| 24 + i).collect();
        let slots = app.slots(&doctor, &hours).await;
        let mut booked = Vec::new();
        for slot in &slots[..22] {
            booked.push(app.book(&patient, *slot).await);
        }
        app.drain().await;

        let browser = OldBrowser::new(&app);
        let signed = browser.sign_in(&app, &doctor, None).await;
        let cookies: Vec<String> = signed.headers().get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect();
        let csrf_cookie = cookies.iter().find(|c| c.starts_with("csrftoken=")).expect("a csrftoken cookie at sign-in");
        assert!(!csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Lax"), "{csrf_cookie}");
        assert!(cookies.iter().any(|c| c.starts_with("carebell_session=") && c.contains("HttpOnly")));

        // The list, as the script reads it: the 20 newest.
        let (status, list) = browser.get(&app, "/practitioner-dashboard/api/notifications/").await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert_eq!((list["success"].as_bool(), list["unread_count"].as_i64()), (Some(true), Some(22)));
        let items = list["notifications"].as_array().unwrap();
        assert_eq!(items.len(), 20);
        let first = &items[0];
        for field in ["id", "title", "message", "type", "url", "is_read", "created_at", "time_ago"] {
            assert!(first.get(field).is_some(), "{field} missing: {first}");
        }
        assert_eq!((first["type"].as_str(), first["is_read"].as_bool()), (Some("info"), Some(false)));
        assert!(first["url"].as_str().unwrap().starts_with("/appointments/"), "{first}");
        let created = first["created_at"].as_str().unwrap();
        assert!(created.len() == 19 && created.as_bytes()[10] == b' ' && created.as_bytes()[13] == b':', "%Y-%m-%d %H:%M:%S: {created}");
        assert_eq!(first["time_ago"], "just now");
        assert!(!first["message"].as_str().unwrap().is_empty());

        // Mark one read with the id as a string, as the template wrote it.
        let id = first["id"].as_i64().unwrap();
        let (status, body) = browser.post(&app, "/practitioner-dashboard/api/notifications/mark-read/", json!({"notification_id": id.to_string()})).await;
        assert_eq!((status, body["success"].as_bool(), body["unread_count"].as_i64()), (StatusCode::OK, Some(true), Some(21)), "{body}");
        let (_, list) = browser.get(&app, "/practitioner-dashboard/api/notifications/").await;
        assert_eq!(list["notifications"][0]["is_read"], true);
        // An unknown one: the old error shape, status 200.
        let (status, body) = browser.post(&app, "/practitioner-dashboard/api/notifications/mark-read/", json!({"notification_id": "999999"})).await;
        assert_eq!((status, body["success"].as_bool()), (StatusCode::OK, Some(false)), "{body}");
        assert!(body["error"].as_str().unwrap().contains("not found"), "{body}");
        let (status, body) = browser.post(&app, "/practitioner-dashboard/api/notifications/mark-read/", json!({"notification_id": "12abc"})).await;
        assert_eq!((status, body["success"].as_bool(), body["code"].as_str()), (StatusCode::OK, Some(false), Some("validation_failed")), "{body}");

        // Accept and decline, as the old answers said.
        let (status, body) = browser.post(&app, &format!("/practitioner-dashboard/api/appointments/{}/accept/", booked[0]), json!({})).await;
        assert_eq!((status, body["success"].as_bool(), body["status"].as_str()), (StatusCode::OK, Some(true), Some("Accepted")), "{body}");
        assert!(!body["message"].as_str().unwrap().is_empty());
        let (_, body) = browser.post(&app, &format!("/practitioner-dashboard/api/appointments/{}/decline/", booked[1]), json!({"reason": "full"})).await;
        assert_eq!((body["success"].as_bool(), body["status"].as_str()), (Some(true), Some("Cancelled")), "{body}");
        let (status, body) = browser.post(&app, &format!("/practitioner-dashboard/api/appointments/{}/approve/", booked[2]), json!({})).await;
        assert_eq!((status, body), (StatusCode::OK, json!({"success": false, "error": "Invalid action", "code": "invalid_action"})));
        let (status, body) = browser.post(&app, &format!("/practitioner-dashboard/api/appointments/{}/accept/", booked[0]), json!({})).await;
        assert_eq!((status, body["success"].as_bool(), body["code"].as_str()), (StatusCode::OK, Some(false), Some("invalid_transition")), "{body}");

        let (status, body) = browser.post(&app, "/practitioner-dashboard/api/notify-availability/", json!({"message": "Extra times on Friday"})).await;
        assert_eq!((status, body["success"].as_bool()), (StatusCode::OK, Some(true)), "{body}");
        assert!(body["message"].as_str().unwrap().contains("patient"), "{body}");
        let (_, body) = browser.post(&app, "/practitioner-dashboard/api/notifications/mark-all-read/", json!({})).await;
        assert_eq!((body["success"].as_bool(), body["unread_count"].as_i64()), (Some(true), Some(0)), "{body}");

        // CSRF is not weaker: without the header, or with a token that is not this
        // session's, the cookie alone does nothing.
        let plain = browser.http.post(app.url("/practitioner-dashboard/api/notifications/mark-all-read/")).header("content-type", "application/json").body("{}").send().await.unwrap();
        assert_eq!(plain.status(), StatusCode::FORBIDDEN);
        let body: Value = plain.json().await.unwrap();
        assert_eq!((body["success"].as_bool(), body["code"].as_str()), (Some(false), Some("csrf_failed")));
        let other = OldBrowser::new(&app);
        other.sign_in(&app, &doctor, None).await;
        let forged = browser.http.post(app.url("/practitioner-dashboard/api/notifications/mark-all-read/"))
            .header("X-CSRFToken", other.get_cookie("csrftoken").unwrap())
            .json(&json!({})).send().await.unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN, "another session's token");
        // Bearer tokens need none.
        let (status, body) = app.post(&doctor, "/practitioner-dashboard/api/notifications/mark-all-read/", json!({})).await;
        assert_eq!((status, body["success"].as_bool()), (StatusCode::OK, Some(true)));
        // A patient on the practitioner's paths: refused, in the old shape.
        let (status, body) = app.get(&patient, "/practitioner-dashboard/api/notifications/").await;
        assert_eq!((status, body["success"].as_bool()), (StatusCode::FORBIDDEN, Some(false)));
        // Signing out removes the readable token too.
        let out = browser.http.post(app.url("/api/v1/auth/sign-out")).header("X-CSRFToken", browser.get_cookie("csrftoken").unwrap()).send().await.unwrap();
        assert_eq!(out.status(), StatusCode::NO_CONTENT);
        assert_eq!(browser.get_cookie("csrftoken"), None);
    }

    async fn the_old_patient_page_and_its_script_work_unchanged(app) {
        let doctor = app.user_with(Role::Practitioner, json!({"name": "<script>alert(1)</script>"})).await;
        let patient = app.user_with(Role::Patient, json!({"language": "ar"})).await;
        let slots = app.slots(&doctor, &[24]).await;
        let id = app.book(&patient, slots[0]).await;
        app.post(&doctor, &format!("/api/v1/appointments/{id}/accept"), json!({})).await;
        let ids: Vec<i64> = app.notifications(&patient).await.iter().map(|n| n["id"].as_i64().unwrap()).collect();

        // Signed out, the old page sends the browser to sign in, and back after it.
        let browser = OldBrowser::new(&app);
        let r = browser.http.get(app.url("/patient-dashboard/notifications/")).send().await.unwrap();
        let to = r.headers()[LOCATION].to_str().unwrap().to_owned();
        assert!(r.status().is_redirection(), "{}", r.status());
        assert_eq!(to, "/sign-in?next=%2Fpatient-dashboard%2Fnotifications%2F");
        let signed = browser.sign_in(&app, &patient, Some("/patient-dashboard/notifications/")).await;
        assert_eq!(signed.headers()[LOCATION].to_str().unwrap(), "/patient-dashboard/notifications/");

        let resp = browser.http.get(app.url("/patient-dashboard/notifications/")).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let csp = resp.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
        let html = resp.text().await.unwrap();
        assert!(html.contains("&lt;script&gt;alert(1)&lt;"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("dir=\"rtl\"") && html.contains("data-unread>2<"), "{html}");

        let (status, body) = browser.post(&app, "/patient-dashboard/mark-notification-read/", json!({"notification_id": ids[0].to_string()})).await;
        assert_eq!((status, body["success"].as_bool(), body["unread_count"].as_i64()), (StatusCode::OK, Some(true), Some(1)), "{body}");
        // The old form post works too (a form, with the token in the header).
        let r = browser.http.post(app.url("/patient-dashboard/mark-notifications-read/"))
            .header("X-CSRFToken", browser.get_cookie("csrftoken").unwrap())
            .form(&[("csrfmiddlewaretoken", "ignored")]).send().await.unwrap();
        let body: Value = r.json().await.unwrap();
        assert_eq!((body["success"].as_bool(), body["unread_count"].as_i64()), (Some(true), Some(0)), "{body}");
        // A practitioner's page is not the patient's.
        let doctor_browser = OldBrowser::new(&app);
        doctor_browser.sign_in(&app, &doctor, None).await;
        let r = doctor_browser.http.get(app.url("/patient-dashboard/notifications/")).send().await.unwrap();
        assert!(r.status().is_redirection() && r.headers()[LOCATION] != "/patient-dashboard/notifications/");
    }
}
