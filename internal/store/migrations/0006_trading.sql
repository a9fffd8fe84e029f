-- Vigil schema, version 6: the trading company, which monitors cameras for
-- customers outside the partnership and invoices them.
--
-- Numbers 5, 7 and 8 belong to work done alongside this; the runner
-- applies every migration a database has not had, whatever order they
-- land in. Dates are BIGINT microseconds of a UTC midnight, like every
-- other instant; money is BIGINT pence, net of VAT unless named gross.

-- One row (id 1): what every invoice is issued under. next_invoice is the
-- number the next invoice or credit note takes; taking it locks the row,
-- which is also what serialises issuing on PostgreSQL.
CREATE TABLE trading_settings (
    id BIGINT PRIMARY KEY,
    company TEXT NOT NULL,
    address TEXT NOT NULL,
    vat_number TEXT NOT NULL,
    vat_basis_points BIGINT NOT NULL,
    invoice_prefix TEXT NOT NULL,
    next_invoice BIGINT NOT NULL,
    payment_days BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO trading_settings (id, company, address, vat_number, vat_basis_points, invoice_prefix, next_invoice, payment_days, updated_at)
    VALUES (1, 'CCTV Partnership Company', '', '', 2000, 'INV-', 1, 30, 0);

-- A subscription: a customer (an organisation of kind customer) buys a
-- service level for camera units at a price per unit per calendar month,
-- from starts_on until ends_on (the first day no longer served; NULL:
-- open-ended). The number of units is dated history in trading_units.
CREATE TABLE trading_subscriptions (
    id {{ID}},
    customer_id BIGINT NOT NULL REFERENCES organisations (id),
    reference TEXT NOT NULL,
    service TEXT NOT NULL,
    unit_price BIGINT NOT NULL,
    starts_on BIGINT NOT NULL,
    ends_on BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX trading_subscriptions_customer ON trading_subscriptions (customer_id);

-- From from_on, the subscription has units camera units, until its next
-- row. A row is never deleted, so what was billed can be recomputed.
CREATE TABLE trading_units (
    subscription_id BIGINT NOT NULL REFERENCES trading_subscriptions (id),
    from_on BIGINT NOT NULL,
    units BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (subscription_id, from_on)
);

-- One-off charges (mileage, a call-out), billed on the customer's next
-- invoice; invoice_id says which, and is cleared if that invoice is
-- credited so the charge is billed again on the reissue.
CREATE TABLE trading_charges (
    id {{ID}},
    customer_id BIGINT NOT NULL REFERENCES organisations (id),
    on_date BIGINT NOT NULL,
    description TEXT NOT NULL,
    amount BIGINT NOT NULL,
    invoice_id BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX trading_charges_customer ON trading_charges (customer_id, invoice_id);

-- Invoices and credit notes share one number sequence. A row is written
-- once and never updated: a credit note (kind 'credit', credits_id the
-- invoice it cancels, at most one) is the only correction.
CREATE TABLE trading_invoices (
    id {{ID}},
    number BIGINT NOT NULL UNIQUE,
    reference TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    credits_id BIGINT UNIQUE REFERENCES trading_invoices (id),
    customer_id BIGINT NOT NULL REFERENCES organisations (id),
    customer_name TEXT NOT NULL,
    period_from BIGINT NOT NULL,
    period_to BIGINT NOT NULL,
    issued_at BIGINT NOT NULL,
    due_on BIGINT NOT NULL,
    issued_by BIGINT NOT NULL,
    vat_basis_points BIGINT NOT NULL,
    net BIGINT NOT NULL,
    vat BIGINT NOT NULL,
    gross BIGINT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX trading_invoices_customer ON trading_invoices (customer_id, period_from);
CREATE INDEX trading_invoices_period ON trading_invoices (period_from);

-- An invoice's lines, as issued: a subscription's units for days of one
-- calendar month, or a one-off charge.
CREATE TABLE trading_invoice_lines (
    invoice_id BIGINT NOT NULL REFERENCES trading_invoices (id),
    seq BIGINT NOT NULL,
    description TEXT NOT NULL,
    subscription_id BIGINT,
    charge_id BIGINT,
    service TEXT NOT NULL,
    service_from BIGINT NOT NULL,
    service_to BIGINT NOT NULL,
    units BIGINT NOT NULL,
    unit_price BIGINT NOT NULL,
    days BIGINT NOT NULL,
    month_days BIGINT NOT NULL,
    net BIGINT NOT NULL,
    PRIMARY KEY (invoice_id, seq)
);
-- Covers the finance statement's sum of net by service day, so it reads
-- the index alone.
CREATE INDEX trading_invoice_lines_service ON trading_invoice_lines (service_from, net);
