-- Delivery: every attempt is recorded; `fence` grows with every claim so a worker whose
-- lease expired cannot record a result over a newer attempt. `attempts` counts tries since
-- the job was (re)queued and drives the retry schedule.
ALTER TABLE delivery_jobs ADD COLUMN fence INTEGER NOT NULL DEFAULT 0;
ALTER TABLE delivery_jobs ADD COLUMN sent_at INTEGER;
CREATE INDEX delivery_jobs_leased ON delivery_jobs (lease_until) WHERE state = 'sending';
CREATE INDEX delivery_jobs_state ON delivery_jobs (state, id);

CREATE TABLE delivery_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id      INTEGER NOT NULL REFERENCES delivery_jobs (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    fence       INTEGER NOT NULL,
    channel     TEXT    NOT NULL,
    started_at  INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    outcome     TEXT    NOT NULL CHECK (outcome IN ('sent', 'transient', 'permanent', 'dropped')),
    code        TEXT,
    reply       TEXT
);
CREATE INDEX delivery_attempts_job ON delivery_attempts (job_id, id);

-- In-app notifications are delivered when handed to the live-push hook.
ALTER TABLE notifications ADD COLUMN delivered_at INTEGER;
CREATE INDEX notifications_undelivered ON notifications (id) WHERE delivered_at IS NULL;
