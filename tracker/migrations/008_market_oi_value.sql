
-- What this migration defined now lives in tracker/sql/views/ (17_market_daily.sql).
