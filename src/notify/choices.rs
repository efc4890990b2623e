//! The recipient's choices, applied by the dispatcher when a job falls due (so a change also reaches what
//! is already queued): a channel turned off or a number opted out holds the message back
//! for good (`suppressed`, with the reason); quiet hours make it wait until they end.
//!
//! Rules, in order:
//! 0. A deactivated account gets nothing: suppressed.
//!    A message about one's own account that one has just asked for (a password reset)
//!    then goes at once: no choice or quiet hours hold it.
//! 1. SMS to a number that answered STOP, email to an address that bounced for good,
//!    WhatsApp to someone who has not agreed to it: suppressed.
//! 2. A channel the recipient turned off for the category: suppressed, except in a
//!    category nobody can turn off entirely (`preferences.required`), where the email
//!    still goes when no other channel would reach them.
//! 3. Inside the recipient's quiet hours (their own, or the clinic's, on their clock):
//!    - a change to a visit that starts before quiet hours end goes at once (they need
//!      it before they set off);
//!    - a reminder waits until they end if that still leaves `reminder_lead` before the
//!      visit, and is otherwise suppressed (it was planned to go out before they began;
//!      see `plan_around_quiet_hours`);
//!    - anything else waits until they end.

use crate::config::Settings;
use crate::domain::{preference_key, Category, Channel, QuietHours, TimeZone, Timestamp};
use std::time::Duration;

/// The clinic's side of the rules, from the settings.
#[derive(Debug, Clone)]
pub struct Rules {
    pub required: Vec<Category>,
    pub off_by_default: Vec<(Category, Channel)>,
    pub quiet_hours: QuietHours,
    pub reminder_lead: Duration,
}

impl Rules {
    pub fn from_settings(s: &Settings) -> Self {
        Self {
            required: s.preferences.required.clone(),
            off_by_default: s
                .preferences
                .off_by_default
                .iter()
                .filter_map(|p| preference_key(p).ok())
                .collect(),
            quiet_hours: QuietHours {
                start: s.quiet_hours.start,
                end: s.quiet_hours.end,
            },
            reminder_lead: s.quiet_hours.reminder_lead,
        }
    }

    /// Whether a channel is on for a category, given the user's stored choices.
    pub fn enabled(
        &self,
        stored: &[(Category, Channel, bool)],
        category: Category,
        channel: Channel,
    ) -> bool {
        stored
            .iter()
            .find(|(k, c, _)| *k == category && *c == channel)
            .map(|(_, _, on)| *on)
            .unwrap_or_else(|| !self.off_by_default.contains(&(category, channel)))
    }

    pub fn is_required(&self, category: Category) -> bool {
        self.required.contains(&category)
    }
}

/// Everything the decision needs, read when the job is due.
#[derive(Debug, Clone)]
pub struct Facts {
    pub category: Category,
    pub channel: Channel,
    pub now: Timestamp,
    pub zone: TimeZone,
    /// Each channel on for this category, as the recipient chose.
    pub email_on: bool,
    pub sms_on: bool,
    pub push_on: bool,
    pub whatsapp_on: bool,
    pub has_phone: bool,
    /// The recipient agreed to WhatsApp messages.
    pub whatsapp_agreed: bool,
    /// The recipient's address bounced for good, with the status it bounced with.
    pub email_bounce: Option<String>,
    /// An admin deactivated the account.
    pub deactivated: bool,
    pub sms_opted_out: bool,
    pub quiet_hours: QuietHours,
    /// The start of the visit the message is about, if any.
    pub visit_starts_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Send,
    /// Held back for good; the reason is shown to admins.
    Suppress(String),
    /// Held until `until`.
    Defer {
        until: Timestamp,
        reason: String,
    },
}

pub fn decide(rules: &Rules, f: &Facts) -> Verdict {
    if f.deactivated {
        return Verdict::Suppress("suppressed: account deactivated".into());
    }
    if f.category == Category::Account {
        return Verdict::Send;
    }
    let sms_reaches = f.sms_on && f.has_phone && !f.sms_opted_out;
    let whatsapp_reaches = f.whatsapp_on && f.has_phone && f.whatsapp_agreed;
    let off = |channel: &str| {
        Verdict::Suppress(format!(
            "suppressed: {channel} off for {}",
            f.category.as_str()
        ))
    };
    match f.channel {
        Channel::Email if f.email_bounce.is_some() => {
            let status = f.email_bounce.as_deref().unwrap_or_default();
            return Verdict::Suppress(format!("suppressed: address bouncing ({status})"));
        }
        Channel::Sms if f.sms_opted_out => {
            return Verdict::Suppress("suppressed: sms opted out (STOP)".into());
        }
        Channel::Sms if !f.sms_on => return off("sms"),
        Channel::WhatsApp if !f.whatsapp_agreed => {
            return Verdict::Suppress("suppressed: whatsapp not agreed to".into());
        }
        Channel::WhatsApp if !f.whatsapp_on => return off("whatsapp"),
        Channel::Push if !f.push_on => return off("push"),
        // In a required category the email stays when no other channel would reach them.
        Channel::Email
            if !f.email_on
                && (!rules.is_required(f.category) || sms_reaches || whatsapp_reaches) =>
        {
            return off("email");
        }
        _ => {}
    }
    let Some(end) = f.quiet_hours.ends_after(f.now, f.zone) else {
        return Verdict::Send;
    };
    match (f.category, f.visit_starts_at) {
        (Category::AppointmentUpdates, Some(start)) if start < end => Verdict::Send,
        (Category::Reminders, Some(start)) if end > start.minus(rules.reminder_lead) => {
            Verdict::Suppress("suppressed: quiet hours last until too close to the visit".into())
        }
        _ => Verdict::Defer {
            until: end,
            reason: format!("deferred: quiet hours until {end}"),
        },
    }
}

/// When a reminder's email and SMS go out: at `due`, unless that falls in quiet hours that
/// end less than `reminder_lead` before the visit; then at the last minute before those
/// quiet hours began, if that is still ahead of `now` (else at `due`, where the send-time
/// rule holds it back).
pub fn plan_around_quiet_hours(
    rules: &Rules,
    quiet: QuietHours,
    zone: TimeZone,
    due: Timestamp,
    visit_starts_at: Timestamp,
    now: Timestamp,
) -> Timestamp {
    match quiet.ends_after(due, zone) {
        Some(end) if end > visit_starts_at.minus(rules.reminder_lead) => {
            match quiet.began_before(due, zone) {
                Some(began) if began.minus(Duration::from_secs(60)) > now => {
                    began.minus(Duration::from_secs(60))
                }
                _ => due,
            }
        }
        _ => due,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::LocalTime;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn rules() -> Rules {
        Rules::from_settings(&Settings::default())
    }

    fn facts(channel: Channel, category: Category, now: &str) -> Facts {
        Facts {
            category,
            channel,
            now: at(now),
            zone: TimeZone::parse("Europe/Paris").unwrap(),
            email_on: true,
            sms_on: true,
            push_on: true,
            whatsapp_on: true,
            has_phone: true,
            whatsapp_agreed: false,
            email_bounce: None,
            deactivated: false,
            sms_opted_out: false,
            quiet_hours: QuietHours {
                start: LocalTime::at(21, 0),
                end: LocalTime::at(8, 0),
            },
            visit_starts_at: None,
        }
    }

    #[test]
    fn stop_and_channel_choices_suppress_and_a_required_category_keeps_email() {
        let r = rules();
        let mut f = facts(Channel::Sms, Category::Reminders, "2026-01-15T10:00:00Z");
        f.sms_opted_out = true;
        assert_eq!(
            decide(&r, &f),
            Verdict::Suppress("suppressed: sms opted out (STOP)".into())
        );
        f.sms_opted_out = false;
        f.sms_on = false;
        assert_eq!(
            decide(&r, &f),
            Verdict::Suppress("suppressed: sms off for reminders".into())
        );
        // Appointment updates are required: with SMS off too, the email still goes.
        let mut f = facts(
            Channel::Email,
            Category::AppointmentUpdates,
            "2026-01-15T10:00:00Z",
        );
        f.email_on = false;
        assert_eq!(
            decide(&r, &f),
            Verdict::Suppress("suppressed: email off for appointment_updates".into())
        );
        f.sms_on = false;
        assert_eq!(decide(&r, &f), Verdict::Send);
        f.sms_on = true;
        f.sms_opted_out = true;
        assert_eq!(
            decide(&r, &f),
            Verdict::Send,
            "STOP leaves email as the one channel"
        );
        // A deactivated account gets nothing, not even a required category's email.
        f.deactivated = true;
        assert_eq!(
            decide(&r, &f),
            Verdict::Suppress("suppressed: account deactivated".into())
        );
        // Reminders are not required: email off means no email.
        let mut f = facts(Channel::Email, Category::Reminders, "2026-01-15T10:00:00Z");
        (f.email_on, f.sms_on) = (false, false);
        assert!(matches!(decide(&r, &f), Verdict::Suppress(_)));
    }

    #[test]
    fn bounces_whatsapp_consent_and_push_choices_are_applied() {
        let r = rules();
        let mut f = facts(
            Channel::Email,
            Category::AppointmentUpdates,
            "2026-01-15T10:00:00Z",
        );
        f.email_bounce = Some("5.1.1".into());
        assert_eq!(
            decide(&r, &f),
            Verdict::Suppress("suppressed: address bouncing (5.1.1)".into())
        );
        let mut f = facts(
            Channel::WhatsApp,
            Category::Reminders,
            "2026-01-15T10:00:00Z",
        );
        assert_eq!(
            decide(&r, &f),
            Verdict::Suppress("suppressed: whatsapp not agreed to".into())
        );
        f.whatsapp_agreed = true;
        assert_eq!(decide(&r, &f), Verdict::Send);
        f.whatsapp_on = false;
        assert!(matches!(decide(&r, &f), Verdict::Suppress(_)));
        let mut f = facts(
            Channel::Push,
            Category::Availability,
            "2026-01-15T10:00:00Z",
        );
        f.push_on = false;
        assert_eq!(
            decide(&r, &f),
            Verdict::Suppress("suppressed: push off for availability".into())
        );
        // Push waits out quiet hours like the others.
        let f = facts(
            Channel::Push,
            Category::Availability,
            "2026-01-15T22:00:00Z",
        );
        assert!(matches!(decide(&r, &f), Verdict::Defer { .. }));
        // WhatsApp reaching them lets a required category's email be turned off.
        let mut f = facts(
            Channel::Email,
            Category::AppointmentUpdates,
            "2026-01-15T10:00:00Z",
        );
        (f.email_on, f.sms_on) = (false, false);
        assert_eq!(
            decide(&r, &f),
            Verdict::Send,
            "no other channel reaches them"
        );
        f.whatsapp_agreed = true;
        assert_eq!(
            decide(&r, &f),
            Verdict::Suppress("suppressed: email off for appointment_updates".into())
        );
    }

    #[test]
    fn an_account_message_goes_at_once_whatever_the_choices_but_not_to_a_deactivated_account() {
        let r = rules();
        // 23:00 in Paris, every channel off: a password reset still goes now.
        let mut f = facts(Channel::Email, Category::Account, "2026-01-15T22:00:00Z");
        (f.email_on, f.sms_on) = (false, false);
        assert_eq!(decide(&r, &f), Verdict::Send);
        f.deactivated = true;
        assert_eq!(
            decide(&r, &f),
            Verdict::Suppress("suppressed: account deactivated".into())
        );
    }

    #[test]
    fn quiet_hours_defer_to_their_end_except_urgent_changes_and_late_reminders() {
        let r = rules();
        // 23:00 in Paris: waits until 08:00 (07:00Z).
        let f = facts(
            Channel::Email,
            Category::Availability,
            "2026-01-15T22:00:00Z",
        );
        assert_eq!(
            decide(&r, &f),
            Verdict::Defer {
                until: at("2026-01-16T07:00:00Z"),
                reason: "deferred: quiet hours until 2026-01-16T07:00:00Z".into()
            }
        );
        // A cancellation of a 07:30 visit goes at once; of a 09:00 one, it waits.
        let mut f = facts(
            Channel::Sms,
            Category::AppointmentUpdates,
            "2026-01-15T22:00:00Z",
        );
        f.visit_starts_at = Some(at("2026-01-16T06:30:00Z"));
        assert_eq!(decide(&r, &f), Verdict::Send);
        f.visit_starts_at = Some(at("2026-01-16T08:00:00Z"));
        assert!(matches!(decide(&r, &f), Verdict::Defer { .. }));
        // A reminder for 10:00 waits until 08:00 (two hours' lead); one for 08:30 does not.
        let mut f = facts(Channel::Sms, Category::Reminders, "2026-01-16T05:00:00Z");
        f.visit_starts_at = Some(at("2026-01-16T09:00:00Z"));
        assert!(matches!(decide(&r, &f), Verdict::Defer { .. }));
        f.visit_starts_at = Some(at("2026-01-16T07:30:00Z"));
        assert!(matches!(decide(&r, &f), Verdict::Suppress(_)));
    }

    #[test]
    fn a_reminder_that_quiet_hours_would_make_late_is_planned_before_they_begin() {
        let r = rules();
        let paris = TimeZone::parse("Europe/Paris").unwrap();
        let quiet = QuietHours {
            start: LocalTime::at(21, 0),
            end: LocalTime::at(8, 0),
        };
        let now = at("2026-01-10T12:00:00Z");
        // Visit 07:30 Paris (06:30Z): the 2 h reminder (04:30Z) would wait until 08:00,
        // after the visit: it goes at 20:59 the evening before.
        assert_eq!(
            plan_around_quiet_hours(
                &r,
                quiet,
                paris,
                at("2026-01-16T04:30:00Z"),
                at("2026-01-16T06:30:00Z"),
                now
            ),
            at("2026-01-15T19:59:00Z")
        );
        // Visit 11:00 (10:00Z): the 2 h reminder at 09:00 is outside quiet hours.
        assert_eq!(
            plan_around_quiet_hours(
                &r,
                quiet,
                paris,
                at("2026-01-16T08:00:00Z"),
                at("2026-01-16T10:00:00Z"),
                now
            ),
            at("2026-01-16T08:00:00Z")
        );
        // Visit 09:30 (08:30Z): the 2 h reminder (06:30Z, 07:30 Paris) waits until 08:00,
        // still 1 h 30 before: planned as it is (deferred at send time).
        assert_eq!(
            plan_around_quiet_hours(
                &r,
                quiet,
                paris,
                at("2026-01-16T06:30:00Z"),
                at("2026-01-16T08:30:00Z"),
                now
            ),
            at("2026-01-16T06:30:00Z")
        );
    }
}
