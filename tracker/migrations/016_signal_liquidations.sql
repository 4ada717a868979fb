-- Issue 18: the liquidation features of a signal day (see queries/signal_features.sql): realized long and
-- short liquidations of the signals' symbol (all venues, exact sums; a lower bound), their ratio, the long
-- side's z-score against the trailing 30 well-covered days, the hours any venue's stream covered the day, and
-- the estimated-level model's notional within ±2 % / ±5 % of the close (an ESTIMATE). NULL = unknown.
ALTER TABLE signals ADD COLUMN long_liq_usd DECIMAL(38,18);
ALTER TABLE signals ADD COLUMN short_liq_usd DECIMAL(38,18);
ALTER TABLE signals ADD COLUMN liq_ratio DOUBLE;
ALTER TABLE signals ADD COLUMN long_liq_z DOUBLE;
ALTER TABLE signals ADD COLUMN liq_coverage_hours DOUBLE;
ALTER TABLE signals ADD COLUMN est_levels_2pct_usd DECIMAL(38,2);
ALTER TABLE signals ADD COLUMN est_levels_5pct_usd DECIMAL(38,2);
