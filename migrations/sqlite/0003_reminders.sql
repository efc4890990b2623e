-- Reminders are notifications that become visible (and their jobs due) at
-- start - offset, and are voided when the appointment is cancelled or moved.
ALTER TABLE notifications ADD COLUMN visible_from INTEGER NOT NULL DEFAULT 0;
UPDATE notifications SET visible_from = created_at;
ALTER TABLE notifications ADD COLUMN voided_at INTEGER;
ALTER TABLE notifications ADD COLUMN reminder_offset_s INTEGER;
DROP INDEX notifications_undelivered;
-- What the in-app pump seeks: cost grows with what is due, not with what is stored.
CREATE INDEX notifications_due ON notifications (visible_from) WHERE delivered_at IS NULL AND voided_at IS NULL;
CREATE INDEX notifications_reminders ON notifications (appointment_id, appointment_version)
    WHERE kind = 'appointment_reminder';
