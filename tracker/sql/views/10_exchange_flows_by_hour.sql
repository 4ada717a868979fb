CREATE OR REPLACE VIEW exchange_flows_by_hour AS SELECT * FROM exchange_flows_for_days(NULL, NULL);
