-- Version 8: sync with the central server (src/sync/).

-- An outbox row's id is its sequence number at the central, which stores events by
-- (router, stream, sequence): an id must never be used twice, even after every row was
-- acknowledged and deleted, hence AUTOINCREMENT. `clock_trusted`: whether the router's clock
-- was trusted when the event was written (the central records both). `sent_at`: when the
-- row first left; from then on it is never rewritten (coalescing starts a new row), so a
-- resent sequence number always carries the same event.
CREATE TABLE sync_outbox_v8 (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    entity        TEXT    NOT NULL,
    entity_id     INTEGER NOT NULL,
    op            TEXT    NOT NULL,
    payload       TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    clock_trusted INTEGER NOT NULL DEFAULT 0,
    sent_at       INTEGER,
    attempts      INTEGER NOT NULL DEFAULT 0
);
INSERT INTO sync_outbox_v8 (id, entity, entity_id, op, payload, created_at, attempts)
    SELECT id, entity, entity_id, op, payload, created_at, attempts FROM sync_outbox;
DROP TABLE sync_outbox;
ALTER TABLE sync_outbox_v8 RENAME TO sync_outbox;
CREATE INDEX sync_outbox_entity ON sync_outbox(entity, sent_at);

-- Items from the central (commands, paybill payments, relayed STK results) already applied,
-- by the central's id: each is applied once however often it is delivered. Its result goes
-- back as a `command_result` event written in the same transaction.
CREATE TABLE sync_applied (
    item_id    INTEGER PRIMARY KEY,
    ok         INTEGER NOT NULL,
    detail     TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
);

-- A purchase paid from the M-Pesa menu (paybill): the reference in the account number the
-- portal showed (`sync::wire::account_number`). Not reused for 30 days.
ALTER TABLE payments ADD COLUMN paybill_ref INTEGER;
CREATE INDEX payments_paybill_ref ON payments(paybill_ref) WHERE paybill_ref IS NOT NULL;
