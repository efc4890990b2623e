//! The waitlist from the patients' side: a freed slot goes to the first who waits, held
//! for them alone; a hold that runs out passes on; late and double answers are refused.

use crate::helpers::*;
use crate::on_both_engines;
use carebell::domain::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

const MINUTE: Duration = Duration::from_secs(60);

/// A practitioner with a confirmed appointment of `booker` in a slot 48 h ahead, and a
/// free slot 72 h ahead. Returns (doctor, appointment, slot of it, free slot).
async fn a_booked_practice(app: &TestApp, booker: &TestUser) -> (TestUser, i64, i64, i64) {
    let doctor = app.user(Role::Practitioner).await;
    let slots = app.slots(&doctor, &[48, 72]).await;
    let appointment = app.book(booker, slots[0]).await;
    let path = format!("/api/v1/appointments/{appointment}/accept");
    let (status, body) = app.post(&doctor, &path, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (doctor, appointment, slots[0], slots[1])
}

async fn join(app: &TestApp, patient: &TestUser, body: Value) -> i64 {
    let (status, entry) = app.post(patient, "/api/v1/waitlist", body).await;
    assert_eq!(status, StatusCode::CREATED, "{entry}");
    entry["id"].as_i64().unwrap()
}

/// The patient's offers, newest first.
async fn offers(app: &TestApp, patient: &TestUser) -> Vec<Value> {
    let (status, body) = app.get(patient, "/api/v1/offers").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["offers"].as_array().unwrap().clone()
}

async fn open_offer(app: &TestApp, patient: &TestUser) -> Option<Value> {
    offers(app, patient)
        .await
        .into_iter()
        .find(|o| o["state"] == "open")
}

async fn cancel(app: &TestApp, who: &TestUser, appointment: i64) {
    let path = format!("/api/v1/appointments/{appointment}/cancel");
    let (status, body) = app.post(who, &path, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

on_both_engines! {
    async fn a_cancellation_offers_the_slot_to_the_first_waiting_patient_alone(app) {
        let booker = app.user(Role::Patient).await;
        let (doctor, appointment, slot, _) = a_booked_practice(&app, &booker).await;
        let first = app.patient_with_phone().await;
        let second = app.user(Role::Patient).await;
        let body = json!({"practitioner_id": doctor.id, "reason": "check-up"});
        join(&app, &first, body.clone()).await;
        app.clock.advance(MINUTE);
        join(&app, &second, body).await;
        let (_, list) = app.get(&doctor, "/api/v1/waitlist").await;
        let order: Vec<i64> = list["entries"].as_array().unwrap().iter()
            .map(|e| e["patient_id"].as_i64().unwrap()).collect();
        assert_eq!(order, [first.id, second.id], "joined first, offered first");
        assert!(open_offer(&app, &first).await.is_none(), "nothing is offered before a slot frees");

        cancel(&app, &booker, appointment).await;
        let offer = open_offer(&app, &first).await.expect("the first waiting patient holds the slot");
        assert_eq!(offer["slot_id"].as_i64(), Some(slot));
        assert!(open_offer(&app, &second).await.is_none(), "one hold at a time");
        let expires = carebell::domain::Timestamp::parse_rfc3339(offer["expires_at"].as_str().unwrap()).unwrap();
        assert_eq!(expires.millis() - app.clock_now().millis(), 15 * 60 * 1000, "held for waitlist.hold");

        // Nobody else can book it meanwhile, with a clear reason.
        let (status, refused) = app.post(&second, "/api/v1/appointments",
            json!({"slot_id": slot, "reason": "x"})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{refused}");
        assert_eq!(refused["code"], "slot_held");

        // The patient is told, with a link to the offer, in-app, by email and by SMS.
        app.drain().await;
        let told = app.notifications(&first).await;
        let n = told.iter().find(|n| n["kind"] == "waitlist_offer").expect("an offer notification");
        assert_eq!(n["link"], format!("/offers/{}", offer["id"]));
        let sms = std::fs::read_dir(&app.settings.sms.outbox_dir).unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .find(|t| t.contains("/offers/"))
            .expect("an SMS with the offer's link");
        assert!(sms.contains("Reply Y"), "{sms}");
        assert!(app.notifications(&second).await.iter().all(|n| n["kind"] != "waitlist_offer"));

        // Accepting books it for them.
        let (status, booked) = app.post(&first, &format!("/api/v1/offers/{}/accept", offer["id"]), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{booked}");
        assert_eq!(booked["slot_id"].as_i64(), Some(slot));
        assert_eq!(booked["patient_id"].as_i64(), Some(first.id));
        assert_eq!(booked["reason"], "check-up");
        let (_, list) = app.get(&doctor, "/api/v1/waitlist").await;
        let left: Vec<i64> = list["entries"].as_array().unwrap().iter()
            .map(|e| e["patient_id"].as_i64().unwrap()).collect();
        assert_eq!(left, [second.id], "the entry that got its time no longer waits");

        // Every step is in the audit log, and the practitioner sees the offer.
        let (_, audit) = app.get(&app.admin, "/api/v1/admin/audit?limit=100").await;
        let actions: Vec<&str> = audit["events"].as_array().unwrap().iter()
            .filter_map(|e| e["action"].as_str()).collect();
        for a in ["waitlist.joined", "waitlist.offered", "waitlist.accepted"] {
            assert!(actions.contains(&a), "{a} in {actions:?}");
        }
        let (_, seen) = app.get(&doctor, "/api/v1/offers").await;
        assert_eq!(seen["offers"][0]["state"], "accepted");
    }

    async fn an_unanswered_hold_passes_on_and_a_late_accept_is_refused(app) {
        let booker = app.user(Role::Patient).await;
        let (doctor, appointment, slot, _) = a_booked_practice(&app, &booker).await;
        let first = app.user(Role::Patient).await;
        let second = app.user(Role::Patient).await;
        let body = json!({"practitioner_id": doctor.id});
        join(&app, &first, body.clone()).await;
        app.clock.advance(MINUTE);
        join(&app, &second, body).await;
        cancel(&app, &booker, appointment).await;
        let offer = open_offer(&app, &first).await.unwrap();

        // One minute before the end it still holds; at the end it passes on.
        app.clock.advance(14 * MINUTE);
        assert_eq!(app.drain().await.holds_ended, 0);
        assert!(open_offer(&app, &second).await.is_none());
        app.clock.advance(MINUTE);
        assert!(app.drain().await.holds_ended >= 1);
        let next = open_offer(&app, &second).await.expect("the next patient holds it now");
        assert_eq!(next["slot_id"].as_i64(), Some(slot));

        let (status, refused) = app.post(&first, &format!("/api/v1/offers/{}/accept", offer["id"]), json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{refused}");
        assert_eq!(refused["code"], "offer_closed");
        assert!(refused["detail"].as_str().unwrap().contains("expired"), "{refused}");
        assert_eq!(offers(&app, &first).await[0]["state"], "expired");

        // A decline passes it on too; with nobody left, the slot is free for anyone.
        let (status, _) = app.post(&second, &format!("/api/v1/offers/{}/decline", next["id"]), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        let anyone = app.user(Role::Patient).await;
        app.book(&anyone, slot).await;
        let (_, audit) = app.get(&app.admin, "/api/v1/admin/audit?limit=100").await;
        let actions: Vec<&str> = audit["events"].as_array().unwrap().iter()
            .filter_map(|e| e["action"].as_str()).collect();
        assert!(actions.contains(&"waitlist.expired") && actions.contains(&"waitlist.declined"), "{actions:?}");
    }

    async fn two_concurrent_accepts_of_one_offer_give_one_booking(app) {
        let booker = app.user(Role::Patient).await;
        let (doctor, appointment, slot, _) = a_booked_practice(&app, &booker).await;
        let waiting = app.user(Role::Patient).await;
        join(&app, &waiting, json!({"practitioner_id": doctor.id})).await;
        cancel(&app, &booker, appointment).await;
        let offer = open_offer(&app, &waiting).await.unwrap();
        let path = format!("/api/v1/offers/{}/accept", offer["id"]);
        let tries = (0..8).map(|_| app.post(&waiting, &path, json!({})));
        let answers = futures_util::future::join_all(tries).await;
        let ok = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
        assert_eq!(ok, 1, "{answers:?}");
        for (s, b) in &answers {
            assert!(*s == StatusCode::OK || (*s == StatusCode::CONFLICT && b["code"] == "offer_closed"), "{s} {b}");
        }
        let (_, mine) = app.get(&waiting, "/api/v1/appointments").await;
        let in_slot = mine["appointments"].as_array().unwrap().iter()
            .filter(|a| a["slot_id"].as_i64() == Some(slot)).count();
        assert_eq!(in_slot, 1);
    }

    async fn earlier_than_my_appointment_moves_it_and_offers_the_old_slot_in_turn(app) {
        let booker = app.user(Role::Patient).await;
        let (doctor, early_appointment, early_slot, late_slot) = a_booked_practice(&app, &booker).await;
        // A patient booked at 72 h wants anything earlier; another waits for any time.
        let mover = app.user(Role::Patient).await;
        let moved = app.book(&mover, late_slot).await;
        let (status, _) = app.post(&doctor, &format!("/api/v1/appointments/{moved}/accept"), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        join(&app, &mover, json!({"appointment_id": moved})).await;
        app.clock.advance(MINUTE);
        let other = app.user(Role::Patient).await;
        join(&app, &other, json!({"practitioner_id": doctor.id})).await;

        cancel(&app, &booker, early_appointment).await;
        let offer = open_offer(&app, &mover).await.expect("the earlier slot goes to the mover");
        assert_eq!(offer["slot_id"].as_i64(), Some(early_slot));
        let (_, detail) = app.get(&mover, &format!("/api/v1/offers/{}", offer["id"])).await;
        assert_eq!(detail["offer"]["id"], offer["id"]);
        assert_eq!(detail["moves"]["id"].as_i64(), Some(moved));

        let (status, a) = app.post(&mover, &format!("/api/v1/offers/{}/accept", offer["id"]), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{a}");
        assert_eq!(a["id"].as_i64(), Some(moved), "the same appointment, moved");
        assert_eq!(a["slot_id"].as_i64(), Some(early_slot));
        assert_eq!(a["status"], "confirmed");
        let next = open_offer(&app, &other).await.expect("the freed later slot is offered in turn");
        assert_eq!(next["slot_id"].as_i64(), Some(late_slot));
    }

    async fn new_slots_go_to_the_waitlist_within_its_window_and_times_of_day(app) {
        let doctor = app.user(Role::Practitioner).await;
        let picky = app.user(Role::Patient).await;
        let now = app.clock_now();
        let day = Duration::from_secs(86_400);
        // Mornings only, on their own clock (Europe/Paris), from tomorrow on.
        join(&app, &picky, json!({
            "practitioner_id": doctor.id, "window_from": now.plus(day).to_string(),
            "day_start": "08:00", "day_end": "12:00",
        })).await;
        // T0 is 09:00 in Paris: +30 h is 15:00 (afternoon), +48 h is 09:00 two days on.
        let slots = app.slots(&doctor, &[30, 48]).await;
        let offer = open_offer(&app, &picky).await.expect("the morning slot is offered");
        assert_eq!(offer["slot_id"].as_i64(), Some(slots[1]));
        // Too soon to be useful: a slot starting within hold + min_notice is not offered.
        let (status, _) = app.post(&picky, &format!("/api/v1/offers/{}/decline", offer["id"]), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        let soon = app.user(Role::Patient).await;
        join(&app, &soon, json!({"practitioner_id": doctor.id})).await;
        app.slots(&doctor, &[2]).await;
        assert!(open_offer(&app, &soon).await.is_none(), "a slot 2 h away is not offered");
    }

    async fn waitlist_input_is_checked(app) {
        let patient = app.user(Role::Patient).await;
        let doctor = app.user(Role::Practitioner).await;
        for (body, code) in [
            (json!({}), "validation_failed"),
            (json!({"practitioner_id": patient.id}), "not_found"),
            (json!({"practitioner_id": doctor.id, "day_start": "25:00", "day_end": "26:00"}), "validation_failed"),
            (json!({"practitioner_id": doctor.id, "day_start": "10:00"}), "validation_failed"),
            (json!({"practitioner_id": doctor.id, "window_from": "yesterday"}), "validation_failed"),
            (json!({"practitioner_id": doctor.id, "surprise": 1}), "validation_failed"),
        ] {
            let (status, err) = app.post(&patient, "/api/v1/waitlist", body.clone()).await;
            assert!(status.is_client_error(), "{body}: {status} {err}");
            assert_eq!(err["code"], code, "{body}: {err}");
        }
        let (status, err) = app.post(&doctor, "/api/v1/waitlist", json!({"practitioner_id": doctor.id})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{err}");
        let (status, err) = app.post(&patient, "/api/v1/offers/999/accept", json!({})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{err}");
    }
}
