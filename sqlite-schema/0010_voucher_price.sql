-- What a redeemed voucher counted for: its package's price at the moment it was redeemed,
-- the same figure the VoucherRedeemed sync event carries to the central server. The web
-- admin's voucher revenue reads it, so changing a package's price later no longer rewrites
-- past days. Vouchers redeemed before this migration take their package's price of today
-- (the best there is). NULL while a voucher is unused or revoked.
ALTER TABLE vouchers ADD COLUMN redeemed_price INTEGER;
UPDATE vouchers SET redeemed_price = (SELECT price FROM packages WHERE packages.id = vouchers.package_id)
 WHERE status = 'redeemed';
