use crate::on_both_engines;
use carebell::domain::Role;
use reqwest::StatusCode;
use serde_json::json;

on_both_engines! {
    async fn mark_all_read_leaves_a_reminder_that_has_not_appeared_yet_unread(app) {
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        let slots = app.slots(&doctor, &[48, 96]).await;
        let id = app.book(&patient, slots[0]).await;
        app.post(&doctor, &format!("/api/v1/appointments/{id}/accept"), json!({})).await;
        app.drain().await;
        let (status, body) = app.post(&patient, "/api/v1/notifications/read-all", json!({})).await;
        assert_eq!((status, body["marked"].as_i64()), (StatusCode::OK, Some(2)), "booking received and confirmed");
        assert_eq!(app.unread(&patient).await, 0);
        // A later booking is written after the reminders were planned (a higher id) ...
        app.clock.advance(std::time::Duration::from_secs(3600));
        app.book(&patient, slots[1]).await;
        // ... and the 24 h reminder appears a day after the confirmation: unread, so the
        // bell rises, and it is listed first, by when it appeared.
        app.clock.advance(std::time::Duration::from_secs(23 * 3600));
        app.drain().await;
        assert_eq!(app.unread(&patient).await, 2);
        let list = app.notifications(&patient).await;
        let kinds: Vec<&str> = list.iter().map(|n| n["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["appointment_reminder", "booking_received", "appointment_confirmed", "booking_received"]);
        assert_eq!(list[0]["read"], false);
        assert!(list[0]["id"].as_i64() < list[1]["id"].as_i64(), "planned before the second booking");
        assert!(list[0]["visible_at"].as_str() > list[0]["created_at"].as_str(), "{}", list[0]);
        // Paging with the cursor walks the same order.
        let mut paged = Vec::new();
        let mut query = "/api/v1/notifications?limit=1".to_owned();
        loop {
            let (_, page) = app.get(&patient, &query).await;
            paged.extend(page["notifications"].as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap().to_owned()));
            match page["next_before"].as_i64() {
                Some(before) => query = format!("/api/v1/notifications?limit=1&before={before}"),
                None => break,
            }
        }
        assert_eq!(paged, kinds);
    }

    async fn notifications_page_newest_first_filter_unread_and_mark_read(app) {
        let doctor = app.user(Role::Practitioner).await;
        let hours: Vec<u64> = (0..5).map(|i| 24 + i * 2).collect();
        let slots = app.slots(&doctor, &hours).await;
        for slot in &slots {
            let patient = app.user(Role::Patient).await;
            app.book(&patient, *slot).await;
        }
        assert_eq!(app.unread(&doctor).await, 5);
        let (_, first) = app.get(&doctor, "/api/v1/notifications?limit=2").await;
        let ids: Vec<i64> = first["notifications"].as_array().unwrap().iter().map(|n| n["id"].as_i64().unwrap()).collect();
        assert!(ids[0] > ids[1], "newest first");
        assert_eq!(first["unread_count"], 5);
        let before = first["next_before"].as_i64().unwrap();
        let (_, second) = app.get(&doctor, &format!("/api/v1/notifications?limit=2&before={before}")).await;
        let more: Vec<i64> = second["notifications"].as_array().unwrap().iter().map(|n| n["id"].as_i64().unwrap()).collect();
        assert_eq!(more.len(), 2);
        assert!(more[0] < ids[1]);

        let (status, body) = app.post(&doctor, &format!("/api/v1/notifications/{}/read", ids[0]), json!({})).await;
        assert_eq!((status, body["unread_count"].as_i64()), (StatusCode::OK, Some(4)));
        // Marking it again is harmless.
        let (status, _) = app.post(&doctor, &format!("/api/v1/notifications/{}/read", ids[0]), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        let (_, unread) = app.get(&doctor, "/api/v1/notifications?unread=true&limit=100").await;
        let unread_ids: Vec<i64> = unread["notifications"].as_array().unwrap().iter().map(|n| n["id"].as_i64().unwrap()).collect();
        assert_eq!(unread_ids.len(), 4);
        assert!(!unread_ids.contains(&ids[0]));
        let read = &app.notifications(&doctor).await[0];
        assert_eq!((read["read"].as_bool(), read["read_at"].is_string()), (Some(true), true));

        let (status, body) = app.post(&doctor, "/api/v1/notifications/read-all", json!({})).await;
        assert_eq!((status, body["marked"].as_i64(), body["unread_count"].as_i64()), (StatusCode::OK, Some(4), Some(0)));
        let (status, e) = app.post(&doctor, "/api/v1/notifications/999999/read", json!({})).await;
        assert_eq!((status, e["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    }

    async fn messages_show_times_in_the_recipients_zone(app) {
        let doctor = app.user_with(Role::Practitioner, json!({"time_zone": "Asia/Tokyo"})).await;
        let patient = app.user_with(Role::Patient, json!({"time_zone": "America/New_York"})).await;
        let slot = app.slots(&doctor, &[24]).await[0]; // 2026-12-02T08:00Z
        app.book(&patient, slot).await;
        let to_patient = &app.notifications(&patient).await[0];
        assert!(to_patient["message"].as_str().unwrap().contains("Wednesday 2 December 2026, 03:00 (America/New_York)"), "{to_patient}");
        let to_doctor = &app.notifications(&doctor).await[0];
        assert!(to_doctor["message"].as_str().unwrap().contains("Wednesday 2 December 2026, 17:00 (Asia/Tokyo)"), "{to_doctor}");
        assert!(!to_doctor.to_string().contains("back pain"), "the reason for the visit stays out of notifications");
    }
}

on_both_engines! {
    async fn six_availability_alerts_in_a_row_reach_a_follower_once_and_then_as_one_digest(app) {
        let doctor = app.user(Role::Practitioner).await;
        let follower = app.user(Role::Patient).await;
        app.call(Some(&follower), reqwest::Method::PUT, &format!("/api/v1/practitioners/{}/follow", doctor.id), None).await;
        let mut slots = Vec::new();
        for i in 0..6u64 {
            slots.extend(app.slots(&doctor, &[30 + i]).await);
            let (status, body) = app.post(&doctor, "/api/v1/availability/notify", json!({})).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            app.clock.advance(std::time::Duration::from_secs(60));
            app.drain().await;
        }
        assert_eq!(emails_to(&app, &follower.email), 1, "one email in the first six hours");
        assert_eq!(alerts_shown(&app, &follower).await, 1, "one alert in the inbox");
        // Six hours after the first: the digest, once, with every slot added meanwhile.
        app.clock.advance(std::time::Duration::from_secs(6 * 3600));
        app.drain().await;
        app.clock.advance(std::time::Duration::from_secs(3600));
        app.drain().await;
        assert_eq!(emails_to(&app, &follower.email), 2, "the digest");
        assert_eq!(alerts_shown(&app, &follower).await, 2);
        let digest = app.notifications(&follower).await.into_iter().find(|n| n["kind"] == "new_availability").unwrap();
        let listed: Vec<i64> = digest["data"]["slot_ids"].as_array().unwrap().iter().map(|s| s.as_i64().unwrap()).collect();
        assert!(slots.iter().all(|s| listed.contains(s)), "the digest lists the latest free slots: {listed:?} {slots:?}");
        // The folded alerts are voided, not lost: an admin sees why.
        let (_, voided) = app.get(&app.admin, &format!("/api/v1/admin/deliveries?state=voided&recipient_id={}", follower.id)).await;
        let folded = voided["deliveries"].as_array().unwrap();
        assert_eq!(folded.len(), 4, "{voided}");
        assert!(folded.iter().all(|j| j["last_error"] == "folded into a newer digest"));
    }
}

/// Emails written to the outbox for `to`.
fn emails_to(app: &crate::helpers::TestApp, to: &str) -> usize {
    std::fs::read_dir(&app.settings.email.outbox_dir)
        .map(|d| {
            d.filter(|e| {
                std::fs::read_to_string(e.as_ref().unwrap().path())
                    .unwrap_or_default()
                    .contains(to)
            })
            .count()
        })
        .unwrap_or(0)
}

/// Availability alerts in `user`'s inbox.
async fn alerts_shown(app: &crate::helpers::TestApp, user: &crate::helpers::TestUser) -> usize {
    app.kinds(user)
        .await
        .iter()
        .filter(|k| *k == "new_availability")
        .count()
}
