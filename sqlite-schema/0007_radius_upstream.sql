-- Version 7: accounting for the central RADIUS server (`config radius_upstream`), stored and
-- forwarded. One row per Accounting-Request still to send, written in the transaction that
-- changed the session (src/radius/upstream/queue.rs); the forwarder sends them oldest first
-- and deletes a row only when the central's Accounting-Response for it is valid. What the
-- packet carries is kept as data, not as bytes: Acct-Delay-Time, the identifier and the
-- authenticators are made at each send.
CREATE TABLE radius_acct_outbox (
    id               INTEGER PRIMARY KEY,       -- send order
    session_id       INTEGER NOT NULL,
    status_type      INTEGER NOT NULL CHECK (status_type IN (1, 2, 3)),  -- Start, Stop, Interim-Update
    acct_session_id  TEXT    NOT NULL,
    username         TEXT    NOT NULL,
    mac              TEXT    NOT NULL,          -- as the sessions row holds it
    ip               TEXT    NOT NULL,
    input_bytes      INTEGER NOT NULL DEFAULT 0, -- from the client (upload): Acct-Input-Octets + Gigawords
    output_bytes     INTEGER NOT NULL DEFAULT 0, -- to the client (download)
    session_time     INTEGER,                   -- Acct-Session-Time (Interim, Stop)
    terminate_cause  INTEGER,                   -- Acct-Terminate-Cause (Stop)
    class            BLOB,                      -- Class the central gave the account, echoed
    event_at         INTEGER NOT NULL,          -- Event-Timestamp
    created_at       INTEGER NOT NULL,          -- Acct-Delay-Time = send time - created_at
    attempts         INTEGER NOT NULL DEFAULT 0
);
-- While unsent, a session has at most one Interim-Update: a newer one replaces it.
CREATE UNIQUE INDEX radius_acct_outbox_interim ON radius_acct_outbox(session_id) WHERE status_type = 3;
CREATE INDEX radius_acct_outbox_session ON radius_acct_outbox(session_id, status_type);

-- When each running session's last Interim-Update was queued (at most one row per active
-- session; removed at its Stop).
CREATE TABLE radius_acct_interims (
    session_id INTEGER PRIMARY KEY,
    queued_at  INTEGER NOT NULL
);

-- Accounts the central server vouched for (authentication fallback): the Class of its
-- Access-Accept, sent back in the accounting of their sessions.
CREATE TABLE radius_central_accounts (
    user_id    INTEGER PRIMARY KEY REFERENCES hotspot_users(id),
    class      BLOB,
    checked_at INTEGER NOT NULL
);
