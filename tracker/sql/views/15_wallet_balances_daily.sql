-- Anchored balances (005's view and 010's macro, unchanged but for reading watched_balance_changes).
CREATE OR REPLACE VIEW wallet_balances_daily AS
WITH anchor AS (
    -- anchors read at the head of a node that serves only `latest` count once the index reaches them
    SELECT b.chain, b.token, b.address, min(b.block_number) AS anchor_block,
           arg_min(b.balance, b.block_number) AS anchor_balance
    FROM balance_anchors b JOIN sync_state s ON s.chain = b.chain AND s.token = b.token
    WHERE b.block_number <= s.last_block
    GROUP BY ALL
),
per_day AS (
    SELECT c.chain, c.token, c.address, CAST(timezone('UTC', c.block_time) AS DATE) AS day,
           coalesce(sum(c.delta_amount) FILTER (WHERE c.block_number > a.anchor_block), 0) AS after_anchor,
           coalesce(sum(c.delta_amount) FILTER (WHERE c.block_number <= a.anchor_block), 0) AS before_anchor
    FROM watched_balance_changes c JOIN anchor a USING (chain, token, address)
    GROUP BY ALL
)
SELECT a.chain, a.token, a.address, d.day,
       CAST(a.anchor_balance
            + sum(coalesce(p.after_anchor, 0)) OVER (PARTITION BY a.chain, a.token, a.address ORDER BY d.day
                                                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
            - coalesce(sum(coalesce(p.before_anchor, 0)) OVER (PARTITION BY a.chain, a.token, a.address ORDER BY d.day
                                                     ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING), 0)
            AS amount) AS balance_end
FROM anchor a
JOIN synced_days d USING (chain, token)
LEFT JOIN per_day p ON p.chain = a.chain AND p.token = a.token AND p.address = a.address AND p.day = d.day;
