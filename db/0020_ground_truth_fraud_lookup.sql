-- The fraud report and analytics' precision gauge ask, for every alerted
-- event, "is it labelled fraud?" (EXISTS on generator_ground_truth by
-- transaction_id). The primary key starts with (category, name), so each
-- probe walked every fraud label: 1.6 s per gauge pass at 200,000 events in
-- `make bench`, every 10 s, growing with the data. Labels are a few percent
-- of the events, so the index costs little to keep.
CREATE INDEX generator_ground_truth_fraud_transaction
    ON generator_ground_truth (transaction_id) WHERE category = 'fraud';
