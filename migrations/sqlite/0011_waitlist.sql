-- Filling freed time: patients wait for a practitioner's free time in a window (dates, and
-- if they like times of day, on their clock) or for anything earlier than their current
-- appointment; a freed slot is offered to the first who matches, held for them alone for a
-- while. Two-way SMS records patients' confirmations of attendance.
CREATE TABLE waitlist_entries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    practitioner_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    appointment_id  INTEGER REFERENCES appointments (id) ON DELETE CASCADE,
    window_from     INTEGER,
    window_until    INTEGER,
    day_start       INTEGER,
    day_end         INTEGER,
    reason          TEXT    NOT NULL DEFAULT '',
    urgency         TEXT    NOT NULL DEFAULT 'routine',
    state           TEXT    NOT NULL CHECK (state IN ('waiting', 'booked', 'left')),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX waitlist_entries_waiting ON waitlist_entries (practitioner_id, created_at, id) WHERE state = 'waiting';
CREATE INDEX waitlist_entries_patient ON waitlist_entries (patient_id, id);

-- An offer holds a slot for one patient until `expires_at`. The database itself refuses a
-- second open offer of a slot, and a second open offer to a patient.
CREATE TABLE offers (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    slot_id         INTEGER NOT NULL REFERENCES slots (id) ON DELETE CASCADE,
    entry_id        INTEGER NOT NULL REFERENCES waitlist_entries (id) ON DELETE CASCADE,
    patient_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    state           TEXT    NOT NULL CHECK (state IN ('open', 'accepted', 'declined', 'expired')),
    expires_at      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    answered_at     INTEGER,
    appointment_id  INTEGER REFERENCES appointments (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX offers_one_open_per_slot ON offers (slot_id) WHERE state = 'open';
CREATE UNIQUE INDEX offers_one_open_per_patient ON offers (patient_id) WHERE state = 'open';
CREATE INDEX offers_open_expiry ON offers (expires_at) WHERE state = 'open';
CREATE INDEX offers_entry ON offers (entry_id, slot_id);

-- The patient said they are coming (a reply to a reminder, or the appointment page).
ALTER TABLE appointments ADD COLUMN attendance_confirmed_at INTEGER;
