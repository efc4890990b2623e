use crate::on_both_engines;
use carebell::domain::Role;
use reqwest::StatusCode;
use serde_json::json;

on_both_engines! {
    async fn simultaneous_bookings_of_one_slot_give_one_success_and_conflicts(app) {
        let doctor = app.user(Role::Practitioner).await;
        let mut patients = Vec::new();
        for _ in 0..8 {
            patients.push(app.user(Role::Patient).await);
        }
        for round in 0..3u64 {
            let slot = app.slots(&doctor, &[24 + round * 2]).await[0];
            let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(patients.len()));
            let attempts = patients.iter().map(|p| {
                let barrier = barrier.clone();
                let app = &app;
                async move {
                    barrier.wait().await;
                    app.post(p, "/api/v1/appointments", json!({"slot_id": slot, "reason": "flu"})).await
                }
            });
            let results = futures::future::join_all(attempts).await;
            let created = results.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
            let taken = results
                .iter()
                .filter(|(s, b)| *s == StatusCode::CONFLICT && b["code"] == "slot_taken")
                .count();
            assert_eq!((created, taken), (1, patients.len() - 1), "round {round}: {results:?}");
        }
        // Exactly one request notification per booked slot reached the practitioner.
        assert_eq!(app.kinds(&doctor).await.len(), 3);
    }

    async fn simultaneous_accept_and_cancel_never_both_win(app) {
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        let hours: Vec<u64> = (0..6).map(|i| 24 + i * 2).collect();
        for slot in app.slots(&doctor, &hours).await {
            let id = app.book(&patient, slot).await;
            let (accept_path, cancel_path) =
                (format!("/api/v1/appointments/{id}/accept"), format!("/api/v1/appointments/{id}/cancel"));
            let accept = app.post(&doctor, &accept_path, json!({}));
            let cancel = app.post(&patient, &cancel_path, json!({}));
            let ((a, _), (c, _)) = tokio::join!(accept, cancel);
            let (_, now) = app.get(&patient, &format!("/api/v1/appointments/{id}")).await;
            match (a, c) {
                (StatusCode::OK, StatusCode::OK) => assert_eq!(now["status"], "cancelled"), // accepted, then cancelled
                (StatusCode::OK, _) => assert_eq!(now["status"], "confirmed"),
                (_, StatusCode::OK) => assert_eq!(now["status"], "cancelled"),
                other => panic!("neither won: {other:?}"),
            }
            let expected_version = if a == StatusCode::OK && c == StatusCode::OK { 3 } else { 2 };
            assert_eq!(now["version"], expected_version);
        }
    }
}
