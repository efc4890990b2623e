//! Promises tried as an attacker would: bursts of sign-ins, concurrent guesses, a stranger
//! locking an account, forged form fields, tokens where they do not belong, stream floods.

use crate::helpers::*;
use crate::on_both_engines_by_engine;
use crate::process::ServerProcess;
use carebell::domain::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

/// Sends `n` sign-ins at once: the password at index `right` is `PASSWORD`, the others
/// wrong. Returns the status of each.
async fn concurrent_guesses(app: &TestApp, email: &str, n: usize, right: usize) -> Vec<StatusCode> {
    let tries = (0..n).map(|i| {
        let password = if i == right { PASSWORD } else { "guess" };
        let body = json!({"email": email, "password": password});
        let request = app
            .http
            .post(app.url("/api/v1/auth/tokens"))
            .json(&body)
            .send();
        async move { request.await.unwrap().status() }
    });
    futures::future::join_all(tries).await
}

on_both_engines_by_engine! {
    async fn concurrent_guesses_never_get_past_the_limit(engine) {
        let app = spawn_app_with(engine, |s| s.auth.max_failures = 5).await;
        for round in 0..3 {
            let patient = app.user(Role::Patient).await;
            let answers = concurrent_guesses(&app, &patient.email, 30, 25).await;
            let evaluated = answers
                .iter()
                .filter(|s| **s == StatusCode::UNAUTHORIZED || **s == StatusCode::CREATED)
                .count();
            let refused = answers.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
            let wrong = answers.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
            assert_eq!(evaluated + refused, 30, "round {round}: {answers:?}");
            if answers[25] == StatusCode::CREATED {
                // The owner's password was among the first five counted, so at most four
                // wrong ones came before it; its success clears the count (as after any
                // successful sign-in), and the burst may then spend at most five more.
                assert!(wrong <= 4 + 5, "round {round}: {wrong} wrong guesses were evaluated: {answers:?}");
            } else {
                assert!(evaluated <= 5, "round {round}: {evaluated} guesses were evaluated: {answers:?}");
            }
        }
    }

    async fn a_stranger_cannot_lock_out_the_owner_on_a_device_they_signed_in_from(engine) {
        let app = spawn_app_with(engine, |s| s.auth.max_failures = 5).await;
        let patient = app.user(Role::Patient).await;
        let owner = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let sign_in = |client: &reqwest::Client, password: &str| {
            client
                .post(app.url("/api/v1/auth/sign-in"))
                .json(&json!({"email": patient.email, "password": password}))
                .send()
        };
        let first = sign_in(&owner, PASSWORD).await.unwrap();
        assert_eq!(first.status(), StatusCode::OK);
        let cookies: Vec<String> = first
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let device = cookies.iter().find(|c| c.starts_with("carebell_device=")).expect("a device cookie");
        assert!(device.contains("HttpOnly") && device.contains("SameSite=Lax"), "{device}");

        // A stranger guesses until the account refuses browsers it does not know.
        let stranger = reqwest::Client::new();
        for _ in 0..5 {
            assert_eq!(sign_in(&stranger, "guess").await.unwrap().status(), StatusCode::UNAUTHORIZED);
        }
        let locked = sign_in(&stranger, PASSWORD).await.unwrap();
        assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS, "the right password is refused once locked");
        assert!(locked.headers().contains_key("retry-after"));

        // The owner's browser has its own count.
        let back = sign_in(&owner, PASSWORD).await.unwrap();
        assert_eq!(back.status(), StatusCode::OK, "{}", back.text().await.unwrap());
        // And the lock ends with its window.
        app.clock.advance(Duration::from_secs(15 * 60));
        assert_eq!(sign_in(&stranger, PASSWORD).await.unwrap().status(), StatusCode::OK);
    }

    async fn counters_and_devices_are_pruned_and_api_tokens_get_no_device_cookie(engine) {
        let app = spawn_app(engine).await;
        let patient = app.user(Role::Patient).await;
        let token = app
            .http
            .post(app.url("/api/v1/auth/tokens"))
            .json(&json!({"email": patient.email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(token.status(), StatusCode::CREATED);
        assert!(!token.headers().get_all("set-cookie").iter().any(|c| c.to_str().unwrap().starts_with("carebell_device=")));
        let rows = |table: &'static str| {
            let pool = app.store.pool().clone();
            async move {
                sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
                    .fetch_one(&pool)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(rows("auth_devices").await, 0, "no device remembered for an API token");
        let browser = reqwest::Client::new();
        let signed = browser
            .post(app.url("/api/v1/auth/sign-in"))
            .json(&json!({"email": patient.email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert!(signed.headers().get_all("set-cookie").iter().any(|c| c.to_str().unwrap().starts_with("carebell_device=")));
        assert_eq!(rows("auth_devices").await, 1);
        for n in 0..3 {
            let body = json!({"email": format!("nobody{n}@clinic.example"), "password": "guess"});
            app.http.post(app.url("/api/v1/auth/tokens")).json(&body).send().await.unwrap();
        }
        assert!(rows("auth_attempts").await >= 3);
        let throttle = carebell::auth::throttle::SignInThrottle::new(&app.settings.auth);
        assert_eq!(throttle.prune(&app.store, app.clock_now()).await.unwrap(), 0, "windows still open");
        let later = app.clock_now().plus(Duration::from_secs(16 * 60));
        throttle.prune(&app.store, later).await.unwrap();
        assert_eq!(rows("auth_attempts").await, 0);
        assert_eq!(rows("auth_devices").await, 1, "the device cookie lasts a year");
        throttle.prune(&app.store, app.clock_now().plus(Duration::from_secs(366 * 86_400))).await.unwrap();
        assert_eq!(rows("auth_devices").await, 0);
    }

    async fn failures_are_limited_per_client_address_across_accounts(engine) {
        let app = spawn_app_with(engine, |s| {
            s.auth.max_failures_per_address = 20;
            s.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        })
        .await;
        let guess = |from: &'static str, n: usize| {
            let body = json!({"email": format!("nobody{n}@clinic.example"), "password": "guess"});
            app.http
                .post(app.url("/api/v1/auth/tokens"))
                .header("x-forwarded-for", from)
                .json(&body)
                .send()
        };
        let mut statuses = Vec::new();
        for n in 0..40 {
            statuses.push(guess("203.0.113.7", n).await.unwrap().status());
        }
        let evaluated = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
        assert_eq!(evaluated, 20, "{statuses:?}");
        assert!(statuses[20..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS));
        // Another client behind the same proxy is not affected...
        assert_eq!(guess("198.51.100.9", 0).await.unwrap().status(), StatusCode::UNAUTHORIZED);
        // ...and the counts are in the database, shared with every instance.
        let other = app.another_instance().await;
        let shared = app
            .http
            .post(format!("{other}/api/v1/auth/tokens"))
            .header("x-forwarded-for", "203.0.113.7")
            .json(&json!({"email": "x@clinic.example", "password": "guess"}))
            .send()
            .await
            .unwrap();
        assert_eq!(shared.status(), StatusCode::TOO_MANY_REQUESTS);
    }

    async fn sign_in_requests_are_rate_limited_per_address_whatever_their_outcome(engine) {
        let app = spawn_app_with(engine, |s| s.auth.requests_per_minute_per_address = 5).await;
        // The helper signs the admin and this patient in: two of the five requests.
        let patient = app.user(Role::Patient).await;
        let mut statuses = Vec::new();
        for _ in 0..6 {
            let body = json!({"email": patient.email, "password": PASSWORD});
            statuses.push(app.http.post(app.url("/api/v1/auth/tokens")).json(&body).send().await.unwrap());
        }
        let codes: Vec<u16> = statuses.iter().map(|r| r.status().as_u16()).collect();
        assert_eq!(codes, [201, 201, 201, 429, 429, 429], "the right password is refused too");
        assert!(statuses[5].headers().contains_key("retry-after"));
    }

    async fn api_tokens_are_accepted_only_in_the_authorization_header(engine) {
        let app = spawn_app(engine).await;
        let patient = app.user(Role::Patient).await;
        let cookie = format!("carebell_session={}", patient.token);
        for (method, path) in [("GET", "/api/v1/me"), ("POST", "/api/v1/notifications/read-all")] {
            let response = app
                .http
                .request(method.parse().unwrap(), app.url(path))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
        }
        let page = app.http.get(app.url("/patient")).header("cookie", &cookie).send().await.unwrap();
        assert!(page.url().path().starts_with("/sign-in"), "{}", page.url());
    }

    async fn a_form_goes_back_only_to_a_path_on_this_site(engine) {
        let app = spawn_app(engine).await;
        let patient = app.user(Role::Patient).await;
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let signed = browser
            .post(app.url("/api/v1/auth/sign-in"))
            .json(&json!({"email": patient.email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        let csrf = signed.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_owned();
        for back in ["/%01", "/%09/evil.example", "/%0a/evil.example", "//evil.example", "/\\evil.example", "/%5Cevil.example", "https://evil.example"] {
            let response = browser
                .post(app.url("/notifications/read-all"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("csrf_token={csrf}&back={back}"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "back={back}");
            let location = response.headers()["location"].to_str().unwrap();
            assert!(location.starts_with("/patient?"), "back={back} went to {location:?}");
        }
        let response = browser
            .post(app.url("/notifications/read-all"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf_token={csrf}&back=/patient%3Fx%3D1"))
            .send()
            .await
            .unwrap();
        assert!(response.headers()["location"].to_str().unwrap().starts_with("/patient?x=1&"));
    }

    async fn odd_header_values_never_cause_a_server_error(engine) {
        let app = spawn_app_with(engine, |s| s.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
        let patient = app.user(Role::Patient).await;
        let odd = ["", " ", "\t", "%01", "ü", "999999999999999999999999", "-1", "a=b; c", "Bearer", "Bearer  ", ",,,", "1.2.3.4, ::1, junk", "\u{7f}"];
        let headers = ["authorization", "cookie", "x-forwarded-for", "last-event-id", "accept-language", "content-type", "x-csrf-token", "x-csrftoken"];
        let paths = [
            ("GET", "/api/v1/me"),
            ("GET", "/api/v1/notifications/stream"),
            ("POST", "/api/v1/auth/tokens"),
            ("POST", "/api/v1/notifications/read-all"),
            ("GET", "/patient"),
            ("POST", "/sign-in"),
            ("POST", "/notifications/read-all"),
            ("GET", "/practitioner-dashboard/api/notifications/"),
        ];
        for header in headers {
            for value in odd {
                let Ok(value) = reqwest::header::HeaderValue::from_bytes(value.as_bytes()) else { continue };
                for (method, path) in paths {
                    let mut request = app
                        .http
                        .request(method.parse().unwrap(), app.url(path))
                        .timeout(Duration::from_secs(5))
                        .header(header, value.clone());
                    if header != "authorization" {
                        request = request.bearer_auth(&patient.token);
                    }
                    match request.body("{}").send().await {
                        Ok(r) => assert!(r.status().as_u16() < 500, "{method} {path} with {header}: {value:?} -> {}", r.status()),
                        // A stream that opened and did not end within the time-out is fine.
                        Err(e) => assert!(e.is_timeout() && path.ends_with("stream"), "{method} {path} with {header}: {value:?}: {e}"),
                    }
                }
            }
        }
    }

    async fn opening_more_streams_than_the_cap_closes_the_oldest(engine) {
        let app = spawn_app_with(engine, |s| s.server.max_streams_per_user = 3).await;
        let patient = app.user(Role::Patient).await;
        let open = || {
            app.http
                .get(app.url("/api/v1/notifications/stream"))
                .bearer_auth(&patient.token)
                .send()
        };
        let mut streams = Vec::new();
        for _ in 0..4 {
            let mut s = open().await.unwrap();
            assert_eq!(s.status(), StatusCode::OK);
            let hello = s.chunk().await.unwrap().unwrap();
            assert!(String::from_utf8_lossy(&hello).contains("unread"));
            streams.push(s);
        }
        // The first one ends; the other three stay open.
        let ended = tokio::time::timeout(Duration::from_secs(5), async {
            while streams[0].chunk().await.unwrap().is_some() {}
        })
        .await;
        assert!(ended.is_ok(), "the oldest stream was closed");
        for s in &mut streams[1..] {
            let more = tokio::time::timeout(Duration::from_millis(300), s.chunk()).await;
            assert!(more.is_err(), "still open (nothing sent, not ended)");
        }
    }
}

/// The real binary: 200 concurrent sign-ins with unknown emails. Only a few password checks
/// run at once (the rest wait briefly or are told to come back), so memory stays bounded and
/// is given back afterwards. Before, this burst took the server to 6.9 GB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_burst_does_not_exhaust_memory() {
    let url = database_url(Engine::Sqlite).await;
    let server = ServerProcess::start(
        &url,
        &[
            (
                "CAREBELL__AUTH__REQUESTS_PER_MINUTE_PER_ADDRESS",
                "100000".into(),
            ),
            ("CAREBELL__AUTH__MAX_FAILURES_PER_ADDRESS", "100000".into()),
        ],
    );
    let (before, peak_before) = server.memory_mib();
    let http = reqwest::Client::new();
    let burst = (0..200).map(|n| {
        let body = json!({"email": format!("stranger{n}@clinic.example"), "password": "guess"});
        let request = http
            .post(format!("{}/api/v1/auth/tokens", server.base))
            .json(&body)
            .send();
        async move {
            let r = request.await.unwrap();
            (r.status(), r.headers().contains_key("retry-after"))
        }
    });
    let answers = futures::future::join_all(burst).await;
    let (_, peak) = server.memory_mib();
    let unauthorized = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::UNAUTHORIZED)
        .count();
    let busy = answers
        .iter()
        .filter(|(s, retry)| *s == StatusCode::SERVICE_UNAVAILABLE && *retry)
        .count();
    assert_eq!(
        unauthorized + busy,
        200,
        "only 401 or 503 with Retry-After: {answers:?}"
    );
    assert!(unauthorized >= 2, "some were checked");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (after, _) = server.memory_mib();
    println!("server memory: {before} MiB before (peak {peak_before} MiB at start-up), peak {peak} MiB, {after} MiB after the burst");
    assert!(peak < before + 150, "peak {peak} MiB (before {before} MiB)");
    assert!(
        after < before + 100,
        "{after} MiB held after the burst (before {before} MiB)"
    );
}

/// Two real instances on one PostgreSQL: a token revoked through one stops working on the
/// other too, though that one had just checked it (each keeps a checked token for up to
/// a second); on the instance that revoked it, at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_out_on_one_instance_ends_the_token_on_the_others() {
    let url = database_url(Engine::Postgres).await;
    let password = uuid::Uuid::new_v4().simple().to_string();
    let env = [("CAREBELL_DEMO_PASSWORD", password.clone())];
    let first = ServerProcess::start(&url, &env);
    let second = ServerProcess::start(&url, &env);
    let http = reqwest::Client::new();
    let created: Value = http
        .post(format!("{}/api/v1/auth/tokens", first.base))
        .json(&json!({"email": "lucie.martin@patient.example", "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = created["token"].as_str().expect("a token").to_owned();
    let me = |base: &str| {
        http.get(format!("{base}/api/v1/me"))
            .bearer_auth(&token)
            .send()
    };
    for base in [&first.base, &second.base] {
        assert_eq!(me(base).await.unwrap().status(), StatusCode::OK);
    }
    let out = http
        .post(format!("{}/api/v1/auth/sign-out", first.base))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        me(&first.base).await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "the revoking instance refuses it at once"
    );
    let revoked = std::time::Instant::now();
    loop {
        let status = me(&second.base).await.unwrap().status();
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert_eq!(status, StatusCode::OK);
        // One second of cache, with room for a loaded machine: an entry kept for good
        // would fail here.
        assert!(
            revoked.elapsed() < Duration::from_secs(5),
            "the other instance still takes the revoked token"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "the other instance refused the token {:?} after the sign-out",
        revoked.elapsed()
    );
}
