-- People: an account can be deactivated (no sign-in, no messages; its history kept) and
-- reactivated.
ALTER TABLE users ADD COLUMN deactivated_at INTEGER;
