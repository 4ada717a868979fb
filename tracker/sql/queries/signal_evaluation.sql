-- Were the signals worth anything? Forward returns of $symbol's close (market_daily) h days after each day,
-- grouped by the day's regime ('regime'), by the regime entered on shift days ('shift'), by each rule on the days
-- it fired ('rule'), and over every day with a forward return ('baseline', the unconditional figure to compare
-- with). hit_rate: the share of days that went the group's way (risk_off, and a rule of negative weight: down;
-- risk_on, neutral and a rule of positive weight: up); baseline_hit_rate: the same share over all days;
-- excess_return = mean - baseline mean. Parameters: $symbol (default 'BTC'), $scope (default 'all'), $horizons
-- (default '1,3,7'), $down_rules (the rules that expect a fall, comma-separated; `tracker signals evaluate`
-- passes those whose weight setting is negative; default: the default weights').
WITH closes AS (
    SELECT day, close FROM market_daily WHERE symbol = coalesce($symbol, 'BTC') AND close IS NOT NULL
),
horizons AS (
    SELECT DISTINCT unnest(CAST(string_split(coalesce(CAST($horizons AS VARCHAR), '1,3,7'), ',') AS INTEGER[])) AS horizon
),
down_rules AS (
    SELECT unnest(string_split(coalesce(CAST($down_rules AS VARCHAR), 'leverage_buildup,risk_off_outflow,'
           || 'fragile_levels,options_pinning,vol_fragility,put_call_complacency'), ',')) AS rule
),
forward AS (
    SELECT h.horizon, s.day, s.regime, s.shift, s.rules, CAST(later.close / now.close - 1 AS DOUBLE) AS forward_return
    FROM signals s
    CROSS JOIN horizons h
    JOIN closes now ON now.day = s.day
    JOIN closes later ON later.day = s.day + h.horizon
    WHERE s.scope = coalesce($scope, 'all')
),
fired AS (
    SELECT horizon, unnest(string_split(rules, ',')) AS rule, forward_return FROM forward WHERE rules <> ''
),
grouped AS (
    SELECT horizon, 'regime' AS kind, regime AS "group", regime = 'risk_off' AS down, forward_return FROM forward
    UNION ALL
    SELECT horizon, 'shift', regime, regime = 'risk_off', forward_return FROM forward WHERE shift
    UNION ALL
    SELECT horizon, 'rule', rule, rule IN (SELECT rule FROM down_rules), forward_return FROM fired
    UNION ALL
    SELECT horizon, 'baseline', 'all days', false, forward_return FROM forward
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
    avg(CAST(CASE WHEN g.down THEN g.forward_return < 0 ELSE g.forward_return > 0 END AS INTEGER)) AS hit_rate,
    any_value(CASE WHEN g.down THEN b.down_share ELSE b.up_share END) AS baseline_hit_rate,
    any_value(b.mean_return) AS baseline_mean_return,
    avg(g.forward_return) - any_value(b.mean_return) AS excess_return
FROM grouped g
JOIN baseline b USING (horizon)
GROUP BY g.horizon, g.kind, g."group", g.down
ORDER BY g.horizon, g.kind = 'baseline', g.kind, g."group";
