-- Issue 19: one row per underlying and UTC day with an options snapshot or a DVOL candle: the figures the report
-- and the signals read (see queries/options_summary.sql for their meaning). Chains: options_chain_by_day (each
-- venue's last snapshot of the day, venues added up). spot = the median underlying_price of the day's nearest
-- expiry in those chains (the price the venues priced their nearest options against: the index or the nearest
-- future). OI is in coins of the underlying, USD = OI × the row's underlying_price, exact sums. DVOL: Deribit's
-- daily ('1D') candle that opens on the day; dvol_change_7d against the candle 7 days before (NULL without it).
CREATE OR REPLACE VIEW options_daily AS
WITH chain AS (
    SELECT * FROM options_chain_by_day WHERE open_interest IS NOT NULL
),
nearest AS (
    SELECT underlying, day, min(expiry) AS expiry FROM chain GROUP BY ALL
),
spot AS (
    SELECT c.underlying, c.day, median(c.underlying_price) AS spot
    FROM chain c JOIN nearest n ON n.underlying = c.underlying AND n.day = c.day AND n.expiry = c.expiry
    GROUP BY ALL
),
totals AS (
    SELECT c.underlying, c.day, s.spot,
           count(DISTINCT c.venue) AS venues,
           max(c.snapshot_ts) AS snapshot_ts,
           sum(c.open_interest) AS oi,
           sum(c.open_interest * c.underlying_price) AS oi_usd,
           sum(CASE WHEN c.option_type = 'call' THEN c.open_interest ELSE 0 END) AS call_oi,
           sum(CASE WHEN c.option_type = 'put' THEN c.open_interest ELSE 0 END) AS put_oi,
           -- weighted over the rows that have a mark IV only: a row without one is not a 0 % IV
           sum(c.open_interest * c.mark_iv) / nullif(sum(CASE WHEN c.mark_iv IS NOT NULL THEN c.open_interest END), 0)
               AS iv_oi_weighted,
           sum(CASE WHEN c.strike BETWEEN s.spot * 0.95 AND s.spot * 1.05 THEN c.open_interest ELSE 0 END)
               AS oi_within_5pct,
           sum(CASE WHEN c.expiry < timezone('UTC', CAST(c.day + 8 AS TIMESTAMP)) THEN c.open_interest ELSE 0 END)
               AS oi_expiring_7d,
           sum(CASE WHEN c.expiry < timezone('UTC', CAST(c.day + 8 AS TIMESTAMP))
                    THEN c.open_interest * c.underlying_price ELSE 0 END) AS oi_expiring_7d_usd
    FROM chain c JOIN spot s ON s.underlying = c.underlying AND s.day = c.day
    GROUP BY ALL
),
by_strike AS (
    -- key strikes: the largest OI (calls and puts, every expiry and venue) at strikes within ±10 % of spot
    SELECT c.underlying, c.day, c.strike, sum(c.open_interest) AS oi,
           row_number() OVER (PARTITION BY c.underlying, c.day ORDER BY sum(c.open_interest) DESC, c.strike) AS rank
    FROM chain c JOIN spot s ON s.underlying = c.underlying AND s.day = c.day
    WHERE c.strike BETWEEN s.spot * 0.9 AND s.spot * 1.1
    GROUP BY c.underlying, c.day, c.strike
),
keys AS (
    SELECT underlying, day,
           string_agg(rtrim(rtrim(CAST(strike AS VARCHAR), '0'), '.'), ', ' ORDER BY rank) AS key_strikes,
           max(CASE WHEN rank = 1 THEN strike END) AS key_strike,
           max(CASE WHEN rank = 1 THEN oi END) AS key_strike_oi
    FROM by_strike WHERE rank <= 3
    GROUP BY ALL
),
dvol AS (
    SELECT underlying, CAST(timezone('UTC', ts) AS DATE) AS day, close
    FROM volatility_index WHERE venue = 'deribit' AND resolution = '1D'
),
dvol_change AS (
    SELECT d.underlying, d.day, d.close AS dvol, CAST(d.close / nullif(w.close, 0) - 1 AS DOUBLE) AS dvol_change_7d
    FROM dvol d LEFT JOIN dvol w ON w.underlying = d.underlying AND w.day = d.day - 7
)
SELECT
    coalesce(t.underlying, v.underlying) AS underlying,
    coalesce(t.day, v.day) AS day,
    t.snapshot_ts,
    t.venues,
    t.spot,
    t.oi,
    t.oi_usd,
    t.call_oi,
    t.put_oi,
    CAST(t.put_oi / nullif(t.call_oi, 0) AS DOUBLE) AS put_call_ratio,
    CAST(t.iv_oi_weighted AS DOUBLE) AS iv_oi_weighted,
    k.key_strikes,
    k.key_strike,
    k.key_strike_oi,
    t.oi_within_5pct,
    CAST(t.oi_within_5pct / nullif(t.oi, 0) AS DOUBLE) AS oi_within_5pct_share,
    t.oi_expiring_7d,
    t.oi_expiring_7d_usd,
    v.dvol,
    v.dvol_change_7d
FROM totals t
LEFT JOIN keys k ON k.underlying = t.underlying AND k.day = t.day
FULL JOIN dvol_change v ON v.underlying = t.underlying AND v.day = t.day;
