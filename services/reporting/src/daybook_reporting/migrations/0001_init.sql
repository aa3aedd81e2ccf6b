-- Reporting's read models. The truth is the event log (the kit's `events` table); every table here
-- can be rebuilt from the streams.

-- The roster, from hr.> (who works where, for whom, in which timezone).
-- `assigned_on` is the effective date of the assignment the row shows: an older event arriving
-- late never overwrites a newer assignment.
CREATE TABLE roster (
    employee_id    text PRIMARY KEY,
    team_id        text NOT NULL,
    supervisor_id  text,
    role           text NOT NULL,
    timezone       text NOT NULL,
    hired_on       date NOT NULL,
    left_on        date,
    assigned_on    date NOT NULL
);
CREATE INDEX roster_by_supervisor ON roster (supervisor_id);
CREATE INDEX roster_by_team ON roster (team_id);

-- Attendance's calendar facts: schedules (by effective date), company holidays, approved leave.
CREATE TABLE work_schedules (
    employee_id     text NOT NULL,
    effective_from  date NOT NULL,
    schedule_id     uuid NOT NULL,
    workdays        smallint[] NOT NULL,
    starts_at       time NOT NULL,
    ends_at         time NOT NULL,
    timezone        text NOT NULL,
    assigned_at     timestamptz NOT NULL,
    PRIMARY KEY (employee_id, effective_from)
);

-- A holiday is in force when it was declared after its latest cancellation (order-insensitive).
CREATE TABLE holidays (
    holiday_date  date PRIMARY KEY,
    declared_at   timestamptz,
    cancelled_at  timestamptz
);

CREATE TABLE approved_leave (
    request_id   uuid PRIMARY KEY,
    employee_id  text NOT NULL,
    first_day    date NOT NULL,
    last_day     date NOT NULL
);
CREATE INDEX approved_leave_by_employee ON approved_leave (employee_id, first_day);

-- Daily reports (R-A2): one row per employee and day that has a report or a missed record.
CREATE TABLE daily_reports (
    employee_id        text NOT NULL,
    report_date        date NOT NULL,
    supervisor_id      text,
    deadline           timestamptz NOT NULL,
    revision           integer NOT NULL DEFAULT 0,
    first_submitted_at timestamptz,
    last_submitted_at  timestamptz,
    on_time            boolean,
    missed             boolean NOT NULL DEFAULT false,
    work               text,
    progress           text,
    challenges         text,
    solutions          text,
    reviews            integer NOT NULL DEFAULT 0,
    last_reviewed_at   timestamptz,
    last_reviewer_id   text,
    last_review        text,
    PRIMARY KEY (employee_id, report_date)
);
CREATE INDEX daily_reports_by_supervisor ON daily_reports (supervisor_id, report_date);

-- Where the missed-report sweep is per employee: the first day not yet settled, and when it falls
-- due (null: not computed yet). Replicas take rows with SKIP LOCKED, so each is swept once.
CREATE TABLE daily_report_sweep (
    employee_id  text PRIMARY KEY,
    next_date    date NOT NULL,
    next_due_at  timestamptz
);

-- Targets and goals (R-A3).
CREATE TABLE targets (
    target_id     uuid PRIMARY KEY,
    team_id       text,
    metric        text NOT NULL,
    amount        numeric(18, 2),
    currency      text,
    count         integer,
    period_start  date NOT NULL,
    period_end    date NOT NULL,
    set_at        timestamptz NOT NULL
);

CREATE TABLE goals (
    goal_id       uuid PRIMARY KEY,
    target_id     uuid NOT NULL REFERENCES targets (target_id),
    employee_id   text NOT NULL,
    team_id       text,
    metric        text NOT NULL,
    amount        numeric(18, 2),
    currency      text,
    count         integer,
    cadence       text NOT NULL,
    period_start  date NOT NULL,
    period_end    date NOT NULL,
    revision      integer NOT NULL,
    set_at        timestamptz NOT NULL
);
CREATE INDEX goals_by_employee ON goals (employee_id);
CREATE INDEX goals_by_target ON goals (target_id);

-- Progress per goal period (R-A3, R-B2.4): reported, missed, or (late) both.
CREATE TABLE goal_progress (
    goal_id           uuid NOT NULL,
    period_start      date NOT NULL,
    period_end        date NOT NULL,
    employee_id       text NOT NULL,
    deadline          timestamptz NOT NULL,
    reported          boolean NOT NULL DEFAULT false,
    achieved          numeric(18, 2),
    narrative         text,
    next_period_plan  text,
    submitted_at      timestamptz,
    on_time           boolean,
    missed            boolean NOT NULL DEFAULT false,
    PRIMARY KEY (goal_id, period_start)
);
CREATE INDEX goal_progress_by_employee ON goal_progress (employee_id);

CREATE TABLE goal_progress_sweep (
    goal_id            uuid PRIMARY KEY,
    next_period_start  date,
    next_due_at        timestamptz
);

-- Market research (R-B2.3) and the development log (R-A6, R-B5).
CREATE TABLE market_reports (
    report_id     uuid PRIMARY KEY,
    employee_id   text NOT NULL,
    topic         text NOT NULL,
    competitors   text[] NOT NULL,
    findings      text NOT NULL,
    submitted_at  timestamptz NOT NULL
);
CREATE INDEX market_reports_by_employee ON market_reports (employee_id, submitted_at);

CREATE TABLE development_log (
    entry_id     uuid PRIMARY KEY,
    employee_id  text NOT NULL,
    kind         text NOT NULL,
    title        text NOT NULL,
    hours        numeric(6, 2),
    on_date      date NOT NULL,
    issuer       text,
    expires_on   date
);
CREATE INDEX development_log_by_employee ON development_log (employee_id, on_date);
