use super::*;
use crate::domain::{Email, PersonName, PhoneNumber, Role, Severity, TimeZone};
use serde_json::json;

fn user(lang: Language, tz: &str) -> User {
    User {
        id: 1,
        role: Role::Patient,
        name: PersonName::parse("Lucie").unwrap(),
        email: Email::parse("lucie@patient.example").unwrap(),
        phone: Some(PhoneNumber::parse("+33612345678").unwrap()),
        time_zone: TimeZone::parse(tz).unwrap(),
        language: lang,
    }
}

/// 2026-11-30T09:00Z, a day before the appointments of these tests: before the cut-off.
const NOW_MS: i64 = 1_796_029_200_000;
const CUTOFF: std::time::Duration = std::time::Duration::from_secs(2 * 3600);

fn notification(kind: NotificationKind, data: serde_json::Value) -> Notification {
    Notification {
        id: 42,
        recipient_id: 1,
        kind,
        severity: Severity::Info,
        title: "t".into(),
        message: "m".into(),
        link: Some("/patient-dashboard/appointments/7".into()),
        data,
        appointment_id: Some(7),
        read: false,
        read_at: None,
        created_at: Timestamp::from_millis(0),
        seq: None,
    }
}

fn templates() -> Templates {
    let clinic = ClinicSettings {
        name: "Clinique du Parc".into(),
        templates_dir: None,
        phone: Some("+33 1 23 45 67 89".into()),
    };
    Templates::load(&clinic, "https://care.example/", CUTOFF).unwrap()
}

fn confirmed() -> Notification {
    notification(
        NotificationKind::AppointmentConfirmed,
        json!({"starts_at": "2026-12-01T09:00:00Z", "practitioner_name": "Dr <b>Haddad</b>", "patient_name": "Lucie"}),
    )
}

#[test]
fn every_kind_renders_in_every_language_at_load() {
    // Loading checks all kinds and languages; rendering a real one works too.
    let t = templates();
    for lang in Language::ALL {
        let r = t
            .render(
                &confirmed(),
                &user(lang, "Europe/Paris"),
                Timestamp::from_millis(NOW_MS),
            )
            .unwrap();
        assert!(!r.subject.is_empty() && !r.html.is_empty() && !r.text.is_empty());
    }
}

#[test]
fn html_escapes_names_and_text_keeps_them_plain() {
    let r = templates()
        .render(
            &confirmed(),
            &user(Language::En, "Europe/Paris"),
            Timestamp::from_millis(NOW_MS),
        )
        .unwrap();
    assert!(r.html.contains("Dr &lt;b&gt;Haddad&lt;"), "{}", r.html);
    assert!(!r.html.contains("<b>Haddad"));
    assert!(
        r.text
            .contains("Dr <b>Haddad</b> confirmed your appointment"),
        "{}",
        r.text
    );
    assert!(r
        .text
        .contains("https://care.example/patient-dashboard/appointments/7"));
}

#[test]
fn times_are_in_the_recipients_zone_and_language() {
    let t = templates();
    let fr = t
        .render(
            &confirmed(),
            &user(Language::Fr, "Europe/Paris"),
            Timestamp::from_millis(NOW_MS),
        )
        .unwrap();
    assert!(
        fr.subject
            .contains("mardi 1 décembre 2026, 10:00 (Europe/Paris)"),
        "{}",
        fr.subject
    );
    let en = t
        .render(
            &confirmed(),
            &user(Language::En, "America/New_York"),
            Timestamp::from_millis(NOW_MS),
        )
        .unwrap();
    assert!(
        en.subject
            .contains("Tuesday 1 December 2026, 04:00 (America/New_York)"),
        "{}",
        en.subject
    );
    let ar = t
        .render(
            &confirmed(),
            &user(Language::Ar, "Africa/Casablanca"),
            Timestamp::from_millis(NOW_MS),
        )
        .unwrap();
    assert!(
        ar.html.contains("dir=\"rtl\"") && ar.html.contains("ديسمبر"),
        "{}",
        ar.subject
    );
}

#[test]
fn sms_carries_the_minimum_and_fits_one_segment_in_english() {
    let mut n = confirmed();
    n.data["status_reason"] = json!("chest pain follow-up");
    let r = templates()
        .render(
            &n,
            &user(Language::En, "Europe/Paris"),
            Timestamp::from_millis(NOW_MS),
        )
        .unwrap();
    let sms = r.sms.unwrap();
    assert!(
        sms.chars().count() <= 160,
        "{} chars: {sms}",
        sms.chars().count()
    );
    assert!(
        sms.contains("Clinique du Parc") && sms.contains("10:00"),
        "{sms}"
    );
    assert!(!sms.contains("chest"), "{sms}");
    assert!(templates()
        .render(
            &notification(NotificationKind::BookingReceived, json!({})),
            &user(Language::En, "UTC"),
            Timestamp::from_millis(NOW_MS),
        )
        .unwrap()
        .sms
        .is_none());
}

#[test]
fn subjects_cannot_carry_line_breaks() {
    let mut n = notification(NotificationKind::SystemNotice, json!({}));
    n.title = "Hello\r\nBcc: evil@example.org".into();
    let r = templates()
        .render(
            &n,
            &user(Language::En, "UTC"),
            Timestamp::from_millis(NOW_MS),
        )
        .unwrap();
    assert!(
        !r.subject.contains('\n') && !r.subject.contains('\r'),
        "{:?}",
        r.subject
    );
}

#[test]
fn a_clinic_folder_overrides_single_files() {
    let dir = std::env::temp_dir().join(format!("carebell-tpl-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("messages")).unwrap();
    let en = include_str!("../../templates/messages/en.toml")
        .replace("Your appointment is confirmed", "See you soon!");
    std::fs::write(dir.join("messages/en.toml"), en).unwrap();
    let clinic = ClinicSettings {
        name: "C".into(),
        templates_dir: Some(dir.clone()),
        phone: None,
    };
    let t = Templates::load(&clinic, "http://x", CUTOFF).unwrap();
    let r = t
        .render(
            &confirmed(),
            &user(Language::En, "UTC"),
            Timestamp::from_millis(NOW_MS),
        )
        .unwrap();
    assert!(r.html.contains("See you soon!"));
    std::fs::write(dir.join("email.html"), "{% if %}").unwrap();
    assert!(
        Templates::load(&clinic, "http://x", CUTOFF).is_err(),
        "a broken override stops start-up"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_reminder_past_the_cut_off_says_to_call_the_clinic_instead_of_offering_to_cancel() {
    let t = templates();
    let n = notification(
        NotificationKind::AppointmentReminder,
        json!({"starts_at": "2026-12-01T09:00:00Z", "practitioner_name": "Dr Haddad"}),
    );
    let day_before = Timestamp::from_millis(NOW_MS);
    let two_hours_before = Timestamp::from_millis(NOW_MS + 22 * 3600 * 1000);
    for lang in Language::ALL {
        let to = user(lang, "Europe/Paris");
        let early = t.render(&n, &to, day_before).unwrap();
        let late = t.render(&n, &to, two_hours_before).unwrap();
        let sms_early = early.sms.unwrap();
        let sms_late = late.sms.unwrap();
        assert!(
            sms_early.contains("https://care.example/"),
            "{lang:?}: {sms_early}"
        );
        assert!(
            !sms_late.contains("https://"),
            "{lang:?}: no cancel link: {sms_late}"
        );
        assert!(
            sms_late.contains("+33 1 23 45 67 89"),
            "{lang:?}: {sms_late}"
        );
        assert!(
            late.text.contains("+33 1 23 45 67 89"),
            "{lang:?}: {}",
            late.text
        );
        assert!(!early.text.contains("+33 1 23 45 67 89"), "{lang:?}");
        let in_app = t.in_app(&n, &to, two_hours_before).unwrap();
        assert!(
            in_app.message.contains("+33 1 23 45 67 89"),
            "{lang:?}: {}",
            in_app.message
        );
    }
}
