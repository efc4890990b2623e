//! Password reset by email, tried as the owner (the link out of the real email, once, in
//! time), as an attacker (guessed addresses, forged and reused links, many requests, two
//! uses at once) and as someone whose account an admin deactivated.

use crate::helpers::*;
use crate::on_both_engines;
use carebell::domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

/// The emails in the outbox sent to `to`, as (subject, text part).
fn mails_to(app: &TestApp, to: &str) -> Vec<(String, String)> {
    outbox_mails(app)
        .into_iter()
        .filter(|m| m.to.eq_ignore_ascii_case(to))
        .map(|m| (m.subject, m.text))
        .collect()
}

/// The reset link's path in a reset email's text.
fn reset_path(text: &str) -> String {
    let at = text
        .find("/password-reset/")
        .expect("a reset link in the email");
    text[at..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect()
}

fn token_of(path: &str) -> String {
    path.trim_start_matches("/password-reset/").to_owned()
}

async fn ask(app: &TestApp, email: &str) -> (StatusCode, Value) {
    app.call(
        None,
        Method::POST,
        "/api/v1/auth/password-reset",
        Some(json!({"email": email})),
    )
    .await
}

async fn complete(app: &TestApp, token: &str, password: &str) -> (StatusCode, Value) {
    let body = json!({"token": token, "new_password": password});
    app.call(
        None,
        Method::POST,
        "/api/v1/auth/password-reset/complete",
        Some(body),
    )
    .await
}

async fn sign_in_status(app: &TestApp, email: &str, password: &str) -> StatusCode {
    let body = json!({"email": email, "password": password});
    app.call(None, Method::POST, "/api/v1/auth/tokens", Some(body))
        .await
        .0
}

on_both_engines! {
    async fn the_link_in_the_email_sets_a_new_password_once_and_ends_every_session(app) {
        let patient = app.user_with(Role::Patient, json!({"language": "fr"})).await;
        let unread_before = app.unread(&patient).await;
        let (status, body) = ask(&app, &patient.email.to_uppercase()).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        app.drain().await;
        let mails = mails_to(&app, &patient.email);
        assert_eq!(mails.len(), 1, "one reset email");
        let (subject, text) = &mails[0];
        assert!(subject.contains("mot de passe"), "in the reader's language: {subject}");
        let path = reset_path(text);
        // The email travels alone: nothing in the inbox, the bell unchanged.
        assert!(!app.kinds(&patient).await.contains(&"password_reset".to_owned()));
        assert_eq!(app.unread(&patient).await, unread_before);
        // The link opens a form for the account, signed out, without using it up.
        let page = app.http.get(app.url(&path)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        assert!(html.contains("data-reset-form") && html.contains(&patient.email), "{html}");
        assert!(html.contains("lang=\"fr\""), "in the account's language");

        let (status, body) = complete(&app, &token_of(&path), "a brand new secret").await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        // Every session and token of the account ended; the new password works, the old one not.
        let (status, _) = app.get(&patient, "/api/v1/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(sign_in_status(&app, &patient.email, PASSWORD).await, StatusCode::UNAUTHORIZED);
        assert_eq!(sign_in_status(&app, &patient.email, "a brand new secret").await, StatusCode::CREATED);
        // Once only.
        let (status, body) = complete(&app, &token_of(&path), "yet another secret").await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_reset_token")), "{body}");
        assert!(body["detail"].as_str().unwrap().contains("already used"), "{body}");
        // The audit log has the request and the reset, and never the token.
        let (_, audit) = app.get(&app.admin, &format!("/api/v1/admin/audit?user_id={}", patient.id)).await;
        let text = audit.to_string();
        assert!(text.contains("auth.password_reset_requested") && text.contains("\"auth.password_reset\""), "{text}");
        assert!(!text.contains(&token_of(&path)) && !text.contains(&token_of(&path).rsplit('.').next().unwrap().to_owned()));
        // Nor does the message's record: its payload names the reset, not the link.
        let (_, jobs) = app.get(&app.admin, &format!("/api/v1/admin/deliveries?recipient_id={}", patient.id)).await;
        let job = jobs["deliveries"].as_array().unwrap().iter().find(|j| j["kind"] == "password_reset").unwrap().clone();
        assert_eq!(job["state"], "sent", "{job}");
        let mut c = app.store.acquire().await.unwrap();
        let data: String = sqlx::query_scalar("SELECT data FROM notifications WHERE id = $1")
            .bind(job["notification_id"].as_i64().unwrap())
            .fetch_one(&mut *c)
            .await
            .unwrap();
        assert!(!data.contains(&token_of(&path)) && !data.contains("password-reset"), "{data}");
    }

    async fn a_link_expires_after_thirty_minutes_and_a_late_email_is_not_sent(app) {
        let patient = app.user(Role::Patient).await;
        ask(&app, &patient.email).await;
        app.drain().await;
        let path = reset_path(&mails_to(&app, &patient.email)[0].1);
        app.clock.advance(Duration::from_secs(31 * 60));
        let page = app.http.get(app.url(&path)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::BAD_REQUEST);
        assert!(page.text().await.unwrap().contains("href=\"/password-reset?lang="), "offers a new link");
        let (status, body) = complete(&app, &token_of(&path), "a brand new secret").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["detail"].as_str().unwrap().contains("expired"), "{body}");
        assert_eq!(sign_in_status(&app, &patient.email, PASSWORD).await, StatusCode::CREATED, "unchanged");
        // An email held past its link's life (the mail relay was down) is dropped, not sent.
        ask(&app, &patient.email).await;
        app.clock.advance(Duration::from_secs(31 * 60));
        app.drain().await;
        assert_eq!(mails_to(&app, &patient.email).len(), 1);
        let (_, jobs) = app.get(&app.admin, &format!("/api/v1/admin/deliveries?recipient_id={}", patient.id)).await;
        let late = &jobs["deliveries"][0];
        assert_eq!((late["kind"].as_str(), late["state"].as_str()), (Some("password_reset"), Some("voided")), "{late}");
        assert!(late["last_error"].as_str().unwrap().contains("expired"), "{late}");
    }

    async fn asking_tells_nothing_about_who_has_an_account_and_is_throttled(app) {
        let patient = app.user(Role::Patient).await;
        let known = ask(&app, &patient.email).await;
        let unknown = ask(&app, "nobody@clinic.example").await;
        assert_eq!(known, unknown, "the same answer");
        assert_eq!(known.0, StatusCode::ACCEPTED);
        let (status, body) = ask(&app, "not an address").await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed")));
        // Three emails per address in the window; the fourth request is answered the same
        // and sends nothing.
        for _ in 0..3 {
            assert_eq!(ask(&app, &patient.email).await, unknown);
        }
        app.drain().await;
        assert_eq!(mails_to(&app, &patient.email).len(), 3);
        assert!(mails_to(&app, "nobody@clinic.example").is_empty());
        // The window passes: one more.
        app.clock.advance(Duration::from_secs(16 * 60));
        ask(&app, &patient.email).await;
        app.drain().await;
        assert_eq!(mails_to(&app, &patient.email).len(), 4);
        // One client address may ask ten times in the window, for any addresses; then 429.
        app.clock.advance(Duration::from_secs(16 * 60));
        for n in 0..10 {
            assert_eq!(ask(&app, &format!("guess{n}@clinic.example")).await.0, StatusCode::ACCEPTED);
        }
        let r = app.http.post(app.url("/api/v1/auth/password-reset")).json(&json!({"email": patient.email})).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(r.headers().contains_key("retry-after"));
        app.clock.advance(Duration::from_secs(16 * 60));
        // A deactivated account is answered the same and gets nothing.
        let gone = app.user(Role::Patient).await;
        app.post(&app.admin, &format!("/api/v1/admin/users/{}/deactivate", gone.id), json!({})).await;
        assert_eq!(ask(&app, &gone.email).await, unknown);
        app.drain().await;
        assert!(mails_to(&app, &gone.email).is_empty());
    }

    async fn a_forged_or_altered_link_is_refused_and_changes_nothing(app) {
        let patient = app.user(Role::Patient).await;
        let other = app.user(Role::Patient).await;
        ask(&app, &patient.email).await;
        app.drain().await;
        let token = token_of(&reset_path(&mails_to(&app, &patient.email)[0].1));
        let (reset, rest) = token.split_once('.').unwrap();
        let (_, sig) = rest.split_once('.').unwrap();
        for forged in [
            format!("{reset}.{}.{sig}", other.id),
            format!("{}.{rest}", reset.parse::<i64>().unwrap() + 1),
            format!("{reset}.{}.{}", patient.id, "A".repeat(sig.len())),
            "garbage".to_owned(),
        ] {
            let (status, body) = complete(&app, &forged, "a brand new secret").await;
            assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_reset_token")), "{forged}");
        }
        assert_eq!(sign_in_status(&app, &other.email, PASSWORD).await, StatusCode::CREATED);
        // A weak password is refused without using the link up.
        let (status, _) = complete(&app, &token, "short").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _) = complete(&app, &token, "long enough now").await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }

    async fn two_uses_of_one_link_at_once_set_the_password_once(app) {
        let patient = app.user(Role::Patient).await;
        ask(&app, &patient.email).await;
        app.drain().await;
        let token = token_of(&reset_path(&mails_to(&app, &patient.email)[0].1));
        let (a, b) = tokio::join!(
            complete(&app, &token, "first new password"),
            complete(&app, &token, "second new password")
        );
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::NO_CONTENT, StatusCode::BAD_REQUEST], "{a:?} {b:?}");
        let winner = if a.0 == StatusCode::NO_CONTENT { "first new password" } else { "second new password" };
        let loser = if a.0 == StatusCode::NO_CONTENT { "second new password" } else { "first new password" };
        assert_eq!(sign_in_status(&app, &patient.email, winner).await, StatusCode::CREATED);
        assert_eq!(sign_in_status(&app, &patient.email, loser).await, StatusCode::UNAUTHORIZED);
    }

    async fn a_reset_asked_at_night_with_every_email_off_goes_at_once(app) {
        let patient = app.user(Role::Patient).await;
        let off = json!({"channels": {"notices": {"email": false}, "availability": {"email": false}, "reminders": {"email": false}}});
        let (status, body) = app.call(Some(&patient), Method::PUT, "/api/v1/me/preferences", Some(off)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // "account" is not a category anyone can turn off.
        let (status, body) = app.call(Some(&patient), Method::PUT, "/api/v1/me/preferences", Some(json!({"channels": {"account": {"email": false}}}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        // 23:30 in Paris, inside the clinic's quiet hours.
        app.clock.advance(HOUR * 14 + Duration::from_secs(30 * 60));
        ask(&app, &patient.email).await;
        app.drain().await;
        assert_eq!(mails_to(&app, &patient.email).len(), 1, "not held until morning");
    }

    async fn the_pages_ask_for_a_link_and_set_the_password_without_script(app) {
        let patient = app.user_with(Role::Patient, json!({"language": "ar"})).await;
        let browser = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        // From the sign-in page.
        let sign_in = browser.get(app.url("/sign-in?lang=en")).send().await.unwrap().text().await.unwrap();
        assert!(sign_in.contains("href=\"/password-reset?lang=en\""), "{sign_in}");
        let form = browser.get(app.url("/password-reset?lang=en")).send().await.unwrap().text().await.unwrap();
        // Without the form's token: refused.
        let r = reqwest::Client::new().post(app.url("/password-reset")).form(&[("email", patient.email.as_str()), ("csrf_token", "x")]).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let token = form_token(&form);
        let r = browser.post(app.url("/password-reset")).form(&[("email", patient.email.as_str()), ("csrf_token", token.as_str()), ("lang", "en")]).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let sent = r.text().await.unwrap();
        assert!(sent.contains("data-reset-sent") && sent.contains("30 minutes"), "{sent}");
        app.drain().await;
        let path = reset_path(&mails_to(&app, &patient.email)[0].1);
        let page = browser.get(app.url(&path)).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("dir=\"rtl\""), "the account's language");
        let token = form_token(&page);
        let r = browser.post(app.url(&path)).form(&[("csrf_token", token.as_str()), ("new_password", "new password one"), ("repeat_password", "new password two")]).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let again = r.text().await.unwrap();
        assert!(again.contains("role=\"alert\"") && again.contains("data-reset-form"), "{again}");
        let token = form_token(&again);
        let r = browser.post(app.url(&path)).form(&[("csrf_token", token.as_str()), ("new_password", "new password one"), ("repeat_password", "new password one")]).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let to = r.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(to, "/sign-in?ok=password_reset&lang=ar");
        let done = browser.get(app.url(&to)).send().await.unwrap().text().await.unwrap();
        assert!(done.contains("role=\"status\""), "{done}");
        assert_eq!(sign_in_status(&app, &patient.email, "new password one").await, StatusCode::CREATED);
    }
}
