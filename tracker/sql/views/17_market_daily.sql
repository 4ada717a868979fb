-- Bybit reports open interest in coins only: its USD value is derived here from the same venue's daily
-- candle (the open for a 00:00 UTC snapshot, which is the price at that moment; the close otherwise).
-- Per symbol and UTC day: funding (mean rate, settlements seen, annualized = mean × settlements × 365),
-- OI-weighted funding across exchanges, total OI and its 1d/7d change and drawdown from the 90-day high,
-- the long/short account ratio (mean across exchanges of each one's last reading) and the close price.
CREATE OR REPLACE VIEW market_daily AS
WITH funding_day AS (
    SELECT exchange, symbol, CAST(timezone('UTC', funding_time) AS DATE) AS day,
           avg(rate) AS mean_rate, count(*) AS settlements
    FROM funding_rates GROUP BY ALL
),
oi_day AS (
    SELECT o.exchange, o.symbol, CAST(timezone('UTC', o.ts) AS DATE) AS day,
           arg_max(coalesce(o.oi_value_usd, CAST(CAST(o.oi_contracts AS DECIMAL(38,8))
                   * CAST(CASE WHEN CAST(timezone('UTC', o.ts) AS TIME) = TIME '00:00:00' THEN p.open ELSE p.close END
                          AS DECIMAL(38,8)) AS DECIMAL(38,12))), o.ts) AS oi_usd
    FROM open_interest o
    LEFT JOIN prices p ON p.exchange = o.exchange AND p.symbol = o.symbol AND p.day = CAST(timezone('UTC', o.ts) AS DATE)
    GROUP BY ALL
),
ratio_day AS (
    SELECT exchange, symbol, CAST(timezone('UTC', ts) AS DATE) AS day, arg_max(ratio, ts) AS ratio
    FROM long_short_ratio GROUP BY ALL
),
days AS (
    SELECT symbol, day FROM funding_day UNION SELECT symbol, day FROM oi_day
    UNION SELECT symbol, day FROM ratio_day UNION SELECT symbol, day FROM prices
),
per_symbol AS (
    SELECT d.symbol, d.day,
        (SELECT avg(f.mean_rate) FROM funding_day f WHERE f.symbol = d.symbol AND f.day = d.day) AS funding_rate,
        (SELECT CAST(avg(f.mean_rate * f.settlements * 365) AS DOUBLE) FROM funding_day f
          WHERE f.symbol = d.symbol AND f.day = d.day) AS funding_annualized,
        (SELECT CAST(sum(f.mean_rate * f.settlements * 365 * o.oi_usd) / nullif(sum(o.oi_usd), 0) AS DOUBLE)
           FROM funding_day f JOIN oi_day o USING (exchange, symbol, day)
          WHERE f.symbol = d.symbol AND f.day = d.day) AS funding_annualized_oi_weighted,
        (SELECT sum(o.oi_usd) FROM oi_day o WHERE o.symbol = d.symbol AND o.day = d.day) AS oi_usd,
        (SELECT avg(r.ratio) FROM ratio_day r WHERE r.symbol = d.symbol AND r.day = d.day) AS long_short_ratio,
        (SELECT arg_min(p.close, p.exchange <> 'binance') FROM prices p WHERE p.symbol = d.symbol AND p.day = d.day) AS close
    FROM days d
)
SELECT s.symbol, s.day, s.funding_rate, s.funding_annualized, s.funding_annualized_oi_weighted, s.oi_usd,
       CAST(s.oi_usd / nullif(d1.oi_usd, 0) - 1 AS DOUBLE) AS oi_change_1d,
       CAST(s.oi_usd / nullif(d7.oi_usd, 0) - 1 AS DOUBLE) AS oi_change_7d,
       CAST(s.oi_usd / nullif(max(s.oi_usd) OVER (PARTITION BY s.symbol ORDER BY s.day
            RANGE BETWEEN INTERVAL 89 DAY PRECEDING AND CURRENT ROW), 0) - 1 AS DOUBLE) AS oi_drawdown_90d,
       s.long_short_ratio, s.close
FROM per_symbol s
LEFT JOIN per_symbol d1 ON d1.symbol = s.symbol AND d1.day = s.day - 1
LEFT JOIN per_symbol d7 ON d7.symbol = s.symbol AND d7.day = s.day - 7;
