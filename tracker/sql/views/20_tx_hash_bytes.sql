-- A transaction hash as stored text: Tron's are 64 hex digits, the others 0x + 64 (see chains.ChainFormat).
CREATE OR REPLACE MACRO tx_hash_bytes(chain_name, hash_text) AS
    unhex(CASE WHEN chain_name = 'tron' THEN hash_text ELSE hash_text[3:] END);
