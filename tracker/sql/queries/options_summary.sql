-- Issue 19: per underlying and UTC day, the options figures of the report and the signals (view options_daily):
-- each venue's last snapshot of the day, venues added up; snapshot_ts = the latest of them. spot = the median
-- underlying_price of the day's nearest expiry. oi / call_oi / put_oi in coins, oi_usd = coins × underlying_price
-- (exact). put_call_ratio = put OI ÷ call OI (coins). iv_oi_weighted: mark IV (a fraction, 0.5 = 50 %) weighted
-- by OI. key_strikes: the 3 strikes with the largest OI (calls + puts, every expiry) within ±10 % of spot, largest
-- first; key_strike / key_strike_oi the first. oi_within_5pct(_share): OI at strikes within ±5 % of spot (and its
-- share of all OI). oi_expiring_7d(_usd): OI of expiries before the end of the 7th day after the day. dvol: Deribit's
-- DVOL daily close (index points), dvol_change_7d its change against 7 days before (a fraction). A day with DVOL
-- and no snapshot has NULL chain figures: unknown, not zero.
-- Parameters (NULL = no filter): $underlying, $since, $until (DATE, inclusive).
SELECT underlying, day, snapshot_ts, venues, spot, oi, CAST(oi_usd AS DECIMAL(38, 18)) AS oi_usd, call_oi, put_oi,
       put_call_ratio, iv_oi_weighted, key_strikes, key_strike, key_strike_oi, oi_within_5pct, oi_within_5pct_share,
       oi_expiring_7d, CAST(oi_expiring_7d_usd AS DECIMAL(38, 18)) AS oi_expiring_7d_usd, dvol, dvol_change_7d
FROM options_daily
WHERE ($underlying IS NULL OR underlying = $underlying)
  AND ($since IS NULL OR day >= CAST($since AS DATE))
  AND ($until IS NULL OR day <= CAST($until AS DATE))
ORDER BY day, underlying;
