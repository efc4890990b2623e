//! The dispatcher: claims due delivery jobs with a lease, renders them, sends them through
//! the channel adapters, records every attempt, retries transient failures on the
//! configured schedule and dead-letters permanent ones. In-app notifications are marked
//! delivered and announced to the live-push hook.
//!
//! A step ([`Dispatcher::dispatch_once`]) plus a thin loop ([`Dispatcher::run`]) that
//! sleeps only when idle. No transaction is open during a send: the claim commits first,
//! the outcome is written after.

mod channels;
mod compose;
pub mod email;
pub mod live;
mod outcomes;
mod smtp_pool;
pub(crate) use outcomes::delivery_event;
pub mod policy;
pub mod push;
pub mod sms;
pub mod webhook;
pub mod whatsapp;

use crate::clock::SharedClock;
use crate::config::Settings;
use crate::domain::{Channel, NotificationKind, Timestamp};
use crate::lifecycle::WakeSignal;
use crate::notify::choices as gate;
use crate::store::deliveries::{self, AttemptRecord, ClaimedJob, Outcome};
use crate::store::notifications;
use crate::store::reminders;
use crate::store::Store;
use crate::templates::Templates;
use anyhow::Context;
use email::Mailer;
use lettre::message::Mailbox;
use live::{LiveEvent, LiveHub};
use policy::{Failure, RetryPolicy};
use secrecy::{ExposeSecret, SecretString};
use sms::SmsGateway;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Added to a channel's own time-out to make the hard deadline of one send.
const SEND_MARGIN: Duration = Duration::from_secs(5);

/// What one step did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    pub claimed: usize,
    pub sent: usize,
    pub retrying: usize,
    pub dead: usize,
    pub dropped: usize,
    /// Held back or made to wait by the recipient's choices (suppressed or deferred).
    pub held: usize,
    /// Results not recorded on the job because another worker had taken it over.
    pub overtaken: usize,
    pub in_app: usize,
    /// Notice recipients written (a batch of a notice's fan-out).
    pub planned: usize,
    /// Waitlist holds that ran out and were passed on.
    pub holds_ended: usize,
}

impl Tick {
    pub fn is_idle(&self) -> bool {
        self.claimed == 0 && self.in_app == 0 && self.planned == 0 && self.holds_ended == 0
    }

    /// Adds another step's counts to these.
    pub fn add(&mut self, other: Tick) {
        self.claimed += other.claimed;
        self.sent += other.sent;
        self.retrying += other.retrying;
        self.dead += other.dead;
        self.dropped += other.dropped;
        self.held += other.held;
        self.overtaken += other.overtaken;
        self.in_app += other.in_app;
        self.planned += other.planned;
        self.holds_ended += other.holds_ended;
    }
}

/// Everything the dispatcher needs.
#[derive(Clone)]
pub struct Dispatcher {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    clock: SharedClock,
    templates: Arc<Templates>,
    mailer: Mailer,
    sms: SmsGateway,
    push: push::PushSender,
    whatsapp: whatsapp::WhatsApp,
    webhooks: webhook::WebhookSender,
    live: LiveHub,
    policy: RetryPolicy,
    from: Mailbox,
    domain: String,
    /// This installation's random id (Message-IDs, calendar UIDs, idempotency keys).
    installation: String,
    batch_size: i64,
    lease: Duration,
    poll_interval: Duration,
    wake: WakeSignal,
    /// Sends in flight at most, per channel (`email.smtp.pool_size`, `sms.max_in_flight`).
    email_slots: tokio::sync::Semaphore,
    sms_slots: tokio::sync::Semaphore,
    push_slots: tokio::sync::Semaphore,
    whatsapp_slots: tokio::sync::Semaphore,
    webhook_slots: tokio::sync::Semaphore,
    /// How long one send may take at most, per channel, before it counts as a transient
    /// failure (the client's own time-out plus a margin).
    email_deadline: Duration,
    sms_deadline: Duration,
    push_deadline: Duration,
    whatsapp_deadline: Duration,
    webhook_deadline: Duration,
    /// An endpoint failing this long is turned off (`webhooks.disable_after`).
    webhook_disable_after: Duration,
    /// `reminders.email`.
    reminder_email: crate::config::ReminderEmail,
    /// The clinic's side of recipients' choices.
    rules: gate::Rules,
    /// `email.unsubscribe_mailto`.
    unsubscribe_mailto: Option<String>,
    metrics: crate::telemetry::Metrics,
    /// When the loop last finished a step (milliseconds of the system clock), for
    /// readiness: a dispatcher that stops stepping is stuck.
    heartbeat: std::sync::atomic::AtomicI64,
    /// Recipients written per batch of a notice's fan-out (`notices.batch_size`).
    notice_batch: i64,
    /// Wakes the notice planner when a notice is sent in this process.
    planner_wake: tokio::sync::Notify,
    /// Passes waitlist holds that ran out on to the next patient, each step.
    waitlist: crate::lifecycle::Lifecycle,
}

impl Dispatcher {
    /// Works on `waitlist`'s store and clock, woken by its commits.
    pub fn new(
        settings: &Settings,
        waitlist: crate::lifecycle::Lifecycle,
        templates: Arc<Templates>,
        live: LiveHub,
        identity: Identity,
    ) -> anyhow::Result<Self> {
        let store = waitlist.store().clone();
        let clock = waitlist.clock().clone();
        let wake = waitlist.wake_signal();
        let from: Mailbox = settings.email.from.parse().context("email.from")?;
        let domain = from.email.domain().to_owned();
        let mailer = Mailer::from_settings(&settings.email)?;
        let sms = SmsGateway::from_settings(&settings.sms, &settings.server.public_url)?;
        let contact = settings
            .push
            .contact
            .clone()
            .unwrap_or_else(|| format!("mailto:{}", from.email));
        let push = push::PushSender::new(&identity.vapid_key, contact, settings.push.timeout)?;
        let whatsapp = whatsapp::WhatsApp::from_settings(&settings.whatsapp)?;
        let webhooks = webhook::WebhookSender::new(settings.webhooks.timeout)?;
        let installation = identity.id;
        tracing::info!(email = %mailer.describe(), sms = sms.describe(), whatsapp = whatsapp.describe(), "delivery channels");
        let d = &settings.delivery;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                clock,
                templates,
                mailer,
                sms,
                push,
                whatsapp,
                webhooks,
                live,
                policy: RetryPolicy::new(d.retry_schedule.clone(), d.retry_jitter),
                from,
                domain,
                installation,
                batch_size: i64::from(d.batch_size),
                lease: d.lease,
                poll_interval: d.poll_interval,
                wake,
                // The pool's size bounds the sends by construction; one permit each.
                email_slots: tokio::sync::Semaphore::new(settings.email.smtp.pool_size as usize),
                sms_slots: tokio::sync::Semaphore::new(settings.sms.max_in_flight as usize),
                push_slots: tokio::sync::Semaphore::new(settings.push.max_in_flight as usize),
                whatsapp_slots: tokio::sync::Semaphore::new(
                    settings.whatsapp.max_in_flight as usize,
                ),
                webhook_slots: tokio::sync::Semaphore::new(
                    settings.webhooks.max_in_flight as usize,
                ),
                email_deadline: settings.email.smtp.timeout + SEND_MARGIN,
                sms_deadline: settings.sms.timeout + SEND_MARGIN,
                // Every subscription of the recipient is tried within one send.
                push_deadline: settings.push.timeout * 3 + SEND_MARGIN,
                whatsapp_deadline: settings.whatsapp.timeout + SEND_MARGIN,
                webhook_deadline: settings.webhooks.timeout + SEND_MARGIN,
                webhook_disable_after: settings.webhooks.disable_after,
                reminder_email: settings.reminders.email,
                rules: gate::Rules::from_settings(settings),
                unsubscribe_mailto: settings.email.unsubscribe_mailto.clone(),
                metrics: crate::telemetry::Metrics::new(),
                heartbeat: std::sync::atomic::AtomicI64::new(0),
                notice_batch: i64::from(settings.notices.batch_size),
                planner_wake: tokio::sync::Notify::new(),
                waitlist,
            }),
        })
    }

    /// The metrics it records into (the application serves them).
    pub fn metrics(&self) -> &crate::telemetry::Metrics {
        &self.inner.metrics
    }

    /// When the loop last completed a step, as Unix milliseconds (0: never).
    pub fn last_step(&self) -> i64 {
        self.inner
            .heartbeat
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How long the loop may go without a step before it counts as stuck: its poll
    /// interval plus the longest a step can take (a lease, as sends renew it).
    pub fn stuck_after(&self) -> Duration {
        self.inner.poll_interval + self.inner.lease * 2 + Duration::from_secs(5)
    }

    pub fn live(&self) -> &LiveHub {
        &self.inner.live
    }

    /// The public VAPID key browsers subscribe with (`applicationServerKey`).
    pub fn push_public_key(&self) -> String {
        self.inner.push.public_key()
    }

    /// The message templates it renders with (dashboards show in-app texts with them).
    pub fn templates(&self) -> &Arc<Templates> {
        &self.inner.templates
    }

    /// Tells the notice planner that a notice was sent, so it need not wait for its poll.
    pub fn wake_planner(&self) {
        self.inner.planner_wake.notify_one();
    }

    /// Writes the next batch of the oldest notice being sent (see
    /// `store::notices::plan_batch`), in its own transaction, and wakes the loop to deliver
    /// it. Returns how many recipients it wrote.
    #[tracing::instrument(skip_all)]
    pub async fn plan_notices(&self) -> anyhow::Result<usize> {
        let me = &self.inner;
        let mut tx = me.store.begin().await?;
        let planned =
            crate::store::notices::plan_batch(&mut tx, me.clock.now(), me.notice_batch).await?;
        tx.commit().await?;
        let Some(p) = planned else { return Ok(0) };
        if p.finished {
            tracing::info!(notice_id = p.notice_id, "notice written to every recipient");
        }
        if p.recipients > 0 {
            me.metrics.add(
                "carebell_notice_recipients_planned_total",
                &[],
                p.recipients as u64,
            );
            me.wake.wake();
        }
        Ok(p.recipients)
    }

    /// Writes notice batches while there are any, then waits for a sent notice or the poll,
    /// until `shutdown`. It runs beside the delivery loop, so a large notice fans out at
    /// the database's pace, not at the pace of the sends.
    async fn plan_until(self, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            match self.plan_notices().await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(
                    error = format!("{e:#}"),
                    "notice planning failed; retrying shortly"
                ),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.inner.poll_interval) => {}
                _ = self.inner.planner_wake.notified() => {}
                _ = shutdown.cancelled() => {}
            }
        }
    }

    /// Runs until `shutdown`; a step in progress (and its sends) always finishes first.
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!("dispatcher started");
        let planner = tokio::spawn(self.clone().plan_until(shutdown.clone()));
        let beat = || {
            let wall = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or_default();
            self.inner
                .heartbeat
                .store(wall, std::sync::atomic::Ordering::Relaxed);
        };
        beat();
        while !shutdown.is_cancelled() {
            let stepped = self.dispatch_once().await;
            beat();
            let idle = match stepped {
                Ok(tick) => tick.is_idle(),
                Err(e) => {
                    tracing::error!(
                        error = format!("{e:#}"),
                        "dispatcher step failed; retrying shortly"
                    );
                    true
                }
            };
            if idle {
                // Woken at once by a commit in this process; other instances' work and
                // retries that come due are found by the poll.
                tokio::select! {
                    _ = tokio::time::sleep(self.inner.poll_interval) => {}
                    _ = self.inner.wake.woken() => {}
                    _ = shutdown.cancelled() => {}
                }
            }
        }
        if let Err(e) = planner.await {
            tracing::error!(error = %e, "the notice planner ended abnormally");
        }
        tracing::info!("dispatcher stopped");
    }

    /// One step: delivers pending in-app notifications, then claims one batch of due jobs
    /// and sends them, at most as many at once per channel as that channel allows. Each
    /// job's outcome is recorded as soon as its own send completes, so a crash repeats only
    /// the sends that were in flight. Tests call it until it reports nothing done.
    #[tracing::instrument(skip_all)]
    pub async fn dispatch_once(&self) -> anyhow::Result<Tick> {
        let me = &self.inner;
        let planned = self.plan_notices().await?;
        // Before delivering, so the next patient's offer goes out in this same step.
        let holds_ended = me
            .waitlist
            .pass_on_expired_offers()
            .await
            .map_err(|e| anyhow::anyhow!("waitlist: {e}"))?;
        let mut tick = Tick {
            in_app: self.deliver_in_app().await?,
            planned,
            holds_ended,
            ..Tick::default()
        };
        let now = me.clock.now();
        let jobs = {
            let mut c = me.store.acquire_to_write().await?;
            deliveries::claim(&mut c, me.store.backend(), now, me.lease, me.batch_size).await?
        };
        tick.claimed = jobs.len();
        if jobs.is_empty() {
            return Ok(tick);
        }
        // Outcomes are written by one writer as they come in: each group holds whatever
        // sends completed while the previous group was being written (group commit), so a
        // finished send waits at most one small transaction to be recorded.
        let (outcomes, mut incoming) = tokio::sync::mpsc::unbounded_channel::<Finished>();
        let sends = futures_util::future::join_all(
            jobs.iter()
                .enumerate()
                .map(|(i, job)| self.run_job(i, job, outcomes.clone())),
        );
        drop(outcomes);
        let writer = async {
            while let Some(first) = incoming.recv().await {
                let mut group = vec![first];
                while let Ok(more) = incoming.try_recv() {
                    group.push(more);
                }
                let moved = self.record_group(&jobs, &group).await;
                for (finished, moved) in group.into_iter().zip(moved) {
                    let _ = finished.moved.send(moved);
                }
            }
        };
        let (done, ()) = tokio::join!(sends, writer);
        for (moved, outcome) in done {
            match (moved, outcome) {
                (false, _) => tick.overtaken += 1,
                (true, Outcome::Sent) => tick.sent += 1,
                (true, Outcome::Transient { retry_at: Some(_) }) => tick.retrying += 1,
                (true, Outcome::Transient { retry_at: None } | Outcome::Permanent) => {
                    tick.dead += 1
                }
                (true, Outcome::Dropped) => tick.dropped += 1,
                (true, Outcome::Suppressed | Outcome::Deferred { .. }) => tick.held += 1,
            }
        }
        tracing::info!(
            claimed = tick.claimed,
            sent = tick.sent,
            retrying = tick.retrying,
            dead = tick.dead,
            dropped = tick.dropped,
            held = tick.held,
            overtaken = tick.overtaken,
            "delivery batch"
        );
        Ok(tick)
    }

    /// Waits for a free connection of the job's channel, sends, and records the outcome,
    /// extending the job's lease for as long as that takes. Returns whether the job moved
    /// (`false`: another worker had taken it over) and how the attempt ended.
    async fn run_job(
        &self,
        index: usize,
        job: &ClaimedJob,
        writer: tokio::sync::mpsc::UnboundedSender<Finished>,
    ) -> (bool, Outcome) {
        let me = &self.inner;
        let work = async {
            let _permit = match job.channel {
                Channel::Email => me.email_slots.acquire().await.ok(),
                Channel::Sms => me.sms_slots.acquire().await.ok(),
                Channel::Push => me.push_slots.acquire().await.ok(),
                Channel::WhatsApp => me.whatsapp_slots.acquire().await.ok(),
                Channel::Webhook => me.webhook_slots.acquire().await.ok(),
                Channel::InApp => None,
            };
            self.attempt(job).await
        };
        let (started_at, elapsed, result) = self.keep_leased(job, work).await;
        let outcome = match &result {
            Ok(_) => Outcome::Sent,
            Err(JobError::Dropped(_)) => Outcome::Dropped,
            Err(JobError::Suppressed(_)) => Outcome::Suppressed,
            Err(JobError::Deferred(until, _)) => Outcome::Deferred { until: *until },
            Err(JobError::Failed(Failure::Permanent { .. })) => Outcome::Permanent,
            Err(JobError::Failed(Failure::Transient { .. })) => Outcome::Transient {
                retry_at: me.policy.next_retry(job.attempt, me.clock.now()),
            },
        };
        let (code, reply) = match &result {
            Ok(r) => (Some(r.code.as_str()), Some(r.reply.as_str())),
            Err(JobError::Failed(f)) => (f.code(), Some(f.reply())),
            Err(
                JobError::Dropped(why) | JobError::Suppressed(why) | JobError::Deferred(_, why),
            ) => (None, Some(why.as_str())),
        };
        let channel = job.channel.as_str().to_owned();
        me.metrics.count(
            "carebell_delivery_attempts_total",
            &[
                ("channel", channel.clone()),
                ("outcome", outcome.name().to_owned()),
            ],
        );
        if matches!(
            outcome,
            Outcome::Sent | Outcome::Transient { .. } | Outcome::Permanent
        ) {
            me.metrics.observe(
                "carebell_delivery_send_seconds",
                &[("channel", channel)],
                elapsed.as_secs_f64(),
            );
        }
        let (tx, written) = tokio::sync::oneshot::channel();
        let finished = Finished {
            index,
            started_at,
            duration_ms: i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX),
            outcome,
            code: code.map(str::to_owned),
            reply: reply.map(str::to_owned),
            provider_message_id: result
                .as_ref()
                .ok()
                .and_then(|r| r.provider_message_id.clone()),
            moved: tx,
        };
        let moved = match writer.send(finished) {
            Ok(()) => written.await.unwrap_or(false),
            Err(_) => false,
        };
        tracing::debug!(
            job_id = job.id,
            channel = job.channel.as_str(),
            attempt = job.attempt,
            outcome = ?outcome,
            recorded = moved,
            "delivery attempt"
        );
        (moved, outcome)
    }

    /// Runs `work` while renewing the job's lease every third of the lease, so a send that
    /// waits for a connection or takes long is never taken over by another worker.
    async fn keep_leased<T>(
        &self,
        job: &ClaimedJob,
        work: impl std::future::Future<Output = T>,
    ) -> T {
        let me = &self.inner;
        let every = me.lease / 3;
        let mut renew = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(work);
        loop {
            tokio::select! {
                out = &mut work => return out,
                _ = renew.tick() => {
                    let extended = async {
                        let mut c = me.store.acquire_to_write().await?;
                        deliveries::extend_lease(&mut c, job, me.clock.now(), me.lease).await
                    }
                    .await;
                    if let Err(e) = extended {
                        tracing::warn!(job_id = job.id, error = %e, "could not extend a delivery lease");
                    }
                }
            }
        }
    }

    /// Writes a group of attempts in one transaction and moves their jobs on, trying again
    /// for a while when the database is briefly unavailable: an outcome not written means
    /// the send is repeated later. Returns, for each, whether its job moved.
    async fn record_group(&self, jobs: &[ClaimedJob], group: &[Finished]) -> Vec<bool> {
        let me = &self.inner;
        let mut wait = Duration::from_millis(50);
        for attempt in 1..=8 {
            let written = async {
                let mut tx = me.store.begin().await?;
                let now = me.clock.now();
                let mut moved = Vec::with_capacity(group.len());
                for f in group {
                    let record = AttemptRecord {
                        started_at: f.started_at,
                        duration_ms: f.duration_ms,
                        outcome: f.outcome,
                        code: f.code.as_deref(),
                        reply: f.reply.as_deref(),
                        provider_message_id: f.provider_message_id.as_deref(),
                    };
                    let job = &jobs[f.index];
                    let recorded = deliveries::record(tx.conn(), job, &record, now).await?;
                    if recorded {
                        self.after_outcome(&mut tx, job, &record, now).await?;
                    }
                    moved.push(recorded);
                }
                tx.commit().await?;
                Ok::<Vec<bool>, crate::store::StoreError>(moved)
            }
            .await;
            match written {
                Ok(moved) => return moved,
                Err(e) if attempt < 8 => {
                    tracing::warn!(jobs = group.len(), error = %e, "recording delivery attempts failed; trying again");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(2));
                }
                Err(e) => {
                    tracing::error!(jobs = group.len(), error = %e, "could not record delivery attempts; those jobs will be sent again when their leases end");
                }
            }
        }
        vec![false; group.len()]
    }

    /// Delivers due in-app notifications (voiding reminders that no longer apply), up to 16
    /// batches, and announces them; the first part of every step. Returns how many.
    pub async fn deliver_in_app(&self) -> anyhow::Result<usize> {
        let me = &self.inner;
        let now = me.clock.now();
        {
            // Most ticks find nothing: look before taking the write lock.
            let mut c = me.store.acquire().await?;
            if !notifications::any_due_in_app(&mut c, now).await? {
                return Ok(0);
            }
        }
        let mut tx = me.store.begin().await?;
        let delivered = notifications::deliver_due_in_app(&mut tx, now, me.batch_size * 16).await?;
        tx.commit().await?;
        for due in &delivered {
            me.live.publish(LiveEvent::Delivered {
                recipient_id: due.recipient_id,
                notification_id: due.id,
            });
        }
        Ok(delivered.len())
    }

    /// Renders and sends one job, within the channel's deadline. Returns when it started,
    /// how long it took and how it went.
    async fn attempt(&self, job: &ClaimedJob) -> (Timestamp, Duration, Result<Receipt, JobError>) {
        let started_at = self.inner.clock.now();
        let clock = Instant::now();
        let me = &self.inner;
        let deadline = match job.channel {
            Channel::Sms => me.sms_deadline,
            Channel::Push => me.push_deadline,
            Channel::WhatsApp => me.whatsapp_deadline,
            Channel::Webhook => me.webhook_deadline,
            Channel::Email | Channel::InApp => me.email_deadline,
        };
        let result = match tokio::time::timeout(deadline, self.send(job)).await {
            Ok(r) => r,
            Err(_) => Err(JobError::Failed(Failure::transient(
                None,
                format!("no answer within {}", humantime::format_duration(deadline)),
            ))),
        };
        (started_at, clock.elapsed(), result)
    }

    async fn send(&self, job: &ClaimedJob) -> Result<Receipt, JobError> {
        if job.channel == Channel::Webhook {
            return self.send_webhook(job).await;
        }
        let me = &self.inner;
        let db = |e: crate::store::StoreError| JobError::transient(format!("database: {e}"));
        let notification_id = job
            .notification_id
            .ok_or_else(|| JobError::Dropped("a job without its notification".into()))?;
        let mut c = me.store.acquire().await.map_err(db)?;
        let found = notifications::with_recipient(&mut c, notification_id)
            .await
            .map_err(db)?;
        let (n, to) =
            found.ok_or_else(|| JobError::Dropped("the notification no longer exists".into()))?;
        if n.kind == NotificationKind::AppointmentReminder && job.handed_at.is_none() {
            // The claim found that it no longer applies (a cancel, decline or move committed
            // first, or its visit started): say why.
            let why = reminders::still_applies(&mut c, n.id, me.clock.now())
                .await
                .map_err(db)?
                .err()
                .unwrap_or_else(|| "the reminder no longer applied when it was claimed".into());
            return Err(JobError::Dropped(why));
        }
        match self.choices_allow(&mut c, job, &n, &to).await.map_err(db)? {
            gate::Verdict::Send => {}
            gate::Verdict::Suppress(why) => return Err(JobError::Suppressed(why)),
            gate::Verdict::Defer { until, reason } => {
                return Err(JobError::Deferred(until, reason))
            }
        }
        if let crate::domain::payload::Payload::Account(a) = &n.data {
            if a.expires_at <= me.clock.now() {
                return Err(JobError::Dropped(
                    "the reset link expired before it could be sent".into(),
                ));
            }
        }
        if let crate::domain::payload::Payload::Appointment(a) = &n.data {
            if a.attendance_check
                && crate::store::appointments::get(&mut c, a.appointment_id)
                    .await
                    .map_err(db)?
                    .is_some_and(|x| x.attendance_confirmed_at.is_some())
            {
                return Err(JobError::Dropped(
                    "the patient confirmed they are coming".into(),
                ));
            }
        }
        if let crate::domain::payload::Payload::Offer(o) = &n.data {
            let open = crate::store::waitlist::get_offer(&mut c, o.offer_id)
                .await
                .map_err(db)?
                .is_some_and(|offer| offer.state == "open" && offer.expires_at > me.clock.now());
            if !open {
                return Err(JobError::Dropped(
                    "the offer was answered or its hold ended before it could be sent".into(),
                ));
            }
        }
        drop(c);
        let template_failed = |e: anyhow::Error| {
            JobError::Failed(Failure::permanent(None, format!("template: {e:#}")))
        };
        if n.kind == NotificationKind::AppointmentReminder {
            // Planned early for quiet hours counts as on time.
            let late = me.clock.now().millis() - n.visible_at.millis();
            me.metrics.observe(
                "carebell_reminder_lag_seconds",
                &[("channel", job.channel.as_str().to_owned())],
                late.max(0) as f64 / 1000.0,
            );
        }
        match job.channel {
            Channel::Email => {
                let rendered = me
                    .templates
                    .render(&n, &to, me.clock.now())
                    .map_err(template_failed)?;
                let message = self.email_for(&n, &to, rendered)?;
                let stem = format!("n{}-email", n.id);
                me.mailer
                    .send(message, &stem)
                    .await
                    .map(|a| Receipt {
                        code: a.code,
                        reply: a.reply,
                        provider_message_id: None,
                    })
                    .map_err(JobError::Failed)
            }
            Channel::Sms => {
                let phone = to.phone.as_ref().ok_or_else(|| {
                    JobError::Dropped("the recipient has no phone number any more".into())
                })?;
                let text = me
                    .templates
                    .sms(&n, &to, me.clock.now())
                    .map_err(template_failed)?
                    .ok_or_else(|| {
                        JobError::Failed(Failure::permanent(None, "no SMS text for this kind"))
                    })?;
                let key = job.idempotency_key(&me.installation);
                me.sms
                    .send(&format!("n{}-sms", n.id), &key, phone.as_str(), &text)
                    .await
                    .map(|a| Receipt {
                        code: a.code,
                        reply: a.reply,
                        provider_message_id: a.message_id,
                    })
                    .map_err(JobError::Failed)
            }
            Channel::Push => self.send_push(job, &n, &to).await,
            Channel::WhatsApp => self.send_whatsapp(&n, &to).await,
            Channel::InApp | Channel::Webhook => {
                Err(JobError::Dropped("this channel needs no job".into()))
            }
        }
    }
}

impl Dispatcher {
    /// What the recipient's choices say about this job now.
    async fn choices_allow(
        &self,
        c: &mut crate::store::Conn,
        job: &ClaimedJob,
        n: &crate::store::notifications::Notification,
        to: &crate::store::users::User,
    ) -> Result<gate::Verdict, crate::store::StoreError> {
        use crate::store::preferences;
        let rules = &self.inner.rules;
        let category = crate::domain::Category::of(n.kind);
        let chosen = preferences::chosen_by(c, to.id).await?;
        let stored = &chosen.choices;
        let sms_opted_out = to.phone.is_some() && chosen.sms_opted_out;
        let quiet_hours = chosen.own_quiet_hours.unwrap_or(rules.quiet_hours);
        let visit_starts_at = match &n.data {
            crate::domain::payload::Payload::Appointment(a) => Some(a.starts_at),
            _ => None,
        };
        let facts = gate::Facts {
            category,
            channel: job.channel,
            now: self.inner.clock.now(),
            zone: to.time_zone,
            email_on: rules.enabled(stored, category, Channel::Email),
            sms_on: rules.enabled(stored, category, Channel::Sms),
            push_on: rules.enabled(stored, category, Channel::Push),
            whatsapp_on: rules.enabled(stored, category, Channel::WhatsApp),
            has_phone: to.phone.is_some(),
            whatsapp_agreed: to.whatsapp_opt_in_at.is_some(),
            email_bounce: chosen.email_bounce.clone(),
            deactivated: to.deactivated_at.is_some(),
            sms_opted_out,
            quiet_hours,
            visit_starts_at,
        };
        Ok(gate::decide(rules, &facts))
    }
}

struct Receipt {
    code: String,
    reply: String,
    /// What the provider calls the message, for its delivery receipts.
    provider_message_id: Option<String>,
}

/// Who this installation is: its random id (Message-IDs, calendar UIDs, idempotency keys)
/// and its VAPID key (web push).
pub struct Identity {
    pub id: String,
    pub vapid_key: Vec<u8>,
}

/// A finished send on its way to the writer, which answers whether its job moved.
struct Finished {
    index: usize,
    started_at: Timestamp,
    duration_ms: i64,
    outcome: Outcome,
    code: Option<String>,
    reply: Option<String>,
    provider_message_id: Option<String>,
    moved: tokio::sync::oneshot::Sender<bool>,
}

enum JobError {
    Failed(Failure),
    /// Not sent because it no longer applies.
    Dropped(String),
    /// Held back for good by the recipient's choices.
    Suppressed(String),
    /// Held until quiet hours end.
    Deferred(Timestamp, String),
}

impl JobError {
    fn transient(reply: String) -> Self {
        Self::Failed(Failure::transient(None, reply))
    }
}

/// A secret given directly (environment) or as a file holding it (first line).
pub(crate) fn read_secret(
    value: Option<&SecretString>,
    file: Option<&Path>,
    name: &str,
) -> anyhow::Result<Option<String>> {
    if let Some(v) = value {
        return Ok(Some(v.expose_secret().to_owned()));
    }
    match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the secret file for {name}"))?;
            Ok(Some(
                text.lines().next().unwrap_or_default().trim().to_owned(),
            ))
        }
        None => Ok(None),
    }
}
