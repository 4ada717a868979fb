-- The stored signals (see `tracker signals`): regime, score, confidence, the rules that fired with their
-- numbers, missing inputs, and the features behind them (liquidation totals are a lower bound; est_levels_*
-- are a model's estimate; options_*, put_call_ratio, dvol*: the options features). Parameters (NULL = no
-- filter): $scope ('all', 'ethereum', 'tron'), $since, $until (DATE, inclusive).
SELECT day, scope, regime, shift, score, confidence, netflow, netflow_z, net_issuance_7d, reserve_change_pct,
       funding_annualized, oi_change_7d, oi_drawdown_90d, long_short_ratio, long_liq_usd, short_liq_usd, liq_ratio,
       long_liq_z, liq_coverage_hours, est_levels_2pct_usd, est_levels_5pct_usd, options_oi_usd, options_near_share,
       put_call_ratio, options_iv, dvol, dvol_change_7d, symbol, rules, reasons, missing
FROM signals
WHERE ($scope IS NULL OR scope = $scope)
  AND ($since IS NULL OR day >= CAST($since AS DATE))
  AND ($until IS NULL OR day <= CAST($until AS DATE))
ORDER BY day, scope <> 'all', scope;
