//! Reminders: on time, once, never for a cancelled or moved appointment.

use crate::helpers::TestApp;
use crate::{on_both_engines, on_both_engines_by_engine};
use carebell::domain::{Role, Timestamp};
use serde_json::json;
use std::time::Duration;

const MINUTE: Duration = Duration::from_secs(60);

/// Reminder notifications the patient can see, oldest first, as (offset in hours, message).
async fn seen_reminders(app: &TestApp, patient: &crate::helpers::TestUser) -> Vec<(u64, String)> {
    let mut out: Vec<(u64, String)> = app
        .notifications(patient)
        .await
        .iter()
        .filter(|n| n["kind"] == "appointment_reminder")
        .map(|n| {
            (
                n["data"]["reminder_offset_s"].as_u64().unwrap() / 3600,
                n["data"]["starts_at"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.reverse();
    out
}

/// Reminder jobs of the appointment as (channel, state, due_at).
async fn reminder_jobs(app: &TestApp, appointment: i64) -> Vec<(String, String, String)> {
    let mut jobs: Vec<_> = app
        .deliveries_of(appointment)
        .await
        .iter()
        .filter(|j| j["kind"] == "appointment_reminder")
        .map(|j| {
            let s = |k: &str| j[k].as_str().unwrap().to_owned();
            (s("channel"), s("state"), s("due_at"))
        })
        .collect();
    jobs.sort_by(|a, b| (&a.2, &a.0).cmp(&(&b.2, &b.0)));
    jobs
}

fn sent(jobs: &[(String, String, String)]) -> usize {
    jobs.iter().filter(|j| j.1 == "sent").count()
}

/// A confirmed appointment `hours` from now for a patient with a phone.
async fn confirmed(
    app: &TestApp,
    hours: u64,
) -> (crate::helpers::TestUser, crate::helpers::TestUser, i64) {
    let doctor = app.user(Role::Practitioner).await;
    let patient = app.patient_with_phone().await;
    let id = app.confirmed(&doctor, &patient, hours).await;
    (doctor, patient, id)
}

// These are about when reminders fall due; quiet hours, which move them, have their own.
on_both_engines! { without_quiet_hours;
    async fn each_reminder_is_sent_exactly_once_at_its_due_time(app) {
        let (_, patient, id) = confirmed(&app, 48).await;
        app.drain().await;
        assert!(seen_reminders(&app, &patient).await.is_empty());
        let jobs = reminder_jobs(&app, id).await;
        assert_eq!(jobs.len(), 4, "email and SMS for 24 h and 2 h: {jobs:?}");
        assert_eq!(jobs[0].2, "2026-12-02T08:00:00Z", "24 h before the start");
        assert_eq!(jobs[2].2, "2026-12-03T06:00:00Z", "2 h before the start");

        app.clock.advance(Duration::from_secs(24 * 3600) - MINUTE);
        app.drain().await;
        assert!(seen_reminders(&app, &patient).await.is_empty(), "not a minute early");
        app.clock.advance(MINUTE);
        app.drain().await;
        assert_eq!(seen_reminders(&app, &patient).await.len(), 1);
        assert_eq!(sent(&reminder_jobs(&app, id).await), 2);
        app.clock.advance(MINUTE);
        assert_eq!(app.drain().await, carebell::delivery::Tick::default(), "sent once");

        app.clock.advance(Duration::from_secs(22 * 3600));
        app.drain().await;
        let seen = seen_reminders(&app, &patient).await;
        assert_eq!(seen.iter().map(|r| r.0).collect::<Vec<_>>(), [24, 2]);
        assert_eq!(sent(&reminder_jobs(&app, id).await), 4);
        app.clock.advance(Duration::from_secs(3 * 3600));
        app.drain().await;
        assert_eq!(seen_reminders(&app, &patient).await.len(), 2, "nothing more after the start");
    }

    async fn no_reminder_after_cancel_or_decline(app) {
        let (doctor, patient, id) = confirmed(&app, 48).await;
        app.post(&patient, &format!("/api/v1/appointments/{id}/cancel"), json!({})).await;
        let slot = app.slots(&doctor, &[50]).await[0];
        let declined = app.book(&patient, slot).await;
        app.post(&doctor, &format!("/api/v1/appointments/{declined}/decline"), json!({})).await;
        for _ in 0..6 {
            app.clock.advance(Duration::from_secs(10 * 3600));
            app.drain().await;
        }
        assert!(seen_reminders(&app, &patient).await.is_empty());
        let jobs = reminder_jobs(&app, id).await;
        assert!(jobs.iter().all(|j| j.1 == "voided"), "{jobs:?}");
        assert!(reminder_jobs(&app, declined).await.is_empty(), "a request never gets reminders");
    }

    async fn a_moved_appointment_is_reminded_of_its_new_time_only(app) {
        let (doctor, patient, id) = confirmed(&app, 48).await;
        let later = app.slots(&doctor, &[72]).await[0];
        let (status, moved) = app.post(&doctor, &format!("/api/v1/appointments/{id}/reschedule"), json!({"slot_id": later})).await;
        assert_eq!(status, 200, "{moved}");
        app.clock.advance(Duration::from_secs(24 * 3600));
        app.drain().await;
        assert!(seen_reminders(&app, &patient).await.is_empty(), "nothing for the old time");
        app.clock.advance(Duration::from_secs(24 * 3600));
        app.drain().await;
        let seen = seen_reminders(&app, &patient).await;
        assert_eq!(seen, [(24, moved["starts_at"].as_str().unwrap().to_owned())]);
        let jobs = reminder_jobs(&app, id).await;
        assert_eq!(jobs.iter().filter(|j| j.1 == "voided").count(), 4, "{jobs:?}");
        assert_eq!(sent(&jobs), 2);
    }

    async fn booking_three_hours_ahead_gets_only_the_two_hour_reminder(app) {
        let (_, patient, id) = confirmed(&app, 3).await;
        let jobs = reminder_jobs(&app, id).await;
        assert_eq!(jobs.iter().map(|j| j.2.as_str()).collect::<Vec<_>>(), ["2026-12-01T09:00:00Z"; 2]);
        app.clock.advance(Duration::from_secs(3600));
        app.drain().await;
        assert_eq!(seen_reminders(&app, &patient).await.iter().map(|r| r.0).collect::<Vec<_>>(), [2]);
    }

    async fn reminders_are_absolute_across_daylight_saving_changes(app) {
        // Documented instants: an offset is real elapsed time, so "24 h before" a 09:00
        // appointment on a spring-forward day is 08:00 local the day before.
        app.clock.set(Timestamp::parse_rfc3339("2026-02-01T00:00:00Z").unwrap());
        let cases = [
            // (zone, appointment start, expected 24 h reminder, expected 2 h reminder, local time shown)
            ("America/New_York", "2026-03-08T09:00:00-04:00", "2026-03-07T13:00:00Z", "2026-03-08T11:00:00Z", "Sunday 8 March 2026, 09:00"),
            // 02:30 does not exist that night: the instant written with the old offset is 03:30 EDT.
            ("America/New_York", "2026-03-08T02:30:00-05:00", "2026-03-07T07:30:00Z", "2026-03-08T05:30:00Z", "Sunday 8 March 2026, 03:30"),
            // 01:30 happens twice on the fall-back day: two distinct instants.
            ("America/New_York", "2026-11-01T01:30:00-04:00", "2026-10-31T05:30:00Z", "2026-11-01T03:30:00Z", "Sunday 1 November 2026, 01:30"),
            ("America/New_York", "2026-11-01T01:30:00-05:00", "2026-10-31T06:30:00Z", "2026-11-01T04:30:00Z", "Sunday 1 November 2026, 01:30"),
            ("Europe/Berlin", "2026-03-29T02:30:00+01:00", "2026-03-28T01:30:00Z", "2026-03-28T23:30:00Z", "Sunday 29 March 2026, 03:30"),
            ("Europe/Berlin", "2026-03-29T09:00:00+02:00", "2026-03-28T07:00:00Z", "2026-03-29T05:00:00Z", "Sunday 29 March 2026, 09:00"),
            ("Europe/Berlin", "2026-10-25T02:30:00+02:00", "2026-10-24T00:30:00Z", "2026-10-24T22:30:00Z", "Sunday 25 October 2026, 02:30"),
            ("Europe/Berlin", "2026-10-25T02:30:00+01:00", "2026-10-24T01:30:00Z", "2026-10-24T23:30:00Z", "Sunday 25 October 2026, 02:30"),
        ];
        for (zone, start, day_before, two_hours, local) in cases {
            let doctor = app.user_with(Role::Practitioner, json!({"time_zone": zone})).await;
            let patient = app.user_with(Role::Patient, json!({"time_zone": zone})).await;
            let s = Timestamp::parse_rfc3339(start).unwrap();
            let (status, body) = app
                .post(&doctor, "/api/v1/slots", json!({"slots": [{"starts_at": start, "ends_at": s.plus(Duration::from_secs(1800)).to_string()}], "notify_followers": false}))
                .await;
            assert_eq!(status, 201, "{body}");
            let id = app.book(&patient, body["slots"][0]["id"].as_i64().unwrap()).await;
            app.post(&doctor, &format!("/api/v1/appointments/{id}/accept"), json!({})).await;
            let (_, body) = app.get(&app.admin, &format!("/api/v1/admin/deliveries?appointment_id={id}&channel=email")).await;
            let mut due: Vec<String> = body["deliveries"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|j| j["kind"] == "appointment_reminder")
                .map(|j| j["due_at"].as_str().unwrap().to_owned())
                .collect();
            due.sort();
            assert_eq!(due, [day_before, two_hours], "{zone} {start}");
            // The text shows the start in the recipient's local time and zone.
            let when = carebell::catalogue::when(s, &dummy_user(zone).time_zone, carebell::domain::Language::En, carebell::catalogue::TimeStyle::Long);
            assert!(when.starts_with(local), "{zone} {start}: {when}");
            assert!(when.ends_with(&format!("({zone})")));
        }
    }

    async fn catch_up_after_a_three_hour_stop_sends_only_what_still_matters(app) {
        // Stop over the 24 h reminder only: sent at restart.
        let (_, first, first_id) = confirmed(&app, 30).await;
        app.clock.advance(Duration::from_secs(5 * 3600)); // due at +6 h
        app.drain().await;
        app.clock.advance(Duration::from_secs(3 * 3600)); // the server is down from +5 h to +8 h
        app.drain().await;
        assert_eq!(seen_reminders(&app, &first).await.iter().map(|r| r.0).collect::<Vec<_>>(), [24]);
        assert_eq!(sent(&reminder_jobs(&app, first_id).await), 2);

        // Stop over the start: nothing is sent after the appointment started.
        let (_, second, second_id) = confirmed(&app, 3).await; // 2 h reminder due in 1 h
        app.clock.advance(Duration::from_secs(3 * 3600 + 60));
        app.drain().await;
        assert!(seen_reminders(&app, &second).await.is_empty());
        let jobs = reminder_jobs(&app, second_id).await;
        assert!(jobs.iter().all(|j| j.1 == "voided"), "{jobs:?}");
    }
}

fn dummy_user(zone: &str) -> carebell::store::users::User {
    carebell::store::users::User {
        id: 0,
        role: Role::Patient,
        name: carebell::domain::PersonName::parse("x").unwrap(),
        email: carebell::domain::Email::parse("x@y.example").unwrap(),
        phone: None,
        time_zone: carebell::domain::TimeZone::parse(zone).unwrap(),
        language: carebell::domain::Language::En,
        deactivated_at: None,
        whatsapp_opt_in_at: None,
        push_enabled_at: None,
    }
}

on_both_engines_by_engine! {
    // Both reminders due after a stop: only the most recent one goes out.
    async fn after_a_stop_over_two_due_reminders_only_the_later_one_is_sent(engine) {
        let app = crate::helpers::spawn_app_with(engine, |s| {
            s.reminders.offsets = vec![Duration::from_secs(3 * 3600), Duration::from_secs(3600)];
        })
        .await;
        let (_, patient, id) = confirmed(&app, 5).await; // due at +2 h and +4 h
        app.clock.advance(Duration::from_secs(3600));
        app.drain().await;
        app.clock.advance(Duration::from_secs(3 * 3600 + 1800)); // down from +1 h to +4 h 30
        app.drain().await;
        let seen: Vec<u64> = seen_reminders(&app, &patient)
            .await
            .iter()
            .map(|r| r.0)
            .collect();
        assert_eq!(seen, [1], "{engine:?}");
        let jobs: Vec<(String, String, String)> = reminder_jobs(&app, id).await;
        let states: Vec<&str> = jobs.iter().map(|j| j.1.as_str()).collect();
        assert_eq!(
            states,
            ["voided", "voided", "sent", "sent"],
            "{engine:?}: {jobs:?}"
        );
    }
}

/// The operator command of the old system: lists, sends what is due, never twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reminders_command_lists_then_sends_once() {
    // It runs on the wall clock, which may be in the patient's night: quiet hours off,
    // here and for the command (they have their own tests).
    let app = crate::helpers::spawn_app_with(crate::helpers::Engine::Sqlite, |s| {
        s.reminders.offsets = vec![Duration::from_secs(50 * 60)];
        crate::helpers::without_quiet_hours(s);
    })
    .await;
    // The command runs on the wall clock: confirm 10 minutes ago for a start 50 minutes
    // from now, so the reminder (50 min before) is due now.
    let real_now = Timestamp::from_datetime(chrono::Utc::now());
    app.clock.set(real_now.minus(Duration::from_secs(600)));
    let (_, patient, id) = confirmed(&app, 1).await;
    app.drain().await; // the confirmation itself goes out; the reminder was not due then
    let url = {
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT seq, name, file FROM pragma_database_list")
                .fetch_all(app.store.pool())
                .await
                .unwrap();
        format!("sqlite://{}", rows[0].2)
    };
    // Typed as the old system's cron lines were (`--dry-run --hours=2`, `--hours=24`), and
    // under the old command's name too.
    let run_as = |verb: &str, dry: bool| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_carebell"));
        cmd.arg(verb);
        if dry {
            cmd.arg("--dry-run");
        }
        cmd.args(["--hours=1", "--database-url", &url]);
        cmd.envs(crate::helpers::WITHOUT_QUIET_HOURS_ENV);
        cmd.env(
            "CAREBELL__EMAIL__OUTBOX_DIR",
            crate::helpers::scratch_dir("mail"),
        )
        .env(
            "CAREBELL__SMS__OUTBOX_DIR",
            crate::helpers::scratch_dir("sms"),
        )
        .env("RUST_LOG", "error");
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let run = |dry: bool| run_as("reminders", dry);
    let listed = run(true);
    assert!(listed.starts_with("1 reminder(s) due"), "{listed}");
    assert!(
        listed.contains(&format!("appointment {id}"))
            && listed.contains("[in_app, email, sms]")
            && listed.contains("(due now)"),
        "{listed}"
    );
    assert_eq!(
        sent(&reminder_jobs(&app, id).await),
        0,
        "a dry run sends nothing"
    );

    let first = run(false);
    assert!(
        first.contains("sent 2 message(s), delivered 1 in-app"),
        "{first}"
    );
    let again = run_as("send_appointment_reminders", false);
    assert!(
        again.starts_with("0 reminder(s)")
            && again.contains("sent 0 message(s), delivered 0 in-app"),
        "{again}"
    );
    assert_eq!(sent(&reminder_jobs(&app, id).await), 2);
    app.clock.set(Timestamp::from_datetime(chrono::Utc::now()));
    assert_eq!(seen_reminders(&app, &patient).await.len(), 1);
}

/// What the model says one drain does: among the due reminders of the current version,
/// only the latest (smallest offset) goes out, and none once the visit started.
#[derive(Default)]
struct Model {
    status: String,
    version: i64,
    start: i64,
    /// (version, offset in hours, due at ms)
    planned: Vec<(i64, u64, i64)>,
    sent: Vec<(i64, u64, String)>,
}

impl Model {
    fn plan(&mut self, now: i64) {
        self.planned.clear();
        if self.status == "confirmed" {
            for h in [24u64, 2] {
                let due = self.start - (h as i64) * 3_600_000;
                if due > now {
                    self.planned.push((self.version, h, due));
                }
            }
        }
    }

    fn drain(&mut self, now: i64) {
        let (due, rest): (Vec<_>, Vec<_>) = self.planned.iter().copied().partition(|p| p.2 <= now);
        self.planned = rest;
        if now < self.start {
            if let Some(latest) = due.iter().max_by_key(|p| p.2) {
                for ch in ["email", "in_app", "sms"] {
                    self.sent.push((latest.0, latest.1, ch.to_owned()));
                }
            }
        }
    }
}

on_both_engines! { without_quiet_hours;
    async fn random_lifecycles_send_exactly_the_reminders_the_rules_allow(app) {
        use rand::{Rng, SeedableRng};
        let seed: u64 = std::env::var("CAREBELL_PROPERTY_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20261124);
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ (app.engine == crate::helpers::Engine::Postgres) as u64);
        let (mut total_sent, mut total_voided) = (0, 0);
        for case in 0..30 {
            // Each case starts at T0 with its own people (and tokens still valid).
            app.clock.set(Timestamp::from_millis(crate::helpers::T0_MS));
            let doctor = app.user(Role::Practitioner).await;
            let patient = app.patient_with_phone().await;
            let hours: Vec<u64> = (0..6).map(|i| 20 + i * 7).collect();
            let slots = app.slots(&doctor, &hours).await;
            let (status, a) = app.post(&patient, "/api/v1/appointments", json!({"slot_id": slots[0], "reason": "r"})).await;
            assert_eq!(status, 201, "{a}");
            let id = a["id"].as_i64().unwrap();
            let mut m = Model { status: "requested".into(), version: 1, ..Model::default() };
            m.start = Timestamp::parse_rfc3339(a["starts_at"].as_str().unwrap()).unwrap().millis();
            let mut log = Vec::new();
            for _ in 0..14 {
                let now = app.clock_now().millis();
                // Weighted: accepts and clock moves often, cancels and declines rarely.
                let op = match rng.gen_range(0..20) {
                    0..=4 => 0,
                    5 => 2,
                    6 => 3,
                    7 => 4,
                    8..=10 => 5,
                    _ => 7,
                };
                let path = |verb: &str| format!("/api/v1/appointments/{id}/{verb}");
                let result = match op {
                    0 | 1 => Some(app.post(&doctor, &path("accept"), json!({})).await),
                    2 => Some(app.post(&doctor, &path("decline"), json!({})).await),
                    3 => Some(app.post(&patient, &path("cancel"), json!({})).await),
                    4 => Some(app.post(&doctor, &path("cancel"), json!({"reason": "r"})).await),
                    5 | 6 => {
                        let to = slots[rng.gen_range(0..slots.len())];
                        let who = if rng.gen_bool(0.5) { &patient } else { &doctor };
                        Some(app.post(who, &path("reschedule"), json!({"slot_id": to})).await)
                    }
                    _ => {
                        let minutes = rng.gen_range(0..(12 * 60));
                        app.clock.advance(Duration::from_secs(minutes * 60));
                        let drained = rng.gen_bool(0.7); // otherwise the server is down
                        if drained {
                            app.drain().await;
                            m.drain(app.clock_now().millis());
                        }
                        log.push(format!("advance {minutes} min, drained {drained}"));
                        None
                    }
                };
                if let Some((status, body)) = result {
                    log.push(format!("op {op}: {status}"));
                    if status == 200 {
                        m.status = body["status"].as_str().unwrap().to_owned();
                        m.version = body["version"].as_i64().unwrap();
                        m.start = Timestamp::parse_rfc3339(body["starts_at"].as_str().unwrap()).unwrap().millis();
                        m.plan(now);
                    }
                }
            }
            // Long after the visit: whatever is left must be dropped, not sent.
            app.clock.advance(Duration::from_secs(100 * 3600));
            app.drain().await;
            m.drain(app.clock_now().millis());

            let mut actual = actual_reminders(&app, id).await;
            actual.sort();
            let mut expected = m.sent.clone();
            expected.sort();
            assert_eq!(actual, expected, "seed {seed}, case {case}: {log:?}");
            let mut unique = actual.clone();
            unique.dedup();
            assert_eq!(unique.len(), actual.len(), "each (version, offset, channel) at most once");
            total_sent += actual.len();
            total_voided += reminder_jobs(&app, id).await.iter().filter(|j| j.1 == "voided").count();
        }
        // The sequences must exercise both sides of the rules, or the test proves nothing.
        assert!(total_sent > 0 && total_voided > 0, "sent {total_sent}, voided {total_voided}");
        eprintln!("{:?}: {total_sent} reminders sent, {total_voided} voided over 30 random lifecycles", app.engine);
    }
}

/// Reminders that actually went out, as (version, offset in hours, channel).
async fn actual_reminders(app: &TestApp, appointment: i64) -> Vec<(i64, u64, String)> {
    let rows: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT n.appointment_version, n.reminder_offset_s, j.channel FROM delivery_jobs j
         JOIN notifications n ON n.id = j.notification_id
         WHERE n.appointment_id = $1 AND n.kind = 'appointment_reminder' AND j.state = 'sent'
         UNION ALL
         SELECT appointment_version, reminder_offset_s, 'in_app' FROM notifications
         WHERE appointment_id = $1 AND kind = 'appointment_reminder' AND delivered_at IS NOT NULL AND voided_at IS NULL",
    )
    .bind(appointment)
    .fetch_all(app.store.pool())
    .await
    .unwrap();
    rows.into_iter()
        .map(|(v, o, c)| (v, (o / 3600) as u64, c))
        .collect()
}

/// The texts a patient actually receives: read from the SMS outbox and the in-app list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reminder_inside_the_cutoff_says_to_call_the_clinic_instead_of_linking_to_cancel() {
    use crate::helpers::HOUR;
    for engine in [
        crate::helpers::Engine::Sqlite,
        crate::helpers::Engine::Postgres,
    ] {
        let app = crate::helpers::spawn_app_with(engine, |s| {
            s.clinic.phone = Some("+33 1 23 45 67 89".into());
        })
        .await;
        let doctor = app.user(Role::Practitioner).await;
        let patient = app.patient_with_phone().await;
        let slot = app.slots(&doctor, &[26]).await[0];
        let id = app.book(&patient, slot).await;
        app.post(
            &doctor,
            &format!("/api/v1/appointments/{id}/accept"),
            json!({}),
        )
        .await;
        app.drain().await;
        let reminder_texts = || -> Vec<String> {
            let mut texts: Vec<String> = std::fs::read_dir(&app.settings.sms.outbox_dir)
                .unwrap()
                .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
                .filter(|t| t.contains("reminder"))
                .collect();
            texts.sort();
            texts
        };
        // 24 h before: cancelling online is still allowed, and the text links to it.
        app.clock.advance(HOUR * 2);
        app.drain().await;
        let day_before = reminder_texts();
        assert_eq!(day_before.len(), 1, "{day_before:?}");
        assert!(
            day_before[0].contains(&format!("/appointments/{id}")),
            "{}",
            day_before[0]
        );
        // 2 h before: the policy refuses an online cancel, so the text says to call.
        app.clock.advance(HOUR * 22);
        app.drain().await;
        let late: Vec<String> = reminder_texts()
            .into_iter()
            .filter(|t| !day_before.contains(t))
            .collect();
        assert_eq!(late.len(), 1, "{late:?}");
        assert!(
            late[0].contains("+33 1 23 45 67 89") && !late[0].contains("http"),
            "{}",
            late[0]
        );
        // The policy still allows the very instant of the cut-off (a unit test of the domain
        // pins that); a minute later, when the text is read, it refuses, as the text says.
        app.clock.advance(MINUTE);
        let (status, e) = app
            .post(
                &patient,
                &format!("/api/v1/appointments/{id}/cancel"),
                json!({}),
            )
            .await;
        assert_eq!(
            (status.as_u16(), e["code"].as_str()),
            (422, Some("cancellation_cutoff_passed")),
            "the text agrees with the policy"
        );
        let newest = &app.notifications(&patient).await[0];
        assert_eq!(newest["kind"], "appointment_reminder");
        assert!(
            newest["message"]
                .as_str()
                .unwrap()
                .contains("+33 1 23 45 67 89"),
            "{newest}"
        );
    }
}
