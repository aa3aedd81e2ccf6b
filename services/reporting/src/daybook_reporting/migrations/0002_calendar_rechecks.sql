-- Calendar facts that arrive after a day's deadline (leave approved afterwards, a holiday declared,
-- a schedule or employment change) may turn a missed report into a day that was never due. The
-- projections note the affected days here; the sweep withdraws such missed records and deletes
-- the note. `employee_id` NULL means everyone (a company holiday).
CREATE TABLE calendar_rechecks (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    employee_id  text,
    first_day    date NOT NULL,
    last_day     date NOT NULL
);

ALTER TABLE daily_reports ADD COLUMN missed_withdrawn boolean NOT NULL DEFAULT false;
CREATE INDEX daily_reports_missed ON daily_reports (report_date) WHERE missed AND NOT missed_withdrawn;
