//! What a notification is about, how it is shown, and how it travels.

use super::ParseError;
use serde::{Serialize, Serializer};

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(input: &str) -> Result<Self, ParseError> {
                match input {
                    $($text => Ok($name::$variant),)+
                    other => Err(ParseError::new(format!(
                        concat!("unknown ", stringify!($name), " {:?}"), other
                    ))),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_enum!(
    /// The kinds of notification of PRODUCT.md's matrix.
    NotificationKind {
        BookingReceived => "booking_received",
        AppointmentRequested => "appointment_requested",
        AppointmentConfirmed => "appointment_confirmed",
        AppointmentDeclined => "appointment_declined",
        CancellationConfirmed => "cancellation_confirmed",
        PatientCancelled => "patient_cancelled",
        AppointmentCancelled => "appointment_cancelled",
        AppointmentModified => "appointment_modified",
        AppointmentReminder => "appointment_reminder",
        NewAvailability => "new_availability",
        SystemNotice => "system_notice",
        PasswordReset => "password_reset",
        WebhookDisabled => "webhook_disabled",
        WaitlistOffer => "waitlist_offer",
    }
);

string_enum!(
    /// How a notification is shown in the dashboard.
    Severity {
        Info => "info",
        Success => "success",
        Warning => "warning",
        Error => "error",
    }
);

string_enum!(
    /// A way to reach a person. In-app is the stored notification itself; the other
    /// channels are delivered by jobs. `webhook` is the integrators' endpoints, a job's
    /// channel but not a person's.
    Channel {
        InApp => "in_app",
        Email => "email",
        Sms => "sms",
        Push => "push",
        WhatsApp => "whatsapp",
        Webhook => "webhook",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_round_trips_through_its_name() {
        for k in NotificationKind::ALL {
            assert_eq!(NotificationKind::parse(k.as_str()).unwrap(), *k);
        }
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.as_str()).unwrap(), *s);
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()).unwrap(), *c);
        }
        assert!(Channel::parse("carrier_pigeon").is_err());
    }
}
