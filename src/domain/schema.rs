//! How the domain's values look in the OpenAPI document. Each serializes to a string, so
//! each is described as one; the allowed values of an enumeration are taken from the type
//! itself, so the document cannot list a value the code does not know (or miss one).

use super::notice::NoticeState;
use super::{
    AppointmentStatus, CancelledBy, Category, Channel, Email, Language, NotificationKind,
    PersonName, PhoneNumber, Role, Severity, TimeZone, Timestamp, Urgency,
};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

fn text(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

fn one_of(description: &str, values: impl IntoIterator<Item = &'static str>) -> RefOr<Schema> {
    text(description).enum_values(Some(values)).into()
}

/// `PartialSchema` from an expression, and `ToSchema` so that the type is a named component.
macro_rules! described {
    ($($t:ty => $schema:expr;)+) => {$(
        impl PartialSchema for $t {
            fn schema() -> RefOr<Schema> {
                $schema
            }
        }
        impl ToSchema for $t {}
    )+};
}

described! {
    Timestamp => text("An instant: RFC 3339, in UTC")
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .into();
    PersonName => text("A person's name as they gave it").into();
    Email => text("An email address, in lower case")
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
        .into();
    PhoneNumber => text("A phone number in E.164 form (+33612345678)").into();
    TimeZone => text("An IANA time zone name (Europe/Paris)").into();
    Role => one_of(
        "What a user may do",
        [Role::Patient, Role::Practitioner, Role::Admin].map(|r| r.as_str()),
    );
    Language => one_of("The language of a user's texts", Language::ALL.map(|l| l.code()));
    AppointmentStatus => one_of(
        "Where an appointment is in its life",
        [
            AppointmentStatus::Requested,
            AppointmentStatus::Confirmed,
            AppointmentStatus::Declined,
            AppointmentStatus::Cancelled,
        ]
        .map(|s| s.as_str()),
    );
    CancelledBy => one_of(
        "Who cancelled",
        [CancelledBy::Patient, CancelledBy::Practitioner, CancelledBy::System].map(|c| c.as_str()),
    );
    Urgency => one_of(
        "How soon the patient needs the visit",
        [Urgency::Routine, Urgency::Soon, Urgency::Urgent].map(|u| u.as_str()),
    );
    NotificationKind => one_of(
        "What a notification is about",
        NotificationKind::ALL.iter().map(|k| k.as_str()),
    );
    Severity => one_of(
        "How a notification is shown",
        Severity::ALL.iter().map(|s| s.as_str()),
    );
    Channel => one_of(
        "A way to reach a person",
        Channel::ALL.iter().map(|c| c.as_str()),
    );
    Category => one_of(
        "A group of messages a recipient chooses channels for",
        Category::CHOOSABLE.iter().map(|c| c.as_str()),
    );
    NoticeState => one_of(
        "Where a notice is: draft, sending (being written to its recipients), sent (written to all), cancelled",
        NoticeState::ALL.iter().map(|s| s.as_str()),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(schema: RefOr<Schema>) -> Vec<String> {
        let json = serde_json::to_value(schema).unwrap();
        json["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    }

    /// Every value an enumeration lists is one its type reads back and writes the same way.
    #[test]
    fn enumerations_list_values_the_types_read_and_write() {
        fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(listed: Vec<String>) {
            assert!(!listed.is_empty());
            for v in listed {
                let parsed: T = serde_json::from_value(serde_json::json!(v)).unwrap();
                assert_eq!(serde_json::to_value(parsed).unwrap(), serde_json::json!(v));
            }
        }
        round_trip::<AppointmentStatus>(values(AppointmentStatus::schema()));
        round_trip::<CancelledBy>(values(CancelledBy::schema()));
        round_trip::<Urgency>(values(Urgency::schema()));
        round_trip::<NotificationKind>(values(NotificationKind::schema()));
        round_trip::<Severity>(values(Severity::schema()));
        round_trip::<Channel>(values(Channel::schema()));
        round_trip::<Category>(values(Category::schema()));
        assert_eq!(values(Language::schema()), ["en", "fr", "ar"]);
        assert_eq!(values(Role::schema()), ["patient", "practitioner", "admin"]);
    }
}
