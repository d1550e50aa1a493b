-- What shaped each generator run's events, so a run can be replayed from its seed.
--
-- Since issue 16 a running generator takes `PUT /v1/generator/config` without a restart: the
-- rate and load profile only pace the writes (they never change the events), but a new mix,
-- fraud or inconsistency rate, weights or traffic profile changes what the simulation draws
-- from the next step on. Such a change is deliberate, so it is recorded: one row for the
-- configuration a run began with (at_step 0) and one per live change, at the number of
-- simulation steps (`TrafficSimulator.next()` calls) of the run before it. Replaying a run is
-- then: continue its world, run each row's configuration until the next row's step.
-- Scenarios and events asked for over REST are not steps and are not recorded here.
--
-- Two changes between the same two steps (a PUT while paused for lag) keep the last: it is
-- the one that shaped the events.
CREATE TABLE generator_configuration_changes (
    run_id        integer     NOT NULL REFERENCES generator_runs (run_id),
    at_step       bigint      NOT NULL,
    -- The configuration as `GET /v1/generator` shows it (snake_case JSON).
    configuration jsonb       NOT NULL,
    changed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, at_step)
);

-- The generator writes the rows (ON CONFLICT ... DO UPDATE needs UPDATE); nobody else reads them yet.
GRANT SELECT, INSERT, UPDATE ON generator_configuration_changes TO payflow_generator;
