-- Notification texts are rendered from the catalogue in the reader's language when read;
-- the record keeps its kind and typed payload (`data`) only.
ALTER TABLE notifications DROP COLUMN title;
ALTER TABLE notifications DROP COLUMN message;

-- One row: this installation's random id, made at first start. Message-IDs and calendar
-- UIDs carry it, so two clinics (or a restored copy) never share them.
CREATE TABLE installation (
    singleton   INTEGER NOT NULL PRIMARY KEY CHECK (singleton = 1),
    id          TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);

-- Inboxes are listed by when each notification became visible.
CREATE INDEX notifications_recipient_visible ON notifications (recipient_id, visible_from, id);
