-- Notices: a message written by an admin (to any audience) or a practitioner (to their
-- own patients of a day), sent in batches. `last_recipient_id` is the last recipient written, so
-- each batch continues where the one before committed and nobody is written twice.
CREATE TABLE notices (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    sender_id         INTEGER NOT NULL REFERENCES users (id),
    state             TEXT    NOT NULL CHECK (state IN ('draft', 'sending', 'sent', 'cancelled')),
    severity          TEXT    NOT NULL CHECK (severity IN ('info', 'success', 'warning', 'error')),
    channels          TEXT    NOT NULL,
    texts             TEXT    NOT NULL,
    audience_kind     TEXT    NOT NULL CHECK (audience_kind IN ('everyone', 'patients', 'practitioners', 'patients_of', 'booked_between', 'users')),
    audience_practitioner_id INTEGER REFERENCES users (id),
    audience_from     INTEGER,
    audience_to       INTEGER,
    audience_size     INTEGER NOT NULL,
    planned           INTEGER NOT NULL DEFAULT 0,
    last_recipient_id INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL,
    confirmed_at      INTEGER,
    finished_at       INTEGER,
    cancelled_at      INTEGER
);
CREATE INDEX notices_sending ON notices (id) WHERE state = 'sending';
CREATE INDEX notices_sender ON notices (sender_id, confirmed_at);

-- The people a notice to a list of users goes to.
CREATE TABLE notice_members (
    notice_id   INTEGER NOT NULL REFERENCES notices (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (notice_id, user_id)
);

-- Each recipient gets one notification of a notice, at most.
ALTER TABLE notifications ADD COLUMN notice_id INTEGER REFERENCES notices (id);
CREATE UNIQUE INDEX notifications_notice_recipient ON notifications (notice_id, recipient_id) WHERE notice_id IS NOT NULL;

-- Messages that are not shown in the inbox (a password reset goes by email alone).
ALTER TABLE notifications ADD COLUMN in_app INTEGER NOT NULL DEFAULT 1 CHECK (in_app IN (0, 1));

-- Password resets: the link's token is an HMAC over the row (nothing secret is stored);
-- single use, until `expires_at`. `user_id` is NULL when nobody has the address asked for.
CREATE TABLE password_resets (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER REFERENCES users (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX password_resets_user ON password_resets (user_id, id);
