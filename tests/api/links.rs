//! Every link in every message opens the right page for its reader: taken from the real
//! in-app records, the emails and the texts, and followed as the recipient (signed in or
//! not) and as someone else.

use crate::helpers::*;
use crate::on_both_engines;
use carebell::domain::Role;
use mail_parser::MessageParser;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::BTreeSet;

/// (recipient's email or phone, channel, kind or file, path) of every link in the outboxes.
fn outbox_links(app: &TestApp) -> Vec<(String, &'static str, String)> {
    let public = &app.settings.server.public_url;
    let find = |text: &str| -> Vec<String> {
        text.match_indices(public.as_str())
            .map(|(at, _)| {
                text[at + public.len()..]
                    .chars()
                    .take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '<' | '\'' | ')'))
                    .collect()
            })
            .collect()
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&app.settings.email.outbox_dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let m = MessageParser::default().parse(&bytes).unwrap();
        let to = m
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap()
            .to_owned();
        let html = m.body_html(0).unwrap().into_owned();
        let text = m.body_text(0).unwrap().into_owned();
        for path in find(&html).into_iter().chain(find(&text)) {
            out.push((to.clone(), "email", path));
        }
    }
    for entry in std::fs::read_dir(&app.settings.sms.outbox_dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let to = text
            .lines()
            .next()
            .unwrap()
            .trim_start_matches("To: ")
            .to_owned();
        for path in find(&text) {
            out.push((to.clone(), "sms", path));
        }
    }
    out
}

async fn browser_for(app: &TestApp, user: &TestUser) -> reqwest::Client {
    let b = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = b
        .post(app.url("/api/v1/auth/sign-in"))
        .json(&json!({"email": user.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    b
}

on_both_engines! {
    async fn every_link_in_every_message_opens_the_right_page_for_its_reader(app) {
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user_with(Role::Patient, json!({"phone": "+33 6 12 34 56 78"})).await;
        let stranger = app.user(Role::Patient).await;
        let (status, _) = app.call(Some(&patient), reqwest::Method::PUT, &format!("/api/v1/practitioners/{}/follow", doctor.id), None).await;
        assert!(status.is_success());
        let slots = app.slots(&doctor, &[48, 50, 52, 54, 56, 26]).await;
        // Confirmed, moved by the patient, cancelled by the practitioner.
        let id = app.book(&patient, slots[0]).await;
        app.post(&doctor, &format!("/api/v1/appointments/{id}/accept"), json!({})).await;
        app.post(&patient, &format!("/api/v1/appointments/{id}/reschedule"), json!({"slot_id": slots[1]})).await;
        app.post(&doctor, &format!("/api/v1/appointments/{id}/cancel"), json!({"reason": "the clinic is closed"})).await;
        // Declined; confirmed then cancelled by the patient; cancelled by an admin.
        let declined = app.book(&patient, slots[2]).await;
        app.post(&doctor, &format!("/api/v1/appointments/{declined}/decline"), json!({"reason": "on leave"})).await;
        let by_patient = app.book(&patient, slots[3]).await;
        app.post(&doctor, &format!("/api/v1/appointments/{by_patient}/accept"), json!({})).await;
        app.post(&patient, &format!("/api/v1/appointments/{by_patient}/cancel"), json!({})).await;
        let by_clinic = app.book(&patient, slots[4]).await;
        app.post(&app.admin, &format!("/api/v1/appointments/{by_clinic}/cancel"), json!({"reason": "closed"})).await;
        // Confirmed 26 h ahead: its 24 h reminder falls due two hours later.
        let reminded = app.book(&patient, slots[5]).await;
        app.post(&doctor, &format!("/api/v1/appointments/{reminded}/accept"), json!({})).await;
        app.post(&doctor, "/api/v1/availability/notify", json!({})).await;
        // Waiting for a time with the doctor, offered the next one added.
        let (status, _) = app.post(&patient, "/api/v1/waitlist", json!({"practitioner_id": doctor.id})).await;
        assert_eq!(status, StatusCode::CREATED);
        app.slots(&doctor, &[60]).await;
        app.drain().await;
        app.clock.advance(HOUR * 2);
        app.drain().await;
        let ids = [id, declined, by_patient, by_clinic, reminded];

        // (reader, channel, path) for every link: in-app records, emails, texts.
        let mut links: BTreeSet<(i64, String, String)> = BTreeSet::new();
        let mut covered = Vec::new();
        for (user, role) in [(&doctor, Role::Practitioner), (&patient, Role::Patient)] {
            for n in app.notifications(user).await {
                let path = n["link"].as_str().expect("every notification links somewhere").to_owned();
                let kind = n["kind"].as_str().unwrap().to_owned();
                covered.push((kind.clone(), role));
                links.insert((user.id, format!("in-app {kind}"), path));
            }
        }
        for (kind, role) in carebell::notify::AUDIENCE {
            assert!(covered.contains(&(kind.as_str().to_owned(), *role)), "no {} to a {role:?} was tried", kind.as_str());
        }
        let mut channels = BTreeSet::new();
        for (to, channel, path) in outbox_links(&app) {
            let reader = if to == doctor.email { doctor.id } else { patient.id };
            assert!(to == doctor.email || to == patient.email || to == "+33612345678", "{to}");
            channels.insert(channel);
            links.insert((reader, channel.to_owned(), path));
        }
        assert_eq!(channels.into_iter().collect::<Vec<_>>(), ["email", "sms"]);

        let signed_in = [(doctor.id, browser_for(&app, &doctor).await), (patient.id, browser_for(&app, &patient).await)];
        let stranger_browser = browser_for(&app, &stranger).await;
        let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        for (reader, channel, path) in &links {
            assert!(path.starts_with('/'), "{channel}: {path}");
            let b = &signed_in.iter().find(|(id, _)| id == reader).unwrap().1;
            let r = b.get(app.url(path)).send().await.unwrap();
            let landed = r.url().path().to_owned();
            let status = r.status();
            let body = r.text().await.unwrap();
            assert_eq!(status, StatusCode::OK, "{channel} {path} -> {landed}");
            if path.starts_with("/unsubscribe/") {
                // Works with no sign-in at all, and only asks until confirmed.
                let bare = no_redirects.get(app.url(path)).send().await.unwrap();
                assert_eq!(bare.status(), StatusCode::OK, "{path}");
                assert!(bare.text().await.unwrap().contains(&format!("action=\"{path}\"")), "{path}");
                continue;
            }
            if path == "/preferences" {
                assert!(body.contains("id=\"preferences\""), "{channel}: the reader's own preferences");
            } else if let Some(offer) = path.strip_prefix("/offers/") {
                assert!(body.contains(&format!("data-offer=\"{offer}\"")), "{channel} {path}: the offer");
                let other = stranger_browser.get(app.url(path)).send().await.unwrap();
                assert_eq!(other.status(), StatusCode::NOT_FOUND, "{path} as a stranger");
            } else if path.starts_with("/practitioners/") {
                assert_eq!(landed, "/patient", "{channel} {path}");
                assert!(body.contains("id=\"slots\"") && body.contains("aria-current=\"true\""), "{channel} {path}: the practitioner's free times");
            } else {
                let shown = ids.iter().find(|a| path == &format!("/appointments/{a}")).unwrap_or_else(|| panic!("{channel}: {path}"));
                assert!(body.contains(&format!("data-appointment=\"{shown}\"")), "{channel} {path} -> {landed}: {body}");
                assert!(landed.starts_with("/appointments/"), "{landed}");
                // As someone else: a not-found page, not JSON.
                let other = stranger_browser.get(app.url(path)).send().await.unwrap();
                assert_eq!(other.status(), StatusCode::NOT_FOUND, "{path} as a stranger");
                assert!(other.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
            }
            // Signed out: to sign-in, and back to this page after it.
            let r = no_redirects.get(app.url(path)).send().await.unwrap();
            let to = r.headers()["location"].to_str().unwrap().to_owned();
            assert!(to.starts_with("/sign-in?next=") || to.starts_with("/appointments/") || to.starts_with("/practitioners/"), "{path} signed out -> {to}");
        }
    }

    async fn the_appointment_page_offers_only_what_the_policy_allows(app) {
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        let slots = app.slots(&doctor, &[48, 50]).await;
        let id = app.book(&patient, slots[0]).await;
        let path = format!("/appointments/{id}");
        let d = browser_for(&app, &doctor).await;
        let p = browser_for(&app, &patient).await;
        let page = |b: &reqwest::Client| {
            let request = b.get(app.url(&path)).send();
            async move { request.await.unwrap().text().await.unwrap() }
        };
        let html = page(&d).await;
        assert!(html.contains(&format!("/practitioner/appointments/{id}/accept")), "the practitioner can accept a request");
        let (_, me) = app.get(&patient, "/api/v1/me").await;
        assert!(html.contains(me["name"].as_str().unwrap()), "names the patient");
        let html = page(&p).await;
        assert!(html.contains(&format!("/appointments/{id}/cancel")) && html.contains(&format!("/appointments/{id}/reschedule")));
        assert!(!html.contains("/accept"), "a patient cannot accept");
        assert!(!html.contains(" required>"), "a patient's reason is optional");
        assert!(html.contains("data-history"), "{html}");
        // Inside the cut-off the patient is told to call instead of being offered what the
        // policy would refuse.
        app.post(&doctor, &format!("/api/v1/appointments/{id}/accept"), json!({})).await;
        app.clock.advance(HOUR * 47);
        // (The browser sessions of two days ago have expired: sign in again.)
        let d = browser_for(&app, &doctor).await;
        let p = browser_for(&app, &patient).await;
        let html = page(&p).await;
        assert!(!html.contains(&format!("/appointments/{id}/cancel")) && !html.contains("/reschedule"));
        assert!(html.contains("data-past-cutoff"), "{html}");
        let html = page(&d).await;
        assert!(!html.contains("/accept"), "nothing to decide on a confirmed appointment");
        // The practice may still cancel or move it, giving the patient a reason.
        assert!(html.contains(&format!("action=\"/appointments/{id}/cancel\"")) && html.contains(" required>"), "{html}");
        assert!(html.contains(&format!("action=\"/appointments/{id}/reschedule\"")), "{html}");
        let token = form_token(&html);
        let r = d
            .post(app.url(&format!("/appointments/{id}/cancel")))
            .form(&[("csrf_token", token.as_str()), ("back", path.as_str()), ("reason", "the doctor is ill")])
            .send()
            .await
            .unwrap();
        assert!(r.url().as_str().contains("ok=cancelled"), "{}", r.url());
        let (_, a) = app.get(&patient, &format!("/api/v1/appointments/{id}")).await;
        assert_eq!((a["status"].as_str(), a["cancelled_by"].as_str()), (Some("cancelled"), Some("practitioner")));
    }
}
