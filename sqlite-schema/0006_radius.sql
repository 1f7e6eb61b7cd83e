-- Version 6: sessions of NAS devices that authenticate by RADIUS (a MikroTik, CoovaChilli or
-- uspot box), their Disconnect outcomes, and account passwords kept for CHAP.

-- The NAS's own Acct-Session-Id (ours stays in acct_session_id, unique for every session).
-- Two NAS devices may use the same ids: unique per NAS.
ALTER TABLE sessions ADD COLUMN nas_session_id TEXT;
CREATE UNIQUE INDEX sessions_nas_session ON sessions(nas, nas_session_id) WHERE nas_session_id IS NOT NULL;

-- How the NAS answered the Disconnect-Request of a NAS session we ended (NULL: a session of
-- our own firewall, or one the NAS itself reported ended): pending, acked, refused (with the
-- RFC 5176 Error-Cause), no_answer.
ALTER TABLE session_disconnections ADD COLUMN nas_result TEXT;
ALTER TABLE session_disconnections ADD COLUMN nas_error_cause INTEGER;

-- CHAP needs the password itself: sealed (encrypted and authenticated) with a key kept in a
-- file outside the database (`option password_key_file`), never in plaintext.
ALTER TABLE hotspot_users ADD COLUMN password_sealed TEXT;
ALTER TABLE hotspot_users ADD COLUMN pending_password_sealed TEXT;

-- Accounting-On / -Off already recorded, by the packet's authenticator (an MD5 of its
-- content): a replayed one closes nothing twice. Rows older than a day are removed.
CREATE TABLE radius_nas_events (
    nas           TEXT    NOT NULL,
    authenticator BLOB    NOT NULL,
    at            INTEGER NOT NULL,
    PRIMARY KEY (nas, authenticator)
);

-- Accounting touches these on every packet: an account's running totals, and a session's
-- audit row when its totals are raised after its end.
CREATE INDEX session_usage_user ON session_usage(user_id);
CREATE INDEX session_disconnections_session ON session_disconnections(session_id);
