-- The days a chain/token is synced over (005's view, same days, cheaper): block times rise with block
-- numbers, so the chain's first stored block and the block at last_block (every sync step and every reorg
-- rollback stores that one) bound them. 005's min/max over every stored block up to last_block took
-- 30-80 ms at 5M blocks, in each of the report's status, supply and reserves queries.
CREATE OR REPLACE VIEW synced_days AS
SELECT s.chain, s.token, CAST(unnest(generate_series(
           CAST(timezone('UTC', f.block_time) AS DATE),
           CAST(timezone('UTC', l.block_time) AS DATE), INTERVAL 1 DAY)) AS DATE) AS day
FROM sync_state s
JOIN (SELECT chain, min(block_number) AS first_block FROM blocks GROUP BY chain) b ON b.chain = s.chain
JOIN blocks f ON f.chain = s.chain AND f.block_number = b.first_block
JOIN blocks l ON l.chain = s.chain AND l.block_number = s.last_block;
