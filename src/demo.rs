//! The demo clinic: two practitioners with slots over the coming days, three patients and
//! an admin. Loading it again refreshes the slots and sets a new password; nothing is
//! duplicated. The password is random (or `CAREBELL_DEMO_PASSWORD`) and printed, never
//! stored in the repository.

use crate::auth::{passwords::hash_password, random_token};
use crate::domain::{Email, Language, PersonName, PhoneNumber, Role, TimeZone, Timestamp};
use crate::lifecycle::{Lifecycle, LifecycleError, NewSlot};
use crate::store::users::{self, NewUser, User};
use anyhow::Context;
use chrono::{Days, NaiveTime, TimeZone as _};

/// The demo clinic's name, address and phone, where the settings leave the defaults (so
/// that messages and pages show the branding a clinic would set).
pub fn brand(clinic: &mut crate::config::ClinicSettings) {
    let defaults = crate::config::ClinicSettings::default();
    if clinic.name == defaults.name {
        clinic.name = "Clinique du Parc (demo)".into();
    }
    if clinic.address.is_none() {
        clinic.address = Some("12 rue des Lilas, 75011 Paris".into());
    }
    if clinic.phone.is_none() {
        clinic.phone = Some("+33 1 23 45 67 89".into());
    }
}

struct Person {
    role: Role,
    name: &'static str,
    email: &'static str,
    phone: Option<&'static str>,
    tz: &'static str,
    lang: &'static str,
}

const PEOPLE: &[Person] = &[
    Person {
        role: Role::Admin,
        name: "Clinic Admin",
        email: "admin@clinic.example",
        phone: None,
        tz: "Europe/Paris",
        lang: "en",
    },
    Person {
        role: Role::Practitioner,
        name: "Dr Amina Haddad",
        email: "amina.haddad@clinic.example",
        phone: Some("+33612345601"),
        tz: "Europe/Paris",
        lang: "fr",
    },
    Person {
        role: Role::Practitioner,
        name: "Dr John Carter",
        email: "john.carter@clinic.example",
        phone: None,
        tz: "America/New_York",
        lang: "en",
    },
    Person {
        role: Role::Patient,
        name: "Lucie Martin",
        email: "lucie.martin@patient.example",
        phone: Some("+33612345602"),
        tz: "Europe/Paris",
        lang: "fr",
    },
    Person {
        role: Role::Patient,
        name: "Omar Benali",
        email: "omar.benali@patient.example",
        phone: Some("+212612345603"),
        tz: "Africa/Casablanca",
        lang: "ar",
    },
    Person {
        role: Role::Patient,
        name: "Sam Taylor",
        email: "sam.taylor@patient.example",
        phone: None,
        tz: "Europe/London",
        lang: "en",
    },
];

/// What was loaded, for printing.
pub struct DemoReport {
    pub password: String,
    pub accounts: Vec<(Role, String, String)>,
    pub slots_added: usize,
}

/// Loads (or refreshes) the demo clinic.
pub async fn load(lifecycle: &Lifecycle) -> anyhow::Result<DemoReport> {
    let password = std::env::var("CAREBELL_DEMO_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| random_token()[..16].to_owned());
    let hash = hash_password(password.clone()).await?;
    let store = lifecycle.store();
    let now = lifecycle.clock().now();
    let mut accounts = Vec::new();
    let mut practitioners = Vec::new();
    for p in PEOPLE {
        let email = Email::parse(p.email)?;
        let mut c = store.acquire().await?;
        let user = match users::find_credentials(&mut c, email.as_str()).await? {
            Some((user, _)) => {
                users::set_password_hash(&mut c, user.id, &hash).await?;
                user
            }
            None => {
                let new = NewUser {
                    role: p.role,
                    name: PersonName::parse(p.name)?,
                    email,
                    phone: p.phone.map(PhoneNumber::parse).transpose()?,
                    time_zone: TimeZone::parse(p.tz)?,
                    language: Language::parse(p.lang)?,
                    password_hash: hash.clone(),
                };
                users::insert(&mut c, &new, now)
                    .await
                    .context("creating a demo user")?
            }
        };
        accounts.push((p.role, p.name.to_owned(), p.email.to_owned()));
        if p.role == Role::Practitioner {
            practitioners.push(user);
        }
    }
    let mut slots_added = 0;
    for practitioner in &practitioners {
        slots_added += add_mornings(lifecycle, practitioner, now).await?;
    }
    Ok(DemoReport {
        password,
        accounts,
        slots_added,
    })
}

/// Half-hour slots from 09:00 to 12:00 local time on the next five days; days that
/// already have slots are left as they are.
async fn add_mornings(
    lifecycle: &Lifecycle,
    practitioner: &User,
    now: Timestamp,
) -> anyhow::Result<usize> {
    let tz = practitioner.time_zone.tz();
    let today = now.to_datetime().with_timezone(&tz).date_naive();
    let mut added = 0;
    for day in 1..=5 {
        let date = today
            .checked_add_days(Days::new(day))
            .context("demo date out of range")?;
        let mut batch = Vec::new();
        for i in 0..6u32 {
            let start = NaiveTime::from_hms_opt(9 + i / 2, (i % 2) * 30, 0).context("demo time")?;
            let Some(local) = tz.from_local_datetime(&date.and_time(start)).earliest() else {
                continue;
            };
            let starts_at = Timestamp::from_datetime(local.with_timezone(&chrono::Utc));
            let ends_at = starts_at.plus(std::time::Duration::from_secs(30 * 60));
            batch.push(NewSlot { starts_at, ends_at });
        }
        match lifecycle.add_slots(practitioner, &batch, false).await {
            Ok(created) => added += created.len(),
            Err(LifecycleError::SlotOverlap) => {}
            Err(e) => return Err(anyhow::Error::new(e).context("adding demo slots")),
        }
    }
    Ok(added)
}
