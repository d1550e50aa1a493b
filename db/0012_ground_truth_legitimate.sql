-- Hard negatives in the answer key: the realistic generator profile labels
-- legitimate traffic that looks like fraud (a traveller, a payroll day...) as
-- category 'legitimate', named after its shape, so a scorer can say which
-- false positives each shape causes. Scores of fraud still read only
-- category 'fraud'.
ALTER TABLE generator_ground_truth DROP CONSTRAINT generator_ground_truth_category_check;
ALTER TABLE generator_ground_truth ADD CONSTRAINT generator_ground_truth_category_check
    CHECK (category IN ('fraud', 'inconsistency', 'legitimate'));
