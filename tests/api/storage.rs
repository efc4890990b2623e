//! The storage layer itself, on both engines.

use crate::on_both_engines;
use carebell::domain::{Channel, NotificationKind, Role, Severity, SlotWindow, Timestamp};
use carebell::store::notifications::{self, NewNotification};
use carebell::store::{slots, StoreError};

on_both_engines! {
    async fn a_failed_transaction_leaves_nothing_behind(app) {
        let doctor = app.user(Role::Practitioner).await;
        let now = app.clock_now();
        let window = SlotWindow::new(now.plus(HOUR * 24), now.plus(HOUR * 25), now).unwrap();
        let mut tx = app.store.begin().await.unwrap();
        slots::insert(tx.conn(), doctor.id, window, now).await.unwrap();
        let orphan = NewNotification {
            recipient_id: 987_654_321,
            kind: NotificationKind::SystemNotice,
            severity: Severity::Info,
            link: None,
            data: notice(),
            appointment_id: None,
            appointment_version: None,
            channels: vec![Channel::Email],
            visible_from: None,
            reminder_offset: None,
            jobs_due: None,
        };
        let err = notifications::insert(tx.conn(), &orphan, now).await.unwrap_err();
        assert!(matches!(err, StoreError::MissingReference), "{err:?}");
        drop(tx); // rolled back
        let (_, own) = app.get(&doctor, "/api/v1/slots").await;
        assert!(own["slots"].as_array().unwrap().is_empty(), "{own}");
    }

    async fn a_unique_violation_names_its_constraint_on_both_engines(app) {
        let doctor = app.user(Role::Practitioner).await;
        let mut c = app.store.acquire().await.unwrap();
        let taken = carebell::store::users::find_credentials(&mut c, &doctor.email).await.unwrap().unwrap().0;
        let again = carebell::store::users::NewUser {
            role: Role::Patient,
            name: taken.name.clone(),
            email: carebell::domain::Email::parse(&doctor.email.to_uppercase()).unwrap(),
            phone: None,
            time_zone: taken.time_zone,
            language: taken.language,
            password_hash: "x".into(),
        };
        let err = carebell::store::users::insert(&mut c, &again, app.clock_now()).await.unwrap_err();
        assert!(err.violates("users_email"), "{err:?}");
        assert!(!err.violates("appointments_one_active_per_slot"), "{err:?}");
    }

    async fn migrations_can_be_applied_again(app) {
        app.store.migrate().await.expect("a second run applies nothing and succeeds");
        app.store.ping().await.unwrap();
    }

    async fn notification_ids_only_grow(app) {
        let patient = app.user(Role::Patient).await;
        let now = Timestamp::from_millis(T0_MS);
        let mut c = app.store.acquire().await.unwrap();
        let mut last = 0;
        for _ in 0..20 {
            let n = NewNotification {
                recipient_id: patient.id,
                kind: NotificationKind::SystemNotice,
                severity: Severity::Info,
                link: None,
                data: notice(),
                appointment_id: None,
                appointment_version: None,
                channels: vec![],
                visible_from: None,
                reminder_offset: None,
                jobs_due: None,
            };
            let id = notifications::insert(&mut c, &n, now).await.unwrap();
            assert!(id > last);
            last = id;
        }
        assert_eq!(notifications::unread_count(&mut c, patient.id, now).await.unwrap(), 20);
    }
}

fn notice() -> carebell::domain::payload::Payload {
    carebell::domain::payload::Payload::Notice(carebell::domain::payload::NoticeFacts {
        title: "t".into(),
        message: "m".into(),
        notice_id: None,
        sender_name: None,
    })
}
