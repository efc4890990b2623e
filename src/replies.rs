//! Two-way SMS: what a patient's reply to a reminder or an offer does.
//!
//! `STOP`, `START` and `HELP` keep their standard meaning (`preferences::sms_reply`).
//! Otherwise the first word is read, in any case, in the patient's languages:
//!
//! | reply | words | does |
//! |---|---|---|
//! | confirm | `C`, `CONFIRM`, `CONFIRMER`, `تأكيد` | records that the patient is coming |
//! | cancel | `X`, `ANNULER`, `إلغاء` | cancels, when the patient may still cancel online |
//! | yes | `Y`, `YES`, `O`, `OUI`, `نعم` | takes the time held for them (the waitlist) |
//! | no | `N`, `NO`, `NON`, `لا` | passes it to the next person |
//!
//! A confirm or cancel is about the upcoming appointments of the number's accounts that
//! were sent an SMS reminder; with more than one, the reply asks which (`C1`, `C2`, …,
//! soonest first). Anything else gets a short help text. Only the keyword and what it did
//! go to the audit log and the logs, never the message itself.

use crate::app::{ApiResult, AppState};
use crate::catalogue::{Args, TimeStyle};
use crate::domain::{AppointmentStatus, Language, Timestamp, TransitionError};
use crate::lifecycle::LifecycleError;
use crate::preferences::Keyword;
use crate::store::appointments::{self, Appointment};
use crate::store::users::{self, User};
use crate::store::{audit, waitlist};

/// How far back a reminder counts as "the message this replies to".
const REMINDER_WINDOW: std::time::Duration = std::time::Duration::from_secs(14 * 86_400);

/// What a reply that is not a standard keyword asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Confirm,
    Cancel,
    Yes,
    No,
    Unknown,
}

impl Answer {
    /// The reply's first word and the number after it, if any (`C2`, `c 2`).
    pub fn of(body: &str) -> (Answer, Option<usize>) {
        let text = body.trim();
        let word_end = text
            .find(|c: char| c.is_ascii_digit() || c.is_whitespace() || c == '.' || c == '!')
            .unwrap_or(text.len());
        let (word, rest) = text.split_at(word_end);
        let word = word.to_uppercase();
        let answer = match word.as_str() {
            "C" | "CONFIRM" | "CONFIRMER" | "CONFIRME" | "تأكيد" => Answer::Confirm,
            "X" | "ANNULER" | "إلغاء" | "الغاء" => Answer::Cancel,
            "Y" | "YES" | "O" | "OUI" | "نعم" => Answer::Yes,
            "N" | "NO" | "NON" | "لا" => Answer::No,
            _ => Answer::Unknown,
        };
        let digits: String = rest
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let number = digits.parse::<usize>().ok();
        // "C please" is a confirm; "Call me" is not.
        let rest_ok = rest
            .trim_start_matches(|c: char| {
                c.is_ascii_digit() || c.is_whitespace() || c == '.' || c == '!'
            })
            .is_empty();
        if answer != Answer::Unknown && (rest_ok || word.len() > 1) {
            (answer, number)
        } else {
            (Answer::Unknown, None)
        }
    }

    fn as_str(&self) -> &'static str {
        match self {
            Answer::Confirm => "confirm",
            Answer::Cancel => "cancel",
            Answer::Yes => "yes",
            Answer::No => "no",
            Answer::Unknown => "unknown",
        }
    }
}

/// Acts on a reply from `phone`; returns the one text to send back (`None`: none).
pub async fn sms_reply(state: &AppState, phone: &str, body: &str) -> ApiResult<Option<String>> {
    if Keyword::of(body) != Keyword::Other {
        return crate::preferences::sms_reply(state, phone, body).await;
    }
    let (answer, number) = Answer::of(body);
    let now = state.clock.now();
    let accounts = {
        let mut c = state.store.acquire().await?;
        let ids = crate::store::preferences::users_with_phone(&mut c, phone).await?;
        let mut accounts = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(u) = users::get(&mut c, id).await? {
                accounts.push(u);
            }
        }
        accounts
    };
    let language = accounts.first().map(|u| u.language).unwrap_or_default();
    let reply = Reply {
        state,
        language,
        now,
    };
    let (outcome, appointment_id, text) = match answer {
        Answer::Confirm | Answer::Cancel => {
            let candidates = {
                let mut c = state.store.acquire().await?;
                appointments::reminded_by_sms(&mut c, phone, now.minus(REMINDER_WINDOW), now)
                    .await?
            };
            reply
                .about_appointment(answer, number, &candidates, &accounts)
                .await?
        }
        Answer::Yes | Answer::No => reply.about_offer(answer, number, &accounts).await?,
        Answer::Unknown => ("help", None, reply.text("sms-reply-help", &[])),
    };
    tracing::info!(answer = answer.as_str(), outcome, "sms reply");
    let mut c = state.store.acquire().await?;
    let event = audit::NewEvent {
        action: "sms.replied",
        subject_user_id: accounts.first().map(|u| u.id),
        appointment_id,
        target: Some(format!("{} → {outcome}", answer.as_str())),
        ..Default::default()
    };
    audit::append(&mut c, &event, now).await?;
    Ok(Some(text))
}

struct Reply<'a> {
    state: &'a AppState,
    language: Language,
    now: Timestamp,
}

type Outcome = (&'static str, Option<i64>, String);
type Fill = Vec<(&'static str, String)>;

impl Reply<'_> {
    fn text(&self, id: &str, fill: &[(&str, String)]) -> String {
        let clinic = &self.state.settings.clinic;
        let mut all = Args::new();
        for (k, v) in fill {
            all.set(*k, v.clone());
        }
        all.set("clinic", clinic.name.clone());
        all.set(
            "phone",
            clinic.phone.clone().unwrap_or_else(|| "none".to_owned()),
        );
        self.state
            .templates
            .catalogue()
            .try_format(self.language, id, None, Some(&all))
            .ok()
            .flatten()
            .unwrap_or_else(|| clinic.name.clone())
    }

    /// The answer to an ambiguous reply: the choices, numbered `{key}1`, `{key}2`, ….
    fn which(&self, key: &str, items: Vec<Fill>) -> Outcome {
        let lines: Vec<String> = items
            .into_iter()
            .enumerate()
            .map(|(i, mut item)| {
                item.push(("n", format!("{key}{}", i + 1)));
                self.text("sms-reply-choice", &item)
            })
            .collect();
        let choices = [("choices", lines.join(" "))];
        ("ambiguous", None, self.text("sms-reply-which", &choices))
    }

    fn when(&self, t: Timestamp, to: &User) -> String {
        crate::catalogue::when(t, &to.time_zone, self.language, TimeStyle::Long)
    }

    /// The appointment's practitioner and time, for the reply.
    async fn args_for(&self, a: &Appointment, to: &User) -> ApiResult<Fill> {
        let mut c = self.state.store.acquire().await?;
        let practitioner = users::get(&mut c, a.practitioner_id)
            .await?
            .map(|u| u.name.as_str().to_owned())
            .unwrap_or_default();
        Ok(vec![
            ("practitioner", practitioner),
            ("when", self.when(a.starts_at, to)),
        ])
    }

    async fn about_appointment(
        &self,
        answer: Answer,
        number: Option<usize>,
        candidates: &[Appointment],
        accounts: &[User],
    ) -> ApiResult<Outcome> {
        let key = if answer == Answer::Confirm { "C" } else { "X" };
        let chosen = match (candidates.len(), number) {
            (0, _) => {
                return Ok(("nothing", None, self.text("sms-reply-nothing", &[])));
            }
            (1, None) => &candidates[0],
            (n, Some(i)) if i >= 1 && i <= n => &candidates[i - 1],
            _ => {
                let mut items = Vec::with_capacity(candidates.len());
                for a in candidates {
                    items.push(self.args_for(a, owner(accounts, a.patient_id)).await?);
                }
                return Ok(self.which(key, items));
            }
        };
        let to = owner(accounts, chosen.patient_id);
        let args = self.args_for(chosen, to).await?;
        let lifecycle = &self.state.lifecycle;
        if answer == Answer::Confirm {
            if chosen.status != AppointmentStatus::Confirmed {
                return Ok((
                    "not_confirmed",
                    Some(chosen.id),
                    self.text("sms-reply-not-confirmed", &args),
                ));
            }
            lifecycle
                .confirm_attendance(to, chosen.id)
                .await
                .map_err(crate::app::ApiError::from)?;
            return Ok((
                "confirmed",
                Some(chosen.id),
                self.text("sms-reply-confirmed", &args),
            ));
        }
        match lifecycle.cancel(to, chosen.id, None).await {
            Ok(_) => Ok((
                "cancelled",
                Some(chosen.id),
                self.text("sms-reply-cancelled", &args),
            )),
            Err(LifecycleError::Transition(
                TransitionError::PastPatientCutoff { .. } | TransitionError::AlreadyStarted,
            )) => Ok((
                "too_late",
                Some(chosen.id),
                self.text("sms-reply-too-late", &args),
            )),
            Err(e) => Err(e.into()),
        }
    }

    async fn about_offer(
        &self,
        answer: Answer,
        number: Option<usize>,
        accounts: &[User],
    ) -> ApiResult<Outcome> {
        let ids: Vec<i64> = accounts.iter().map(|u| u.id).collect();
        let open = {
            let mut c = self.state.store.acquire().await?;
            waitlist::open_offers_of_patients(&mut c, &ids, self.now).await?
        };
        let key = if answer == Answer::Yes { "Y" } else { "N" };
        let offer = match (open.len(), number) {
            (0, _) => return Ok(("no_offer", None, self.text("sms-reply-no-offer", &[]))),
            (1, None) => &open[0],
            (n, Some(i)) if i >= 1 && i <= n => &open[i - 1],
            _ => {
                let mut items = Vec::with_capacity(open.len());
                for o in &open {
                    items.push(self.offer_args(o, owner(accounts, o.patient_id)).await?);
                }
                return Ok(self.which(key, items));
            }
        };
        let to = owner(accounts, offer.patient_id);
        let args = self.offer_args(offer, to).await?;
        let lifecycle = &self.state.lifecycle;
        if answer == Answer::Yes {
            match lifecycle.accept_offer(to, offer.id).await {
                Ok(a) => Ok((
                    "accepted",
                    Some(a.id),
                    self.text("sms-reply-offer-taken", &args),
                )),
                Err(LifecycleError::OfferClosed(_) | LifecycleError::SlotTaken) => Ok((
                    "offer_closed",
                    None,
                    self.text("sms-reply-offer-gone", &args),
                )),
                Err(e) => Err(e.into()),
            }
        } else {
            match lifecycle.decline_offer(to, offer.id).await {
                Ok(_) => Ok(("declined", None, self.text("sms-reply-offer-passed", &args))),
                Err(LifecycleError::OfferClosed(_)) => Ok((
                    "offer_closed",
                    None,
                    self.text("sms-reply-offer-gone", &args),
                )),
                Err(e) => Err(e.into()),
            }
        }
    }

    async fn offer_args(&self, o: &waitlist::Offer, to: &User) -> ApiResult<Fill> {
        let mut c = self.state.store.acquire().await?;
        let slot = crate::store::slots::get(&mut c, o.slot_id).await?;
        let practitioner = match &slot {
            Some(s) => users::get(&mut c, s.practitioner_id)
                .await?
                .map(|u| u.name.as_str().to_owned())
                .unwrap_or_default(),
            None => String::new(),
        };
        let when = slot
            .as_ref()
            .map(|s| self.when(s.starts_at, to))
            .unwrap_or_default();
        Ok(vec![("practitioner", practitioner), ("when", when)])
    }
}

/// The account of the number that is this patient.
fn owner(accounts: &[User], patient_id: i64) -> &User {
    accounts
        .iter()
        .find(|u| u.id == patient_id)
        .unwrap_or(&accounts[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_read_in_every_language_with_an_optional_number() {
        for (body, want) in [
            ("C", (Answer::Confirm, None)),
            (" c ", (Answer::Confirm, None)),
            ("C2", (Answer::Confirm, Some(2))),
            ("c 1", (Answer::Confirm, Some(1))),
            ("Confirmer", (Answer::Confirm, None)),
            ("تأكيد", (Answer::Confirm, None)),
            ("x", (Answer::Cancel, None)),
            ("ANNULER 2", (Answer::Cancel, Some(2))),
            ("إلغاء", (Answer::Cancel, None)),
            ("y", (Answer::Yes, None)),
            ("Oui!", (Answer::Yes, None)),
            ("نعم", (Answer::Yes, None)),
            ("non", (Answer::No, None)),
            ("لا", (Answer::No, None)),
            ("Call me", (Answer::Unknown, None)),
            ("what?", (Answer::Unknown, None)),
            ("", (Answer::Unknown, None)),
        ] {
            assert_eq!(Answer::of(body), want, "{body:?}");
        }
    }
}
