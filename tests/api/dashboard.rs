//! The dashboard's pages over HTTP: sign-in, the CSRF check of every form, the security
//! headers, redirects, languages and the accessibility basics that markup can show. (The
//! live behaviour in a real browser is in `browser.rs`.)

use crate::helpers::{TestApp, TestUser, PASSWORD};
use crate::on_both_engines;
use carebell::domain::Role;
use reqwest::header::{CONTENT_SECURITY_POLICY, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::json;

/// A browser: keeps cookies, does not follow redirects (so that they can be checked).
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of a hidden `csrf_token` field of a page.
fn form_token(html: &str) -> String {
    let field = "name=\"csrf_token\" value=\"";
    let at = html.find(field).expect("a form token") + field.len();
    html[at..at + 64].to_owned()
}

async fn sign_in(app: &TestApp, b: &reqwest::Client, user: &TestUser) -> reqwest::Response {
    let page = b
        .get(app.url("/sign-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    b.post(app.url("/sign-in"))
        .form(&[
            ("email", user.email.as_str()),
            ("password", PASSWORD),
            ("csrf_token", &form_token(&page)),
        ])
        .send()
        .await
        .unwrap()
}

async fn page(app: &TestApp, b: &reqwest::Client, path: &str) -> (StatusCode, String) {
    let r = b.get(app.url(path)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

fn location(r: &reqwest::Response) -> String {
    match r.headers().get(LOCATION) {
        Some(l) => l.to_str().unwrap().to_owned(),
        None => format!("(no location; status {})", r.status()),
    }
}

on_both_engines! {
    async fn pages_need_a_session_and_send_a_strict_content_security_policy(app) {
        let b = browser();
        let r = b.get(app.url("/patient")).send().await.unwrap();
        assert_eq!((r.status(), location(&r)), (StatusCode::SEE_OTHER, "/sign-in".to_owned()));
        let patient = app.user(Role::Patient).await;
        let r = sign_in(&app, &b, &patient).await;
        assert_eq!((r.status(), location(&r)), (StatusCode::SEE_OTHER, "/patient".to_owned()));
        let cookie = r.headers().get_all(SET_COOKIE).iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with("carebell_session=")).unwrap();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");

        for path in ["/patient", "/patient-dashboard/notifications/", "/sign-in", "/assets/app.js"] {
            let r = b.get(app.url(path)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            let csp = r.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
            assert!(csp.contains("script-src 'self'") && csp.contains("default-src 'none'"), "{csp}");
            assert!(!csp.contains("unsafe"), "{csp}");
            let html = r.text().await.unwrap();
            if path.starts_with("/assets") {
                continue;
            }
            // Nothing inline for the policy to refuse: scripts come from files, no style
            // attributes, no event-handler attributes.
            for (i, _) in html.match_indices("<script") {
                assert!(html[i..].split('>').next().unwrap().contains("src=\"/assets/"), "{path}: inline script");
            }
            assert!(!html.contains(" style=") && !html.contains(" onclick=") && !html.contains(" onload="), "{path}");
        }
        // Someone else's role: sent to their own dashboard.
        let r = b.get(app.url("/practitioner")).send().await.unwrap();
        assert_eq!((r.status(), location(&r)), (StatusCode::SEE_OTHER, "/dashboard".to_owned()));
    }

    async fn every_form_needs_the_session_token(app) {
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        let slots = app.slots(&doctor, &[24, 25]).await;
        let b = browser();
        sign_in(&app, &b, &patient).await;
        let (_, html) = page(&app, &b, "/patient").await;
        let token = form_token(&html);
        assert!(html.contains(&format!("data-slot=\"{}\"", slots[0])), "the free slot is offered");

        // Without the token, or with another, nothing happens.
        for forged in [None, Some("0".repeat(64))] {
            let mut form = vec![("slot_id", slots[0].to_string())];
            if let Some(t) = forged {
                form.push(("csrf_token", t));
            }
            let r = b.post(app.url("/patient/book")).form(&form).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN);
            assert!(r.text().await.unwrap().contains("csrf_failed"));
        }
        let (_, list) = app.get(&patient, "/api/v1/appointments").await;
        assert_eq!(list["appointments"].as_array().unwrap().len(), 0);

        // With it, the booking is made and the page says so; a `back` to another site is
        // not followed.
        let r = b.post(app.url("/patient/book"))
            .form(&[("slot_id", slots[0].to_string()), ("csrf_token", token.clone()), ("reason", "check-up".into()), ("back", "//evil.example/x".into())])
            .send().await.unwrap();
        assert_eq!((r.status(), location(&r)), (StatusCode::SEE_OTHER, "/patient?ok=booked".to_owned()));
        let (_, html) = page(&app, &b, "/patient?ok=booked").await;
        assert!(html.contains("role=\"status\"") && html.contains("Your request was sent"), "{html}");
        let (_, list) = app.get(&patient, "/api/v1/appointments").await;
        assert_eq!(list["appointments"][0]["status"], "requested");

        // A refused action comes back as a message, not an error page.
        let other = app.user(Role::Patient).await;
        let b2 = browser();
        sign_in(&app, &b2, &other).await;
        let (_, html) = page(&app, &b2, "/patient").await;
        let r = b2.post(app.url("/patient/book"))
            .form(&[("slot_id", slots[0].to_string()), ("csrf_token", form_token(&html))])
            .send().await.unwrap();
        assert!(location(&r).contains("error=slot_taken"), "{}", location(&r));

        // The JSON API still wants its header for cookie sessions.
        let r = b.post(app.url("/api/v1/notifications/read-all")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);

        // The practitioner accepts from the page.
        let db = browser();
        sign_in(&app, &db, &doctor).await;
        let (_, html) = page(&app, &db, "/practitioner").await;
        let id = list["appointments"][0]["id"].as_i64().unwrap();
        assert!(html.contains(&format!("data-appointment=\"{id}\"")), "the request is listed");
        let r = db.post(app.url(&format!("/practitioner/appointments/{id}/accept")))
            .form(&[("csrf_token", form_token(&html))])
            .send().await.unwrap();
        assert_eq!(location(&r), "/practitioner?ok=accepted");
        let (_, a) = app.get(&patient, &format!("/api/v1/appointments/{id}")).await;
        assert_eq!(a["status"], "confirmed");
    }

    async fn sign_in_is_checked_throttled_and_localised(app) {
        let patient = app.user_with(Role::Patient, json!({"language": "fr"})).await;
        let b = browser();
        // No form token: refused before the password is looked at.
        let r = b.post(app.url("/sign-in")).form(&[("email", patient.email.as_str()), ("password", PASSWORD)]).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let page_fr = b.get(app.url("/sign-in")).header("accept-language", "fr-FR,fr;q=0.9").send().await.unwrap().text().await.unwrap();
        assert!(page_fr.contains("lang=\"fr\"") && page_fr.contains("Mot de passe"), "{page_fr}");
        for _ in 0..5 {
            let html = b.get(app.url("/sign-in")).send().await.unwrap().text().await.unwrap();
            let r = b.post(app.url("/sign-in"))
                .form(&[("email", patient.email.as_str()), ("password", "wrong"), ("csrf_token", &form_token(&html))])
                .send().await.unwrap();
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
            assert!(r.text().await.unwrap().contains("role=\"alert\""));
        }
        let r = sign_in(&app, &b, &patient).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "the right password is refused while locked");
    }

    async fn pages_speak_the_users_language_and_label_every_control(app) {
        let doctor = app.user_with(Role::Practitioner, json!({"language": "fr"})).await;
        let patient = app.user_with(Role::Patient, json!({"language": "ar", "time_zone": "Africa/Casablanca"})).await;
        let slots = app.slots(&doctor, &[24]).await;
        app.book(&patient, slots[0]).await;
        app.drain().await;

        let b = browser();
        sign_in(&app, &b, &patient).await;
        let (_, html) = page(&app, &b, "/patient").await;
        assert!(html.contains("lang=\"ar\" dir=\"rtl\""), "{html}");
        assert!(html.contains("Casablanca") && html.contains("بانتظار التأكيد"), "status in Arabic: {html}");
        // The notification text is in Arabic too, in the patient's zone.
        assert!(html.contains("استلمنا طلب حجزك"), "{html}");
        assert_labelled(&html);
        assert!(html.contains("aria-live=\"polite\""));

        let b = browser();
        sign_in(&app, &b, &doctor).await;
        let (_, html) = page(&app, &b, "/practitioner").await;
        assert!(html.contains("lang=\"fr\" dir=\"ltr\"") && html.contains("Demandes à traiter"));
        assert!(html.contains("Nouvelle demande de rendez-vous"), "the notification in French");
        assert_labelled(&html);

        let b = browser();
        sign_in(&app, &b, &app.admin).await;
        let (status, html) = page(&app, &b, "/admin?state=sent").await;
        assert_eq!(status, StatusCode::OK);
        assert_labelled(&html);
    }
}

/// Every visible input, select and textarea has a `<label for=…>` (or sits in a label).
fn assert_labelled(html: &str) {
    let mut from = 0;
    while let Some(i) = html[from..].find(['<']) {
        let start = from + i;
        from = start + 1;
        let tag = &html[start..];
        if !(tag.starts_with("<input")
            || tag.starts_with("<select")
            || tag.starts_with("<textarea"))
        {
            continue;
        }
        let element = tag.split('>').next().unwrap();
        if element.contains("type=\"hidden\"") {
            continue;
        }
        let in_label = html[..start]
            .rfind("<label")
            .is_some_and(|l| !html[l..start].contains("</label>"));
        let labelled = element
            .split("id=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .is_some_and(|id| html.contains(&format!("for=\"{id}\"")));
        assert!(in_label || labelled, "unlabelled control: {element}");
    }
}
