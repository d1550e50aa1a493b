-- The generator's "golden" store and its answer key.
--
-- reference_transactions is what reconciliation compares each event with:
-- the generator writes a row for every transaction (payment, refund, top-up)
-- durably before it XADDs the event, keyed by the event id, so a re-run of
-- the same batch adds nothing. Inconsistencies are injected on purpose (see
-- generator_ground_truth), never by accident.
CREATE TABLE reference_transactions (
    transaction_id uuid PRIMARY KEY,
    account        text        NOT NULL,
    type           text        NOT NULL CHECK (type IN ('payment', 'refund', 'topup')),
    amount         bigint      NOT NULL CHECK (amount >= 0),
    currency       char(3)     NOT NULL,
    occurred_at    timestamptz NOT NULL,
    -- Wall-clock time of the write: reconciliation's grace period for
    -- "ledger row without event" counts from here, not from business time.
    recorded_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX reference_transactions_recorded_at ON reference_transactions (recorded_at);

-- What the generator did on purpose: fraud scenarios (labelled per event,
-- grouped by incident) and injected inconsistencies. No service reads this
-- table; only the scoring reports do, so detection is never told the answer.
CREATE TABLE generator_ground_truth (
    category       text        NOT NULL CHECK (category IN ('fraud', 'inconsistency')),
    name           text        NOT NULL,
    transaction_id uuid        NOT NULL,
    incident_id    uuid,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (category, name, transaction_id)
);

CREATE INDEX generator_ground_truth_incident ON generator_ground_truth (incident_id) WHERE incident_id IS NOT NULL;
