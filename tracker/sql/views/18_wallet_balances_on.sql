CREATE OR REPLACE MACRO wallet_balances_on(day_value) AS TABLE
WITH later_anchor AS (
    SELECT b.chain, b.token, b.address, min(b.block_number) AS anchor_block,
           arg_min(b.balance, b.block_number) AS anchor_balance
    FROM balance_anchors b
    JOIN sync_state s ON s.chain = b.chain AND s.token = b.token AND b.block_number <= s.last_block
    JOIN blocks k ON k.chain = b.chain AND k.block_number = b.block_number
    WHERE k.block_time >= timezone('UTC', CAST(CAST(day_value AS DATE) + 1 AS TIMESTAMP))
    GROUP BY ALL
),
undone AS (
    SELECT c.chain, c.token, c.address, sum(c.delta_amount) AS amount
    FROM watched_balance_changes c JOIN later_anchor a USING (chain, token, address)
    WHERE c.block_time >= timezone('UTC', CAST(CAST(day_value AS DATE) + 1 AS TIMESTAMP))
      AND c.block_number <= a.anchor_block
    GROUP BY ALL
)
SELECT a.chain, a.token, a.address, CAST(a.anchor_balance - coalesce(u.amount, 0) AS amount) AS balance_end
FROM later_anchor a LEFT JOIN undone u USING (chain, token, address);
