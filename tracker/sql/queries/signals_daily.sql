-- The stored signals (see `tracker signals`): regime, score, confidence, the rules that fired with their
-- numbers, missing inputs, and the features behind them. Parameters (NULL = no filter): $scope ('all',
-- 'ethereum', 'tron'), $since, $until (DATE, inclusive).
SELECT day, scope, regime, shift, score, confidence, netflow, netflow_z, net_issuance_7d, reserve_change_pct,
       funding_annualized, oi_change_7d, oi_drawdown_90d, long_short_ratio, symbol, rules, reasons, missing
FROM signals
WHERE ($scope IS NULL OR scope = $scope)
  AND ($since IS NULL OR day >= CAST($since AS DATE))
  AND ($until IS NULL OR day <= CAST($until AS DATE))
ORDER BY day, scope <> 'all', scope;
