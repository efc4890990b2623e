use crate::helpers::*;
use crate::on_both_engines;
use carebell::domain::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_engines! {
    async fn browser_sessions_use_an_httponly_cookie_and_require_the_csrf_token(app) {
        let patient = app.user(Role::Patient).await;
        let browser = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let resp = browser
            .post(app.url("/api/v1/auth/sign-in"))
            .json(&json!({"email": patient.email.to_uppercase(), "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(!cookie.contains("Secure"), "plain http in tests");
        let body: Value = resp.json().await.unwrap();
        let csrf = body["csrf_token"].as_str().unwrap().to_owned();

        let me = browser.get(app.url("/api/v1/me")).send().await.unwrap();
        assert_eq!(me.status(), StatusCode::OK);
        let unprotected = browser.post(app.url("/api/v1/notifications/read-all")).send().await.unwrap();
        assert_eq!(unprotected.status(), StatusCode::FORBIDDEN);
        assert_eq!(unprotected.json::<Value>().await.unwrap()["code"], "csrf_failed");
        let wrong = browser
            .post(app.url("/api/v1/notifications/read-all"))
            .header("x-csrf-token", "0".repeat(64))
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
        let ok = browser
            .post(app.url("/api/v1/notifications/read-all"))
            .header("x-csrf-token", &csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), StatusCode::OK);

        let out = browser.post(app.url("/api/v1/auth/sign-out")).header("x-csrf-token", &csrf).send().await.unwrap();
        assert_eq!(out.status(), StatusCode::NO_CONTENT);
        let after = browser.get(app.url("/api/v1/me")).send().await.unwrap();
        assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    }

    async fn wrong_credentials_and_bad_tokens_are_refused_alike(app) {
        let patient = app.user(Role::Patient).await;
        for (email, password) in [(patient.email.as_str(), "wrong password"), ("nobody@clinic.example", PASSWORD)] {
            let (status, e) = app
                .call(None, reqwest::Method::POST, "/api/v1/auth/sign-in", Some(json!({"email": email, "password": password})))
                .await;
            assert_eq!((status, e["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_credentials")));
            assert_eq!(e["detail"], "email or password is wrong");
        }
        let (status, e) = app.call(None, reqwest::Method::GET, "/api/v1/me", None).await;
        assert_eq!((status, e["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")));
        let forged = TestUser { token: "f".repeat(64), ..patient.clone() };
        let (status, _) = app.get(&forged, "/api/v1/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let resp = app.http.get(app.url("/api/v1/me")).header("authorization", "Basic abc").send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        // Revoking a bearer token.
        let (status, _) = app.post(&patient, "/api/v1/auth/sign-out", json!({})).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = app.get(&patient, "/api/v1/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    async fn sessions_expire(app) {
        let patient = app.user(Role::Patient).await;
        let (status, _) = app.get(&patient, "/api/v1/me").await;
        assert_eq!(status, StatusCode::OK);
        app.clock.advance(std::time::Duration::from_secs(91 * 86_400));
        let (status, _) = app.get(&patient, "/api/v1/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    async fn repeated_wrong_passwords_lock_the_account_for_a_while(app) {
        let patient = app.user(Role::Patient).await;
        let other = app.user(Role::Patient).await;
        let attempt = |email: String, password: &'static str| {
            let body = json!({"email": email, "password": password});
            app.call(None, reqwest::Method::POST, "/api/v1/auth/tokens", Some(body))
        };
        for _ in 0..5 {
            let (status, _) = attempt(patient.email.clone(), "not the password").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        let resp = app
            .http
            .post(app.url("/api/v1/auth/sign-in"))
            .json(&json!({"email": patient.email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
        let wait: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((60..=900).contains(&wait), "{wait}");
        assert_eq!(resp.json::<Value>().await.unwrap()["code"], "too_many_attempts");
        let (status, _) = attempt(other.email.clone(), PASSWORD).await;
        assert_eq!(status, StatusCode::CREATED, "other accounts are not affected");

        app.clock.advance(std::time::Duration::from_secs(15 * 60));
        let (status, _) = attempt(patient.email.clone(), PASSWORD).await;
        assert_eq!(status, StatusCode::CREATED, "unlocked once the window passed");
    }
}
