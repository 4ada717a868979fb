CREATE OR REPLACE MACRO tx_hash_text(chain_name, hash_bytes) AS
    CASE WHEN chain_name = 'tron' THEN '' ELSE '0x' END || lower(hex(hash_bytes));
