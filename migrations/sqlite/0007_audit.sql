-- The audit log: who did what, when, from where, to what. Append-only; no message body
-- and no reason for a visit ever goes in it.
CREATE TABLE audit_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    at              INTEGER NOT NULL,
    actor_id        INTEGER,
    action          TEXT    NOT NULL,
    subject_user_id INTEGER,
    appointment_id  INTEGER,
    target          TEXT,
    source_ip       TEXT,
    request_id      TEXT
);
CREATE INDEX audit_events_at ON audit_events (at, id);
CREATE INDEX audit_events_actor ON audit_events (actor_id, id);
CREATE INDEX audit_events_subject ON audit_events (subject_user_id, id);
CREATE INDEX audit_events_appointment ON audit_events (appointment_id, id);

-- engine-specific: begin
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
-- engine-specific: end
