//! How domain values are stored: times as milliseconds since the epoch (`BIGINT`), the
//! enums as their text. With these, rows decode straight into their structs
//! (`#[derive(sqlx::FromRow)]`) and a value that does not parse back is a decode error
//! naming its column.

use super::deliveries::JobState;
use super::sessions::SessionKind;
use crate::domain::notice::NoticeState;
use crate::domain::payload::Payload;
use crate::domain::{
    AppointmentStatus, CancelledBy, Category, Channel, Email, Language, NotificationKind,
    PersonName, PhoneNumber, Role, Severity, TimeZone, Timestamp, Urgency,
};
use sqlx::any::{Any, AnyTypeInfo, AnyValueRef};
use sqlx::error::BoxDynError;
use sqlx::{Decode, Type};

impl Type<Any> for Timestamp {
    fn type_info() -> AnyTypeInfo {
        <i64 as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <i64 as Type<Any>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for Timestamp {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Timestamp::from_millis(<i64 as Decode<Any>>::decode(value)?))
    }
}

/// Stored as their text (`as_str`), read back with `parse`.
macro_rules! stored_as_text {
    ($($t:ty),+) => {$(
        impl Type<Any> for $t {
            fn type_info() -> AnyTypeInfo {
                <String as Type<Any>>::type_info()
            }

            fn compatible(ty: &AnyTypeInfo) -> bool {
                <String as Type<Any>>::compatible(ty)
            }
        }

        impl<'r> Decode<'r, Any> for $t {
            fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
                let text = <String as Decode<Any>>::decode(value)?;
                Ok(<$t>::parse(&text)?)
            }
        }
    )+};
}
stored_as_text!(
    AppointmentStatus,
    CancelledBy,
    Urgency,
    Role,
    Channel,
    NotificationKind,
    Severity,
    JobState,
    SessionKind,
    PersonName,
    Email,
    PhoneNumber,
    TimeZone,
    Language,
    Category,
    NoticeState
);

/// A notification's payload is stored as its JSON text.
impl TryFrom<String> for Payload {
    type Error = serde_json::Error;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        serde_json::from_str(&text)
    }
}
