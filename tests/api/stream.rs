//! The live stream (Server-Sent Events) of a user's notifications.

use crate::helpers::{TestApp, TestUser};
use crate::on_both_engines;
use carebell::domain::Role;
use serde_json::{json, Value};
use std::time::Duration;

/// One parsed SSE event.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SseEvent {
    pub id: Option<String>,
    pub event: String,
    pub data: Value,
}

/// A minimal SSE client over a streaming HTTP response.
pub(crate) struct SseClient {
    response: reqwest::Response,
    buffer: String,
}

impl SseClient {
    pub(crate) async fn connect(
        app: &TestApp,
        user: &TestUser,
        last_event_id: Option<&str>,
    ) -> Self {
        Self::connect_to(app, &app.base, user, last_event_id).await
    }

    async fn connect_to(
        app: &TestApp,
        base: &str,
        user: &TestUser,
        last_event_id: Option<&str>,
    ) -> Self {
        let url = format!("{base}/api/v1/notifications/stream");
        let mut request = app.http.get(url).bearer_auth(&user.token);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (heartbeats skipped), or `None` if none comes within `wait`.
    pub(crate) async fn next(&mut self, wait: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut e = SseEvent {
                    id: None,
                    event: "message".into(),
                    data: Value::Null,
                };
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        e.id = Some(v.trim().to_owned());
                    } else if let Some(v) = line.strip_prefix("event:") {
                        e.event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if data.is_empty() {
                    continue; // a heartbeat comment
                }
                e.data = serde_json::from_str(&data).unwrap();
                return Some(e);
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .ok()?
                .unwrap()?;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

on_both_engines! {
    async fn a_reconnecting_client_gets_what_it_missed_exactly_once(app) {
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        let slots = app.slots(&doctor, &[24, 26, 28]).await;
        let wait = Duration::from_secs(5);

        let mut tab = SseClient::connect(&app, &doctor, None).await;
        let hello = tab.next(wait).await.unwrap();
        assert_eq!((hello.event.as_str(), &hello.data), ("unread", &json!({"unread_count": 0})));

        app.book(&patient, slots[0]).await;
        app.drain().await;
        let first = tab.next(wait).await.unwrap();
        assert_eq!(first.event, "notification");
        assert_eq!(first.data["notification"]["kind"], "appointment_requested");
        assert_eq!(first.data["unread_count"], 1);
        // Event ids are stream positions (given in commit order), not notification ids.
        let first_id = first.id.clone().unwrap();
        assert_eq!(first_id, first.data["notification"]["seq"].to_string());

        // The connection drops; meanwhile another request arrives.
        drop(tab);
        app.book(&patient, slots[1]).await;
        app.drain().await;

        let mut tab = SseClient::connect(&app, &doctor, Some(&first_id)).await;
        let missed = tab.next(wait).await.unwrap();
        assert_eq!(missed.event, "notification");
        assert!(missed.id.unwrap().parse::<i64>().unwrap() > first_id.parse::<i64>().unwrap());
        assert_eq!(missed.data["unread_count"], 2);
        assert_eq!(tab.next(Duration::from_millis(300)).await, None, "each once");

        // Live again after the replay, still once each.
        app.book(&patient, slots[2]).await;
        app.drain().await;
        let live = tab.next(wait).await.unwrap();
        assert_eq!((live.event.as_str(), live.data["unread_count"].as_i64()), ("notification", Some(3)));
        assert_eq!(tab.next(Duration::from_millis(300)).await, None);

        // Marking read in one tab updates the count in the others.
        let mut other = SseClient::connect(&app, &doctor, None).await;
        assert_eq!(other.next(wait).await.unwrap().data, json!({"unread_count": 3}));
        let id = live.data["notification"]["id"].as_i64().unwrap();
        app.post(&doctor, &format!("/api/v1/notifications/{id}/read"), json!({})).await;
        for t in [&mut tab, &mut other] {
            let e = t.next(wait).await.unwrap();
            assert_eq!((e.event.as_str(), &e.data), ("unread", &json!({"unread_count": 2})));
        }
        // Nobody else's events leak in.
        let (_, _) = app.post(&patient, "/api/v1/notifications/read-all", json!({})).await;
        assert_eq!(other.next(Duration::from_millis(300)).await, None);
    }

    async fn the_stream_needs_a_sign_in_and_a_valid_last_event_id(app) {
        let response = app.http.get(app.url("/api/v1/notifications/stream")).send().await.unwrap();
        assert_eq!(response.status(), 401);
        let doctor = app.user(Role::Practitioner).await;
        let response = app
            .http
            .get(app.url("/api/v1/notifications/stream"))
            .bearer_auth(&doctor.token)
            .header("last-event-id", "yesterday")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        assert_eq!(response.json::<Value>().await.unwrap()["code"], "invalid_header");
    }
}

/// Several instances behind a load balancer: a dashboard connected to one hears about a
/// notification another instance delivered (PostgreSQL LISTEN/NOTIFY).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_events_cross_instances_on_postgres() {
    let app = crate::helpers::spawn_app(crate::helpers::Engine::Postgres).await;
    let second = app.another_instance().await;
    let doctor = app.user(Role::Practitioner).await;
    let patient = app.user(Role::Patient).await;
    let slot = app.slots(&doctor, &[24]).await[0];
    let mut tab = SseClient::connect_to(&app, &second, &doctor, None).await;
    assert_eq!(
        tab.next(Duration::from_secs(5)).await.unwrap().event,
        "unread"
    );
    // Wait until both instances are LISTENing (their listeners connect in the background).
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let listening: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%carebell_live%'",
        )
        .fetch_one(app.store.pool())
        .await
        .unwrap();
        if listening >= 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the instances never started listening"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    app.book(&patient, slot).await; // through the first instance
    app.drain().await; // delivered by the first instance's dispatcher
    let e = tab
        .next(Duration::from_secs(5))
        .await
        .expect("the event crossed instances");
    assert_eq!(
        (e.event.as_str(), e.data["notification"]["kind"].as_str()),
        ("notification", Some("appointment_requested"))
    );
    assert_eq!(tab.next(Duration::from_millis(300)).await, None, "once");
}

on_both_engines! {
    async fn stopping_the_server_ends_open_streams_instead_of_waiting_for_them(app) {
        let mut app = app;
        let doctor = app.user(Role::Practitioner).await;
        let mut tab = SseClient::connect(&app, &doctor, None).await;
        assert_eq!(tab.next(Duration::from_secs(5)).await.unwrap().event, "unread");
        let stopped = app.stop().await.expect("the server stops within 10 s despite an open stream");
        stopped.expect("and stops cleanly");
        assert_eq!(tab.next(Duration::from_secs(5)).await, None, "the stream was closed");
    }
}
