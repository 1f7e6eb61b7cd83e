-- Version 4: what the portal needs against abuse from the open Wi-Fi.

-- M-Pesa prompts are limited per device and per phone number, counted from these rows
-- (newest first within the last hour): both lookups go through an index.
CREATE INDEX payments_mac ON payments(mac, created_at);
CREATE INDEX payments_phone ON payments(phone, created_at);

-- A payment's status page is reached with this random 128-bit token (hex), never with the
-- enumerable row id. NULL for payments made before version 4 (their pages are gone).
ALTER TABLE payments ADD COLUMN view_token TEXT;
CREATE UNIQUE INDEX payments_view_token ON payments(view_token);

-- "Forgot my password" no longer replaces the password: the new one waits here, works
-- alongside the old one, and replaces it when first used (anyone who knows a customer's
-- number may ask for a reset, and must not lock the customer out by it).
ALTER TABLE hotspot_users ADD COLUMN pending_password_hash TEXT;
