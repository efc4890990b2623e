//! The waitlist against a model: random joins, cancellations, bookings, accepts, declines
//! and clock moves. After every step the service must agree with the model (which predicts
//! who gets each offer: the first waiting entry, joined first, not yet offered that slot,
//! whose patient holds no other offer), and must never hold a slot for two patients, nor
//! hold a slot someone has booked, nor book a slot twice.

use crate::helpers::*;
use carebell::domain::{Role, Timestamp};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::StatusCode;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;

const PATIENTS: usize = 6;
const HOLD_MS: i64 = 15 * 60 * 1000;

#[derive(Debug, Clone)]
enum Op {
    Join(usize),
    Cancel(usize),
    Book(usize, usize),
    Accept(usize),
    Decline(usize),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..PATIENTS).prop_map(Op::Join),
        2 => (0..8usize).prop_map(Op::Cancel),
        1 => (0..PATIENTS, 0..3usize).prop_map(|(p, s)| Op::Book(p, s)),
        2 => (0..PATIENTS).prop_map(Op::Accept),
        1 => (0..PATIENTS).prop_map(Op::Decline),
        2 => (1..=16u64).prop_map(Op::Advance),
    ]
}

#[derive(Debug, Clone)]
struct Offer {
    slot: i64,
    entry: i64,
    patient: i64,
    expires_at: i64,
    open: bool,
}

#[derive(Default, Debug)]
struct Model {
    /// (entry id, patient), joined first; waiting only.
    waiting: Vec<(i64, i64)>,
    /// Every offer made, in order.
    offers: Vec<Offer>,
    /// Slot → patient of its active appointment.
    booked: BTreeMap<i64, i64>,
    slots: Vec<i64>,
}

impl Model {
    fn open_of(&self, patient: i64) -> Option<usize> {
        self.offers
            .iter()
            .position(|o| o.open && o.patient == patient)
    }

    fn held(&self, slot: i64) -> Option<&Offer> {
        self.offers.iter().find(|o| o.open && o.slot == slot)
    }

    /// What the service must do when `slot` may be free: offer it to the first eligible.
    fn offer_slot(&mut self, slot: i64, now: i64) {
        if self.booked.contains_key(&slot) || self.held(slot).is_some() {
            return;
        }
        let chosen = self.waiting.iter().copied().find(|(_, patient)| {
            !self
                .offers
                .iter()
                .any(|o| o.patient == *patient && o.slot == slot)
                && self.open_of(*patient).is_none()
        });
        if let Some((entry, patient)) = chosen {
            self.offers.push(Offer {
                slot,
                entry,
                patient,
                expires_at: now + HOLD_MS,
                open: true,
            });
        }
    }

    fn close_entry(&mut self, entry: i64) {
        self.waiting.retain(|(e, _)| *e != entry);
    }
}

struct Case<'a> {
    app: &'a TestApp,
    doctor: TestUser,
    patients: Vec<TestUser>,
    model: Model,
}

fn check(ok: bool, what: String) -> Result<(), TestCaseError> {
    if ok {
        Ok(())
    } else {
        Err(TestCaseError::fail(what))
    }
}

impl Case<'_> {
    async fn open_offer_id(&self, p: &TestUser) -> Option<i64> {
        let (_, body) = self.app.get(p, "/api/v1/offers").await;
        body["offers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["state"] == "open")
            .and_then(|o| o["id"].as_i64())
    }

    async fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let app = self.app;
        let now = app.clock_now().millis();
        match op {
            Op::Join(i) => {
                let p = &self.patients[*i];
                if self
                    .model
                    .waiting
                    .iter()
                    .filter(|(_, who)| *who == p.id)
                    .count()
                    >= 2
                {
                    return Ok(());
                }
                let (status, entry) = app
                    .post(
                        p,
                        "/api/v1/waitlist",
                        json!({"practitioner_id": self.doctor.id}),
                    )
                    .await;
                check(
                    status == StatusCode::CREATED,
                    format!("join: {status} {entry}"),
                )?;
                self.model
                    .waiting
                    .push((entry["id"].as_i64().unwrap(), p.id));
            }
            Op::Cancel(k) => {
                let Some((&slot, &patient)) = self
                    .model
                    .booked
                    .iter()
                    .nth(k % self.model.booked.len().max(1))
                else {
                    return Ok(());
                };
                let who = self.patients.iter().find(|p| p.id == patient).unwrap();
                let (_, mine) = app.get(who, "/api/v1/appointments?status=requested").await;
                let id = mine["appointments"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|a| a["slot_id"].as_i64() == Some(slot))
                    .and_then(|a| a["id"].as_i64())
                    .unwrap();
                let (status, body) = app
                    .post(who, &format!("/api/v1/appointments/{id}/cancel"), json!({}))
                    .await;
                check(status == StatusCode::OK, format!("cancel: {status} {body}"))?;
                self.model.booked.remove(&slot);
                self.model.offer_slot(slot, now);
            }
            Op::Book(i, s) => {
                let p = &self.patients[*i];
                let slot = self.model.slots[*s];
                let (status, body) = app
                    .post(
                        p,
                        "/api/v1/appointments",
                        json!({"slot_id": slot, "reason": "x"}),
                    )
                    .await;
                let held_by_other = self
                    .model
                    .held(slot)
                    .is_some_and(|o| o.patient != p.id && o.expires_at > now);
                let expected = if self.model.booked.contains_key(&slot) {
                    "slot_taken"
                } else if held_by_other {
                    "slot_held"
                } else {
                    "booked"
                };
                let got = if status == StatusCode::CREATED {
                    "booked"
                } else {
                    body["code"].as_str().unwrap_or("?")
                };
                check(
                    got == expected,
                    format!(
                        "book {slot} by {}: {got}, expected {expected}: {body}",
                        p.id
                    ),
                )?;
                if expected == "booked" {
                    self.model.booked.insert(slot, p.id);
                    if let Some(i) = self.model.offers.iter().position(|o| {
                        o.open && o.slot == slot && o.patient == p.id && o.expires_at > now
                    }) {
                        self.model.offers[i].open = false;
                        let entry = self.model.offers[i].entry;
                        self.model.close_entry(entry);
                    }
                }
            }
            Op::Accept(i) => {
                let p = &self.patients[*i];
                let id = self.open_offer_id(p).await;
                let modelled = self.model.open_of(p.id);
                check(
                    id.is_some() == modelled.is_some(),
                    format!("open offer of {}: {id:?} vs model {modelled:?}", p.id),
                )?;
                let (Some(id), Some(m)) = (id, modelled) else {
                    return Ok(());
                };
                let (status, body) = app
                    .post(p, &format!("/api/v1/offers/{id}/accept"), json!({}))
                    .await;
                let o = self.model.offers[m].clone();
                if o.expires_at > now {
                    check(status == StatusCode::OK, format!("accept: {status} {body}"))?;
                    self.model.offers[m].open = false;
                    self.model.close_entry(o.entry);
                    self.model.booked.insert(o.slot, p.id);
                } else {
                    check(
                        body["code"] == "offer_closed",
                        format!("late accept: {status} {body}"),
                    )?;
                }
            }
            Op::Decline(i) => {
                let p = &self.patients[*i];
                let Some(id) = self.open_offer_id(p).await else {
                    return Ok(());
                };
                let (status, body) = app
                    .post(p, &format!("/api/v1/offers/{id}/decline"), json!({}))
                    .await;
                check(
                    status == StatusCode::OK,
                    format!("decline: {status} {body}"),
                )?;
                let m = self.model.open_of(p.id).unwrap();
                self.model.offers[m].open = false;
                let slot = self.model.offers[m].slot;
                self.model.offer_slot(slot, now);
            }
            Op::Advance(minutes) => {
                app.clock.advance(Duration::from_secs(minutes * 60));
                let now = app.clock_now().millis();
                app.drain().await;
                let mut due: Vec<usize> = (0..self.model.offers.len())
                    .filter(|i| {
                        self.model.offers[*i].open && self.model.offers[*i].expires_at <= now
                    })
                    .collect();
                due.sort_by_key(|i| (self.model.offers[*i].expires_at, *i));
                for i in due {
                    self.model.offers[i].open = false;
                    let slot = self.model.offers[i].slot;
                    self.model.offer_slot(slot, now);
                }
            }
        }
        self.agree().await
    }

    /// The service's holds and bookings are the model's, and are sound on their own.
    async fn agree(&self) -> Result<(), TestCaseError> {
        let app = self.app;
        let now = app.clock_now();
        let (_, offers) = app.get(&self.doctor, "/api/v1/offers?limit=500").await;
        let mut held: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for o in offers["offers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["state"] == "open")
        {
            held.entry(o["slot_id"].as_i64().unwrap())
                .or_default()
                .push(o["patient_id"].as_i64().unwrap());
            let expires = Timestamp::parse_rfc3339(o["expires_at"].as_str().unwrap()).unwrap();
            check(
                expires > now,
                format!("a hold past its time is still open after a step: {o}"),
            )?;
        }
        for (slot, patients) in &held {
            check(
                patients.len() == 1,
                format!("slot {slot} held for {patients:?}"),
            )?;
        }
        let (_, list) = app
            .get(&self.doctor, "/api/v1/appointments?limit=500")
            .await;
        let mut booked: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for a in list["appointments"].as_array().unwrap() {
            if a["status"] == "requested" || a["status"] == "confirmed" {
                booked
                    .entry(a["slot_id"].as_i64().unwrap())
                    .or_default()
                    .push(a["patient_id"].as_i64().unwrap());
            }
        }
        for (slot, patients) in &booked {
            check(
                patients.len() == 1,
                format!("slot {slot} booked for {patients:?}"),
            )?;
            check(
                !held.contains_key(slot),
                format!("slot {slot} both booked and held"),
            )?;
        }
        let want_held: BTreeMap<i64, Vec<i64>> = self
            .model
            .offers
            .iter()
            .filter(|o| o.open)
            .map(|o| (o.slot, vec![o.patient]))
            .collect();
        check(
            held == want_held,
            format!("holds {held:?}, the model says {want_held:?}"),
        )?;
        let want_booked: BTreeMap<i64, Vec<i64>> = self
            .model
            .booked
            .iter()
            .map(|(s, p)| (*s, vec![*p]))
            .collect();
        check(
            booked == want_booked,
            format!("bookings {booked:?}, the model says {want_booked:?}"),
        )?;
        Ok(())
    }
}

async fn run_case(app: &TestApp, ops: &[Op]) -> Result<(), TestCaseError> {
    let doctor = app.user(Role::Practitioner).await;
    let slots = app.slots(&doctor, &[48, 50, 52]).await;
    let mut patients = Vec::new();
    for _ in 0..PATIENTS {
        patients.push(app.user(Role::Patient).await);
    }
    let mut model = Model {
        slots: slots.clone(),
        ..Model::default()
    };
    // Two of the three slots start booked.
    for (i, slot) in slots.iter().take(2).enumerate() {
        app.book(&patients[i], *slot).await;
        model.booked.insert(*slot, patients[i].id);
    }
    let mut case = Case {
        app,
        doctor,
        patients,
        model,
    };
    for op in ops {
        case.step(op)
            .await
            .map_err(|e| TestCaseError::fail(format!("after {op:?}: {e}")))?;
    }
    // Let every hold end, so the next case starts clean.
    app.clock.advance(Duration::from_secs(3600));
    app.drain().await;
    Ok(())
}

fn property(engine: Engine) {
    let handle = tokio::runtime::Handle::current();
    let app = tokio::task::block_in_place(|| {
        handle.block_on(spawn_app_with(engine, without_quiet_hours))
    });
    let cases = if std::env::var_os("CAREBELL_LONG_PROPERTIES").is_some() {
        200
    } else {
        12
    };
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&proptest::collection::vec(op(), 5..24), |ops| {
        tokio::task::block_in_place(|| handle.block_on(run_case(&app, &ops)))
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offers_follow_the_model_on_sqlite() {
    property(Engine::Sqlite);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offers_follow_the_model_on_postgres() {
    property(Engine::Postgres);
}
