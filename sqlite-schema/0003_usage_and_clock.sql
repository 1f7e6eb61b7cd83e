-- Version 3: usage accounting that is gentle on flash, and the clock checkpoint.

-- Live byte totals of active sessions, checkpointed from memory (every minute by default).
-- Narrow and holding only active sessions, so a checkpoint of 200 devices rewrites a page
-- or two instead of 200 scattered `sessions` and `hotspot_users` rows. When a session ends,
-- its totals move to `sessions.bytes_in/bytes_out` and to its account's `data_used_bytes`,
-- and its row here is deleted. An account's data used is therefore
-- `hotspot_users.data_used_bytes` + the sum of its rows here.
CREATE TABLE session_usage (
    session_id INTEGER PRIMARY KEY REFERENCES sessions(id),
    user_id    INTEGER NOT NULL REFERENCES hotspot_users(id),
    bytes_in   INTEGER NOT NULL DEFAULT 0,  -- from the client (upload)
    bytes_out  INTEGER NOT NULL DEFAULT 0   -- to the client (download)
) WITHOUT ROWID;

-- Usage rows are appended every checkpoint in time order. An index by session would put
-- each checkpoint's 200 entries on 200 different pages of flash; compaction walks the rows
-- by id instead (they are in time order).
DROP INDEX data_usage_logs_session;

-- Minute rows older than `usage_detail_hours` are folded into one row per session and hour
-- here (appended in time order, like the minute rows), and deleted after `usage_keep_days`.
CREATE TABLE data_usage_hourly (
    id              INTEGER PRIMARY KEY,
    session_id      INTEGER NOT NULL REFERENCES sessions(id),
    hour            INTEGER NOT NULL,           -- Unix time of the hour's start
    bytes_in_delta  INTEGER NOT NULL DEFAULT 0,
    bytes_out_delta INTEGER NOT NULL DEFAULT 0
);
