//! Practitioners' slots and availability alerts.

use super::appointments::commit;
use super::{audited, optional_text, Lifecycle, LifecycleError, LifecycleResult};
use crate::domain::{Role, SlotWindow, Timestamp};
use crate::notify::Event;
use crate::store::slots::{self, Slot};
use crate::store::users::User;
use crate::store::{follows, users, StoreError};

/// Most slots one request may add.
pub const MAX_SLOTS_PER_REQUEST: usize = 200;
/// Most free slots an availability alert lists.
const SLOTS_IN_ALERT: i64 = 20;

/// A slot to add, as the client sent it.
pub struct NewSlot {
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
}

impl Lifecycle {
    /// Adds slots for the practitioner in one transaction (all or none). With `notify`,
    /// the patients who follow them, or wait on a request with them, get one alert for
    /// the batch.
    #[tracing::instrument(skip_all, fields(practitioner_id = actor.id, count = new.len()))]
    pub async fn add_slots(
        &self,
        actor: &User,
        new: &[NewSlot],
        notify: bool,
    ) -> LifecycleResult<Vec<Slot>> {
        if actor.role != Role::Practitioner {
            return Err(LifecycleError::Forbidden("only practitioners have slots"));
        }
        if new.is_empty() || new.len() > MAX_SLOTS_PER_REQUEST {
            return Err(LifecycleError::Invalid(format!(
                "give between 1 and {MAX_SLOTS_PER_REQUEST} slots"
            )));
        }
        let now = self.clock.now();
        let mut windows = Vec::with_capacity(new.len());
        for (i, s) in new.iter().enumerate() {
            let w = SlotWindow::new(s.starts_at, s.ends_at, now)
                .map_err(|e| LifecycleError::Invalid(format!("slot {i}: {e}")))?;
            if windows.iter().any(|other: &SlotWindow| other.overlaps(&w)) {
                return Err(LifecycleError::SlotOverlap);
            }
            windows.push(w);
        }
        let mut tx = self.store.begin().await?;
        let backend = tx.backend();
        // Serialises slot creation per practitioner on PostgreSQL, so two requests cannot
        // both pass the overlap check.
        users::lock(tx.conn(), backend, actor.id).await?;
        let mut created = Vec::with_capacity(windows.len());
        for w in windows {
            if slots::overlaps_existing(tx.conn(), actor.id, w).await? {
                return Err(LifecycleError::SlotOverlap);
            }
            created.push(slots::insert(tx.conn(), actor.id, w, now).await?);
        }
        if notify {
            let audience = follows::availability_audience(tx.conn(), actor.id).await?;
            let event = Event::Availability {
                practitioner: actor,
                audience: &audience,
                free_slots: &created,
                note: None,
            };
            self.record_alerts(&mut tx, &event, now).await?;
        }
        let target = Some(format!("{} slots", created.len()));
        audited(&mut tx, actor, "slots.added", None, target, now).await?;
        for slot in &created {
            self.offer_slot(&mut tx, slot.id, now).await?;
        }
        self.commit(tx).await?;
        Ok(created)
    }

    /// Deletes one of the practitioner's slots that no active appointment holds.
    #[tracing::instrument(skip_all, fields(slot_id = id))]
    pub async fn delete_slot(&self, actor: &User, id: i64) -> LifecycleResult<()> {
        if actor.role != Role::Practitioner {
            return Err(LifecycleError::Forbidden("only practitioners have slots"));
        }
        let mut tx = self.store.begin().await?;
        let backend = tx.backend();
        let slots::Locked { free, .. } = slots::lock(tx.conn(), backend, id)
            .await?
            .filter(|l| l.slot.practitioner_id == actor.id)
            .ok_or(LifecycleError::NotFound("slot"))?;
        if !free {
            return Err(LifecycleError::SlotInUse);
        }
        slots::delete(tx.conn(), id).await.map_err(|e| match e {
            StoreError::MissingReference => LifecycleError::SlotInUse,
            other => other.into(),
        })?;
        let now = self.clock.now();
        audited(
            &mut tx,
            actor,
            "slot.deleted",
            None,
            Some(format!("slot {id}")),
            now,
        )
        .await?;
        commit(tx).await
    }

    /// "Notify availability": tells the practitioner's audience about their free slots.
    /// Returns how many patients were notified.
    #[tracing::instrument(skip_all, fields(practitioner_id = actor.id))]
    pub async fn notify_availability(
        &self,
        actor: &User,
        note: Option<&str>,
    ) -> LifecycleResult<usize> {
        if actor.role != Role::Practitioner {
            return Err(LifecycleError::Forbidden(
                "only practitioners can announce availability",
            ));
        }
        let note = optional_text(note)?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let free = slots::list_free(tx.conn(), actor.id, now, SLOTS_IN_ALERT).await?;
        if free.is_empty() {
            return Err(LifecycleError::Invalid(
                "you have no free slots ahead to announce; add slots first".into(),
            ));
        }
        let audience = follows::availability_audience(tx.conn(), actor.id).await?;
        let event = Event::Availability {
            practitioner: actor,
            audience: &audience,
            free_slots: &free,
            note: note.as_deref(),
        };
        let n = self.record_alerts(&mut tx, &event, now).await?;
        audited(
            &mut tx,
            actor,
            "availability.announced",
            None,
            Some(format!("{n} patients")),
            now,
        )
        .await?;
        self.commit(tx).await?;
        Ok(n)
    }

    /// Writes availability alerts, at most one per follower and practitioner within
    /// `availability.throttle`: an alert inside the window becomes the digest shown and
    /// sent when the window ends, replacing any digest already waiting (so it lists the
    /// latest free slots). Returns how many patients will hear of it.
    async fn record_alerts(
        &self,
        tx: &mut crate::store::Tx,
        event: &Event<'_>,
        now: Timestamp,
    ) -> LifecycleResult<usize> {
        let planned = crate::notify::plan(event, &self.matrix);
        for mut n in planned.iter().cloned() {
            let link = n.link.clone().unwrap_or_default();
            if !self.availability_throttle.is_zero() {
                let last =
                    crate::store::notifications::last_alert(tx.conn(), n.recipient_id, &link, now)
                        .await?;
                if let Some(window_ends) = last
                    .map(|at| at.plus(self.availability_throttle))
                    .filter(|end| *end > now)
                {
                    crate::store::notifications::void_waiting_alert(
                        tx.conn(),
                        n.recipient_id,
                        &link,
                        now,
                    )
                    .await?;
                    n.visible_from = Some(window_ends);
                }
            }
            crate::store::notifications::insert(tx.conn(), &n, now).await?;
        }
        Ok(planned.len())
    }
}
