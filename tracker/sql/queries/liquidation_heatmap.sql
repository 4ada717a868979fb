-- The chart's liquidation heatmap: the level model's buckets at every snapshot of $symbol between the UTC days
-- $since and $until (kind 'estimate', both sides summed: an ESTIMATE), and the realized liquidations of
-- every venue per hour and side (kind 'realized': the notional-weighted mean price as price_low = price_high;
-- a lower bound, Binance pushing at most one a second per symbol).
-- Parameters: $symbol (default 'BTC'), $since, $until (DATE, inclusive; NULL = no limit).
SELECT 'estimate' AS kind, ts, NULL AS side, price_low, price_high, sum(notional_usd) AS notional_usd
FROM liquidation_levels
WHERE symbol = coalesce($symbol, 'BTC')
  AND ($since IS NULL OR ts >= timezone('UTC', CAST(CAST($since AS DATE) AS TIMESTAMP)))
  AND ($until IS NULL OR ts <= timezone('UTC', CAST(CAST($until AS DATE) + 1 AS TIMESTAMP)))
GROUP BY ts, price_low, price_high
UNION ALL
SELECT 'realized', time_bucket(INTERVAL 1 HOUR, ts, 'UTC'), side,
       CAST(sum(notional_usd) / sum(qty) AS DECIMAL(38, 12)), CAST(sum(notional_usd) / sum(qty) AS DECIMAL(38, 12)),
       sum(notional_usd)
FROM liquidations
WHERE symbol = coalesce($symbol, 'BTC')
  AND ($since IS NULL OR ts >= timezone('UTC', CAST(CAST($since AS DATE) AS TIMESTAMP)))
  AND ($until IS NULL OR ts < timezone('UTC', CAST(CAST($until AS DATE) + 1 AS TIMESTAMP)))
GROUP BY 2, 3
ORDER BY kind, ts, price_low;
