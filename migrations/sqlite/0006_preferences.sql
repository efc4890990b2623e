-- Recipients in control: channels per category, quiet hours, SMS opt-outs and the
-- append-only record of every consent change.

-- A user's choice for one category and channel; no row means the clinic's default.
CREATE TABLE preferences (
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    category    TEXT    NOT NULL,
    channel     TEXT    NOT NULL,
    enabled     INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, category, channel)
);

-- A user's own quiet hours, minutes after local midnight; NULL means the clinic's.
ALTER TABLE users ADD COLUMN quiet_start INTEGER;
ALTER TABLE users ADD COLUMN quiet_end INTEGER;

-- Numbers that answered STOP (or another opt-out word): no SMS until START.
CREATE TABLE sms_opt_outs (
    phone           TEXT    NOT NULL PRIMARY KEY,
    opted_out_at    INTEGER NOT NULL
);

-- Every change of a preference, quiet hours or opt-out, never edited.
CREATE TABLE consent_records (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER REFERENCES users (id),
    phone       TEXT,
    at          INTEGER NOT NULL,
    channel     TEXT    NOT NULL,
    category    TEXT,
    old_value   TEXT    NOT NULL,
    new_value   TEXT    NOT NULL,
    source      TEXT    NOT NULL CHECK (source IN ('dashboard', 'api', 'sms_keyword', 'unsubscribe_link', 'admin')),
    actor_id    INTEGER REFERENCES users (id)
);
CREATE INDEX consent_records_user ON consent_records (user_id, id);
CREATE INDEX consent_records_phone ON consent_records (phone, id);

-- A job the recipient's choices held back: it stays `voided` (never sent, never retried)
-- and is shown as `suppressed` with its reason in `last_error`.
ALTER TABLE delivery_jobs ADD COLUMN suppressed_at INTEGER;

-- The key that signs unsubscribe links, made at first start beside the installation id.
ALTER TABLE installation ADD COLUMN signing_key TEXT;

-- engine-specific: begin
CREATE TRIGGER consent_records_no_update BEFORE UPDATE ON consent_records
BEGIN
    SELECT RAISE(ABORT, 'consent records are append-only');
END;
CREATE TRIGGER consent_records_no_delete BEFORE DELETE ON consent_records
BEGIN
    SELECT RAISE(ABORT, 'consent records are append-only');
END;
-- engine-specific: end
