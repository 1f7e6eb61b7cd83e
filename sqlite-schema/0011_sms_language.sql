-- The language of the SMS with a customer's login: the one their page was in when they paid
-- or asked for a new password (`i18n::Lang` codes: 'en', 'sw'). NULL (paybill purchases,
-- rows from before this migration): the operator's default language from Settings.
ALTER TABLE payments ADD COLUMN lang TEXT;
ALTER TABLE hotspot_credentials ADD COLUMN lang TEXT;
