-- The crm service's own tables, in its own schema. Personal data (customer names, contact
-- details, notes, descriptions) lives only here and is never copied into an event (R-B3.4).

-- Who works where, projected from the hr stream: owners, supervisors, timezones.
CREATE TABLE roster (
    employee_id    text PRIMARY KEY,
    team_id        text NOT NULL,
    supervisor_id  text,
    role           text NOT NULL,
    timezone       text NOT NULL,
    active         boolean NOT NULL DEFAULT true,
    -- The hr fact this row reflects, so late or replayed facts never overwrite newer ones.
    as_of          timestamptz NOT NULL,
    as_of_version  integer NOT NULL
);
CREATE INDEX roster_supervisor ON roster (supervisor_id);
CREATE INDEX roster_team ON roster (team_id);

CREATE TABLE customers (
    customer_id         text PRIMARY KEY,
    owner_id            text NOT NULL,
    details             jsonb NOT NULL,
    completeness        integer NOT NULL,
    source              text NOT NULL,
    registered_at       timestamptz NOT NULL,
    last_maintained_at  timestamptz NOT NULL
);
CREATE INDEX customers_owner ON customers (owner_id);
CREATE INDEX customers_maintained ON customers (last_maintained_at);

CREATE TABLE interactions (
    interaction_id    text PRIMARY KEY,
    customer_id       text NOT NULL,
    employee_id       text NOT NULL,
    channel           text NOT NULL,
    occurred_at       timestamptz NOT NULL,
    duration_minutes  integer,
    notes             text
);
CREATE INDEX interactions_customer ON interactions (customer_id, occurred_at);

CREATE TABLE inquiries (
    inquiry_id        text PRIMARY KEY,
    customer_id       text NOT NULL,
    employee_id       text NOT NULL,
    channel           text NOT NULL,
    received_at       timestamptz NOT NULL,
    respond_by        timestamptz NOT NULL,
    responded_at      timestamptz,
    within_deadline   boolean,
    overdue_recorded  boolean NOT NULL DEFAULT false,
    subject           text
);
CREATE INDEX inquiries_open ON inquiries (respond_by) WHERE responded_at IS NULL;
CREATE INDEX inquiries_employee ON inquiries (employee_id);

CREATE TABLE complaints (
    complaint_id      text PRIMARY KEY,
    customer_id       text NOT NULL,
    employee_id       text NOT NULL,
    kind              text NOT NULL,
    severity          text NOT NULL,
    filed_at          timestamptz NOT NULL,
    resolve_by        timestamptz NOT NULL,
    resolved_at       timestamptz,
    outcome           text,
    within_deadline   boolean,
    overdue_recorded  boolean NOT NULL DEFAULT false,
    description       text
);
CREATE INDEX complaints_open ON complaints (resolve_by) WHERE resolved_at IS NULL;
CREATE INDEX complaints_employee ON complaints (employee_id);

CREATE TABLE deals (
    deal_id            text PRIMARY KEY,
    customer_id        text NOT NULL,
    employee_id        text NOT NULL,
    stage              text NOT NULL,
    status             text NOT NULL,
    expected_amount    numeric(20, 2),
    expected_currency  text,
    won_amount         numeric(20, 2),
    won_currency       text,
    lost_reason        text,
    opened_at          timestamptz NOT NULL,
    closed_at          timestamptz,
    title              text
);
CREATE INDEX deals_employee_status ON deals (employee_id, status);

CREATE TABLE ratings (
    rating_id    text PRIMARY KEY,
    customer_id  text NOT NULL,
    employee_id  text NOT NULL,
    rating       integer NOT NULL CHECK (rating BETWEEN 1 AND 5),
    rated_at     timestamptz NOT NULL,
    comment      text
);
CREATE INDEX ratings_employee ON ratings (employee_id);

CREATE TABLE gift_declarations (
    declaration_id  text PRIMARY KEY,
    employee_id     text NOT NULL,
    customer_id     text,
    kind            text NOT NULL,
    decision        text NOT NULL,
    value_amount    numeric(20, 2) NOT NULL,
    value_currency  text NOT NULL,
    severity        text,
    declared_at     timestamptz NOT NULL,
    description     text
);

CREATE TABLE conduct_reports (
    report_id     text PRIMARY KEY,
    employee_id   text NOT NULL,
    kind          text NOT NULL,
    severity      text NOT NULL,
    reported_by   text,
    reporter_role text NOT NULL,
    occurred_on   date NOT NULL,
    customer_id   text,
    reported_at   timestamptz NOT NULL,
    description   text
);

-- An existing CRM's records: its id and the newest version applied (0: from a CSV import).
CREATE TABLE external_refs (
    source       text NOT NULL,
    kind         text NOT NULL,
    external_id  text NOT NULL,
    internal_id  text NOT NULL,
    version      bigint NOT NULL,
    applied_at   timestamptz NOT NULL,
    PRIMARY KEY (source, kind, external_id)
);

-- Who read or exported customer data, and who tried to (R-B3.4). Append-only.
CREATE TABLE access_audit (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at                 timestamptz NOT NULL,
    actor_subject      text NOT NULL,
    actor_role         text NOT NULL,
    actor_employee_id  text,
    action             text NOT NULL,
    target             text NOT NULL,
    outcome            text NOT NULL CHECK (outcome IN ('allowed', 'denied')),
    record_count       integer NOT NULL DEFAULT 0,
    correlation_id     text
);
CREATE INDEX access_audit_at ON access_audit (at);
CREATE INDEX access_audit_actor ON access_audit (actor_subject, at);
CREATE INDEX access_audit_target ON access_audit (target, at);
