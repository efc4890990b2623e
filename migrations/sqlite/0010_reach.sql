-- Reaching people and systems: outgoing webhooks, provider receipts, bounces, web push and
-- WhatsApp. Every delivery is still one row of delivery_jobs: a webhook job names its
-- message and endpoint instead of a notification.

-- Endpoints integrators register; the secret signs every message (Standard Webhooks). A
-- rotated secret still signs beside the new one until `previous_secret_until`.
CREATE TABLE webhook_endpoints (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    url                     TEXT    NOT NULL,
    description             TEXT,
    event_types             TEXT    NOT NULL,
    enabled                 INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    secret                  TEXT    NOT NULL,
    previous_secret         TEXT,
    previous_secret_until   INTEGER,
    failing_since           INTEGER,
    disabled_reason         TEXT,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL
);

-- One event, written in the transaction of the change it tells about; one job per
-- endpoint that wants it. Its id is the `webhook-id` every retry carries.
CREATE TABLE webhook_messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_type  TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

ALTER TABLE delivery_jobs ADD COLUMN webhook_message_id INTEGER REFERENCES webhook_messages (id) ON DELETE CASCADE;
ALTER TABLE delivery_jobs ADD COLUMN endpoint_id INTEGER REFERENCES webhook_endpoints (id) ON DELETE CASCADE;
CREATE UNIQUE INDEX delivery_jobs_webhook ON delivery_jobs (webhook_message_id, endpoint_id) WHERE webhook_message_id IS NOT NULL;

-- What the provider called the message (Twilio's MessageSid, WhatsApp's wamid), and what
-- its delivery receipt said, kept apart from `state` so that a receipt arriving before the
-- send is recorded is not lost.
ALTER TABLE delivery_jobs ADD COLUMN provider_message_id TEXT;
CREATE INDEX delivery_jobs_provider_message ON delivery_jobs (provider_message_id) WHERE provider_message_id IS NOT NULL;
ALTER TABLE delivery_jobs ADD COLUMN receipt TEXT CHECK (receipt IN ('delivered', 'undelivered'));
ALTER TABLE delivery_jobs ADD COLUMN receipt_code TEXT;
ALTER TABLE delivery_jobs ADD COLUMN receipt_at INTEGER;
-- An email written because a reminder's SMS did not reach the phone names that SMS job.
ALTER TABLE delivery_jobs ADD COLUMN fallback_for INTEGER REFERENCES delivery_jobs (id) ON DELETE SET NULL;

-- Browsers (and devices) where a user turned on notifications.
CREATE TABLE push_subscriptions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    endpoint        TEXT    NOT NULL UNIQUE,
    p256dh          TEXT    NOT NULL,
    auth            TEXT    NOT NULL,
    user_agent      TEXT,
    created_at      INTEGER NOT NULL,
    last_success_at INTEGER
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);

-- Addresses that bounced for good: email to them is suppressed until the account's
-- address changes.
CREATE TABLE email_bounces (
    email       TEXT    NOT NULL PRIMARY KEY,
    bounced_at  INTEGER NOT NULL,
    status      TEXT,
    detail      TEXT,
    source      TEXT    NOT NULL CHECK (source IN ('smtp', 'dsn'))
);

-- WhatsApp needs the person's own consent first.
ALTER TABLE users ADD COLUMN whatsapp_opt_in_at INTEGER;

-- The VAPID key (P-256) that identifies this installation to push services.
ALTER TABLE installation ADD COLUMN vapid_private TEXT;

-- engine-specific: begin
-- SQLite cannot drop a NOT NULL or widen a CHECK in place, and rebuilding the table would
-- cascade-delete the attempt history (its foreign keys follow a renamed table). Relaxing a
-- constraint does not change how rows are stored, so the table's definition is edited (as
-- SQLite documents for such changes), the schema reloaded, and the edit checked.
PRAGMA writable_schema = ON;
UPDATE sqlite_master
SET sql = replace(
    replace(sql,
        'notification_id INTEGER NOT NULL REFERENCES notifications (id)',
        'notification_id INTEGER REFERENCES notifications (id)'),
    'CHECK (channel IN (''email'', ''sms''))',
    'CHECK (channel IN (''email'', ''sms'', ''push'', ''whatsapp'', ''webhook''))')
WHERE type = 'table' AND name = 'delivery_jobs';
PRAGMA writable_schema = RESET;
SELECT CASE
    WHEN (SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'delivery_jobs') LIKE '%''webhook''))%'
     AND (SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'delivery_jobs') NOT LIKE '%notification_id INTEGER NOT NULL%'
    THEN 1
    ELSE json('delivery_jobs was not widened')
END;
-- engine-specific: end
