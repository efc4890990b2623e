//! The JSON answers of the API, as types: what each endpoint returns, in one place (the
//! OpenAPI document is generated from them; the schema test checks real answers against it).

use crate::domain::Timestamp;
use crate::store::appointments::Appointment;
use crate::store::deliveries::{Attempt, DeliveryJob};
use crate::store::notifications::Notification;
use crate::store::slots::Slot;
use crate::store::users::User;
use serde::Serialize;
use utoipa::ToSchema;

/// `POST /auth/sign-in`.
#[derive(Serialize, ToSchema)]
pub struct SignedIn {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: Timestamp,
}

/// `POST /auth/tokens`.
#[derive(Serialize, ToSchema)]
pub struct TokenIssued {
    pub token: String,
    pub token_type: &'static str,
    pub expires_at: Timestamp,
    pub user: User,
}

/// `POST /auth/password-reset`: the same whether or not an account has the address.
#[derive(Serialize, ToSchema)]
pub struct ResetRequested {
    pub detail: &'static str,
}

/// `GET /healthz`.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` (see `/readyz` for the database).
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub database: &'static str,
}

/// A practitioner as patients see them.
#[derive(Serialize, ToSchema)]
pub struct Practitioner {
    pub id: i64,
    pub name: String,
    pub time_zone: String,
}

impl From<&User> for Practitioner {
    fn from(u: &User) -> Self {
        Self {
            id: u.id,
            name: u.name.as_str().to_owned(),
            time_zone: u.time_zone.name().to_owned(),
        }
    }
}

/// `GET /practitioners`, `GET /follows`.
#[derive(Serialize, ToSchema)]
pub struct Practitioners {
    pub practitioners: Vec<Practitioner>,
}

/// `GET /practitioners/{id}/slots`.
#[derive(Serialize, ToSchema)]
pub struct FreeSlots {
    pub practitioner_id: i64,
    pub slots: Vec<Slot>,
}

/// One of the practitioner's own slots.
#[derive(Serialize, ToSchema)]
pub struct OwnSlot {
    pub id: i64,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub free: bool,
}

/// `GET /slots`.
#[derive(Serialize, ToSchema)]
pub struct OwnSlots {
    pub slots: Vec<OwnSlot>,
}

/// `POST /slots`.
#[derive(Serialize, ToSchema)]
pub struct CreatedSlots {
    pub slots: Vec<Slot>,
}

/// `POST /availability/notify`.
#[derive(Serialize, ToSchema)]
pub struct Notified {
    pub notified: usize,
}

/// `GET /appointments`.
#[derive(Serialize, ToSchema)]
pub struct Appointments {
    pub appointments: Vec<Appointment>,
}

/// `GET /notifications`.
#[derive(Serialize, ToSchema)]
pub struct NotificationPage {
    pub notifications: Vec<Notification>,
    pub unread_count: i64,
    /// The `before` cursor of the next page; absent on the last page.
    pub next_before: Option<i64>,
}

/// The data of a live stream's `notification` event (its `unread` event's is an
/// [`UnreadCount`]).
#[derive(Serialize, ToSchema)]
pub struct NotificationEvent {
    pub notification: Notification,
    pub unread_count: i64,
}

/// `GET /notifications/unread-count`, and the data of a live stream's `unread` event.
#[derive(Serialize, ToSchema)]
pub struct UnreadCount {
    pub unread_count: i64,
}

/// `GET /admin/deliveries`.
#[derive(Serialize, ToSchema)]
pub struct DeliveryPage {
    pub deliveries: Vec<DeliveryJob>,
    pub next_before: Option<i64>,
}

/// `GET /admin/deliveries/{id}`.
#[derive(Serialize, ToSchema)]
pub struct DeliveryDetail {
    pub delivery: DeliveryJob,
    pub attempts: Vec<Attempt>,
}

/// `POST /admin/deliveries/{id}/retry`.
#[derive(Serialize, ToSchema)]
pub struct OneDelivery {
    pub delivery: DeliveryJob,
}
