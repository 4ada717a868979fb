-- Were the signals worth anything? Forward returns of $symbol's close (market_daily) h days after each day,
-- grouped by the day's regime ('regime'), by the regime entered on shift days ('shift'), and over every
-- day with a forward return ('baseline', the unconditional figure to compare with).
-- hit_rate: the share of days that went the regime's way (risk_off: down; risk_on and neutral: up);
-- baseline_hit_rate: the same share over all days (down for risk_off, up otherwise); excess_return = mean -
-- baseline mean. Parameters: $symbol (default 'BTC'), $scope (default 'all'), $horizons (default '1,3,7').
WITH closes AS (
    SELECT day, close FROM market_daily WHERE symbol = coalesce($symbol, 'BTC') AND close IS NOT NULL
),
horizons AS (
    SELECT DISTINCT unnest(CAST(string_split(coalesce(CAST($horizons AS VARCHAR), '1,3,7'), ',') AS INTEGER[])) AS horizon
),
forward AS (
    SELECT h.horizon, s.day, s.regime, s.shift, CAST(later.close / now.close - 1 AS DOUBLE) AS forward_return
    FROM signals s
    CROSS JOIN horizons h
    JOIN closes now ON now.day = s.day
    JOIN closes later ON later.day = s.day + h.horizon
    WHERE s.scope = coalesce($scope, 'all')
),
grouped AS (
    SELECT horizon, 'regime' AS kind, regime AS "group", forward_return FROM forward
    UNION ALL
    SELECT horizon, 'shift', regime, forward_return FROM forward WHERE shift
    UNION ALL
    SELECT horizon, 'baseline', 'all days', forward_return FROM forward
),
baseline AS (
    SELECT horizon, avg(forward_return) AS mean_return,
           avg(CAST(forward_return > 0 AS INTEGER)) AS up_share, avg(CAST(forward_return < 0 AS INTEGER)) AS down_share
    FROM forward GROUP BY horizon
)
SELECT
    g.horizon,
    g.kind,
    g."group",
    count(*) AS days,
    avg(g.forward_return) AS mean_return,
    median(g.forward_return) AS median_return,
    avg(CAST(CASE WHEN g."group" = 'risk_off' THEN g.forward_return < 0 ELSE g.forward_return > 0 END AS INTEGER))
        AS hit_rate,
    any_value(CASE WHEN g."group" = 'risk_off' THEN b.down_share ELSE b.up_share END) AS baseline_hit_rate,
    any_value(b.mean_return) AS baseline_mean_return,
    avg(g.forward_return) - any_value(b.mean_return) AS excess_return
FROM grouped g
JOIN baseline b USING (horizon)
GROUP BY g.horizon, g.kind, g."group"
ORDER BY g.horizon, g.kind = 'baseline', g.kind, g."group";
