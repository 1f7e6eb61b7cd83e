-- Version 2: what the M-Pesa flow and the job worker need beyond version 1.

-- A random token per payment, part of the callback URL given to Daraja: a callback without
-- it is not ours.
ALTER TABLE payments ADD COLUMN callback_token TEXT;
-- Receipt number a callback reported; moved to receipt_number when a query confirms.
ALTER TABLE payments ADD COLUMN callback_receipt TEXT;
ALTER TABLE payments ADD COLUMN callback_at INTEGER;
-- Why a payment did not go through, as a word (cancelled, wrong_pin, …) for the portal.
ALTER TABLE payments ADD COLUMN failure TEXT;
CREATE INDEX payments_checkout ON payments(checkout_request_id);

-- The job an account was created by, and the payment that paid for each extension.
ALTER TABLE hotspot_credentials ADD COLUMN payment_id INTEGER REFERENCES payments(id);
CREATE INDEX hotspot_credentials_pending ON hotspot_credentials(status, created_at);
