//! The dashboard's pages over HTTP: sign-in, the CSRF check of every form, the security
//! headers, redirects, languages and the accessibility basics that markup can show. (The
//! live behaviour in a real browser is in `browser.rs`.)

use crate::helpers::{form_token, TestApp, TestUser, PASSWORD};
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

/// Posts the sign-in form of `html` with a `next` page.
async fn sign_in_to(
    app: &TestApp,
    b: &reqwest::Client,
    user: &TestUser,
    html: &str,
    next: &str,
) -> reqwest::Response {
    b.post(app.url("/sign-in"))
        .form(&[
            ("email", user.email.as_str()),
            ("password", PASSWORD),
            ("csrf_token", &form_token(html)),
            ("next", next),
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
    async fn a_signed_out_reader_is_brought_back_to_the_page_after_signing_in(app) {
        let patient = app.user(Role::Patient).await;
        let b = browser();
        let r = b.get(app.url("/patient?practitioner=1")).send().await.unwrap();
        let to = location(&r);
        assert_eq!(to, "/sign-in?next=%2Fpatient%3Fpractitioner%3D1");
        let html = b.get(app.url(&to)).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("name=\"next\" value=\"&#x2f;patient?practitioner=1\""), "{html}");
        let signed = sign_in_to(&app, &b, &patient, &html, "/patient?practitioner=1").await;
        assert_eq!(location(&signed), "/patient?practitioner=1");
        // Only this site's pages: anything else goes to the user's own dashboard.
        for next in ["//evil.example", "/\\evil.example", "https://evil.example", "/\t/evil.example", "/sign-in"] {
            let b = browser();
            let html = b.get(app.url("/sign-in")).send().await.unwrap().text().await.unwrap();
            let signed = sign_in_to(&app, &b, &patient, &html, next).await;
            assert_eq!(location(&signed), "/patient", "next={next:?}");
        }
    }

    async fn pages_need_a_session_and_send_a_strict_content_security_policy(app) {
        let b = browser();
        let r = b.get(app.url("/patient")).send().await.unwrap();
        assert_eq!((r.status(), location(&r)), (StatusCode::SEE_OTHER, "/sign-in?next=%2Fpatient".to_owned()));
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

/// Posts a form of `page_path` to `action` with the page's token; returns where it sent us.
async fn submit(
    app: &TestApp,
    b: &reqwest::Client,
    page_path: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> String {
    let (_, html) = page(app, b, page_path).await;
    let token = form_token(&html);
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf_token", &token));
    let r = b.post(app.url(action)).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{action}");
    location(&r)
}

on_both_engines! {
    async fn every_dashboard_form_does_what_it_says(app) {
        let doctor = app.user_with(Role::Practitioner, json!({"time_zone": "Europe/Paris"})).await;
        let patient = app.user_with(Role::Patient, json!({"time_zone": "America/New_York"})).await;
        let (doc, pat, adm) = (browser(), browser(), browser());
        sign_in(&app, &doc, &doctor).await;
        sign_in(&app, &pat, &patient).await;
        sign_in(&app, &adm, &app.admin).await;

        // The patient follows the practitioner.
        let to = submit(&app, &pat, "/patient", &format!("/patient/follow/{}", doctor.id), &[]).await;
        assert!(to.ends_with("ok=followed"), "{to}");
        let (_, follows) = app.get(&patient, "/api/v1/follows").await;
        assert_eq!(follows["practitioners"][0]["id"].as_i64(), Some(doctor.id));

        // The practitioner adds 09:00-10:30 in 30-minute slots on 3 December, Paris time, and
        // tells followers.
        let to = submit(&app, &doc, "/practitioner", "/practitioner/slots",
            &[("date", "2026-12-03"), ("from", "09:00"), ("until", "10:30"), ("minutes", "30"), ("notify", "on")]).await;
        assert!(to.ends_with("ok=slots_added"), "{to}");
        let (_, own) = app.get(&doctor, "/api/v1/slots").await;
        let starts: Vec<&str> = own["slots"].as_array().unwrap().iter().map(|s| s["starts_at"].as_str().unwrap()).collect();
        assert_eq!(starts, ["2026-12-03T08:00:00Z", "2026-12-03T08:30:00Z", "2026-12-03T09:00:00Z"]);
        let ids: Vec<i64> = own["slots"].as_array().unwrap().iter().map(|s| s["id"].as_i64().unwrap()).collect();
        app.drain().await;
        assert_eq!(app.notifications(&patient).await[0]["kind"], "new_availability");
        // A form that makes no slot says why.
        let to = submit(&app, &doc, "/practitioner", "/practitioner/slots",
            &[("date", "2026-12-03"), ("from", "11:00"), ("until", "10:00"), ("minutes", "30")]).await;
        assert!(to.contains("error=validation_failed") && to.contains("detail=until+must+be+after+from"), "{to}");
        let to = submit(&app, &doc, "/practitioner", "/practitioner/notify", &[("note", "Wednesday morning")]).await;
        assert!(to.ends_with("ok=notified"), "{to}");

        // The patient books, the page shows the time in New York, the patient moves it.
        let to = submit(&app, &pat, "/patient", "/patient/book", &[("slot_id", &ids[0].to_string()), ("urgency", "soon")]).await;
        assert!(to.contains("ok=booked"), "{to}");
        let (_, html) = page(&app, &pat, "/patient").await;
        assert!(html.contains("Thu 3 Dec 2026, 03:00"), "03:00 in New York: {html}");
        let (_, list) = app.get(&patient, "/api/v1/appointments").await;
        let id = list["appointments"][0]["id"].as_i64().unwrap();
        assert_eq!(list["appointments"][0]["urgency"], "soon");
        let to = submit(&app, &pat, "/patient", &format!("/appointments/{id}/reschedule"), &[("slot_id", &ids[1].to_string())]).await;
        assert!(to.contains("ok=rescheduled"), "{to}");
        let (_, a) = app.get(&patient, &format!("/api/v1/appointments/{id}")).await;
        assert_eq!(a["starts_at"], "2026-12-03T08:30:00Z");

        // The practitioner declines it with a reason; the patient books again and cancels.
        let to = submit(&app, &doc, "/practitioner", &format!("/practitioner/appointments/{id}/decline"), &[("reason", "away that day")]).await;
        assert!(to.ends_with("ok=declined"), "{to}");
        let (_, a) = app.get(&patient, &format!("/api/v1/appointments/{id}")).await;
        assert_eq!((a["status"].as_str(), a["status_reason"].as_str()), (Some("declined"), Some("away that day")));
        submit(&app, &pat, "/patient", "/patient/book", &[("slot_id", &ids[2].to_string())]).await;
        let (_, list) = app.get(&patient, "/api/v1/appointments?status=requested").await;
        let second = list["appointments"][0]["id"].as_i64().unwrap();
        let to = submit(&app, &pat, "/patient", &format!("/patient/appointments/{second}/cancel"), &[("reason", "")]).await;
        assert!(to.contains("ok=cancelled"), "{to}");
        let (_, a) = app.get(&patient, &format!("/api/v1/appointments/{second}")).await;
        assert_eq!(a["status"], "cancelled");

        // Notifications: one read by its form, then all.
        app.drain().await;
        let first = app.notifications(&patient).await[0]["id"].as_i64().unwrap();
        let to = submit(&app, &pat, "/patient", &format!("/notifications/{first}/read"), &[]).await;
        assert!(to.ends_with("ok=read"), "{to}");
        assert_eq!(app.notifications(&patient).await[0]["read"], true);
        // Someone else's notification is "not found", and nothing changes.
        let to = submit(&app, &doc, "/practitioner", &format!("/notifications/{first}/read"), &[]).await;
        assert!(to.contains("error=not_found"), "{to}");
        submit(&app, &pat, "/patient", "/notifications/read-all", &[]).await;
        let (_, n) = app.get(&patient, "/api/v1/notifications/unread-count").await;
        assert_eq!(n["unread_count"], 0);

        // The admin retries a dead delivery from the dead-letter list.
        let job = app.deliveries_of(id).await[0]["id"].as_i64().unwrap();
        sqlx::query(&format!("UPDATE delivery_jobs SET state = 'dead', last_error = 'No such user' WHERE id = {job}"))
            .execute(app.store.pool()).await.unwrap();
        let (_, html) = page(&app, &adm, "/admin").await;
        assert!(html.contains(&format!("data-job=\"{job}\"")) && html.contains("No such user"), "{html}");
        let to = submit(&app, &adm, "/admin", &format!("/admin/deliveries/{job}/retry"), &[]).await;
        assert_eq!(to, "/admin?ok=retried");
        let (_, d) = app.get(&app.admin, &format!("/api/v1/admin/deliveries/{job}")).await;
        assert_eq!(d["delivery"]["state"], "pending");
        let to = submit(&app, &adm, "/admin", &format!("/admin/deliveries/{job}/retry"), &[]).await;
        assert!(to.contains("error=not_dead"), "{to}");
        // Sign-out ends the session.
        let to = submit(&app, &pat, "/patient", "/sign-out", &[]).await;
        assert_eq!(to, "/sign-in");
        let r = pat.get(app.url("/patient")).send().await.unwrap();
        assert_eq!(location(&r), "/sign-in?next=%2Fpatient");
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

on_both_engines! {
    async fn odd_input_to_the_pages_is_a_client_error(app) {
        let patient = app.user(Role::Patient).await;
        let b = browser();
        sign_in(&app, &b, &patient).await;
        let (_, html) = page(&app, &b, "/patient").await;
        let token = form_token(&html);
        for (path, body) in [
            ("/patient/book", format!("csrf_token={token}&slot_id=abc")),
            ("/patient/book", format!("csrf_token={token}")),
            ("/patient/book", format!("csrf_token={token}&slot_id=99999999")),
            ("/patient/book", format!("csrf_token={token}&slot_id=1&urgency=yesterday")),
            ("/patient/appointments/abc/cancel", format!("csrf_token={token}")),
            ("/patient/appointments/123456/reschedule", format!("csrf_token={token}&slot_id=1")),
            ("/patient/follow/99999999", format!("csrf_token={token}")),
            ("/practitioner/slots", format!("csrf_token={token}&date=x")),
            ("/notifications/abc/read", format!("csrf_token={token}")),
            ("/sign-in", "%%%".to_owned()),
        ] {
            let r = b.post(app.url(path)).header("content-type", "application/x-www-form-urlencoded").body(body.clone()).send().await.unwrap();
            let status = r.status();
            assert!(status.is_client_error() || status == StatusCode::SEE_OTHER, "{path} {body}: {status}");
        }
        for path in ["/patient?practitioner=%ZZ", "/patient?practitioner=-1", "/admin?state=nope", "/sign-in?lang=xx", "/patient?ok=nope&error=%3Cscript%3E"] {
            let r = b.get(app.url(path)).send().await.unwrap();
            let status = r.status();
            assert!(status.is_client_error() || status.is_success() || status.is_redirection(), "{path}: {status}");
            let html = r.text().await.unwrap();
            assert!(!html.contains("<script>"), "{path}");
        }
    }
}

crate::on_both_engines_by_engine! {
    async fn cookies_are_secure_when_served_over_tls(engine) {
        let app = crate::helpers::spawn_app_with(engine, |s| {
            s.server.public_url = "https://carebell.example".into();
        })
        .await;
        let patient = app.user(Role::Patient).await;
        // A client without a cookie store: the cookies are read from the headers.
        let b = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let r = b.get(app.url("/sign-in")).send().await.unwrap();
        let form_cookie = r.headers()[SET_COOKIE].to_str().unwrap().to_owned();
        assert!(form_cookie.contains("; Secure") && form_cookie.contains("HttpOnly"), "{form_cookie}");
        let value = form_cookie.split(';').next().unwrap().to_owned();
        let token = value.split_once('=').unwrap().1.to_owned();
        let r = b.post(app.url("/sign-in"))
            .header("cookie", &value)
            .form(&[("email", patient.email.as_str()), ("password", PASSWORD), ("csrf_token", &token)])
            .send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let session = r.headers().get_all(SET_COOKIE).iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with("carebell_session=")).unwrap();
        assert!(session.contains("; Secure") && session.contains("HttpOnly") && session.contains("SameSite=Lax"), "{session}");
    }
}

crate::on_both_engines_by_engine! {
    async fn the_clinics_name_address_phone_logo_and_colour_are_on_pages_and_emails(engine) {
        let app = crate::helpers::spawn_app_with(engine, |s| {
            s.clinic.name = "Clinique du Parc".into();
            s.clinic.address = Some("12 rue des Lilas, 75011 Paris".into());
            s.clinic.phone = Some("+33 1 23 45 67 89".into());
            s.clinic.logo_url = Some("https://cdn.parc.example/logo.png".into());
            s.clinic.accent_colour = "#7a1f5c".into();
        })
        .await;
        let patient = app.user(Role::Patient).await;
        let b = browser();
        let (_, sign_in_page) = page(&app, &b, "/sign-in").await;
        assert!(sign_in_page.contains("Clinique du Parc") && sign_in_page.contains("/assets/brand.css"));
        sign_in(&app, &b, &patient).await;
        let r = b.get(app.url("/patient")).send().await.unwrap();
        let csp = r.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
        assert!(csp.contains("img-src 'self' https://cdn.parc.example;"), "the logo's origin only: {csp}");
        // (The templates escape `/` in attributes as `&#x2f;`, which browsers read as `/`.)
        let html = r.text().await.unwrap().replace("&#x2f;", "/");
        for fact in ["<title>", "Clinique du Parc</bdi>", "12 rue des Lilas, 75011 Paris", "tel:+33123456789", "src=\"https://cdn.parc.example/logo.png\""] {
            assert!(html.contains(fact), "{fact} missing from the page");
        }
        assert!(html.contains("· Clinique du Parc</title>"), "the tab names the clinic");
        let css = b.get(app.url("/assets/brand.css")).send().await.unwrap().text().await.unwrap();
        assert_eq!(css.trim(), ":root { --accent: #7a1f5c; }");

        // The email's header and footer carry the same.
        let doctor = app.user(Role::Practitioner).await;
        let slot = app.slots(&doctor, &[48]).await[0];
        app.book(&patient, slot).await;
        app.drain().await;
        let eml = std::fs::read_dir(&app.settings.email.outbox_dir).unwrap().next().unwrap().unwrap().path();
        let m = mail_parser::MessageParser::default().parse(&std::fs::read(eml).unwrap()[..]).unwrap().body_html(0).unwrap().replace("&#x2f;", "/");
        for fact in ["src=\"https://cdn.parc.example/logo.png\"", "border-top:4px solid #7a1f5c", "background:#7a1f5c", "12 rue des Lilas, 75011 Paris", "tel:+33123456789"] {
            assert!(m.contains(fact), "{fact} missing from the email:\n{m}");
        }
    }
}

on_both_engines! {
    async fn the_preferences_page_saves_every_box_in_each_language_and_refuses_a_forged_form(app) {
        let patient = app.patient_with_phone().await;
        let b = browser();
        sign_in(&app, &b, &patient).await;
        let page = b.get(app.url("/preferences")).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        // Every box has a label, and the page is reachable from every other page.
        for category in ["appointment_updates", "reminders", "availability", "notices"] {
            for channel in ["email", "sms"] {
                assert!(html.contains(&format!("name=\"{category}.{channel}\" value=\"on\" checked")), "{category}.{channel} starts on");
            }
        }
        assert!(html.contains("<legend>") && html.contains("for=\"quiet_start\""));
        assert!(html.contains("name=\"reminders.push\"") && html.contains("data-push-enable"), "push is a channel too");
        assert!(!html.contains(".whatsapp\""), "no WhatsApp where the clinic does not offer it");
        let dashboard = b.get(app.url("/patient")).send().await.unwrap().text().await.unwrap();
        assert!(dashboard.contains("href=\"/preferences\""));
        // Unchecked boxes are not sent: everything but reminders by email is off, except
        // appointment updates, which keep email; own quiet hours 22:00–07:00.
        let token = form_token(&html);
        let saved = b
            .post(app.url("/preferences"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("back", "/preferences"),
                ("appointment_updates.email", "on"),
                ("reminders.email", "on"),
                ("quiet_own", "on"),
                ("quiet_start", "22:00"),
                ("quiet_end", "07:00"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let (_, prefs) = app.get(&patient, "/api/v1/me/preferences").await;
        let on: Vec<String> = prefs["categories"].as_array().unwrap().iter().flat_map(|c| {
            ["email", "sms"].into_iter().filter(|ch| c[*ch] == true).map(|ch| format!("{}.{ch}", c["category"].as_str().unwrap())).collect::<Vec<_>>()
        }).collect();
        assert_eq!(on, ["appointment_updates.email", "reminders.email"]);
        assert_eq!((prefs["quiet_hours"]["start"].clone(), prefs["quiet_hours"]["own"].clone()), (json!("22:00"), json!(true)));
        let record = app.get(&app.admin, &format!("/api/v1/admin/users/{}/consents", patient.id)).await.1;
        assert!(record["consents"].as_array().unwrap().iter().all(|r| r["source"] == "dashboard"), "{record}");
        // Turning off the last channel of a required category is refused with a message.
        let html = b.get(app.url("/preferences")).send().await.unwrap().text().await.unwrap();
        let refused = b
            .post(app.url("/preferences"))
            .form(&[("csrf_token", form_token(&html).as_str()), ("back", "/preferences")])
            .send()
            .await
            .unwrap();
        let location = refused.headers()[LOCATION].to_str().unwrap().to_owned();
        assert!(location.contains("error=validation_failed"), "{location}");
        // A form without the page's token changes nothing.
        let forged = b
            .post(app.url("/preferences"))
            .form(&[("csrf_token", "forged"), ("reminders.sms", "on")])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        // The page in French and Arabic.
        for (lang, word) in [("fr", "Heures calmes"), ("ar", "ساعات الهدوء")] {
            let reader = app.user_with(Role::Patient, json!({"language": lang})).await;
            let b = browser();
            sign_in(&app, &b, &reader).await;
            let html = b.get(app.url("/preferences")).send().await.unwrap().text().await.unwrap();
            assert!(html.contains(word), "{lang}");
        }
    }
}

on_both_engines! {
    async fn the_profile_page_changes_name_phone_zone_language_and_password(app) {
        let patient = app.patient_with_phone().await;
        let b = browser();
        sign_in(&app, &b, &patient).await;
        let html = b.get(app.url("/profile")).send().await.unwrap().text().await.unwrap();
        // (The template escapes `/` in attribute values as `&#x2f;`.)
        assert!(html.contains("value=\"+33612345678\"") && html.contains("value=\"Europe&#x2f;Paris\""), "the current values: {html}");
        let dashboard = b.get(app.url("/patient")).send().await.unwrap().text().await.unwrap();
        assert!(dashboard.contains("href=\"/profile\""));
        let token = form_token(&html);
        let post = |path: &'static str, fields: Vec<(&'static str, String)>| {
            let b = b.clone();
            let url = app.url(path);
            async move { b.post(url).form(&fields).send().await.unwrap() }
        };
        // A zone that does not exist: back to the page with the reason.
        let r = post("/profile", vec![("csrf_token", token.clone()), ("back", "/profile".into()), ("name", "Lucie Martin".into()), ("phone", "".into()), ("time_zone", "Mars/Olympus".into()), ("language", "en".into())]).await;
        assert!(r.headers()[LOCATION].to_str().unwrap().contains("error=validation_failed"));
        let r = post("/profile", vec![("csrf_token", token.clone()), ("back", "/profile".into()), ("name", "Lucie Martin".into()), ("phone", "".into()), ("time_zone", "Asia/Tokyo".into()), ("language", "fr".into())]).await;
        assert!(r.headers()[LOCATION].to_str().unwrap().contains("ok=profile_saved"));
        let (_, me) = app.get(&patient, "/api/v1/me").await;
        assert_eq!((me["name"].as_str(), me["phone"].clone(), me["time_zone"].as_str(), me["language"].as_str()), (Some("Lucie Martin"), serde_json::Value::Null, Some("Asia/Tokyo"), Some("fr")));
        let page = b.get(app.url("/profile?ok=profile_saved")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("lang=\"fr\"") && page.contains("Votre profil est enregistré."), "now in French");
        // The password: the browser's session goes on, the API token ends.
        let r = post("/profile/password", vec![("csrf_token", token.clone()), ("back", "/profile".into()), ("current_password", PASSWORD.into()), ("new_password", "a brand new password".into())]).await;
        assert!(r.headers()[LOCATION].to_str().unwrap().contains("ok=password_changed"), "{:?}", r.headers()[LOCATION]);
        assert_eq!(b.get(app.url("/profile")).send().await.unwrap().status(), StatusCode::OK);
        assert_eq!(app.get(&patient, "/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
        // Without the page's token nothing changes.
        let r = post("/profile", vec![("csrf_token", "forged".into()), ("name", "Mallory".into()), ("time_zone", "UTC".into()), ("language", "en".into())]).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
}

on_both_engines! {
    async fn the_admin_people_page_finds_deactivates_and_reactivates_an_account(app) {
        let patient = app.user_with(Role::Patient, json!({"name": "Lucie Martin"})).await;
        let b = browser();
        sign_in(&app, &b, &app.admin).await;
        let html = b.get(app.url("/admin/people?q=lucie")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains(&format!("data-person=\"{}\" data-active=\"true\"", patient.id)), "found by name: {html}");
        assert!(!html.contains(&format!("data-person=\"{}\"", app.admin.id)), "only who matches");
        assert!(html.contains("<label for=\"q\">") && html.contains("role=\"search\""));
        let token = form_token(&html);
        let r = b.post(app.url(&format!("/admin/people/{}/deactivate", patient.id)))
            .form(&[("csrf_token", token.as_str()), ("back", "/admin/people?q=lucie")]).send().await.unwrap();
        assert!(r.headers()[LOCATION].to_str().unwrap().contains("ok=deactivated"));
        assert_eq!(app.get(&patient, "/api/v1/me").await.0, StatusCode::UNAUTHORIZED, "their token ended");
        let html = b.get(app.url("/admin/people?q=lucie")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains(&format!("data-person=\"{}\" data-active=\"false\"", patient.id)));
        assert!(html.contains(&format!("/admin/people/{}/reactivate", patient.id)));
        let r = b.post(app.url(&format!("/admin/people/{}/reactivate", patient.id)))
            .form(&[("csrf_token", token.as_str()), ("back", "/admin/people")]).send().await.unwrap();
        assert!(r.headers()[LOCATION].to_str().unwrap().contains("ok=reactivated"));
        // Someone else's page for it sends them home.
        let other = browser();
        sign_in(&app, &other, &patient).await;
        let r = other.get(app.url("/admin/people")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
}

on_both_engines! {
    async fn the_notice_pages_show_the_audience_before_sending_then_the_progress(app) {
        let doctor = app.user_with(Role::Practitioner, json!({"language": "fr"})).await;
        let patient = app.user_with(Role::Patient, json!({"language": "fr"})).await;
        let slot = app.slots(&doctor, &[25]).await[0];
        app.book(&patient, slot).await;
        let b = browser();
        sign_in(&app, &b, &app.admin).await;
        let (status, html) = page(&app, &b, "/notices").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("id=\"notice-form\"") && html.contains("name=\"title_fr\""), "{html}");
        assert_labelled(&html);
        // The form writes a draft and shows who it reaches; nothing is sent yet.
        let to = submit(&app, &b, "/notices", "/notices", &[
            ("back", "/notices"), ("audience", "patients"), ("email", "on"), ("severity", "warning"),
            ("title_en", "Closed on Monday"), ("message_en", "The clinic is closed."),
            ("title_fr", "Fermé lundi"), ("message_fr", "La clinique est fermée."),
        ]).await;
        assert!(to.starts_with("/notices/"), "{to}");
        let (_, draft) = page(&app, &b, &to).await;
        assert!(draft.contains("data-notice-state=\"draft\"") && draft.contains("<dd data-audience-size>1</dd>"), "{draft}");
        assert!(draft.contains("lang=\"fr\"") && draft.contains("Fermé lundi"));
        app.drain().await;
        assert!(!app.kinds(&patient).await.contains(&"system_notice".to_owned()), "a draft sends nothing");
        let id: i64 = to.trim_start_matches("/notices/").parse().unwrap();
        let sent = submit(&app, &b, &to, &format!("/notices/{id}/send"), &[("back", &to)]).await;
        assert!(sent.contains("ok=notice_sent"), "{sent}");
        app.drain().await;
        let (_, progress) = page(&app, &b, &to).await;
        assert!(progress.contains("data-notice-state=\"sent\"") && progress.contains("<strong data-planned>1</strong>"), "{progress}");
        assert!(progress.contains("data-channel=\"email\"><th scope=\"row\">Email</th><td data-sent>1</td>"), "{progress}");
        assert!(!progress.contains(&format!("/notices/{id}/cancel")), "nothing left to stop");
        // To chosen people, named by email or account number.
        let other = app.user(Role::Patient).await;
        let to_people = submit(&app, &b, "/notices", "/notices", &[
            ("back", "/notices"), ("audience", "users"), ("people", &format!("{},\n{}", patient.email.to_uppercase(), other.id)),
            ("title_en", "Hello"), ("message_en", "Two of you."),
        ]).await;
        let (_, chosen) = page(&app, &b, &to_people).await;
        assert!(chosen.contains("<dd data-audience-size>2</dd>"), "{chosen}");
        let unknown = submit(&app, &b, "/notices", "/notices", &[
            ("back", "/notices"), ("audience", "users"), ("people", "nobody@clinic.example"),
            ("title_en", "Hello"), ("message_en", "Nobody."),
        ]).await;
        assert!(unknown.contains("error=validation_failed"), "{unknown}");
        // The patient reads it in their dashboard, in French.
        let p = browser();
        sign_in(&app, &p, &patient).await;
        let (_, home) = page(&app, &p, "/patient").await;
        assert!(home.contains("Fermé lundi") && home.contains("La clinique est fermée."), "{home}");
        // Patients have no notice pages; practitioners see only theirs.
        let r = p.get(app.url("/notices")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let d = browser();
        sign_in(&app, &d, &doctor).await;
        assert_eq!(page(&app, &d, &to).await.0, StatusCode::NOT_FOUND);
        // The practitioner's own page has the form for the day's patients.
        let (_, own) = page(&app, &d, "/practitioner").await;
        assert!(own.contains("id=\"day-notice\"") && own.contains("name=\"title_fr\"") && !own.contains("name=\"title_en\""), "in their own language");
        let to = submit(&app, &d, "/practitioner", "/notices", &[
            ("back", "/practitioner"), ("audience", "booked_on"), ("date", "2026-12-02"), ("sms", "on"),
            ("title_fr", "Retard"), ("message_fr", "J'ai 40 minutes de retard."),
        ]).await;
        let (_, draft) = page(&app, &d, &to).await;
        assert!(draft.contains("<dd data-audience-size>1</dd>"), "{draft}");
        // A form without the session's token is refused.
        let r = d.post(app.url("/notices")).form(&[("csrf_token", "forged"), ("title_fr", "x"), ("message_fr", "y")]).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        // A bad form comes back with the reason.
        let back = submit(&app, &d, "/practitioner", "/notices", &[("back", "/practitioner"), ("date", "2026-12-02"), ("title_fr", "Sans texte")]).await;
        assert!(back.starts_with("/practitioner?error=validation_failed"), "{back}");
        // Stopping it: the draft is discarded.
        let id: i64 = to.trim_start_matches("/notices/").parse().unwrap();
        let stopped = submit(&app, &d, &to, &format!("/notices/{id}/cancel"), &[("back", &to)]).await;
        assert!(stopped.contains("ok=notice_cancelled"), "{stopped}");
        let (_, gone) = page(&app, &d, &to).await;
        assert!(gone.contains("data-notice-state=\"cancelled\""));
    }
}
