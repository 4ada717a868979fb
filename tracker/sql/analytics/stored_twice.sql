-- Logs stored more than once in blocks $low..$high (see tracker/analytics/reserves.py: checked slice by slice).
SELECT count(*), min(block_number), max(block_number) FROM (
    SELECT block_number FROM transfer_logs
    WHERE chain = $chain AND token = $token AND block_number BETWEEN $low AND $high
    GROUP BY block_number, tx_hash, log_index HAVING count(*) > 1
    UNION ALL
    SELECT block_number FROM supply_events
    WHERE chain = $chain AND token = $token AND block_number BETWEEN $low AND $high
    GROUP BY block_number, tx_hash, log_index HAVING count(*) > 1
);
