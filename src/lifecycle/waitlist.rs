//! The waitlist: patients wait for a practitioner's time, and each freed slot is offered
//! to the first who matches, held for them alone for `waitlist.hold`.
//!
//! Order: joined first (the entry's creation time, then its id). An entry matches a slot
//! when the slot is the practitioner's, starts inside the entry's window and, if it has
//! times of day, between them on the patient's own clock; an "earlier than my
//! appointment" entry matches any slot before that appointment. Passed over: patients who
//! already hold an offer, patients this slot was already offered to, slots starting
//! sooner than `hold + min_notice` from now (too late to be useful), and patients in
//! quiet hours that last beyond the hold (they would only read it once it is gone).
//!
//! Holds are fenced like delivery leases: an answer is a compare-and-set from `open`, an
//! acceptance only while `expires_at` is ahead, in the same transaction as the booking.

use super::{audited, record, Lifecycle, LifecycleError, LifecycleResult};
use crate::domain::{clean_reason, AppointmentStatus, Role, Timestamp, Urgency};
use crate::notify::Event;
use crate::store::appointments::{self, Appointment};
use crate::store::users::User;
use crate::store::waitlist::{self, Entry, NewEntry, Offer};
use crate::store::{audit, slots, users, Tx};

/// Most entries one patient may have waiting at once.
pub const MAX_ENTRIES_PER_PATIENT: usize = 10;
/// Most expired holds passed on per step.
const EXPIRED_PER_STEP: i64 = 100;

/// What a patient asks to wait for.
pub struct JoinRequest {
    /// Whose time (ignored for an "earlier" entry: its appointment's practitioner).
    pub practitioner_id: Option<i64>,
    /// "Anything earlier than this appointment of mine."
    pub appointment_id: Option<i64>,
    pub window_from: Option<Timestamp>,
    pub window_until: Option<Timestamp>,
    /// Minutes after midnight on the patient's clock.
    pub day_start: Option<u16>,
    pub day_end: Option<u16>,
    pub reason: String,
    pub urgency: Urgency,
}

/// How the hold of an offer ended, for refusals of a late or second answer.
fn closed(o: &Offer, now: Timestamp) -> LifecycleError {
    let why = match o.state.as_str() {
        "accepted" => "this offer was already accepted".to_owned(),
        "declined" => {
            "this offer was declined; the time went to the next person waiting".to_owned()
        }
        _ if o.expires_at <= now || o.state == "expired" => format!(
            "this offer expired at {}; the time went to the next person waiting",
            o.expires_at
        ),
        _ => "this offer is no longer open".to_owned(),
    };
    LifecycleError::OfferClosed(why)
}

impl Lifecycle {
    /// A patient joins a practitioner's waitlist.
    #[tracing::instrument(skip_all)]
    pub async fn join_waitlist(&self, actor: &User, req: JoinRequest) -> LifecycleResult<Entry> {
        if actor.role != Role::Patient {
            return Err(LifecycleError::Forbidden("only patients wait for a time"));
        }
        let reason = clean_reason(&req.reason).map_err(|e| LifecycleError::Invalid(e.0))?;
        let now = self.clock.now();
        if let (Some(from), Some(until)) = (req.window_from, req.window_until) {
            if from >= until {
                return Err(LifecycleError::Invalid(
                    "window_from must be before window_until".into(),
                ));
            }
        }
        if req.window_until.is_some_and(|u| u <= now) {
            return Err(LifecycleError::Invalid(
                "window_until is already past".into(),
            ));
        }
        match (req.day_start, req.day_end) {
            (Some(a), Some(b)) if a >= b => {
                return Err(LifecycleError::Invalid(
                    "day_start must be before day_end".into(),
                ))
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(LifecycleError::Invalid(
                    "give day_start and day_end together".into(),
                ))
            }
            _ => {}
        }
        let mut tx = self.store.begin().await?;
        let practitioner_id = match req.appointment_id {
            Some(id) => {
                let a = appointments::get(tx.conn(), id)
                    .await?
                    .filter(|a| a.patient_id == actor.id)
                    .ok_or(LifecycleError::NotFound("appointment"))?;
                if !a.status.is_active() || a.starts_at <= now {
                    return Err(LifecycleError::Invalid(
                        "only an upcoming requested or confirmed appointment can be moved earlier"
                            .into(),
                    ));
                }
                a.practitioner_id
            }
            None => {
                let id = req.practitioner_id.ok_or_else(|| {
                    LifecycleError::Invalid("give practitioner_id or appointment_id".into())
                })?;
                users::get(tx.conn(), id)
                    .await?
                    .filter(|u| u.role == Role::Practitioner && u.deactivated_at.is_none())
                    .ok_or(LifecycleError::NotFound("practitioner"))?
                    .id
            }
        };
        let backend = tx.backend();
        // One patient's joins one after another, so the cap holds.
        users::lock(tx.conn(), backend, actor.id).await?;
        let waiting = waitlist::waiting_of_patient(tx.conn(), actor.id).await?;
        if waiting.len() >= MAX_ENTRIES_PER_PATIENT {
            return Err(LifecycleError::Invalid(format!(
                "at most {MAX_ENTRIES_PER_PATIENT} waitlist entries at once; leave one first"
            )));
        }
        if req.appointment_id.is_some()
            && waiting
                .iter()
                .any(|e| e.appointment_id == req.appointment_id)
        {
            return Err(LifecycleError::Invalid(
                "this appointment is already on the waitlist".into(),
            ));
        }
        let new = NewEntry {
            patient_id: actor.id,
            practitioner_id,
            appointment_id: req.appointment_id,
            window_from: req.window_from,
            window_until: req.window_until,
            day_start: req.day_start.map(i64::from),
            day_end: req.day_end.map(i64::from),
            reason: &reason,
            urgency: req.urgency,
        };
        let entry = waitlist::insert_entry(tx.conn(), &new, now).await?;
        let target = Some(format!("waitlist entry {}", entry.id));
        audited(
            &mut tx,
            actor,
            "waitlist.joined",
            entry.appointment_id,
            target,
            now,
        )
        .await?;
        self.commit(tx).await?;
        Ok(entry)
    }

    /// A patient leaves the waitlist; an offer they hold from it goes to the next person.
    #[tracing::instrument(skip_all, fields(entry_id = id))]
    pub async fn leave_waitlist(&self, actor: &User, id: i64) -> LifecycleResult<Entry> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let entry = waitlist::get_entry(tx.conn(), id)
            .await?
            .filter(|e| e.patient_id == actor.id || actor.role == Role::Admin)
            .ok_or(LifecycleError::NotFound("waitlist entry"))?;
        if !waitlist::close_entry(tx.conn(), id, "left", now).await? {
            return Err(LifecycleError::Invalid(
                "this waitlist entry no longer waits".into(),
            ));
        }
        self.withdraw_offers_of(&mut tx, &[entry.id], now).await?;
        let target = Some(format!("waitlist entry {id}"));
        audited(
            &mut tx,
            actor,
            "waitlist.left",
            entry.appointment_id,
            target,
            now,
        )
        .await?;
        self.commit(tx).await?;
        Ok(entry)
    }

    /// A patient's waiting entries; a practitioner's own waitlist; every entry of a
    /// practitioner for an admin (`practitioner_id`).
    pub async fn waitlist_for(
        &self,
        actor: &User,
        practitioner_id: Option<i64>,
    ) -> LifecycleResult<Vec<Entry>> {
        let mut c = self.store.acquire().await?;
        Ok(match actor.role {
            Role::Patient => waitlist::waiting_of_patient(&mut c, actor.id).await?,
            Role::Practitioner => waitlist::waiting_for(&mut c, actor.id).await?,
            Role::Admin => match practitioner_id {
                Some(p) => waitlist::waiting_for(&mut c, p).await?,
                None => {
                    return Err(LifecycleError::Invalid(
                        "give practitioner_id to see a waitlist".into(),
                    ))
                }
            },
        })
    }

    /// Offers as the actor may see them: a patient's own, a practitioner's slots', all
    /// for an admin. Newest first.
    pub async fn offers_for(&self, actor: &User, limit: i64) -> LifecycleResult<Vec<Offer>> {
        let mut c = self.store.acquire().await?;
        Ok(match actor.role {
            Role::Patient => waitlist::offers_of_patient(&mut c, actor.id, limit).await?,
            Role::Practitioner => waitlist::recent_offers(&mut c, Some(actor.id), limit).await?,
            Role::Admin => waitlist::recent_offers(&mut c, None, limit).await?,
        })
    }

    /// One offer as the actor may see it, with its slot.
    pub async fn offer_for(
        &self,
        actor: &User,
        id: i64,
    ) -> LifecycleResult<(Offer, slots::Slot, Option<Appointment>)> {
        let mut c = self.store.acquire().await?;
        let offer = waitlist::get_offer(&mut c, id)
            .await?
            .ok_or(LifecycleError::NotFound("offer"))?;
        let slot = slots::get(&mut c, offer.slot_id)
            .await?
            .ok_or(LifecycleError::NotFound("offer"))?;
        let visible = match actor.role {
            Role::Patient => offer.patient_id == actor.id,
            Role::Practitioner => slot.practitioner_id == actor.id,
            Role::Admin => true,
        };
        if !visible {
            return Err(LifecycleError::NotFound("offer"));
        }
        let entry = waitlist::get_entry(&mut c, offer.entry_id).await?;
        let moves = match entry.and_then(|e| e.appointment_id) {
            Some(a) => appointments::get(&mut c, a).await?,
            None => None,
        };
        Ok((offer, slot, moves))
    }

    /// The patient takes the time held for them: it is booked for them (or, for an
    /// "earlier" entry, their appointment moves to it and its old slot is offered in turn).
    /// A second acceptance, or one after the hold ended, is refused with
    /// [`LifecycleError::OfferClosed`] and changes nothing.
    #[tracing::instrument(skip_all, fields(offer_id = id))]
    pub async fn accept_offer(&self, actor: &User, id: i64) -> LifecycleResult<Appointment> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let offer = self.own_offer(&mut tx, actor, id).await?;
        let Some(offer) = waitlist::answer(tx.conn(), id, "accepted", now).await? else {
            return Err(closed(&offer, now));
        };
        let entry = waitlist::get_entry(tx.conn(), offer.entry_id)
            .await?
            .ok_or(LifecycleError::NotFound("waitlist entry"))?;
        // Closed first: the slot this frees must not come back to the same entry.
        waitlist::close_entry(tx.conn(), entry.id, "booked", now).await?;
        let appointment = match entry.appointment_id {
            Some(current) => {
                self.reschedule_in(&mut tx, actor, current, offer.slot_id, now)
                    .await?
            }
            None => {
                self.book_in(
                    &mut tx,
                    actor,
                    offer.slot_id,
                    &entry.reason,
                    entry.urgency,
                    now,
                )
                .await?
            }
        };
        waitlist::set_appointment(tx.conn(), offer.id, appointment.id).await?;
        let target = Some(format!("offer {} slot {}", offer.id, offer.slot_id));
        audited(
            &mut tx,
            actor,
            "waitlist.accepted",
            Some(appointment.id),
            target,
            now,
        )
        .await?;
        self.commit(tx).await?;
        tracing::info!(appointment_id = appointment.id, "waitlist offer accepted");
        Ok(appointment)
    }

    /// The patient passes; the time goes to the next person waiting. They stay on the
    /// waitlist for other times.
    #[tracing::instrument(skip_all, fields(offer_id = id))]
    pub async fn decline_offer(&self, actor: &User, id: i64) -> LifecycleResult<Offer> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let offer = self.own_offer(&mut tx, actor, id).await?;
        let Some(offer) = waitlist::answer(tx.conn(), id, "declined", now).await? else {
            return Err(closed(&offer, now));
        };
        let target = Some(format!("offer {} slot {}", offer.id, offer.slot_id));
        audited(&mut tx, actor, "waitlist.declined", None, target, now).await?;
        self.offer_slot(&mut tx, offer.slot_id, now).await?;
        self.commit(tx).await?;
        Ok(offer)
    }

    /// Ends the holds that ran out by now and offers each slot to the next person waiting.
    /// Safe to run on every instance at once: each hold ends once (compare-and-set).
    /// Returns how many holds it ended.
    #[tracing::instrument(skip_all)]
    pub async fn pass_on_expired_offers(&self) -> LifecycleResult<usize> {
        let now = self.clock.now();
        let due = {
            let mut c = self.store.acquire().await?;
            waitlist::expired(&mut c, now, EXPIRED_PER_STEP).await?
        };
        let mut ended = 0;
        for o in due {
            let mut tx = self.store.begin().await?;
            if waitlist::answer(tx.conn(), o.id, "expired", now)
                .await?
                .is_none()
            {
                continue;
            }
            let event = audit::NewEvent {
                action: "waitlist.expired",
                subject_user_id: Some(o.patient_id),
                target: Some(format!("offer {} slot {}", o.id, o.slot_id)),
                ..Default::default()
            };
            audit::append(tx.conn(), &event, now).await?;
            self.offer_slot(&mut tx, o.slot_id, now).await?;
            self.commit(tx).await?;
            ended += 1;
        }
        if ended > 0 {
            tracing::info!(ended, "waitlist holds expired and passed on");
        }
        Ok(ended)
    }

    /// The actor's own offer (patients only), or not found.
    async fn own_offer(&self, tx: &mut Tx, actor: &User, id: i64) -> LifecycleResult<Offer> {
        waitlist::get_offer(tx.conn(), id)
            .await?
            .filter(|o| o.patient_id == actor.id && actor.role == Role::Patient)
            .ok_or(LifecycleError::NotFound("offer"))
    }

    /// Refuses to give a held slot to anyone but the patient it is held for. That patient
    /// booking it directly counts as taking the offer. Called when [`slots::lock`] found
    /// an open offer of the slot.
    pub(super) async fn respect_hold(
        &self,
        tx: &mut Tx,
        actor: &User,
        slot_id: i64,
        now: Timestamp,
    ) -> LifecycleResult<()> {
        let Some(held) = waitlist::open_offer_of_slot(tx.conn(), slot_id).await? else {
            return Ok(());
        };
        if held.expires_at <= now {
            // The hold ran out: the slot is anyone's; the waitlist step closes the offer.
            return Ok(());
        }
        if held.patient_id != actor.id {
            return Err(LifecycleError::SlotHeld(held.expires_at));
        }
        if waitlist::answer(tx.conn(), held.id, "accepted", now)
            .await?
            .is_some()
        {
            waitlist::close_entry(tx.conn(), held.entry_id, "booked", now).await?;
        }
        Ok(())
    }

    /// A change freed `slot_id` (a cancel, a decline, a move): offers it to the waitlist.
    pub(super) async fn slot_freed(
        &self,
        tx: &mut Tx,
        slot_id: Option<i64>,
        now: Timestamp,
    ) -> LifecycleResult<()> {
        if let Some(id) = slot_id {
            self.offer_slot(tx, id, now).await?;
        }
        Ok(())
    }

    /// An appointment was cancelled: its "earlier" entries wait for nothing any more, and
    /// offers held from them go to the next person.
    pub(super) async fn appointment_ended(
        &self,
        tx: &mut Tx,
        appointment_id: i64,
        now: Timestamp,
    ) -> LifecycleResult<()> {
        let entries = waitlist::close_for_appointment(tx.conn(), appointment_id, now).await?;
        self.withdraw_offers_of(tx, &entries, now).await
    }

    async fn withdraw_offers_of(
        &self,
        tx: &mut Tx,
        entries: &[i64],
        now: Timestamp,
    ) -> LifecycleResult<()> {
        for entry in entries {
            for o in waitlist::open_offers_of_entry(tx.conn(), *entry).await? {
                if waitlist::answer(tx.conn(), o.id, "declined", now)
                    .await?
                    .is_some()
                {
                    self.offer_slot(tx, o.slot_id, now).await?;
                }
            }
        }
        Ok(())
    }

    /// Offers a free slot to the first matching patient waiting, inside the caller's
    /// transaction: the hold, the patient's message and the audit entry commit with the
    /// change that freed it. Returns the offer, if one was made.
    pub(super) async fn offer_slot(
        &self,
        tx: &mut Tx,
        slot_id: i64,
        now: Timestamp,
    ) -> LifecycleResult<Option<Offer>> {
        let backend = tx.backend();
        let Some(slots::Locked {
            slot,
            free,
            offered,
            practitioner,
        }) = slots::lock(tx.conn(), backend, slot_id).await?
        else {
            return Ok(None);
        };
        if !free || offered {
            return Ok(None);
        }
        let hold = self.waitlist.hold;
        let expires_at = now.plus(hold);
        if slot.starts_at < expires_at.plus(self.waitlist.min_notice) {
            return Ok(None);
        }
        let entries = waitlist::waiting_for(tx.conn(), slot.practitioner_id).await?;
        if entries.is_empty() {
            return Ok(None);
        }
        let offered = waitlist::offered_patients(tx.conn(), slot.id).await?;
        let holding = waitlist::patients_holding(tx.conn()).await?;
        for e in entries {
            if offered.contains(&e.patient_id) || holding.contains(&e.patient_id) {
                continue;
            }
            let Some(patient) = users::get(tx.conn(), e.patient_id).await? else {
                continue;
            };
            if patient.deactivated_at.is_some() || !in_window(&e, &slot, &patient) {
                continue;
            }
            let moves_from = match e.appointment_id {
                Some(a) => match appointments::get(tx.conn(), a).await? {
                    Some(a) if a.status.is_active() && a.starts_at > slot.starts_at => {
                        Some(a.starts_at)
                    }
                    _ => continue,
                },
                None => None,
            };
            let quiet = crate::store::preferences::own_quiet_hours(tx.conn(), patient.id)
                .await?
                .unwrap_or(self.choice_rules.quiet_hours);
            if quiet
                .ends_after(now, patient.time_zone)
                .is_some_and(|end| end >= expires_at)
            {
                continue;
            }
            let Some(offer) =
                waitlist::insert_offer(tx.conn(), slot.id, &e, expires_at, now).await?
            else {
                continue;
            };
            let event = Event::Offered {
                offer: &offer,
                slot: &slot,
                patient: &patient,
                practitioner: &practitioner,
                moves_from,
            };
            let audit = audit::NewEvent {
                action: "waitlist.offered",
                subject_user_id: Some(patient.id),
                appointment_id: e.appointment_id,
                target: Some(format!("offer {} slot {}", offer.id, slot.id)),
                ..Default::default()
            };
            record(tx, &event, &self.matrix, audit, now).await?;
            tracing::info!(
                offer_id = offer.id,
                slot_id = slot.id,
                "slot offered to the waitlist"
            );
            return Ok(Some(offer));
        }
        Ok(None)
    }

    /// The patient says they are coming to a confirmed, upcoming appointment. Saying it
    /// twice is fine; `false` then.
    #[tracing::instrument(skip_all, fields(appointment_id = id))]
    pub async fn confirm_attendance(&self, actor: &User, id: i64) -> LifecycleResult<bool> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let a = appointments::get(tx.conn(), id)
            .await?
            .filter(|a| a.patient_id == actor.id || actor.role == Role::Admin)
            .ok_or(LifecycleError::NotFound("appointment"))?;
        if a.status != AppointmentStatus::Confirmed || a.starts_at <= now {
            return Err(LifecycleError::Invalid(
                "only an upcoming confirmed appointment can be confirmed".into(),
            ));
        }
        let recorded = appointments::confirm_attendance(tx.conn(), id, now).await?;
        if recorded {
            if let Some(offset) = self.confirmation_followup {
                crate::store::reminders::void_offset(tx.conn(), id, offset, now).await?;
            }
            audited(
                &mut tx,
                actor,
                "appointment.attendance_confirmed",
                Some(id),
                None,
                now,
            )
            .await?;
        }
        self.commit(tx).await?;
        Ok(recorded)
    }
}

/// Whether the slot starts inside the entry's window and, if it has times of day, between
/// them on the patient's clock.
fn in_window(e: &Entry, slot: &slots::Slot, patient: &User) -> bool {
    if e.window_from.is_some_and(|f| slot.starts_at < f)
        || e.window_until.is_some_and(|u| slot.starts_at >= u)
    {
        return false;
    }
    match (e.day_start, e.day_end) {
        (Some(start), Some(end)) => {
            let minute = patient.time_zone.minute_of_day(slot.starts_at);
            i64::from(minute) >= start && i64::from(minute) < end
        }
        _ => true,
    }
}
