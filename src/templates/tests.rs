use super::*;
use crate::domain::{
    CancelledBy, Channel, Email, PersonName, PhoneNumber, Role, Severity, TimeZone,
};
use crate::notify::fixtures::{appointment, START_MS, VISIT_REASON};
use crate::notify::{plan, plan_reminders, Event, Matrix, Parties};
use crate::store::appointments::Appointment;
use crate::store::notifications::NewNotification;
use crate::store::slots::Slot;

fn user(id: i64, role: Role, name: &str, lang: Language, tz: &str) -> User {
    User {
        id,
        role,
        name: PersonName::parse(name).unwrap(),
        email: Email::parse(&format!("u{id}@clinic.example")).unwrap(),
        phone: Some(PhoneNumber::parse("+33612345678").unwrap()),
        time_zone: TimeZone::parse(tz).unwrap(),
        language: lang,
        deactivated_at: None,
        whatsapp_opt_in_at: None,
        push_enabled_at: None,
    }
}

/// 2026-11-30T09:00Z, a day before the appointments of these tests: before the cut-off.
const NOW_MS: i64 = 1_796_029_200_000;
const CUTOFF: std::time::Duration = std::time::Duration::from_secs(2 * 3600);
const PHONE: &str = "+33 1 23 45 67 89";

fn clinic() -> ClinicSettings {
    ClinicSettings {
        name: "Clinique du Parc".into(),
        phone: Some(PHONE.into()),
        address: Some("12 rue des Lilas, 75011 Paris".into()),
        ..ClinicSettings::default()
    }
}

fn origin() -> CalendarOrigin {
    CalendarOrigin {
        sender: "clinic@care.example".into(),
        uid_domain: "abc@care.example".into(),
    }
}

fn templates() -> Templates {
    Templates::load(
        Arc::new(Catalogue::built_in()),
        &clinic(),
        "https://care.example/",
        CUTOFF,
        origin(),
    )
    .unwrap()
}

/// A stored notification as the store reads it back.
fn stored(n: &NewNotification) -> Notification {
    Notification {
        id: 42,
        recipient_id: n.recipient_id,
        kind: n.kind,
        severity: n.severity,
        title: String::new(),
        message: String::new(),
        link: n.link.clone(),
        data: n.data.clone(),
        appointment_id: n.appointment_id,
        read: false,
        read_at: None,
        created_at: Timestamp::from_millis(NOW_MS),
        visible_at: Timestamp::from_millis(NOW_MS),
        seq: None,
    }
}

/// Every notification the matrix plans, from real events: (notification, recipient).
fn everything_planned(lang: Language) -> Vec<(NewNotification, User)> {
    // The patient reads in New York and the practitioner in Paris: each must see their
    // own time.
    let patient = user(1, Role::Patient, "Lucie Martin", lang, "America/New_York");
    let doctor = user(
        2,
        Role::Practitioner,
        "Dr Amina Haddad",
        lang,
        "Europe/Paris",
    );
    let confirmed = appointment(AppointmentStatus::Confirmed, None);
    let requested = appointment(AppointmentStatus::Requested, None);
    let p = |a| Parties {
        appointment: a,
        patient: &patient,
        practitioner: &doctor,
    };
    let cancelled: Vec<Appointment> = [
        CancelledBy::Patient,
        CancelledBy::Practitioner,
        CancelledBy::System,
    ]
    .into_iter()
    .map(|by| appointment(AppointmentStatus::Cancelled, Some(by)))
    .collect();
    let declined = appointment(AppointmentStatus::Declined, Some(CancelledBy::Practitioner));
    let mut events = vec![
        Event::Booked(p(&requested)),
        Event::Accepted(p(&confirmed)),
        Event::Declined(p(&declined)),
    ];
    for a in &cancelled {
        for was_confirmed in [true, false] {
            events.push(Event::Cancelled {
                parties: p(a),
                by: a.cancelled_by.unwrap(),
                was_confirmed,
            });
        }
    }
    for a in [&confirmed, &requested] {
        for by in [
            CancelledBy::Patient,
            CancelledBy::Practitioner,
            CancelledBy::System,
        ] {
            events.push(Event::Rescheduled {
                parties: p(a),
                by,
                previous_start: Timestamp::from_millis(START_MS - 86_400_000),
            });
        }
    }
    let audience = [patient.clone()];
    let slots: Vec<Slot> = (0..3)
        .map(|i| Slot {
            id: i,
            practitioner_id: 2,
            starts_at: Timestamp::from_millis(START_MS + i * 3_600_000),
            ends_at: Timestamp::from_millis(START_MS + i * 3_600_000 + 1_800_000),
        })
        .collect();
    events.push(Event::Availability {
        practitioner: &doctor,
        audience: &audience,
        free_slots: &slots,
        note: None,
    });
    let offer = crate::store::waitlist::Offer {
        id: 4,
        slot_id: 0,
        entry_id: 1,
        patient_id: 1,
        state: "open".into(),
        expires_at: Timestamp::from_millis(START_MS - 3_600_000),
        created_at: Timestamp::from_millis(START_MS - 4_600_000),
        answered_at: None,
        appointment_id: None,
    };
    for moves_from in [None, Some(Timestamp::from_millis(START_MS + 86_400_000))] {
        events.push(Event::Offered {
            offer: &offer,
            slot: &slots[0],
            patient: &patient,
            practitioner: &doctor,
            moves_from,
        });
    }
    let mut planned: Vec<NewNotification> = events
        .iter()
        .flat_map(|e| plan(e, &Matrix::default()))
        .collect();
    planned.extend(plan_reminders(
        &p(&confirmed),
        &[
            std::time::Duration::from_secs(24 * 3600),
            std::time::Duration::from_secs(2 * 3600),
        ],
        Timestamp::from_millis(0),
    ));
    planned
        .into_iter()
        .map(|n| {
            let to = if n.recipient_id == 1 {
                patient.clone()
            } else {
                doctor.clone()
            };
            (n, to)
        })
        .collect()
}

/// The facts every text must carry, and must not, for each kind × role × language ×
/// channel the matrix produces.
#[test]
fn every_text_names_the_other_party_and_the_readers_time_and_nothing_it_must_not() {
    let t = templates();
    let catalogue = Catalogue::built_in();
    let now = Timestamp::from_millis(NOW_MS);
    let mut seen = std::collections::HashSet::new();
    for lang in Language::ALL {
        let attachment_lines: Vec<String> = [
            "email-calendar-add",
            "email-calendar-update",
            "email-calendar-remove",
        ]
        .iter()
        .map(|id| catalogue.text(lang, id))
        .collect();
        for (new, to) in everything_planned(lang) {
            let n = stored(&new);
            let label = format!(
                "{} to {} in {}",
                n.kind.as_str(),
                to.role.as_str(),
                lang.code()
            );
            seen.insert((n.kind, to.role, lang.code()));
            let email = t.render(&n, &to, now).expect(&label);
            let in_app = t.in_app(&n, &to, now).expect(&label);
            let mut channels = vec![
                ("email text", email.text.clone()),
                ("email html", email.html.clone()),
                ("in-app", format!("{} {}", in_app.title, in_app.message)),
            ];
            // The dispatcher asks for the SMS alone: the same text.
            assert_eq!(t.sms(&n, &to, now).expect(&label), email.sms, "{label}");
            if new.channels.contains(&Channel::Sms) {
                channels.push(("sms", email.sms.clone().expect(&label)));
            }
            let other = match to.role {
                Role::Patient => "Dr Amina Haddad",
                _ => "Lucie Martin",
            };
            let when = match &n.data {
                Payload::Appointment(a) => a.starts_at,
                Payload::Availability(a) => a.first_slot_starts_at.unwrap(),
                Payload::Offer(o) => o.slot_starts_at,
                Payload::Notice(_) | Payload::Account(_) | Payload::Endpoint(_) => unreachable!(),
            };
            let local = catalogue::when(when, &to.time_zone, lang, TimeStyle::Long);
            for (channel, text) in &channels {
                let text = strip_isolation(text)
                    .replace("&#x2f;", "/")
                    .replace("&#x27;", "'")
                    .replace("&quot;", "\"")
                    .replace("&amp;", "&");
                assert!(
                    text.contains(other),
                    "{label} {channel} lacks {other}: {text}"
                );
                assert!(
                    text.contains(&local),
                    "{label} {channel} lacks {local}: {text}"
                );
                assert!(!text.contains(VISIT_REASON), "{label} {channel}: {text}");
                if *channel == "in-app" || *channel == "sms" {
                    for line in &attachment_lines {
                        assert!(
                            !text.contains(line.as_str()),
                            "{label} {channel} mentions an attachment: {text}"
                        );
                    }
                }
            }
            // The email mentions the calendar file exactly when it carries one.
            let mentions = attachment_lines
                .iter()
                .any(|l| email.text.contains(l.as_str()));
            assert_eq!(
                mentions,
                email.calendar.is_some(),
                "{label}: {}",
                email.text
            );
            if let Some((_, ics)) = &email.calendar {
                assert!(ics.starts_with("BEGIN:VCALENDAR"), "{label}: {ics}");
            }
            // A practitioner's texts are written for a practitioner.
            if to.role == Role::Practitioner {
                for (channel, text) in &channels {
                    for patient_only in ["Your appointment", "Votre rendez-vous", "موعدك"] {
                        assert!(!text.contains(patient_only), "{label} {channel}: {text}");
                    }
                }
            }
        }
    }
    // The table covered every kind × role of the matrix in every language.
    for (kind, role) in crate::notify::AUDIENCE {
        for lang in Language::ALL {
            assert!(
                seen.contains(&(*kind, *role, lang.code())),
                "{kind:?} {role:?} {lang:?} not tried"
            );
        }
    }
}

fn confirmed_for(lang: Language, tz: &str) -> (Notification, User) {
    let (n, to) = everything_planned(lang)
        .into_iter()
        .find(|(n, to)| {
            n.kind == NotificationKind::AppointmentConfirmed && to.role == Role::Patient
        })
        .unwrap();
    let mut to = to;
    to.time_zone = TimeZone::parse(tz).unwrap();
    (stored(&n), to)
}

#[test]
fn html_escapes_names_and_text_keeps_them_plain() {
    let (mut n, to) = confirmed_for(Language::En, "Europe/Paris");
    if let Payload::Appointment(a) = &mut n.data {
        a.practitioner_name = "Dr <b>Haddad</b>".into();
    }
    let r = templates()
        .render(&n, &to, Timestamp::from_millis(NOW_MS))
        .unwrap();
    assert!(r.html.contains("Dr &lt;b&gt;Haddad&lt;"), "{}", r.html);
    assert!(!r.html.contains("<b>Haddad"));
    assert!(
        r.text
            .contains("Dr <b>Haddad</b> confirmed your appointment"),
        "{}",
        r.text
    );
    assert!(
        r.text.contains("https://care.example/appointments/7"),
        "{}",
        r.text
    );
}

#[test]
fn arabic_isolates_latin_names_and_times_but_not_the_sms_link() {
    let (n, to) = confirmed_for(Language::Ar, "Africa/Casablanca");
    let r = templates()
        .render(&n, &to, Timestamp::from_millis(NOW_MS))
        .unwrap();
    assert!(r.html.contains("dir=\"rtl\""));
    assert!(
        r.text.contains("\u{2068}Dr Amina Haddad\u{2069}"),
        "{}",
        r.text
    );
    assert!(
        r.text.contains("\u{2068}الثلاثاء 1 ديسمبر 2026"),
        "{}",
        r.text
    );
    let sms = r.sms.unwrap();
    assert!(
        sms.ends_with("https://care.example/appointments/7"),
        "{sms:?}"
    );
    let (n, to) = confirmed_for(Language::En, "UTC");
    let en = templates()
        .render(&n, &to, Timestamp::from_millis(NOW_MS))
        .unwrap();
    assert!(!en.text.contains('\u{2068}') && !en.sms.unwrap().contains('\u{2068}'));
}

#[test]
fn sms_carries_the_minimum_and_fits_one_segment_in_english() {
    let (n, to) = confirmed_for(Language::En, "Europe/Paris");
    let sms = templates()
        .render(&n, &to, Timestamp::from_millis(NOW_MS))
        .unwrap()
        .sms
        .unwrap();
    assert!(
        sms.chars().count() <= 160,
        "{} chars: {sms}",
        sms.chars().count()
    );
    assert!(
        sms.contains("Clinique du Parc") && sms.contains("10:00"),
        "{sms}"
    );
}

#[test]
fn subjects_cannot_carry_line_breaks() {
    let (mut n, to) = confirmed_for(Language::En, "UTC");
    n.kind = NotificationKind::SystemNotice;
    n.data = Payload::Notice(crate::domain::payload::NoticeFacts {
        title: "Hello\r\nBcc: evil@example.org".into(),
        message: "M".into(),
        notice_id: None,
        sender_name: Some("Dr\nX".into()),
    });
    let r = templates()
        .render(&n, &to, Timestamp::from_millis(NOW_MS))
        .unwrap();
    assert!(
        !r.subject.contains('\n') && !r.subject.contains('\r'),
        "{:?}",
        r.subject
    );
}

#[test]
fn a_clinic_folder_overrides_a_layout_and_a_message() {
    let dir = std::env::temp_dir().join(format!("carebell-tpl-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("messages")).unwrap();
    std::fs::write(
        dir.join("messages/en.ftl"),
        "appointment_confirmed-to-patient =\n    .subject = S\n    .heading = See you soon!\n    .body = B { $when }\n    .action = A\n    .sms = X\n",
    )
    .unwrap();
    let settings = ClinicSettings {
        templates_dir: Some(dir.clone()),
        ..clinic()
    };
    let load = || {
        Templates::load(
            Arc::new(Catalogue::load(Some(&dir))?),
            &settings,
            "http://x",
            CUTOFF,
            origin(),
        )
    };
    let (n, to) = confirmed_for(Language::En, "UTC");
    let r = load()
        .unwrap()
        .render(&n, &to, Timestamp::from_millis(NOW_MS))
        .unwrap();
    assert!(r.html.contains("See you soon!"));
    std::fs::write(dir.join("email.html"), "{% if %}").unwrap();
    assert!(load().is_err(), "a broken layout stops start-up");
    std::fs::remove_file(dir.join("email.html")).unwrap();
    std::fs::write(
        dir.join("messages/en.ftl"),
        "appointment_confirmed-to-patient =\n    .subject = { $nonsense }\n",
    )
    .unwrap();
    assert!(
        load().is_err(),
        "a message naming an unknown value stops start-up"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_reminder_past_the_cut_off_says_to_call_the_clinic_instead_of_offering_to_cancel() {
    let t = templates();
    let day_before = Timestamp::from_millis(NOW_MS);
    let two_hours_before = Timestamp::from_millis(START_MS - 2 * 3_600_000);
    for lang in Language::ALL {
        let (n, to) = everything_planned(lang)
            .into_iter()
            .find(|(n, _)| n.kind == NotificationKind::AppointmentReminder)
            .unwrap();
        let n = stored(&n);
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
        assert!(sms_late.contains(PHONE), "{lang:?}: {sms_late}");
        // The footer always names the phone; past the cut-off the body asks to call it.
        assert_eq!(
            late.text.matches(PHONE).count(),
            2,
            "{lang:?}: {}",
            late.text
        );
        assert_eq!(
            early.text.matches(PHONE).count(),
            1,
            "{lang:?}: {}",
            early.text
        );
        assert!(!t
            .in_app(&n, &to, day_before)
            .unwrap()
            .message
            .contains(PHONE));
        let in_app = t.in_app(&n, &to, two_hours_before).unwrap();
        assert!(
            in_app.message.contains(PHONE),
            "{lang:?}: {}",
            in_app.message
        );
    }
}

#[test]
fn availability_counts_with_each_languages_plural_rules() {
    let t = templates();
    let (n, to) = everything_planned(Language::Fr)
        .into_iter()
        .find(|(n, _)| n.kind == NotificationKind::NewAvailability)
        .unwrap();
    let text = t
        .in_app(&stored(&n), &to, Timestamp::from_millis(NOW_MS))
        .unwrap();
    assert!(
        text.message.contains("3 créneaux libres"),
        "{}",
        text.message
    );
    assert!(!text.message.contains("(s)") && !text.message.contains("(x)"));
}

#[test]
fn the_calendar_file_names_everyone_and_the_place() {
    let (n, mut to) = confirmed_for(Language::En, "Europe/Paris");
    to.name = PersonName::parse("Lucie Martin").unwrap();
    let (change, ics) = templates()
        .render(&n, &to, Timestamp::from_millis(NOW_MS))
        .unwrap()
        .calendar
        .unwrap();
    assert_eq!(change, CalendarChange::Request);
    let unfolded = ics.replace("\r\n ", "");
    for line in [
        "METHOD:REQUEST",
        "UID:appointment-7.abc@care.example",
        "SEQUENCE:2",
        "LOCATION:12 rue des Lilas\\, 75011 Paris",
        "ORGANIZER;CN=\"Dr Amina Haddad\":mailto:clinic@care.example",
        "ATTENDEE;CN=\"Lucie Martin\";",
        "STATUS:CONFIRMED",
        "BEGIN:VALARM",
    ] {
        assert!(unfolded.contains(line), "{line} missing from\n{unfolded}");
    }
    assert!(!unfolded.contains(VISIT_REASON));
    let _ = Severity::Info;
}
