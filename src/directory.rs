//! The read use cases of the schedule, for the API and the pages alike: who can be booked
//! and followed, whose free times, one's own slots and appointments. Each takes the
//! request's connection, so a page that reads several things holds one.

use crate::app::{ApiError, ApiResult};
use crate::domain::{AppointmentStatus, Role, Timestamp};
use crate::store::appointments::{self, Appointment, Party};
use crate::store::slots::{self, Slot};
use crate::store::users::{self, User};
use crate::store::{follows, Conn};

/// A practitioner by id; anyone else (or no one) is "not found".
pub async fn practitioner(c: &mut Conn, id: i64) -> ApiResult<User> {
    users::get(c, id)
        .await?
        .filter(|u| u.role == Role::Practitioner)
        .ok_or_else(|| ApiError::not_found("practitioner"))
}

/// Everyone who can be booked.
pub async fn practitioners(c: &mut Conn) -> ApiResult<Vec<User>> {
    Ok(users::list_practitioners(c).await?)
}

/// A practitioner's free slots ahead, soonest first ("not found" for anyone else).
pub async fn free_slots(
    c: &mut Conn,
    practitioner_id: i64,
    now: Timestamp,
    limit: i64,
) -> ApiResult<Vec<Slot>> {
    practitioner(c, practitioner_id).await?;
    Ok(slots::list_free(c, practitioner_id, now, limit).await?)
}

/// A practitioner's own slots ahead, each with whether it is free.
pub async fn own_slots(
    c: &mut Conn,
    practitioner: &User,
    now: Timestamp,
    limit: i64,
) -> ApiResult<Vec<(Slot, bool)>> {
    Ok(slots::list_own(c, practitioner.id, now, limit).await?)
}

/// The practitioners a patient follows.
pub async fn followed(c: &mut Conn, patient: &User) -> ApiResult<Vec<User>> {
    Ok(follows::followed_by(c, patient.id).await?)
}

/// A patient starts or stops following a practitioner.
pub async fn set_follow(
    c: &mut Conn,
    patient: &User,
    practitioner_id: i64,
    on: bool,
    now: Timestamp,
) -> ApiResult<()> {
    practitioner(c, practitioner_id).await?;
    if on {
        follows::follow(c, patient.id, practitioner_id, now).await?;
    } else {
        follows::unfollow(c, patient.id, practitioner_id).await?;
    }
    Ok(())
}

/// The appointments `user` may list: their own, or everyone's for an admin; newest first.
pub async fn appointments_of(
    c: &mut Conn,
    user: &User,
    status: Option<AppointmentStatus>,
    limit: i64,
) -> ApiResult<Vec<Appointment>> {
    let party = match user.role {
        Role::Patient => Party::Patient(user.id),
        Role::Practitioner => Party::Practitioner(user.id),
        Role::Admin => Party::Everyone,
    };
    Ok(appointments::list(c, party, status, limit).await?)
}

/// Accounts whose name or email contains `query`, newest first (admins).
pub async fn find_users(
    c: &mut crate::store::Conn,
    query: Option<&str>,
    role: Option<crate::domain::Role>,
    before_id: Option<i64>,
    limit: i64,
) -> crate::app::ApiResult<Vec<crate::store::users::User>> {
    Ok(crate::store::users::search(c, query, role, before_id, limit).await?)
}
