-- hotspotd schema, version 1: the whole mission's data model.
-- Times are Unix seconds (INTEGER). Money is INTEGER whole currency units (KES), never a float.
-- Later migrations add columns/tables; they never rewrite these.

-- Router-wide key/value settings: the router secret, last known good wall time, …
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- What is sold. Edits never change what was already sold: accounts copy the limits.
CREATE TABLE packages (
    id               INTEGER PRIMARY KEY,
    name             TEXT    NOT NULL,
    price            INTEGER NOT NULL CHECK (price >= 0),
    currency         TEXT    NOT NULL DEFAULT 'KES',
    duration_secs    INTEGER NOT NULL CHECK (duration_secs > 0),
    data_limit_bytes INTEGER CHECK (data_limit_bytes IS NULL OR data_limit_bytes > 0),
    down_kbps        INTEGER CHECK (down_kbps IS NULL OR down_kbps > 0),
    up_kbps          INTEGER CHECK (up_kbps IS NULL OR up_kbps > 0),
    max_devices      INTEGER NOT NULL DEFAULT 1 CHECK (max_devices > 0),
    active           INTEGER NOT NULL DEFAULT 1,
    remote_id        TEXT UNIQUE,               -- id on the central server, once synced
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

-- An account: the entitlement a voucher, a payment or an operator created.
-- The clock starts at the first login (subscription_starts_at NULL until then).
CREATE TABLE hotspot_users (
    id                      INTEGER PRIMARY KEY,
    username                TEXT    NOT NULL UNIQUE,
    password_hash           TEXT,               -- NULL: voucher-only account
    phone                   TEXT,
    package_id              INTEGER NOT NULL REFERENCES packages(id),
    source                  TEXT    NOT NULL CHECK (source IN ('voucher', 'payment', 'admin', 'central')),
    status                  TEXT    NOT NULL DEFAULT 'active'
                                    CHECK (status IN ('active', 'expired', 'exhausted', 'suspended')),
    duration_secs           INTEGER NOT NULL,   -- total time bought (stacked purchases add up)
    subscription_starts_at  INTEGER,
    subscription_expires_at INTEGER,
    data_limit_bytes        INTEGER,            -- NULL: unlimited
    data_used_bytes         INTEGER NOT NULL DEFAULT 0,
    down_kbps               INTEGER,
    up_kbps                 INTEGER,
    max_devices             INTEGER NOT NULL DEFAULT 1,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL
);
CREATE INDEX hotspot_users_phone ON hotspot_users(phone);

-- Credentials waiting for delivery by SMS. The plaintext is wiped once sent or expired.
CREATE TABLE hotspot_credentials (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES hotspot_users(id),
    username       TEXT    NOT NULL,
    password_plain TEXT,
    phone          TEXT,
    status         TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'expired')),
    created_at     INTEGER NOT NULL,
    sent_at        INTEGER,
    wiped_at       INTEGER
);

-- Prepaid codes for cash sales and offline times. Single use: redemption creates the account.
CREATE TABLE vouchers (
    id           INTEGER PRIMARY KEY,
    code         TEXT    NOT NULL UNIQUE,
    package_id   INTEGER NOT NULL REFERENCES packages(id),
    batch        TEXT,
    status       TEXT    NOT NULL DEFAULT 'unused' CHECK (status IN ('unused', 'redeemed', 'revoked')),
    user_id      INTEGER REFERENCES hotspot_users(id),
    redeemed_mac TEXT,
    redeemed_at  INTEGER,
    valid_until  INTEGER,                       -- NULL: an unused voucher never lapses
    created_at   INTEGER NOT NULL
);
CREATE INDEX vouchers_package ON vouchers(package_id, status);

-- Money in. Each provider id is unique so a replayed result credits nothing twice.
CREATE TABLE payments (
    id                  INTEGER PRIMARY KEY,
    provider            TEXT    NOT NULL CHECK (provider IN ('mpesa', 'demo', 'central', 'cash')),
    phone               TEXT,
    mac                 TEXT,
    ip                  TEXT,
    package_id          INTEGER NOT NULL REFERENCES packages(id),
    amount              INTEGER NOT NULL CHECK (amount >= 0),
    currency            TEXT    NOT NULL DEFAULT 'KES',
    status              TEXT    NOT NULL DEFAULT 'pending'
                                CHECK (status IN ('pending', 'confirmed', 'failed', 'cancelled')),
    result_code         TEXT,
    result_desc         TEXT,
    checkout_request_id TEXT UNIQUE,
    merchant_request_id TEXT,
    receipt_number      TEXT UNIQUE,
    user_id             INTEGER REFERENCES hotspot_users(id),
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    confirmed_at        INTEGER
);
CREATE INDEX payments_status ON payments(status, created_at);

-- One row per device session (the seed's radius_sessions).
CREATE TABLE sessions (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES hotspot_users(id),
    mac             TEXT    NOT NULL,
    ip              TEXT    NOT NULL,
    nas             TEXT    NOT NULL DEFAULT 'local',
    acct_session_id TEXT UNIQUE,
    started_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,           -- when the entitlement ends for this device
    ended_at        INTEGER,
    bytes_in        INTEGER NOT NULL DEFAULT 0, -- from the client (upload)
    bytes_out       INTEGER NOT NULL DEFAULT 0, -- to the client (download)
    status          TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended')),
    end_reason      TEXT                        -- logout, expired, quota, admin, replaced, firewall_error
);
CREATE INDEX sessions_active ON sessions(status, expires_at);
CREATE INDEX sessions_user ON sessions(user_id, status);
CREATE INDEX sessions_mac ON sessions(mac, status);

-- Audit of every session end: who or what cut it, why, and the totals.
CREATE TABLE session_disconnections (
    id            INTEGER PRIMARY KEY,
    session_id    INTEGER NOT NULL REFERENCES sessions(id),
    user_id       INTEGER NOT NULL REFERENCES hotspot_users(id),
    mac           TEXT    NOT NULL,
    method        TEXT    NOT NULL,             -- portal, cli, expiry, radius, remote
    reason        TEXT    NOT NULL,
    at            INTEGER NOT NULL,
    bytes_in      INTEGER NOT NULL DEFAULT 0,
    bytes_out     INTEGER NOT NULL DEFAULT 0,
    duration_secs INTEGER NOT NULL DEFAULT 0
);

-- Byte deltas per session over time (checkpointed from memory, compacted later).
CREATE TABLE data_usage_logs (
    id              INTEGER PRIMARY KEY,
    session_id      INTEGER NOT NULL REFERENCES sessions(id),
    at              INTEGER NOT NULL,
    bytes_in_delta  INTEGER NOT NULL DEFAULT 0,
    bytes_out_delta INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX data_usage_logs_session ON data_usage_logs(session_id, at);

-- Every login attempt, accepted or not, with the reason.
CREATE TABLE auth_log (
    id       INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,
    mac      TEXT,
    ip       TEXT,
    method   TEXT    NOT NULL,                  -- voucher, password, radius
    identity TEXT,                              -- username or voucher code as typed (truncated)
    outcome  TEXT    NOT NULL CHECK (outcome IN ('accepted', 'rejected', 'rate_limited')),
    reason   TEXT
);
CREATE INDEX auth_log_at ON auth_log(at);

-- Durable job queue (the seed's jobs / failed_jobs).
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY,
    queue        TEXT    NOT NULL DEFAULT 'default' CHECK (queue IN ('high', 'default', 'low')),
    kind         TEXT    NOT NULL,
    payload      TEXT    NOT NULL DEFAULT '{}',
    unique_key   TEXT UNIQUE,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 5,
    run_at       INTEGER NOT NULL,
    last_error   TEXT,
    created_at   INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs(queue, run_at);

CREATE TABLE failed_jobs (
    id        INTEGER PRIMARY KEY,
    job_id    INTEGER NOT NULL,
    queue     TEXT    NOT NULL,
    kind      TEXT    NOT NULL,
    payload   TEXT    NOT NULL,
    attempts  INTEGER NOT NULL,
    error     TEXT    NOT NULL,
    failed_at INTEGER NOT NULL
);

-- What the central server has not seen yet.
CREATE TABLE sync_outbox (
    id         INTEGER PRIMARY KEY,
    entity     TEXT    NOT NULL,                -- payment, session, usage, disconnection
    entity_id  INTEGER NOT NULL,
    op         TEXT    NOT NULL,
    payload    TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    sent_at    INTEGER,
    attempts   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sync_outbox_unsent ON sync_outbox(sent_at, id);
