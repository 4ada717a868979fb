-- Issue 19: the options features of a signal day (see queries/signal_features.sql), for the signals' symbol:
-- options OI in USD and the share of it at strikes within ±5 % of spot, the put/call OI ratio, the OI-weighted
-- mark IV (a fraction), Deribit's DVOL daily close (index points) and its 7-day change. NULL = unknown.
ALTER TABLE signals ADD COLUMN options_oi_usd DECIMAL(38,18);
ALTER TABLE signals ADD COLUMN options_near_share DOUBLE;
ALTER TABLE signals ADD COLUMN put_call_ratio DOUBLE;
ALTER TABLE signals ADD COLUMN options_iv DOUBLE;
ALTER TABLE signals ADD COLUMN dvol DECIMAL(38,12);
ALTER TABLE signals ADD COLUMN dvol_change_7d DOUBLE;
