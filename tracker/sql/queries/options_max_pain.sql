-- Issue 19: one row per expiry of $underlying's options on UTC day $day (each venue's last snapshot of the day,
-- venues added up). max_pain: the strike at which options of the expiry would pay their holders the least if the
-- underlying settled there — evaluated at each listed strike S: calls pay max(0, S − K) × OI, puts
-- max(0, K − S) × OI (K the strike, OI in coins; the lowest such strike on a tie); max_pain_payout_usd that
-- payout. call_oi / put_oi (coins), put_call_ratio = put OI ÷ call OI, iv_oi_weighted (mark IV as a fraction,
-- weighted by OI over the rows that have one), oi_usd (coins × underlying_price, exact), spot (the median
-- underlying price of the expiry's rows), share_of_oi (of all expiries' coins that day).
-- Parameters: $underlying (default 'BTC'), $day (DATE, required).
WITH chain AS (
    SELECT * FROM options_chain_by_day
    WHERE underlying = coalesce($underlying, 'BTC') AND day = CAST($day AS DATE) AND open_interest IS NOT NULL
),
candidates AS (
    SELECT DISTINCT expiry_day, strike AS settle FROM chain
),
payouts AS (
    SELECT s.expiry_day, s.settle,
           sum(CASE WHEN c.option_type = 'call' THEN greatest(s.settle - c.strike, 0)
                    ELSE greatest(c.strike - s.settle, 0) END * c.open_interest) AS payout
    FROM candidates s JOIN chain c ON c.expiry_day = s.expiry_day
    GROUP BY ALL
),
pain AS (
    SELECT expiry_day, arg_min(settle, (payout, settle)) AS max_pain, min(payout) AS payout
    FROM payouts GROUP BY expiry_day
),
expiries AS (
    SELECT expiry_day, min(expiry) AS expiry_ts,
           sum(CASE WHEN option_type = 'call' THEN open_interest ELSE 0 END) AS call_oi,
           sum(CASE WHEN option_type = 'put' THEN open_interest ELSE 0 END) AS put_oi,
           sum(open_interest * mark_iv) / nullif(sum(CASE WHEN mark_iv IS NOT NULL THEN open_interest END), 0) AS iv,
           sum(open_interest * underlying_price) AS oi_usd,
           median(underlying_price) AS spot
    FROM chain GROUP BY expiry_day
)
SELECT
    e.expiry_day AS expiry,
    e.expiry_ts,
    p.max_pain,
    CAST(p.payout AS DECIMAL(38, 18)) AS max_pain_payout_usd,
    e.call_oi,
    e.put_oi,
    e.call_oi + e.put_oi AS oi,
    CAST(e.put_oi / nullif(e.call_oi, 0) AS DOUBLE) AS put_call_ratio,
    CAST(e.iv AS DOUBLE) AS iv_oi_weighted,
    CAST(e.oi_usd AS DECIMAL(38, 18)) AS oi_usd,
    e.spot,
    CAST((e.call_oi + e.put_oi) / nullif(sum(e.call_oi + e.put_oi) OVER (), 0) AS DOUBLE) AS share_of_oi
FROM expiries e
JOIN pain p USING (expiry_day)
ORDER BY e.expiry_day;
