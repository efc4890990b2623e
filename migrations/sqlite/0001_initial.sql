-- Instants are milliseconds since the Unix epoch (UTC) on both engines.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    role          TEXT    NOT NULL CHECK (role IN ('patient', 'practitioner', 'admin')),
    name          TEXT    NOT NULL,
    email         TEXT    NOT NULL,
    phone         TEXT,
    time_zone     TEXT    NOT NULL,
    language      TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash  TEXT    NOT NULL UNIQUE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL CHECK (kind IN ('browser', 'api')),
    csrf_token  TEXT,
    label       TEXT,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE slots (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    practitioner_id INTEGER NOT NULL REFERENCES users (id),
    starts_at       INTEGER NOT NULL,
    ends_at         INTEGER NOT NULL CHECK (ends_at > starts_at),
    created_at      INTEGER NOT NULL
);
CREATE INDEX slots_practitioner_start ON slots (practitioner_id, starts_at);

CREATE TABLE appointments (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    slot_id         INTEGER REFERENCES slots (id) ON DELETE SET NULL,
    patient_id      INTEGER NOT NULL REFERENCES users (id),
    practitioner_id INTEGER NOT NULL REFERENCES users (id),
    status          TEXT    NOT NULL CHECK (status IN ('requested', 'confirmed', 'declined', 'cancelled')),
    reason          TEXT    NOT NULL,
    urgency         TEXT    NOT NULL CHECK (urgency IN ('routine', 'soon', 'urgent')),
    version         INTEGER NOT NULL,
    starts_at       INTEGER NOT NULL,
    ends_at         INTEGER NOT NULL,
    cancelled_by    TEXT CHECK (cancelled_by IN ('patient', 'practitioner', 'system')),
    status_reason   TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
-- A slot is held by one active appointment at most: the database enforces it, so two
-- simultaneous bookings give one success and one conflict.
CREATE UNIQUE INDEX appointments_one_active_per_slot
    ON appointments (slot_id) WHERE status IN ('requested', 'confirmed');
CREATE INDEX appointments_patient ON appointments (patient_id, starts_at);
CREATE INDEX appointments_practitioner ON appointments (practitioner_id, starts_at);

CREATE TABLE follows (
    patient_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    practitioner_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (patient_id, practitioner_id)
);
CREATE INDEX follows_practitioner ON follows (practitioner_id);

CREATE TABLE notifications (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind                TEXT    NOT NULL,
    severity            TEXT    NOT NULL CHECK (severity IN ('info', 'success', 'warning', 'error')),
    title               TEXT    NOT NULL,
    message             TEXT    NOT NULL,
    link                TEXT,
    data                TEXT    NOT NULL,
    appointment_id      INTEGER REFERENCES appointments (id),
    appointment_version INTEGER,
    read_at             INTEGER,
    created_at          INTEGER NOT NULL
);
CREATE INDEX notifications_recipient ON notifications (recipient_id, id);
CREATE INDEX notifications_unread ON notifications (recipient_id) WHERE read_at IS NULL;

CREATE TABLE delivery_jobs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    notification_id INTEGER NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    channel         TEXT    NOT NULL CHECK (channel IN ('email', 'sms')),
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'dead', 'voided')),
    due_at          INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    lease_until     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (notification_id, channel)
);
CREATE INDEX delivery_jobs_due ON delivery_jobs (due_at) WHERE state = 'pending';
