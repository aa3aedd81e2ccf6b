-- Attendance's read models. The truth is the event log (the kit's `events` table); every table
-- here is written from events, in the transaction that appends them (attendance's own) or by the
-- roster consumer (hr.>), and can be rebuilt from the streams.

-- The roster, from hr.>. `assigned_on` is the effective date of the assignment the row shows, so
-- an older transfer arriving late never overwrites a newer one.
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

-- Work schedules by assignment order (the stream `attendance-schedule-<employee>` is the truth).
CREATE TABLE schedules (
    schedule_id          uuid PRIMARY KEY,
    employee_id          text NOT NULL,
    assignment           bigint GENERATED ALWAYS AS IDENTITY,
    effective_from       date NOT NULL,
    workdays             text[] NOT NULL,
    starts_at            time NOT NULL,
    ends_at              time NOT NULL,
    late_grace_minutes   integer NOT NULL,
    early_grace_minutes  integer NOT NULL,
    timezone             text NOT NULL,
    assigned_at          timestamptz NOT NULL
);
CREATE INDEX schedules_by_employee ON schedules (employee_id, assignment);

-- The company holiday calendar (stream `attendance-calendar`).
CREATE TABLE holidays (
    holiday_date  date PRIMARY KEY,
    name          text NOT NULL
);

-- Leave requests and, once approved, the days they cover.
CREATE TABLE leave_requests (
    request_id    uuid PRIMARY KEY,
    employee_id   text NOT NULL,
    first_day     date NOT NULL,
    last_day      date NOT NULL,
    leave_type    text NOT NULL,
    reason        text NOT NULL,
    requested_at  timestamptz NOT NULL,
    status        text NOT NULL DEFAULT 'pending',
    decided_by    text,
    decided_at    timestamptz,
    note          text
);
CREATE INDEX leave_requests_pending ON leave_requests (employee_id) WHERE status = 'pending';

CREATE TABLE leave_days (
    employee_id  text NOT NULL,
    work_date    date NOT NULL,
    request_id   uuid NOT NULL,
    leave_type   text NOT NULL,
    approved_at  timestamptz NOT NULL,
    PRIMARY KEY (employee_id, work_date, request_id)
);

-- Late-arrival and early-leave requests (they live in the day's stream).
CREATE TABLE day_requests (
    request_id    uuid PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('late_arrival', 'early_leave')),
    employee_id   text NOT NULL,
    work_date     date NOT NULL,
    target        timestamptz NOT NULL,
    requested_at  timestamptz NOT NULL,
    in_advance    boolean,
    reason        text NOT NULL,
    status        text NOT NULL DEFAULT 'pending',
    decided_by    text,
    decided_at    timestamptz,
    note          text
);
CREATE INDEX day_requests_pending ON day_requests (employee_id) WHERE status = 'pending';

-- One row per employee and day that has a stream: what the day shows now.
CREATE TABLE days (
    employee_id        text NOT NULL,
    work_date          date NOT NULL,
    timezone           text NOT NULL,
    day_kind           text NOT NULL,
    closed             boolean NOT NULL,
    punches            jsonb NOT NULL,
    first_clock_in     timestamptz,
    last_clock_out     timestamptz,
    worked_minutes     integer NOT NULL,
    missing_clock_out  boolean NOT NULL,
    late_minutes       integer,
    late_excused       boolean,
    early_minutes      integer,
    early_excused      boolean,
    absent             boolean NOT NULL,
    absence_excused    boolean,
    corrections        integer NOT NULL,
    revision           integer NOT NULL,
    updated_at         timestamptz NOT NULL,
    PRIMARY KEY (employee_id, work_date)
);
CREATE INDEX days_by_date ON days (work_date);

-- How far the scheduled day close has closed every day of an employee, in order.
CREATE TABLE close_watermarks (
    employee_id    text PRIMARY KEY,
    closed_through date NOT NULL
);
