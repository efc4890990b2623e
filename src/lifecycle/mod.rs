//! The appointment lifecycle. Each operation is one database transaction that writes the
//! state change, the notifications it causes and their delivery jobs together, so either
//! all of it happens or none of it does (transactional outbox).

mod appointments;
mod availability;
pub mod import;
mod waitlist;

pub use appointments::{BookingRequest, Reschedule};
pub use availability::NewSlot;
pub use waitlist::{JoinRequest, MAX_ENTRIES_PER_PATIENT};

use crate::clock::SharedClock;
use crate::config::LifecycleSettings;
use crate::domain::TransitionError;
use crate::notify::{self, Event};
use crate::store::{self, Store, StoreError, Tx};

/// Why a lifecycle operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    /// The thing does not exist, or the actor may not know it exists.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The actor is party to it but their role may not do this.
    #[error("{0}")]
    Forbidden(&'static str),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("this slot is already taken")]
    SlotTaken,
    #[error("the slot overlaps another slot of the same practitioner")]
    SlotOverlap,
    #[error("the slot is held by an appointment; cancel or move it first")]
    SlotInUse,
    #[error("the appointment was changed meanwhile; reload it and try again")]
    Concurrent,
    /// The slot is held for a patient on the waitlist until then.
    #[error("this slot is held for a patient on the waitlist until {0}")]
    SlotHeld(crate::domain::Timestamp),
    /// A late or second answer to a waitlist offer.
    #[error("{0}")]
    OfferClosed(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for LifecycleError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

pub type LifecycleResult<T> = Result<T, LifecycleError>;

/// The lifecycle services, shared by the HTTP layer, the CLI and the demo loader.
#[derive(Clone)]
pub struct Lifecycle {
    store: Store,
    clock: SharedClock,
    rules: LifecycleSettings,
    wake: WakeSignal,
    reminder_offsets: Vec<std::time::Duration>,
    reminder_email: crate::config::ReminderEmail,
    choice_rules: notify::choices::Rules,
    availability_throttle: std::time::Duration,
    matrix: notify::Matrix,
    waitlist: crate::config::WaitlistSettings,
    confirmation_followup: Option<std::time::Duration>,
}

/// Tells the dispatcher in this process that new work was committed, so it need not
/// wait for its next poll.
#[derive(Clone, Default)]
pub struct WakeSignal(std::sync::Arc<tokio::sync::Notify>);

impl WakeSignal {
    pub fn wake(&self) {
        self.0.notify_one();
    }

    pub async fn woken(&self) {
        self.0.notified().await;
    }
}

impl Lifecycle {
    pub fn new(store: Store, clock: SharedClock, rules: LifecycleSettings) -> Self {
        Self::with_wake_signal(store, clock, rules, WakeSignal::default())
    }

    pub fn with_wake_signal(
        store: Store,
        clock: SharedClock,
        rules: LifecycleSettings,
        wake: WakeSignal,
    ) -> Self {
        Self {
            store,
            clock,
            rules,
            wake,
            reminder_offsets: crate::config::ReminderSettings::default().offsets,
            reminder_email: crate::config::ReminderEmail::default(),
            choice_rules: notify::choices::Rules::from_settings(&crate::config::Settings::default()),
            availability_throttle: crate::config::AvailabilitySettings::default().throttle,
            matrix: notify::Matrix::default(),
            waitlist: crate::config::WaitlistSettings::default(),
            confirmation_followup: None,
        }
    }

    /// One more reminder, this long before the visit, to patients who have not said they
    /// are coming (`reminders.confirmation_followup`).
    pub fn with_confirmation_followup(mut self, offset: Option<std::time::Duration>) -> Self {
        self.confirmation_followup = offset;
        self
    }

    /// How long offers of freed slots are held, and how soon they may start.
    pub fn with_waitlist(mut self, settings: crate::config::WaitlistSettings) -> Self {
        self.waitlist = settings;
        self
    }

    /// Uses these clinic choices of who is told what.
    pub fn with_matrix(mut self, matrix: notify::Matrix) -> Self {
        self.matrix = matrix;
        self
    }

    /// Uses these reminder offsets instead of the default 24 h and 2 h.
    /// When reminders go by email (`reminders.email`).
    pub fn with_reminder_email(mut self, mode: crate::config::ReminderEmail) -> Self {
        self.reminder_email = mode;
        self
    }

    pub fn with_reminder_offsets(mut self, offsets: Vec<std::time::Duration>) -> Self {
        self.reminder_offsets = offsets;
        self
    }

    /// At most one availability alert per follower and practitioner in this window.
    pub fn with_availability_throttle(mut self, window: std::time::Duration) -> Self {
        self.availability_throttle = window;
        self
    }

    /// The clinic's quiet hours and related rules (reminders are planned around them).
    pub fn with_choice_rules(mut self, rules: notify::choices::Rules) -> Self {
        self.choice_rules = rules;
        self
    }

    /// Voids the appointment's pending reminders and, if it is confirmed, plans new ones
    /// for its current version and time. Call it after recording the change's own
    /// messages: those are made to follow any reminder already handed to a provider.
    async fn replan_reminders(
        &self,
        tx: &mut Tx,
        parties: &notify::Parties<'_>,
        now: crate::domain::Timestamp,
    ) -> LifecycleResult<()> {
        let id = parties.appointment.id;
        let in_flight = store::reminders::void_for_appointment(tx.conn(), id, now).await?;
        if !in_flight.is_empty() {
            tracing::info!(
                appointment_id = id,
                jobs = in_flight.len(),
                "reminders already handed to a provider when the appointment changed"
            );
            store::reminders::follow_in_flight(tx.conn(), id, &in_flight, now).await?;
        }
        if parties.appointment.status == crate::domain::AppointmentStatus::Confirmed {
            self.write_reminders(tx, parties, now).await?;
        }
        Ok(())
    }

    /// Writes the reminders of a confirmed appointment. One whose email and SMS quiet hours
    /// would hold until too close to the visit goes out just before they begin
    /// (`notify::choices::plan_around_quiet_hours`); the patient's quiet hours are read
    /// once for all of them. Returns how many were written.
    async fn write_reminders(
        &self,
        tx: &mut Tx,
        parties: &notify::Parties<'_>,
        now: crate::domain::Timestamp,
    ) -> LifecycleResult<usize> {
        let mut planned = notify::plan_reminders(parties, &self.reminder_offsets, now);
        if let Some(offset) = self.confirmation_followup {
            if parties.appointment.attendance_confirmed_at.is_none() {
                planned.extend(notify::plan_attendance_check(parties, offset, now));
            }
        }
        if planned.is_empty() {
            return Ok(0);
        }
        let to = parties.patient;
        let quiet = store::preferences::own_quiet_hours(tx.conn(), to.id)
            .await?
            .unwrap_or(self.choice_rules.quiet_hours);
        for mut n in planned.iter().cloned() {
            debug_assert_eq!(n.recipient_id, to.id, "reminders go to the patient");
            // By SMS first: the email is written only if the SMS does not reach the phone.
            if self.reminder_email == crate::config::ReminderEmail::Fallback
                && n.channels.contains(&crate::domain::Channel::Sms)
                && n.channels.contains(&crate::domain::Channel::Email)
            {
                n.channels.retain(|c| *c != crate::domain::Channel::Email);
            }
            if let Some(due) = n.visible_from {
                let at = notify::choices::plan_around_quiet_hours(
                    &self.choice_rules,
                    quiet,
                    to.time_zone,
                    due,
                    parties.appointment.starts_at,
                    now,
                );
                n.jobs_due = (at != due).then_some(at);
            }
            store::notifications::insert(tx.conn(), &n, now).await?;
        }
        Ok(planned.len())
    }

    /// Commits a transaction that wrote notifications and wakes the dispatcher.
    async fn commit(&self, tx: Tx) -> LifecycleResult<()> {
        appointments::commit(tx).await?;
        self.wake.wake();
        Ok(())
    }

    /// Tells the dispatcher in this process that work is due now (a job requeued by an
    /// operator, say).
    pub fn wake_dispatcher(&self) {
        self.wake.wake();
    }

    /// What wakes the dispatcher after a commit here.
    pub fn wake_signal(&self) -> WakeSignal {
        self.wake.clone()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }
}

/// Appends to the audit log inside the caller's transaction, so the change and its record
/// commit together.
async fn audited(
    tx: &mut Tx,
    actor: &crate::store::users::User,
    action: &str,
    appointment_id: Option<i64>,
    target: Option<String>,
    now: crate::domain::Timestamp,
) -> LifecycleResult<()> {
    let event = store::audit::NewEvent {
        actor_id: Some(actor.id),
        action,
        appointment_id,
        target,
        ..Default::default()
    };
    store::audit::append(tx.conn(), &event, now).await?;
    Ok(())
}

/// Writes the notifications an event causes, the webhook event integrators hear of it by
/// and its audit entry, inside the caller's transaction.
async fn record(
    tx: &mut Tx,
    event: &Event<'_>,
    matrix: &notify::Matrix,
    audit: store::audit::NewEvent<'_>,
    now: crate::domain::Timestamp,
) -> LifecycleResult<usize> {
    let planned = notify::plan(event, matrix);
    let writes = store::outbox::StepWrites {
        notifications: &planned,
        webhook: notify::webhook_event(event),
        audit,
    };
    store::outbox::write(tx.conn(), writes, now).await?;
    Ok(planned.len())
}

/// The audit entry of `actor` doing `action` to an appointment.
fn audit_entry<'a>(
    actor: &crate::store::users::User,
    action: &'a str,
    appointment_id: i64,
    target: Option<String>,
) -> store::audit::NewEvent<'a> {
    store::audit::NewEvent {
        actor_id: Some(actor.id),
        action,
        appointment_id: Some(appointment_id),
        target,
        ..Default::default()
    }
}

/// A free-text reason or note that may be absent; blank counts as absent.
fn optional_text(input: Option<&str>) -> LifecycleResult<Option<String>> {
    let cleaned = input
        .map(crate::domain::clean_reason)
        .transpose()
        .map_err(|e| LifecycleError::Invalid(e.0))?;
    Ok(cleaned.filter(|r| !r.is_empty()))
}
