-- Vigil schema, version 7: works contracts, departments' budgets and works
-- orders (a council's CCTV contractor, the departments that commission
-- works from it, and what each order commits).
--
-- Numbers 5, 6 and 8 belong to work done alongside this; the runner
-- applies every migration a database has not had, whatever order they
-- land in. Money is BIGINT pence; days are BIGINT microseconds of UTC
-- midnight, like every instant in the schema.

-- A contract with a supplier, held by an organisation (the council or
-- partnership that let it): its value over the whole term, from its
-- first day to its last (inclusive).
CREATE TABLE works_contracts (
    id {{ID}},
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    reference TEXT NOT NULL UNIQUE,
    supplier TEXT NOT NULL,
    value_pence BIGINT NOT NULL,
    starts_on BIGINT NOT NULL,
    ends_on BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- What a contract allows per contract year (1: its first twelve months)
-- for planned maintenance and for ad hoc works.
CREATE TABLE works_allowances (
    contract_id BIGINT NOT NULL REFERENCES works_contracts (id) ON DELETE CASCADE,
    contract_year INTEGER NOT NULL,
    funding TEXT NOT NULL,
    amount_pence BIGINT NOT NULL,
    PRIMARY KEY (contract_id, contract_year, funding)
);

-- A department's budget for CCTV works in a financial year (year: the
-- one in which it begins, on 1 April).
CREATE TABLE works_budgets (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    amount_pence BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (organisation_id, year)
);

-- A works order raised by a department against its budget and a
-- contract. budget_year and contract_year are fixed when it is raised:
-- the budget and the allowance it counts against. Each step records when
-- and by whom (a username, kept even if the account goes); an approval
-- past a warning records the reason it was overridden.
CREATE TABLE works_orders (
    id {{ID}},
    contract_id BIGINT NOT NULL REFERENCES works_contracts (id),
    department_id BIGINT NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL,
    funding TEXT NOT NULL,
    title TEXT NOT NULL,
    state TEXT NOT NULL,
    budget_year INTEGER NOT NULL,
    contract_year INTEGER NOT NULL,
    estimate_pence BIGINT NOT NULL DEFAULT 0,
    quote_pence BIGINT NOT NULL DEFAULT 0,
    approved_pence BIGINT NOT NULL DEFAULT 0,
    final_pence BIGINT NOT NULL DEFAULT 0,
    raised_at BIGINT NOT NULL,
    raised_by TEXT NOT NULL,
    quoted_at BIGINT,
    quoted_by TEXT NOT NULL DEFAULT '',
    approved_at BIGINT,
    approved_by TEXT NOT NULL DEFAULT '',
    override_reason TEXT NOT NULL DEFAULT '',
    completed_at BIGINT,
    completed_by TEXT NOT NULL DEFAULT '',
    cancelled_at BIGINT,
    cancelled_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX works_orders_contract ON works_orders (contract_id);
CREATE INDEX works_orders_department ON works_orders (department_id, budget_year);
