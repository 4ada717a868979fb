-- Issue 19: open interest by strike of $underlying's options on UTC day $day: for each venue its last snapshot of
-- the day (view options_chain_by_day; a venue without one that day is left out, not shown stale), venues added
-- up. Per expiry (its UTC date) and strike: call_oi / put_oi in coins of the underlying, call_oi_usd / put_oi_usd
-- (coins × the row's underlying_price, exact sums), oi_usd, and per venue the coins (venues: 'deribit 120.5,
-- okx 3'). spot: the underlying price the expiry was priced against (median over its rows).
-- Parameters: $underlying (default 'BTC'), $expiry (a DATE; NULL = every expiry), $day (DATE, required).
WITH chain AS (
    SELECT * FROM options_chain_by_day
    WHERE underlying = coalesce($underlying, 'BTC') AND day = CAST($day AS DATE) AND open_interest IS NOT NULL
      AND ($expiry IS NULL OR expiry_day = CAST($expiry AS DATE))
),
per_venue AS (
    SELECT expiry_day, strike, venue, sum(open_interest) AS oi FROM chain GROUP BY ALL
)
SELECT
    c.expiry_day AS expiry,
    c.strike,
    sum(CASE WHEN c.option_type = 'call' THEN c.open_interest ELSE 0 END) AS call_oi,
    sum(CASE WHEN c.option_type = 'put' THEN c.open_interest ELSE 0 END) AS put_oi,
    CAST(sum(CASE WHEN c.option_type = 'call' THEN c.open_interest * c.underlying_price ELSE 0 END)
         AS DECIMAL(38, 18)) AS call_oi_usd,
    CAST(sum(CASE WHEN c.option_type = 'put' THEN c.open_interest * c.underlying_price ELSE 0 END)
         AS DECIMAL(38, 18)) AS put_oi_usd,
    CAST(sum(c.open_interest * c.underlying_price) AS DECIMAL(38, 18)) AS oi_usd,
    median(c.underlying_price) AS spot,
    (SELECT string_agg(v.venue || ' ' || rtrim(rtrim(CAST(v.oi AS VARCHAR), '0'), '.'), ', ' ORDER BY v.venue)
     FROM per_venue v WHERE v.expiry_day = c.expiry_day AND v.strike = c.strike) AS venues
FROM chain c
GROUP BY c.expiry_day, c.strike
ORDER BY c.expiry_day, c.strike;
