-- The labels flows and reserves use. Discovered labels (method 'discovered:deposit' / 'discovered:hot', see
-- `tracker labels discover`) count only when the session variable with_discovered is true
-- (`--with-discovered`, or SET VARIABLE with_discovered = true in the duckdb CLI).
CREATE OR REPLACE VIEW flow_labels AS
SELECT * FROM labels
WHERE method NOT LIKE 'discovered:%' OR coalesce(TRY_CAST(getvariable('with_discovered') AS BOOLEAN), false);
