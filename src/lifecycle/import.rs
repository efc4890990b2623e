//! Importing a clinic's existing users, free slots and appointments (`carebell import`):
//! from CSV files (one kind per file, told apart by their header) or one JSON document
//! `{"users": […], "slots": […], "appointments": […]}`.
//!
//! - **Idempotent**: a user is recognised by email, a slot by practitioner and start, an
//!   appointment by patient, practitioner and start; a row already present is counted as
//!   such and left alone, so a second run changes nothing.
//! - **All or nothing**: the whole import is one transaction. A row that cannot be
//!   imported is reported (its line, or its place in the JSON, and why) and skipped; the
//!   good rows are written together. `--dry-run` does the same work and rolls it back.
//! - **Silent**: imported appointments send no messages about the past. A confirmed
//!   appointment still ahead gets its reminders planned, as if confirmed now.
//! - Imported accounts have no password (no sign-in succeeds) until `carebell
//!   set-password` gives one.

use super::{Lifecycle, LifecycleError, LifecycleResult};
use crate::domain::{
    AppointmentStatus, CancelledBy, Email, Language, PersonName, PhoneNumber, Role, SlotWindow,
    TimeZone, Timestamp, Urgency,
};
use crate::notify::Parties;
use crate::store::appointments::{self, NewAppointment};
use crate::store::users::{self, NewUser, User};
use crate::store::{slots, Tx};
use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A user as the file gives it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserRow {
    pub email: String,
    pub name: String,
    pub role: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
}

/// A free slot of a practitioner.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotRow {
    pub practitioner_email: String,
    pub starts_at: String,
    pub ends_at: String,
}

/// An appointment, possibly in the past.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppointmentRow {
    pub patient_email: String,
    pub practitioner_email: String,
    pub starts_at: String,
    pub ends_at: String,
    /// `requested`, `confirmed`, `declined` or `cancelled`.
    pub status: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub urgency: Option<String>,
    /// For a cancelled one: `patient`, `practitioner` or `system` (default `system`).
    #[serde(default)]
    pub cancelled_by: Option<String>,
    #[serde(default)]
    pub status_reason: Option<String>,
}

/// A row and where it is in its file (`users.csv:4`, `import.json users[2]`).
#[derive(Debug, Clone)]
pub struct Located<T> {
    pub at: String,
    pub row: T,
}

/// Everything read from the files, and the rows that could not even be read.
#[derive(Debug, Default)]
pub struct ImportFile {
    pub users: Vec<Located<UserRow>>,
    pub slots: Vec<Located<SlotRow>>,
    pub appointments: Vec<Located<AppointmentRow>>,
    pub unreadable: Vec<Rejected>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Rejected {
    pub at: String,
    pub reason: String,
}

/// What an import did (or, dry, would do).
#[derive(Debug, Default, Serialize)]
pub struct ImportReport {
    pub dry_run: bool,
    pub users_created: usize,
    pub users_present: usize,
    pub slots_created: usize,
    pub slots_present: usize,
    pub appointments_created: usize,
    pub appointments_present: usize,
    pub reminders_planned: usize,
    pub rejected: Vec<Rejected>,
}

impl ImportFile {
    /// Reads each file: `.json`, or `.csv` whose header says which kind it holds.
    pub fn read(paths: &[impl AsRef<Path>]) -> anyhow::Result<Self> {
        let mut file = Self::default();
        for path in paths {
            let path = path.as_ref();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            match path.extension().and_then(|e| e.to_str()) {
                Some("json") => file.add_json(&name, &text)?,
                Some("csv") => file.add_csv(&name, &text)?,
                _ => bail!("{}: expected a .csv or .json file", path.display()),
            }
        }
        Ok(file)
    }

    fn add_json(&mut self, name: &str, text: &str) -> anyhow::Result<()> {
        let doc: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(text).with_context(|| format!("{name}: not a JSON object"))?;
        for key in doc.keys() {
            if !matches!(key.as_str(), "users" | "slots" | "appointments") {
                bail!("{name}: unknown key {key:?} (expected users, slots, appointments)");
            }
        }
        let rows = |key: &str| -> Vec<serde_json::Value> {
            doc.get(key)
                .and_then(|v| v.as_array())
                .cloned()
                .unwrap_or_default()
        };
        fn take<T: serde::de::DeserializeOwned>(
            out: &mut Vec<Located<T>>,
            unreadable: &mut Vec<Rejected>,
            name: &str,
            key: &str,
            rows: Vec<serde_json::Value>,
        ) {
            for (i, v) in rows.into_iter().enumerate() {
                let at = format!("{name} {key}[{i}]");
                match serde_json::from_value(v) {
                    Ok(row) => out.push(Located { at, row }),
                    Err(e) => unreadable.push(Rejected {
                        at,
                        reason: e.to_string(),
                    }),
                }
            }
        }
        take(
            &mut self.users,
            &mut self.unreadable,
            name,
            "users",
            rows("users"),
        );
        take(
            &mut self.slots,
            &mut self.unreadable,
            name,
            "slots",
            rows("slots"),
        );
        take(
            &mut self.appointments,
            &mut self.unreadable,
            name,
            "appointments",
            rows("appointments"),
        );
        Ok(())
    }

    fn add_csv(&mut self, name: &str, text: &str) -> anyhow::Result<()> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let header = reader
            .headers()
            .with_context(|| format!("{name}: no header line"))?
            .clone();
        let has = |c: &str| header.iter().any(|h| h == c);
        // The line a record starts on, counted in the text itself (the reader's own count
        // passes over blank lines).
        let line_at = |p: Option<&csv::Position>| {
            p.map_or(0, |p| {
                // The position may be that of blank lines before the record.
                let mut end = (p.byte() as usize).min(text.len());
                while matches!(text.as_bytes().get(end), Some(b'\n' | b'\r')) {
                    end += 1;
                }
                text.as_bytes()[..end]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count()
                    + 1
            })
        };
        fn take<T: serde::de::DeserializeOwned>(
            reader: &mut csv::Reader<&[u8]>,
            header: &csv::StringRecord,
            out: &mut Vec<Located<T>>,
            unreadable: &mut Vec<Rejected>,
            name: &str,
            line_at: &dyn Fn(Option<&csv::Position>) -> usize,
        ) {
            for record in reader.records() {
                match record {
                    Ok(record) => {
                        let line = line_at(record.position());
                        let at = format!("{name}:{line}");
                        // Empty cells are absent values.
                        let record: csv::StringRecord = record.iter().collect();
                        match record.deserialize::<T>(Some(header)) {
                            Ok(row) => out.push(Located { at, row }),
                            Err(e) => unreadable.push(Rejected {
                                at,
                                reason: e.to_string(),
                            }),
                        }
                    }
                    Err(e) => unreadable.push(Rejected {
                        at: format!("{name}:{}", e.position().map_or(0, |p| p.line())),
                        reason: e.to_string(),
                    }),
                }
            }
        }
        if has("patient_email") {
            take(
                &mut reader,
                &header,
                &mut self.appointments,
                &mut self.unreadable,
                name,
                &line_at,
            );
        } else if has("practitioner_email") {
            take(
                &mut reader,
                &header,
                &mut self.slots,
                &mut self.unreadable,
                name,
                &line_at,
            );
        } else if has("email") && has("role") {
            take(
                &mut reader,
                &header,
                &mut self.users,
                &mut self.unreadable,
                name,
                &line_at,
            );
        } else {
            bail!(
                "{name}: cannot tell what the file holds: a users file has email, name and role \
                 columns; a slots file practitioner_email, starts_at and ends_at; an \
                 appointments file also patient_email and status"
            );
        }
        Ok(())
    }
}

/// The lock that runs imports one at a time.
const IMPORT_LOCK: i64 = 0x6361_7265_696d_7074; // "careimpt"

/// Why one row was refused.
type RowResult<T> = Result<T, String>;

fn time(field: &str, value: &str) -> RowResult<Timestamp> {
    Timestamp::parse_rfc3339(value).map_err(|e| format!("{field}: {}", e.0))
}

fn optional(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}

impl Lifecycle {
    /// Imports the rows (see the module's documentation); `dry_run` rolls everything back.
    pub async fn import(&self, file: ImportFile, dry_run: bool) -> LifecycleResult<ImportReport> {
        let now = self.clock.now();
        let mut report = ImportReport {
            dry_run,
            rejected: file.unreadable,
            ..ImportReport::default()
        };
        let mut tx = self.store.begin().await?;
        // Two imports at once would each find a row absent and both write it: one waits.
        tx.serialize_on(IMPORT_LOCK).await?;
        for Located { at, row } in file.users {
            match self.import_user(&mut tx, &row, now).await? {
                Ok(true) => report.users_created += 1,
                Ok(false) => report.users_present += 1,
                Err(reason) => report.rejected.push(Rejected { at, reason }),
            }
        }
        for Located { at, row } in file.slots {
            match import_slot(&mut tx, &row, now).await? {
                Ok(true) => report.slots_created += 1,
                Ok(false) => report.slots_present += 1,
                Err(reason) => report.rejected.push(Rejected { at, reason }),
            }
        }
        for Located { at, row } in file.appointments {
            match self.import_appointment(&mut tx, &row, now).await? {
                Ok(Some(reminders)) => {
                    report.appointments_created += 1;
                    report.reminders_planned += reminders;
                }
                Ok(None) => report.appointments_present += 1,
                Err(reason) => report.rejected.push(Rejected { at, reason }),
            }
        }
        if dry_run {
            drop(tx); // rolled back
        } else {
            // In the audit log with the import itself (no actor: an operator at the CLI).
            let event = crate::store::audit::NewEvent {
                action: "import",
                target: Some(format!(
                    "{} users, {} slots, {} appointments created; {} rejected",
                    report.users_created,
                    report.slots_created,
                    report.appointments_created,
                    report.rejected.len()
                )),
                ..Default::default()
            };
            crate::store::audit::append(tx.conn(), &event, self.clock.now()).await?;
            self.commit(tx).await?;
        }
        Ok(report)
    }

    /// `Ok(true)` created, `Ok(false)` already there.
    async fn import_user(
        &self,
        tx: &mut Tx,
        row: &UserRow,
        now: Timestamp,
    ) -> LifecycleResult<RowResult<bool>> {
        let parsed = (|| -> RowResult<NewUser> {
            Ok(NewUser {
                role: Role::parse(&row.role).map_err(|e| format!("role: {}", e.0))?,
                name: PersonName::parse(&row.name).map_err(|e| format!("name: {}", e.0))?,
                email: Email::parse(&row.email).map_err(|e| format!("email: {}", e.0))?,
                phone: optional(&row.phone)
                    .map(PhoneNumber::parse)
                    .transpose()
                    .map_err(|e| format!("phone: {}", e.0))?,
                time_zone: optional(&row.time_zone)
                    .map(TimeZone::parse)
                    .transpose()
                    .map_err(|e| format!("time_zone: {}", e.0))?
                    .unwrap_or_default(),
                language: optional(&row.language)
                    .map(Language::parse)
                    .transpose()
                    .map_err(|e| format!("language: {}", e.0))?
                    .unwrap_or(Language::En),
                password_hash: String::new(),
            })
        })();
        let mut user = match parsed {
            Ok(u) => u,
            Err(reason) => return Ok(Err(reason)),
        };
        if let Some((existing, _)) = users::find_credentials(tx.conn(), user.email.as_str()).await?
        {
            return Ok(if existing.role == user.role {
                Ok(false)
            } else {
                Err(format!(
                    "{} already has an account as {}",
                    user.email.as_str(),
                    existing.role.as_str()
                ))
            });
        }
        // No password until `carebell set-password` gives one (nothing slow is done while
        // the import holds its transaction).
        user.password_hash = crate::auth::passwords::NO_PASSWORD.to_owned();
        users::insert(tx.conn(), &user, now).await?;
        Ok(Ok(true))
    }

    /// `Ok(Some(reminders planned))` created, `Ok(None)` already there.
    async fn import_appointment(
        &self,
        tx: &mut Tx,
        row: &AppointmentRow,
        now: Timestamp,
    ) -> LifecycleResult<RowResult<Option<usize>>> {
        let starts_at = match time("starts_at", &row.starts_at) {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        };
        let ends_at = match time("ends_at", &row.ends_at) {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        };
        let window = match SlotWindow::of_record(starts_at, ends_at) {
            Ok(w) => w,
            Err(e) => return Ok(Err(e.to_string())),
        };
        let status = match AppointmentStatus::parse(&row.status) {
            Ok(s) => s,
            Err(e) => return Ok(Err(format!("status: {}", e.0))),
        };
        let urgency = match optional(&row.urgency).map(Urgency::parse).transpose() {
            Ok(u) => u.unwrap_or(Urgency::Routine),
            Err(e) => return Ok(Err(format!("urgency: {}", e.0))),
        };
        let reason = match optional(&row.reason)
            .map(crate::domain::clean_reason)
            .transpose()
        {
            Ok(r) => r.unwrap_or_default(),
            Err(e) => return Ok(Err(format!("reason: {}", e.0))),
        };
        let cancelled_by = match status {
            AppointmentStatus::Cancelled => {
                match optional(&row.cancelled_by)
                    .map(CancelledBy::parse)
                    .transpose()
                {
                    Ok(by) => Some(by.unwrap_or(CancelledBy::System)),
                    Err(e) => return Ok(Err(format!("cancelled_by: {}", e.0))),
                }
            }
            AppointmentStatus::Declined => Some(CancelledBy::Practitioner),
            _ => None,
        };
        let patient = match person(tx, &row.patient_email, Role::Patient).await? {
            Ok(u) => u,
            Err(e) => return Ok(Err(format!("patient_email: {e}"))),
        };
        let practitioner = match person(tx, &row.practitioner_email, Role::Practitioner).await? {
            Ok(u) => u,
            Err(e) => return Ok(Err(format!("practitioner_email: {e}"))),
        };
        if appointments::find_by_parties_at(tx.conn(), patient.id, practitioner.id, starts_at)
            .await?
            .is_some()
        {
            return Ok(Ok(None));
        }
        let slot = match slots::find_at(tx.conn(), practitioner.id, starts_at).await? {
            Some((slot, _)) if slot.ends_at != ends_at => {
                return Ok(Err(format!(
                    "the practitioner's slot at {starts_at} ends at {}, not {ends_at}",
                    slot.ends_at
                )))
            }
            Some((_, false)) if status.is_active() => {
                return Ok(Err(format!(
                    "the practitioner's slot at {starts_at} is taken by another appointment"
                )))
            }
            Some((slot, _)) => slot,
            None => {
                if slots::overlaps_existing(tx.conn(), practitioner.id, window).await? {
                    return Ok(Err(format!(
                        "overlaps another slot of {}",
                        practitioner.email.as_str()
                    )));
                }
                slots::insert(tx.conn(), practitioner.id, window, now).await?
            }
        };
        let mut a = appointments::insert(
            tx.conn(),
            NewAppointment {
                slot: &slot,
                patient_id: patient.id,
                reason: &reason,
                urgency,
            },
            now,
        )
        .await?;
        if status != AppointmentStatus::Requested {
            a = appointments::set_status(
                tx.conn(),
                &a,
                status,
                cancelled_by,
                optional(&row.status_reason),
                now,
            )
            .await?
            .ok_or(LifecycleError::Concurrent)?;
        }
        let mut planned = 0;
        if status == AppointmentStatus::Confirmed {
            let parties = Parties {
                appointment: &a,
                patient: &patient,
                practitioner: &practitioner,
            };
            planned += self.write_reminders(tx, &parties, now).await?;
        }
        Ok(Ok(Some(planned)))
    }
}

/// A slot row: `Ok(true)` created, `Ok(false)` already there.
async fn import_slot(
    tx: &mut Tx,
    row: &SlotRow,
    now: Timestamp,
) -> LifecycleResult<RowResult<bool>> {
    let (starts_at, ends_at) = match (
        time("starts_at", &row.starts_at),
        time("ends_at", &row.ends_at),
    ) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(e), _) | (_, Err(e)) => return Ok(Err(e)),
    };
    let practitioner = match person(tx, &row.practitioner_email, Role::Practitioner).await? {
        Ok(u) => u,
        Err(e) => return Ok(Err(format!("practitioner_email: {e}"))),
    };
    if let Some((slot, _)) = slots::find_at(tx.conn(), practitioner.id, starts_at).await? {
        return Ok(if slot.ends_at == ends_at {
            Ok(false)
        } else {
            Err(format!(
                "a slot at {starts_at} exists and ends at {}",
                slot.ends_at
            ))
        });
    }
    let w = match SlotWindow::new(starts_at, ends_at, now) {
        Ok(w) => w,
        Err(e) => return Ok(Err(e.to_string())),
    };
    if slots::overlaps_existing(tx.conn(), practitioner.id, w).await? {
        return Ok(Err(format!(
            "overlaps another slot of {}",
            practitioner.email.as_str()
        )));
    }
    slots::insert(tx.conn(), practitioner.id, w, now).await?;
    Ok(Ok(true))
}

/// The account with this email, which must have `role`.
async fn person(tx: &mut Tx, email: &str, role: Role) -> LifecycleResult<RowResult<User>> {
    Ok(match users::find_credentials(tx.conn(), email).await? {
        Some((u, _)) if u.role == role => Ok(u),
        Some((u, _)) => Err(format!(
            "{email} is a {}, not a {}",
            u.role.as_str(),
            role.as_str()
        )),
        None => Err(format!(
            "no account with the email {email:?} (import users first)"
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_keep_their_line_and_a_misspelt_column_is_named() {
        let mut file = ImportFile::default();
        file.add_csv(
            "users.csv",
            "email,name,role,languge\na@x.example,A,patient,fr\n",
        )
        .unwrap();
        assert!(file.users.is_empty());
        assert_eq!(file.unreadable[0].at, "users.csv:2");
        assert!(
            file.unreadable[0].reason.contains("languge"),
            "{:?}",
            file.unreadable
        );

        let mut file = ImportFile::default();
        file.add_csv(
            "users.csv",
            "name,email,role,phone\nA,a@x.example,patient,\n\nB,b@x.example,admin,+33612345678\n",
        )
        .unwrap();
        let at: Vec<_> = file
            .users
            .iter()
            .map(|u| (u.at.as_str(), u.row.phone.is_none()))
            .collect();
        assert_eq!(at, [("users.csv:2", true), ("users.csv:4", false)]);
        assert!(
            file.add_csv("x.csv", "a,b\n1,2\n").is_err(),
            "an unknown kind of file is refused"
        );
    }
}
