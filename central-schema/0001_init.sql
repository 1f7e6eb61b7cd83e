-- hotspotd-central: the fleet's database (PostgreSQL). Applied once, in one transaction,
-- under an advisory lock (src/central/migrations.rs). Idempotency lives in the keys:
-- every writer inserts with ON CONFLICT, never reads first.

-- Routers the operator registered (`hotspotd-central router add`), with the latest status
-- snapshot their exchanges carried.
CREATE TABLE routers (
    id bigserial PRIMARY KEY,
    name text NOT NULL UNIQUE,
    -- The shared HMAC key, as printed (64 hex characters; its bytes are the key).
    key text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen timestamptz,
    version text,
    uptime_secs bigint,
    devices_online bigint,
    clock_trusted boolean,
    router_time bigint,
    db_bytes bigint,
    backlog bigint
);

-- One row per router database (stream): the highest request counter accepted (replays are
-- refused without trusting a clock) and the highest event sequence stored.
CREATE TABLE router_streams (
    router_id bigint NOT NULL REFERENCES routers (id),
    stream text NOT NULL,
    last_counter bigint NOT NULL,
    acked_seq bigint,
    PRIMARY KEY (router_id, stream)
);

-- Every event a router sent, once.
CREATE TABLE router_events (
    router_id bigint NOT NULL REFERENCES routers (id),
    stream text NOT NULL,
    seq bigint NOT NULL,
    kind text NOT NULL,
    body jsonb NOT NULL,
    -- The router's wall clock when it wrote the event, and whether that clock was trusted.
    router_time bigint NOT NULL,
    clock_trusted boolean NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (router_id, stream, seq)
);

-- Projections: what the operator asks about, kept up to date as events arrive.
-- `at` columns: the router's time when its clock was trusted, else the central's receive time.
CREATE TABLE payments (
    router_id bigint NOT NULL REFERENCES routers (id),
    stream text NOT NULL,
    payment_id bigint NOT NULL,
    provider text,
    phone text,
    package_id bigint,
    amount bigint,
    currency text,
    -- pending | confirmed | failed | cancelled
    status text NOT NULL,
    receipt text,
    failure jsonb,
    started_at timestamptz,
    finished_at timestamptz,
    PRIMARY KEY (router_id, stream, payment_id)
);
CREATE INDEX payments_by_time ON payments (router_id, started_at);

CREATE TABLE sessions (
    router_id bigint NOT NULL REFERENCES routers (id),
    stream text NOT NULL,
    session_id bigint NOT NULL,
    account_id bigint,
    username text,
    mac text,
    ip text,
    enforcer text,
    started_at timestamptz,
    expires_at bigint,
    ended_at timestamptz,
    end_method text,
    end_reason text,
    bytes_up bigint NOT NULL DEFAULT 0,
    bytes_down bigint NOT NULL DEFAULT 0,
    duration_secs bigint,
    PRIMARY KEY (router_id, stream, session_id)
);
CREATE INDEX sessions_by_time ON sessions (router_id, started_at);

-- Money in, one row per sale event: method stk | paybill | demo | voucher.
CREATE TABLE sales (
    router_id bigint NOT NULL REFERENCES routers (id),
    stream text NOT NULL,
    seq bigint NOT NULL,
    method text NOT NULL,
    amount bigint NOT NULL,
    currency text NOT NULL,
    at timestamptz NOT NULL,
    PRIMARY KEY (router_id, stream, seq)
);
CREATE INDEX sales_by_time ON sales (at);

-- What the central has for a router (commands, paybill payments, relayed STK callbacks):
-- delivered on every exchange until the router reports its result.
CREATE TABLE router_items (
    id bigserial PRIMARY KEY,
    router_id bigint NOT NULL REFERENCES routers (id),
    body jsonb NOT NULL,
    state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'delivered', 'done', 'failed')),
    result text,
    created_at timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    finished_at timestamptz
);
CREATE INDEX router_items_pending ON router_items (router_id, id) WHERE state IN ('queued', 'delivered');

-- STK callbacks Daraja posted to the relay, stored before answering; an exact duplicate
-- (same router, token and body) is stored once.
CREATE TABLE stk_callbacks (
    id bigserial PRIMARY KEY,
    router_id bigint NOT NULL REFERENCES routers (id),
    token text NOT NULL,
    body text NOT NULL,
    -- SHA-256 (hex) of token, a newline and body.
    digest text NOT NULL,
    checkout_request_id text NOT NULL,
    item_id bigint REFERENCES router_items (id),
    received_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (router_id, digest)
);

-- Paybill (C2B) confirmations, once per TransID; router_id is null when the account number
-- names no router of ours (shown to the operator as unmatched).
CREATE TABLE c2b_payments (
    trans_id text PRIMARY KEY,
    amount bigint,
    account text NOT NULL,
    msisdn text NOT NULL,
    name text NOT NULL,
    trans_time text NOT NULL,
    router_id bigint REFERENCES routers (id),
    reference integer,
    item_id bigint REFERENCES router_items (id),
    body jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- Operators of the API and fleet page: only the SHA-256 (hex) of each token is kept.
CREATE TABLE operators (
    id bigserial PRIMARY KEY,
    name text NOT NULL UNIQUE,
    token_sha256 text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Central-wide settings: `c2b_secret` (the secret path segment of the C2B URLs).
CREATE TABLE settings (
    name text PRIMARY KEY,
    value text NOT NULL
);
