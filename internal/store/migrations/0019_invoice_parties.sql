-- Vigil schema, version 19: who an invoice is from and to, as issued.
--
-- An invoice names its seller (the trading company's name, address and
-- VAT registration number) and its buyer (the customer's name and
-- address). They are written with the invoice and never changed, like the
-- customer's name before them: a company that moves does not rewrite the
-- invoices it sent. A customer's billing address is the trading
-- company's, kept beside the organisation rather than in it.

CREATE TABLE trading_customer_details (
    organisation_id BIGINT PRIMARY KEY REFERENCES organisations (id),
    address TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

ALTER TABLE trading_invoices ADD COLUMN customer_address TEXT NOT NULL DEFAULT '';
ALTER TABLE trading_invoices ADD COLUMN seller_name TEXT NOT NULL DEFAULT '';
ALTER TABLE trading_invoices ADD COLUMN seller_address TEXT NOT NULL DEFAULT '';
ALTER TABLE trading_invoices ADD COLUMN seller_vat_number TEXT NOT NULL DEFAULT '';

-- Invoices issued before this version were printed with the settings of
-- the day they were looked at; they keep today's, the best there is.
UPDATE trading_invoices SET
    seller_name = (SELECT company FROM trading_settings WHERE id = 1),
    seller_address = (SELECT address FROM trading_settings WHERE id = 1),
    seller_vat_number = (SELECT vat_number FROM trading_settings WHERE id = 1);
