-- The appraisal service's read models, in its own schema (next to the kit's tables).

-- Consumed read models (facts, hr events, roster) are kept per generation, so that they can be
-- rebuilt from the streams beside the live one and switched to without downtime. The live
-- consumer writes into every generation not retired; a rebuild catches its new generation up
-- from sequence 1 to the stream positions recorded when it began (`catch_up_to`).
CREATE TABLE projection_generations (
    generation     integer PRIMARY KEY,
    status         text NOT NULL CHECK (status IN ('building', 'ready', 'live', 'retired')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    progressed_at  timestamptz NOT NULL DEFAULT now(),
    switched_at    timestamptz,
    catch_up_to    jsonb NOT NULL DEFAULT '{}',
    events_read    bigint NOT NULL DEFAULT 0,
    seconds        double precision
);
CREATE UNIQUE INDEX projection_generations_one_live
    ON projection_generations ((status)) WHERE status = 'live';
CREATE UNIQUE INDEX projection_generations_one_rebuild
    ON projection_generations ((status IN ('building', 'ready'))) WHERE status IN ('building', 'ready');
INSERT INTO projection_generations (generation, status, switched_at) VALUES (1, 'live', now());

-- What the appraisal counts (see domain/facts.py): one row per fact, a set keyed by the event.
-- `day` is a coarse date for range reads (the business date, else the UTC date of the fact's
-- time); the domain dates each fact exactly in the employee's timezone.
CREATE TABLE facts (
    generation     integer NOT NULL,
    employee_id    text NOT NULL,
    event_id       uuid NOT NULL,
    kind           text NOT NULL,
    event_type     text NOT NULL,
    occurred_at    timestamptz NOT NULL,
    on_date        date,
    attributed_at  timestamptz,
    until          date,
    value          numeric NOT NULL,
    unit           text,
    key            text,
    revision       integer NOT NULL,
    grade          text,
    day            date NOT NULL,
    PRIMARY KEY (generation, employee_id, event_id, kind)
) PARTITION BY LIST (generation);
CREATE TABLE facts_g1 PARTITION OF facts FOR VALUES IN (1);

-- The hr events of each employee, folded into `roster` by business date (order-insensitive).
CREATE TABLE hr_events (
    generation   integer NOT NULL,
    employee_id  text NOT NULL,
    event_id     uuid NOT NULL,
    event_type   text NOT NULL,
    occurred_at  timestamptz NOT NULL,
    payload      jsonb NOT NULL,
    PRIMARY KEY (generation, employee_id, event_id)
) PARTITION BY LIST (generation);
CREATE TABLE hr_events_g1 PARTITION OF hr_events FOR VALUES IN (1);

CREATE TABLE roster (
    generation     integer NOT NULL,
    employee_id    text NOT NULL,
    display_name   text,
    team_id        text,
    supervisor_id  text,
    role           text,
    timezone       text,
    hired_on       date,
    left_on        date,
    PRIMARY KEY (generation, employee_id)
) PARTITION BY LIST (generation);
CREATE TABLE roster_g1 PARTITION OF roster FOR VALUES IN (1);

-- The policy text each period pinned, kept so a pinned version always means the same rules.
CREATE TABLE pinned_policies (
    policy_version  text NOT NULL,
    sha256          text NOT NULL,
    document        text NOT NULL,
    pinned_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (policy_version, sha256)
);

-- Own views, updated in the transaction that appends the appraisal's own events.
CREATE TABLE periods (
    period_id        text PRIMARY KEY,
    starts_on        date NOT NULL,
    ends_on          date NOT NULL,
    timezone         text NOT NULL,
    policy_version   text NOT NULL,
    policy_sha256    text NOT NULL,
    opened_at        timestamptz NOT NULL,
    closed_at        timestamptz,
    appraised_count  integer
);

CREATE TABLE appraisals (
    period_id    text NOT NULL,
    employee_id  text NOT NULL,
    event_id     uuid NOT NULL UNIQUE,
    score        numeric NOT NULL,
    band         text NOT NULL,
    finalized    jsonb NOT NULL,
    reward       jsonb,
    finalized_at timestamptz NOT NULL,
    PRIMARY KEY (period_id, employee_id)
);

CREATE TABLE actions (
    action_id        uuid PRIMARY KEY,
    employee_id      text NOT NULL,
    period_id        text NOT NULL,
    level            text NOT NULL,
    policy_rule_id   text NOT NULL,
    incident_at      timestamptz NOT NULL,
    issued           jsonb NOT NULL,
    issued_at        timestamptz NOT NULL,
    appeal_id        uuid,
    appeal_decision  text
);
CREATE INDEX actions_by_employee ON actions (employee_id, incident_at);

CREATE TABLE appeals (
    appeal_id        uuid PRIMARY KEY,
    action_id        uuid NOT NULL,
    employee_id      text NOT NULL,
    reason           text NOT NULL,
    filed_at         timestamptz NOT NULL,
    filed_by         text,
    decision         text,
    decision_reason  text,
    decided_at       timestamptz,
    decided_by       text
);
