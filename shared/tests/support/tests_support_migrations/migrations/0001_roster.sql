CREATE TABLE roster (employee_id text PRIMARY KEY, team_id text NOT NULL);
