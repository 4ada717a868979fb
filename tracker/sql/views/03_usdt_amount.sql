-- A raw amount in USDT (6 decimals), exactly: DECIMAL(38,0) × DECIMAL(7,6) is DECIMAL(38,6), no rounding.
CREATE OR REPLACE MACRO usdt_amount(raw) AS CAST(raw * 0.000001 AS DECIMAL(38, 6));
