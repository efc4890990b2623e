use crate::helpers::*;
use crate::on_both_engines;
use carebell::domain::Role;
use reqwest::StatusCode;
use serde_json::json;

fn j(kind: &str, channel: &str, who: &TestUser) -> (String, String, String, i64) {
    (kind.into(), channel.into(), "pending".into(), who.id)
}

on_both_engines! {
    async fn each_step_writes_the_matrix_notifications_and_pending_jobs(app) {
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.patient_with_phone().await;
        let slots = app.slots(&doctor, &[48]).await;

        let id = app.book(&patient, slots[0]).await;
        assert_eq!(app.kinds(&patient).await, ["booking_received"]);
        assert_eq!(app.kinds(&doctor).await, ["appointment_requested"]);
        assert_eq!(app.unread(&doctor).await, 1);
        assert_eq!(
            app.jobs(id).await,
            [j("booking_received", "email", &patient), j("appointment_requested", "email", &doctor)]
        );

        let (status, a) = app.post(&doctor, &format!("/api/v1/appointments/{id}/accept"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{a}");
        assert_eq!(a["status"], "confirmed");
        assert_eq!(a["version"], 2);
        assert_eq!(app.kinds(&patient).await, ["appointment_confirmed", "booking_received"]);
        let jobs = app.jobs(id).await;
        // The practitioner gets the calendar invite too (email.invite_practitioners).
        assert_eq!(
            jobs[2..],
            [
                j("appointment_confirmed", "email", &patient),
                j("appointment_confirmed", "sms", &patient),
                j("appointment_confirmed", "email", &doctor)
            ]
        );

        let (status, a) = app
            .post(&patient, &format!("/api/v1/appointments/{id}/cancel"), json!({"reason": "feeling better"}))
            .await;
        assert_eq!(status, StatusCode::OK, "{a}");
        assert_eq!((a["status"].as_str(), a["cancelled_by"].as_str()), (Some("cancelled"), Some("patient")));
        assert_eq!(app.kinds(&patient).await[0], "cancellation_confirmed");
        assert_eq!(app.kinds(&doctor).await, ["patient_cancelled", "appointment_confirmed", "appointment_requested"]);
        let jobs = app.jobs(id).await;
        assert_eq!(jobs[5..], [j("cancellation_confirmed", "email", &patient), j("patient_cancelled", "email", &doctor)]);
        assert!(jobs.iter().all(|j| j.2 == "pending"));
        // The cancelled slot is free again.
        let (_, free) = app.get(&patient, &format!("/api/v1/practitioners/{}/slots", doctor.id)).await;
        assert_eq!(free["slots"][0]["id"], slots[0]);
    }

    async fn practitioner_decline_and_cancel_notify_the_patient_with_the_reason(app) {
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.patient_with_phone().await;
        let slots = app.slots(&doctor, &[30, 40]).await;
        let first = app.book(&patient, slots[0]).await;
        let (status, a) = app
            .post(&doctor, &format!("/api/v1/appointments/{first}/decline"), json!({"reason": "on leave"}))
            .await;
        assert_eq!((status, a["status"].as_str()), (StatusCode::OK, Some("declined")));
        let n = &app.notifications(&patient).await[0];
        assert_eq!(n["kind"], "appointment_declined");
        assert!(n["message"].as_str().unwrap().contains("on leave"), "{n}");
        assert_eq!(app.jobs(first).await.last().unwrap(), &j("appointment_declined", "email", &patient));

        let second = app.book(&patient, slots[1]).await;
        app.post(&doctor, &format!("/api/v1/appointments/{second}/accept"), json!({})).await;
        let (status, e) = app.post(&doctor, &format!("/api/v1/appointments/{second}/cancel"), json!({})).await;
        assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed")));
        let (status, a) = app
            .post(&doctor, &format!("/api/v1/appointments/{second}/cancel"), json!({"reason": "emergency"}))
            .await;
        assert_eq!((status, a["cancelled_by"].as_str()), (StatusCode::OK, Some("practitioner")));
        assert_eq!(app.kinds(&patient).await[0], "appointment_cancelled");
        assert_eq!(app.kinds(&doctor).await[0], "cancellation_confirmed");
        let jobs = app.jobs(second).await;
        assert_eq!(
            jobs[jobs.len() - 3..],
            [
                j("appointment_cancelled", "email", &patient),
                j("appointment_cancelled", "sms", &patient),
                j("cancellation_confirmed", "email", &doctor)
            ],
            "the practitioner's own confirmation is by email only to withdraw the invite"
        );
    }

    async fn admin_cancels_as_the_system(app) {
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        let slots = app.slots(&doctor, &[30]).await;
        let id = app.book(&patient, slots[0]).await;
        let (status, a) = app
            .post(&app.admin, &format!("/api/v1/appointments/{id}/cancel"), json!({"reason": "clinic closed"}))
            .await;
        assert_eq!((status, a["cancelled_by"].as_str()), (StatusCode::OK, Some("system")));
        assert_eq!(app.kinds(&patient).await[0], "appointment_cancelled");
        assert_eq!(app.kinds(&doctor).await[0], "appointment_cancelled");
    }

    async fn patient_cannot_cancel_after_the_cutoff_but_the_practitioner_can(app) {
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        let slots = app.slots(&doctor, &[5]).await;
        let id = app.book(&patient, slots[0]).await;
        app.clock.advance(HOUR * 3 + std::time::Duration::from_secs(60)); // 1h59 before the start
        let (status, e) = app.post(&patient, &format!("/api/v1/appointments/{id}/cancel"), json!({})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e["code"], "cancellation_cutoff_passed");
        assert!(e["detail"].as_str().unwrap().contains("120 minutes"), "{e}");
        let (status, _) = app
            .post(&doctor, &format!("/api/v1/appointments/{id}/cancel"), json!({"reason": "ill"}))
            .await;
        assert_eq!(status, StatusCode::OK);
    }

    async fn reschedule_keeps_the_id_bumps_the_version_and_frees_the_old_slot(app) {
        let doctor = app.user(Role::Practitioner).await;
        let other_doctor = app.user(Role::Practitioner).await;
        let patient = app.patient_with_phone().await;
        let rival = app.user(Role::Patient).await;
        let slots = app.slots(&doctor, &[24, 26, 28]).await;
        let foreign = app.slots(&other_doctor, &[24]).await;
        let id = app.book(&patient, slots[0]).await;
        app.book(&rival, slots[2]).await;
        app.post(&doctor, &format!("/api/v1/appointments/{id}/accept"), json!({})).await;

        let path = format!("/api/v1/appointments/{id}/reschedule");
        let (status, e) = app.post(&patient, &path, json!({"slot_id": foreign[0]})).await;
        assert_eq!((status, e["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
        let (status, e) = app.post(&patient, &path, json!({"slot_id": slots[2]})).await;
        assert_eq!((status, e["code"].as_str()), (StatusCode::CONFLICT, Some("slot_taken")));

        let (status, a) = app.post(&patient, &path, json!({"slot_id": slots[1]})).await;
        assert_eq!(status, StatusCode::OK, "{a}");
        assert_eq!((a["id"].as_i64(), a["version"].as_i64(), a["status"].as_str()), (Some(id), Some(3), Some("confirmed")));
        assert_eq!(a["slot_id"], slots[1]);

        let moved = &app.notifications(&patient).await[0];
        assert_eq!(moved["kind"], "appointment_modified");
        assert!(moved["data"]["previous_starts_at"].is_string(), "{moved}");
        assert_eq!(app.kinds(&doctor).await[0], "appointment_modified", "practitioner hears when the patient moves it");
        let jobs = app.jobs(id).await;
        assert_eq!(
            jobs[jobs.len() - 3..],
            [
                j("appointment_modified", "email", &patient),
                j("appointment_modified", "sms", &patient),
                j("appointment_modified", "email", &doctor)
            ]
        );

        let (_, free) = app.get(&rival, &format!("/api/v1/practitioners/{}/slots", doctor.id)).await;
        let free: Vec<i64> = free["slots"].as_array().unwrap().iter().map(|s| s["id"].as_i64().unwrap()).collect();
        assert_eq!(free, [slots[0]], "the old slot is free again, the new one is held");

        // When the practitioner moves it, the patient is told, and the practitioner gets
        // only the updated calendar invite (by email).
        let before = app.kinds(&doctor).await.len();
        let (status, _) = app.post(&doctor, &path, json!({"slot_id": slots[0]})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(app.kinds(&doctor).await.len(), before + 1);
        let jobs = app.jobs(id).await;
        assert_eq!(jobs.last().unwrap(), &j("appointment_modified", "email", &doctor));
        assert_eq!(app.kinds(&patient).await[0], "appointment_modified");
    }

    async fn illegal_transitions_are_refused_with_a_clear_error(app) {
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        let slots = app.slots(&doctor, &[24]).await;
        let id = app.book(&patient, slots[0]).await;
        let (status, e) = app.post(&patient, &format!("/api/v1/appointments/{id}/accept"), json!({})).await;
        assert_eq!((status, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
        app.post(&doctor, &format!("/api/v1/appointments/{id}/accept"), json!({})).await;
        for action in ["accept", "decline"] {
            let (status, e) = app.post(&doctor, &format!("/api/v1/appointments/{id}/{action}"), json!({})).await;
            assert_eq!(status, StatusCode::CONFLICT, "{action}");
            assert_eq!(e["code"], "invalid_transition");
            assert_eq!(e["detail"], format!("cannot {action} an appointment that is confirmed"));
        }
        app.post(&patient, &format!("/api/v1/appointments/{id}/cancel"), json!({})).await;
        let (status, e) = app.post(&patient, &format!("/api/v1/appointments/{id}/cancel"), json!({})).await;
        assert_eq!((status, e["code"].as_str()), (StatusCode::CONFLICT, Some("invalid_transition")));
        // Once the visit started nothing changes.
        let slots = app.slots(&doctor, &[30]).await;
        let late = app.book(&patient, slots[0]).await;
        app.clock.advance(HOUR * 31);
        let (status, e) = app.post(&doctor, &format!("/api/v1/appointments/{late}/accept"), json!({})).await;
        assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("appointment_started")));
    }

    async fn slots_cannot_overlap_and_held_slots_cannot_be_deleted(app) {
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.user(Role::Patient).await;
        let slots = app.slots(&doctor, &[24, 25]).await;
        let start = app.clock_now().plus(HOUR * 24).plus(std::time::Duration::from_secs(1800));
        let (status, e) = app
            .post(&doctor, "/api/v1/slots", json!({"slots": [{"starts_at": start.to_string(), "ends_at": start.plus(HOUR).to_string()}]}))
            .await;
        assert_eq!((status, e["code"].as_str()), (StatusCode::CONFLICT, Some("slot_overlap")));
        let past = app.clock_now().minus(HOUR);
        let (status, e) = app
            .post(&doctor, "/api/v1/slots", json!({"slots": [{"starts_at": past.to_string(), "ends_at": app.clock_now().to_string()}]}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert!(e["detail"].as_str().unwrap().contains("future"), "{e}");

        app.book(&patient, slots[0]).await;
        let (status, e) = app.delete(&doctor, &format!("/api/v1/slots/{}", slots[0])).await;
        assert_eq!((status, e["code"].as_str()), (StatusCode::CONFLICT, Some("slot_in_use")));
        let (status, _) = app.delete(&doctor, &format!("/api/v1/slots/{}", slots[1])).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (_, own) = app.get(&doctor, "/api/v1/slots").await;
        assert_eq!(own["slots"].as_array().unwrap().len(), 1);
        assert_eq!(own["slots"][0]["free"], false);
    }

    async fn availability_reaches_followers_and_waiting_patients_once(app) {
        let doctor = app.user(Role::Practitioner).await;
        let follower = app.user(Role::Patient).await;
        let waiting_follower = app.user(Role::Patient).await;
        let stranger = app.user(Role::Patient).await;
        let slots = app.slots(&doctor, &[24]).await;
        for p in [&follower, &waiting_follower] {
            let (status, _) = app.call(Some(p), reqwest::Method::PUT, &format!("/api/v1/practitioners/{}/follow", doctor.id), None).await;
            assert_eq!(status, StatusCode::NO_CONTENT);
        }
        app.book(&waiting_follower, slots[0]).await;

        let (status, e) = app.post(&doctor, "/api/v1/availability/notify", json!({})).await;
        assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed")), "no free slot yet");

        let start = app.clock_now().plus(HOUR * 48);
        let (status, body) = app
            .post(&doctor, "/api/v1/slots", json!({"slots": [{"starts_at": start.to_string(), "ends_at": start.plus(HOUR).to_string()}]}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(app.kinds(&follower).await, ["new_availability"]);
        assert_eq!(app.kinds(&waiting_follower).await, ["new_availability", "booking_received"]);
        assert!(app.kinds(&stranger).await.is_empty());

        // After the throttle window (one alert per follower and practitioner in 6 h).
        app.clock.advance(std::time::Duration::from_secs(6 * 3600));
        let (status, body) = app.post(&doctor, "/api/v1/availability/notify", json!({"note": "Saturday clinic"})).await;
        assert_eq!((status, body["notified"].as_i64()), (StatusCode::OK, Some(2)));
        let n = &app.notifications(&follower).await[0];
        assert!(n["message"].as_str().unwrap().contains("Saturday clinic"), "{n}");

        let (status, _) = app.call(Some(&follower), reqwest::Method::DELETE, &format!("/api/v1/practitioners/{}/follow", doctor.id), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (_, body) = app.post(&doctor, "/api/v1/availability/notify", json!({})).await;
        assert_eq!(body["notified"], 1, "only the patient still waiting on a request");
        let (_, deliveries) = app.get(&app.admin, &format!("/api/v1/admin/deliveries?recipient_id={}&channel=email", follower.id)).await;
        assert_eq!(deliveries["deliveries"].as_array().unwrap().len(), 2);
    }
}
