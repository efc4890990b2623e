//! The appointment state machine.
//!
//! ```text
//!   requested ──accept──► confirmed
//!       │  └──decline──► declined
//!       └──cancel──► cancelled ◄──cancel── confirmed
//!   requested/confirmed ──reschedule──► same status, version + 1
//! ```
//! Nothing leaves `declined` or `cancelled`, and nothing changes once the visit started.

use super::{ParseError, Timestamp};
use serde::{Serialize, Serializer};
use std::time::Duration;

/// Longest reason for a visit or for a cancellation, in characters.
pub const MAX_REASON_CHARS: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppointmentStatus {
    Requested,
    Confirmed,
    Declined,
    Cancelled,
}

/// Who cancelled an appointment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CancelledBy {
    Patient,
    Practitioner,
    System,
}

/// How soon the patient needs to be seen, as they said when booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Urgency {
    #[default]
    Routine,
    Soon,
    Urgent,
}

/// A requested change of state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Accept,
    Decline,
    Cancel(CancelledBy),
    Reschedule(CancelledBy),
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("cannot {action} an appointment that is {status}")]
    NotAllowed {
        action: &'static str,
        status: &'static str,
    },
    #[error("the appointment has already started")]
    AlreadyStarted,
    #[error("patients can {action} only up to {cutoff_minutes} minutes before the start; please contact the practice")]
    PastPatientCutoff {
        action: &'static str,
        cutoff_minutes: u64,
    },
}

impl Transition {
    fn verb(&self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::Decline => "decline",
            Self::Cancel(_) => "cancel",
            Self::Reschedule(_) => "reschedule",
        }
    }
}

impl AppointmentStatus {
    /// Whether the appointment still holds its slot.
    pub fn is_active(&self) -> bool {
        matches!(self, Self::Requested | Self::Confirmed)
    }

    /// The status after `transition`, or why it is refused. `starts_at` is the start of
    /// the appointment, `patient_cutoff` how long before it a patient may still cancel or
    /// move it.
    pub fn apply(
        self,
        transition: Transition,
        starts_at: Timestamp,
        now: Timestamp,
        patient_cutoff: Duration,
    ) -> Result<AppointmentStatus, TransitionError> {
        use AppointmentStatus::*;
        let next = match (self, transition) {
            (Requested, Transition::Accept) => Confirmed,
            (Requested, Transition::Decline) => Declined,
            (Requested | Confirmed, Transition::Cancel(_)) => Cancelled,
            (Requested | Confirmed, Transition::Reschedule(_)) => self,
            (status, t) => {
                return Err(TransitionError::NotAllowed {
                    action: t.verb(),
                    status: status.as_str(),
                })
            }
        };
        if now >= starts_at {
            return Err(TransitionError::AlreadyStarted);
        }
        if let Transition::Cancel(CancelledBy::Patient)
        | Transition::Reschedule(CancelledBy::Patient) = transition
        {
            if now > starts_at.minus(patient_cutoff) {
                return Err(TransitionError::PastPatientCutoff {
                    action: transition.verb(),
                    cutoff_minutes: patient_cutoff.as_secs() / 60,
                });
            }
        }
        Ok(next)
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Confirmed => "confirmed",
            Self::Declined => "declined",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(input: &str) -> Result<Self, ParseError> {
        match input {
            "requested" => Ok(Self::Requested),
            "confirmed" => Ok(Self::Confirmed),
            "declined" => Ok(Self::Declined),
            "cancelled" => Ok(Self::Cancelled),
            other => Err(ParseError::new(format!(
                "unknown appointment status {other:?}"
            ))),
        }
    }
}

impl CancelledBy {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Patient => "patient",
            Self::Practitioner => "practitioner",
            Self::System => "system",
        }
    }

    pub fn parse(input: &str) -> Result<Self, ParseError> {
        match input {
            "patient" => Ok(Self::Patient),
            "practitioner" => Ok(Self::Practitioner),
            "system" => Ok(Self::System),
            other => Err(ParseError::new(format!("unknown canceller {other:?}"))),
        }
    }
}

impl Urgency {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Routine => "routine",
            Self::Soon => "soon",
            Self::Urgent => "urgent",
        }
    }

    pub fn parse(input: &str) -> Result<Self, ParseError> {
        match input.trim() {
            "routine" => Ok(Self::Routine),
            "soon" => Ok(Self::Soon),
            "urgent" => Ok(Self::Urgent),
            other => Err(ParseError::new(format!(
                "unknown urgency {other:?}; expected routine, soon or urgent"
            ))),
        }
    }
}

macro_rules! serialize_as_str {
    ($($t:ty),+) => {$(
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    )+};
}
serialize_as_str!(AppointmentStatus, CancelledBy, Urgency);

#[cfg(test)]
mod tests {
    use super::AppointmentStatus::*;
    use super::*;
    use proptest::prelude::*;

    const H: u64 = 3_600;
    const CUTOFF: Duration = Duration::from_secs(2 * H);

    fn start() -> Timestamp {
        Timestamp::from_millis(100 * 3_600_000)
    }

    fn hours_before_start(h: i64) -> Timestamp {
        Timestamp::from_millis(start().millis() - h * 3_600_000)
    }

    #[test]
    fn practitioner_accepts_or_declines_a_request() {
        let now = hours_before_start(48);
        assert_eq!(
            Requested.apply(Transition::Accept, start(), now, CUTOFF),
            Ok(Confirmed)
        );
        assert_eq!(
            Requested.apply(Transition::Decline, start(), now, CUTOFF),
            Ok(Declined)
        );
    }

    #[test]
    fn confirmed_appointment_cannot_be_accepted_or_declined_again() {
        let now = hours_before_start(48);
        assert!(matches!(
            Confirmed.apply(Transition::Accept, start(), now, CUTOFF),
            Err(TransitionError::NotAllowed {
                action: "accept",
                status: "confirmed"
            })
        ));
        assert!(Confirmed
            .apply(Transition::Decline, start(), now, CUTOFF)
            .is_err());
    }

    #[test]
    fn nothing_leaves_a_final_state() {
        let now = hours_before_start(48);
        for s in [Declined, Cancelled] {
            for t in [
                Transition::Accept,
                Transition::Decline,
                Transition::Cancel(CancelledBy::Practitioner),
                Transition::Reschedule(CancelledBy::Patient),
            ] {
                assert!(s.apply(t, start(), now, CUTOFF).is_err(), "{s:?} {t:?}");
            }
        }
    }

    #[test]
    fn patient_cannot_cancel_after_the_cutoff_but_practitioner_can() {
        let late = hours_before_start(1);
        assert!(matches!(
            Confirmed.apply(
                Transition::Cancel(CancelledBy::Patient),
                start(),
                late,
                CUTOFF
            ),
            Err(TransitionError::PastPatientCutoff {
                cutoff_minutes: 120,
                ..
            })
        ));
        assert!(Confirmed
            .apply(
                Transition::Reschedule(CancelledBy::Patient),
                start(),
                late,
                CUTOFF
            )
            .is_err());
        assert_eq!(
            Confirmed.apply(
                Transition::Cancel(CancelledBy::Practitioner),
                start(),
                late,
                CUTOFF
            ),
            Ok(Cancelled)
        );
        // Exactly at the cut-off is still allowed.
        assert_eq!(
            Confirmed.apply(
                Transition::Cancel(CancelledBy::Patient),
                start(),
                hours_before_start(2),
                CUTOFF
            ),
            Ok(Cancelled)
        );
    }

    #[test]
    fn nothing_changes_once_the_visit_started() {
        assert_eq!(
            Requested.apply(Transition::Accept, start(), start(), CUTOFF),
            Err(TransitionError::AlreadyStarted)
        );
    }

    fn any_status() -> impl Strategy<Value = AppointmentStatus> {
        prop_oneof![
            Just(Requested),
            Just(Confirmed),
            Just(Declined),
            Just(Cancelled)
        ]
    }

    fn any_transition() -> impl Strategy<Value = Transition> {
        let by = prop_oneof![
            Just(CancelledBy::Patient),
            Just(CancelledBy::Practitioner),
            Just(CancelledBy::System)
        ];
        prop_oneof![
            Just(Transition::Accept),
            Just(Transition::Decline),
            by.clone().prop_map(Transition::Cancel),
            by.prop_map(Transition::Reschedule),
        ]
    }

    proptest! {
        #[test]
        fn inactive_states_are_final_and_reschedule_keeps_status(
            s in any_status(), t in any_transition(), h in -5i64..100
        ) {
            let r = s.apply(t, start(), hours_before_start(h), CUTOFF);
            if !s.is_active() {
                prop_assert!(r.is_err());
            }
            if let (Ok(next), Transition::Reschedule(_)) = (&r, t) {
                prop_assert_eq!(*next, s);
            }
            if h <= 0 {
                prop_assert!(r.is_err());
            }
        }
    }
}
