//! Booking and the transitions of an appointment.

use super::{audit_entry, optional_text, record, Lifecycle, LifecycleError, LifecycleResult};
use crate::domain::{clean_reason, AppointmentStatus, CancelledBy, Role, Transition, Urgency};
use crate::notify::{Event, Parties};
use crate::store::appointments::{self, Appointment, NewAppointment};
use crate::store::users::User;
use crate::store::{slots, users, StoreError, Tx};

/// A patient's request for a slot.
pub struct BookingRequest {
    pub slot_id: i64,
    pub reason: String,
    pub urgency: Urgency,
}

/// A move to another slot of the same practitioner.
pub struct Reschedule {
    pub slot_id: i64,
}

/// How the actor stands to an appointment.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Patient,
    Practitioner,
    Admin,
}

impl Side {
    fn as_canceller(self) -> CancelledBy {
        match self {
            Side::Patient => CancelledBy::Patient,
            Side::Practitioner => CancelledBy::Practitioner,
            Side::Admin => CancelledBy::System,
        }
    }
}

impl Lifecycle {
    /// A patient requests a free slot. Two simultaneous bookings of one slot give one
    /// appointment and one [`LifecycleError::SlotTaken`].
    #[tracing::instrument(skip_all, fields(slot_id = req.slot_id))]
    pub async fn book(&self, actor: &User, req: BookingRequest) -> LifecycleResult<Appointment> {
        if actor.role != Role::Patient {
            return Err(LifecycleError::Forbidden(
                "only patients can book appointments",
            ));
        }
        let reason = clean_reason(&req.reason).map_err(|e| LifecycleError::Invalid(e.0))?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let appointment = self
            .book_in(&mut tx, actor, req.slot_id, &reason, req.urgency, now)
            .await?;
        self.commit(tx).await?;
        tracing::info!(appointment_id = appointment.id, "appointment requested");
        Ok(appointment)
    }

    /// Books inside the caller's transaction (a booking, or an accepted waitlist offer).
    pub(super) async fn book_in(
        &self,
        tx: &mut Tx,
        actor: &User,
        slot_id: i64,
        reason: &str,
        urgency: Urgency,
        now: crate::domain::Timestamp,
    ) -> LifecycleResult<Appointment> {
        let backend = tx.backend();
        let slots::Locked {
            slot,
            free,
            offered,
            practitioner,
        } = slots::lock(tx.conn(), backend, slot_id)
            .await?
            .ok_or(LifecycleError::NotFound("slot"))?;
        if slot.starts_at <= now {
            return Err(LifecycleError::Invalid(
                "this slot has already started".into(),
            ));
        }
        if !free {
            return Err(LifecycleError::SlotTaken);
        }
        if offered {
            self.respect_hold(tx, actor, slot.id, now).await?;
        }
        let new = NewAppointment {
            slot: &slot,
            patient_id: actor.id,
            reason,
            urgency,
        };
        let appointment = appointments::insert(tx.conn(), new, now)
            .await
            .map_err(|e| match e {
                e if e.violates(ONE_ACTIVE_PER_SLOT) => LifecycleError::SlotTaken,
                StoreError::MissingReference => LifecycleError::NotFound("slot"),
                other => other.into(),
            })?;
        let parties = Parties {
            appointment: &appointment,
            patient: actor,
            practitioner: &practitioner,
        };
        let audit = audit_entry(actor, "appointment.booked", appointment.id, None);
        record(tx, &Event::Booked(parties), &self.matrix, audit, now).await?;
        Ok(appointment)
    }

    /// The practitioner accepts a request.
    #[tracing::instrument(skip_all, fields(appointment_id = id))]
    pub async fn accept(&self, actor: &User, id: i64) -> LifecycleResult<Appointment> {
        self.decide(actor, id, Transition::Accept, None).await
    }

    /// The practitioner declines a request, optionally saying why.
    #[tracing::instrument(skip_all, fields(appointment_id = id))]
    pub async fn decline(
        &self,
        actor: &User,
        id: i64,
        reason: Option<&str>,
    ) -> LifecycleResult<Appointment> {
        self.decide(actor, id, Transition::Decline, reason).await
    }

    async fn decide(
        &self,
        actor: &User,
        id: i64,
        transition: Transition,
        reason: Option<&str>,
    ) -> LifecycleResult<Appointment> {
        let reason = optional_text(reason)?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let (current, side) = load_for(&mut tx, actor, id).await?;
        if side != Side::Practitioner {
            return Err(LifecycleError::Forbidden(
                "only the practitioner of the appointment can accept or decline it",
            ));
        }
        let next = current.status.apply(
            transition,
            current.starts_at,
            now,
            self.rules.patient_cancel_cutoff,
        )?;
        let updated =
            appointments::set_status(tx.conn(), &current, next, None, reason.as_deref(), now)
                .await?
                .ok_or(LifecycleError::Concurrent)?;
        let patient = user(&mut tx, updated.patient_id).await?;
        let parties = Parties {
            appointment: &updated,
            patient: &patient,
            practitioner: actor,
        };
        let event = if next == AppointmentStatus::Confirmed {
            Event::Accepted(parties)
        } else {
            Event::Declined(parties)
        };
        let action = if next == AppointmentStatus::Confirmed {
            "appointment.accepted"
        } else {
            "appointment.declined"
        };
        let audit = audit_entry(actor, action, updated.id, None);
        record(&mut tx, &event, &self.matrix, audit, now).await?;
        self.replan_reminders(&mut tx, &parties, now).await?;
        if next != AppointmentStatus::Confirmed {
            self.slot_freed(&mut tx, current.slot_id, now).await?;
        }
        self.commit(tx).await?;
        tracing::info!(status = next.as_str(), "appointment decided");
        Ok(updated)
    }

    /// Either side, or an admin for the clinic ("system"), cancels. Practitioners and
    /// admins must give a reason: the patient is told it.
    #[tracing::instrument(skip_all, fields(appointment_id = id))]
    pub async fn cancel(
        &self,
        actor: &User,
        id: i64,
        reason: Option<&str>,
    ) -> LifecycleResult<Appointment> {
        let reason = optional_text(reason)?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let (current, side) = load_for(&mut tx, actor, id).await?;
        if side != Side::Patient && reason.is_none() {
            return Err(LifecycleError::Invalid(
                "a reason is required when the practice cancels; the patient is told it".into(),
            ));
        }
        let by = side.as_canceller();
        let next = current.status.apply(
            Transition::Cancel(by),
            current.starts_at,
            now,
            self.rules.patient_cancel_cutoff,
        )?;
        let updated =
            appointments::set_status(tx.conn(), &current, next, Some(by), reason.as_deref(), now)
                .await?
                .ok_or(LifecycleError::Concurrent)?;
        let (patient, practitioner) = parties_of(&mut tx, &updated).await?;
        let parties = Parties {
            appointment: &updated,
            patient: &patient,
            practitioner: &practitioner,
        };
        record(
            &mut tx,
            &Event::Cancelled {
                parties,
                by,
                was_confirmed: current.status == AppointmentStatus::Confirmed,
            },
            &self.matrix,
            audit_entry(actor, "appointment.cancelled", updated.id, None),
            now,
        )
        .await?;
        self.replan_reminders(&mut tx, &parties, now).await?;
        self.appointment_ended(&mut tx, updated.id, now).await?;
        self.slot_freed(&mut tx, current.slot_id, now).await?;
        self.commit(tx).await?;
        tracing::info!(cancelled_by = by.as_str(), "appointment cancelled");
        Ok(updated)
    }

    /// Either side moves the appointment to another free slot of the same practitioner.
    /// It keeps its id and status; its version increases and the old slot is freed.
    #[tracing::instrument(skip_all, fields(appointment_id = id, slot_id = to.slot_id))]
    pub async fn reschedule(
        &self,
        actor: &User,
        id: i64,
        to: Reschedule,
    ) -> LifecycleResult<Appointment> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let updated = self
            .reschedule_in(&mut tx, actor, id, to.slot_id, now)
            .await?;
        self.commit(tx).await?;
        tracing::info!(version = updated.version, "appointment rescheduled");
        Ok(updated)
    }

    /// Moves inside the caller's transaction (a move, or an accepted "earlier" offer), and
    /// offers the freed slot to the waitlist.
    pub(super) async fn reschedule_in(
        &self,
        tx: &mut Tx,
        actor: &User,
        id: i64,
        slot_id: i64,
        now: crate::domain::Timestamp,
    ) -> LifecycleResult<Appointment> {
        let backend = tx.backend();
        let (current, side) = load_for(tx, actor, id).await?;
        let by = side.as_canceller();
        current.status.apply(
            Transition::Reschedule(by),
            current.starts_at,
            now,
            self.rules.patient_cancel_cutoff,
        )?;
        let slots::Locked {
            slot,
            free,
            offered,
            ..
        } = slots::lock(tx.conn(), backend, slot_id)
            .await?
            .filter(|l| l.slot.practitioner_id == current.practitioner_id)
            .ok_or(LifecycleError::NotFound("slot"))?;
        if current.slot_id == Some(slot.id) {
            return Err(LifecycleError::Invalid(
                "the appointment is already in this slot".into(),
            ));
        }
        if slot.starts_at <= now {
            return Err(LifecycleError::Invalid(
                "this slot has already started".into(),
            ));
        }
        if !free {
            return Err(LifecycleError::SlotTaken);
        }
        if offered {
            self.respect_hold(tx, actor, slot.id, now).await?;
        }
        let updated = appointments::move_to_slot(tx.conn(), &current, &slot, now)
            .await
            .map_err(|e| match e {
                e if e.violates(ONE_ACTIVE_PER_SLOT) => LifecycleError::SlotTaken,
                other => other.into(),
            })?
            .ok_or(LifecycleError::Concurrent)?;
        let (patient, practitioner) = parties_of(tx, &updated).await?;
        let parties = Parties {
            appointment: &updated,
            patient: &patient,
            practitioner: &practitioner,
        };
        let event = Event::Rescheduled {
            parties,
            by,
            previous_start: current.starts_at,
        };
        let target = Some(format!("slot {}", slot.id));
        let audit = audit_entry(actor, "appointment.rescheduled", updated.id, target);
        record(tx, &event, &self.matrix, audit, now).await?;
        self.replan_reminders(tx, &parties, now).await?;
        self.slot_freed(tx, current.slot_id, now).await?;
        Ok(updated)
    }

    /// An appointment as `actor` may see it.
    pub async fn appointment_for(&self, actor: &User, id: i64) -> LifecycleResult<Appointment> {
        let mut c = self.store.acquire().await?;
        let a = appointments::get(&mut c, id)
            .await?
            .ok_or(LifecycleError::NotFound("appointment"))?;
        side_of(actor, &a).map(|_| a)
    }
}

/// Reads (and on PostgreSQL locks) the appointment and says how the actor stands to it.
/// Someone who is not party to it is told it does not exist.
async fn load_for(tx: &mut Tx, actor: &User, id: i64) -> LifecycleResult<(Appointment, Side)> {
    let backend = tx.backend();
    let a = appointments::lock(tx.conn(), backend, id)
        .await?
        .ok_or(LifecycleError::NotFound("appointment"))?;
    let side = side_of(actor, &a)?;
    Ok((a, side))
}

fn side_of(actor: &User, a: &Appointment) -> LifecycleResult<Side> {
    match actor.role {
        Role::Admin => Ok(Side::Admin),
        Role::Patient if a.patient_id == actor.id => Ok(Side::Patient),
        Role::Practitioner if a.practitioner_id == actor.id => Ok(Side::Practitioner),
        _ => Err(LifecycleError::NotFound("appointment")),
    }
}

async fn user(tx: &mut Tx, id: i64) -> LifecycleResult<User> {
    users::get(tx.conn(), id)
        .await?
        .ok_or(LifecycleError::NotFound("user"))
}

async fn parties_of(tx: &mut Tx, a: &Appointment) -> LifecycleResult<(User, User)> {
    Ok((
        user(tx, a.patient_id).await?,
        user(tx, a.practitioner_id).await?,
    ))
}

/// The unique index that lets one active appointment hold a slot.
const ONE_ACTIVE_PER_SLOT: &str = "appointments_one_active_per_slot";

pub(super) async fn commit(tx: Tx) -> LifecycleResult<()> {
    tx.commit().await.map_err(|e| match e {
        StoreError::Conflict(_) => LifecycleError::Concurrent,
        other => other.into(),
    })
}
