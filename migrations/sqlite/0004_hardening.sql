-- Reminder hand-over: a reminder job is handed to its provider only after a check, in one
-- statement, that its appointment still wants it. A change that commits later sees
-- `handed_at` and records the job as in flight instead of voiding it; the change's own
-- message on that channel waits for it (`after_job_id`).
ALTER TABLE delivery_jobs ADD COLUMN handed_at INTEGER;
ALTER TABLE delivery_jobs ADD COLUMN in_flight_at_change INTEGER;
ALTER TABLE delivery_jobs ADD COLUMN after_job_id INTEGER REFERENCES delivery_jobs (id) ON DELETE SET NULL;

-- Live-stream order: `seq` is given when a notification reaches the in-app inbox, under a
-- lock held to commit, so a higher seq is never visible before a lower one.
ALTER TABLE notifications ADD COLUMN seq INTEGER;
UPDATE notifications SET seq = id WHERE delivered_at IS NOT NULL;
CREATE UNIQUE INDEX notifications_seq ON notifications (seq);
CREATE INDEX notifications_recipient_seq ON notifications (recipient_id, seq) WHERE seq IS NOT NULL;

-- Sign-in attempts per account, device and client address, shared by every instance.
CREATE TABLE auth_attempts (
    key          TEXT   PRIMARY KEY,
    window_start INTEGER NOT NULL,
    failures     INTEGER NOT NULL,
    locked_until INTEGER NOT NULL DEFAULT 0
);

-- Browsers that signed in successfully: their own attempts are not held back by a lockout
-- that strangers caused.
CREATE TABLE auth_devices (
    token_hash   TEXT   PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL
);
CREATE INDEX auth_devices_user ON auth_devices (user_id);
