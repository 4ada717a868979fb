-- Tron: zero-address Transfer legs of Issue/Redeem are kept but marked, so nothing counts a mint twice.
ALTER TABLE transfers ADD COLUMN supply_leg VARCHAR;  -- 'mint' (from 0x0), 'burn' (to 0x0), else NULL

-- Which source filled a chain/token: Tron's JSON-RPC and TronGrid number logs differently, so they never mix.
ALTER TABLE sync_state ADD COLUMN source VARCHAR;
UPDATE sync_state SET source = 'jsonrpc';

-- TronGrid events carry no block hash (they are served solidified, so no reorg check needs one).
ALTER TABLE blocks ALTER COLUMN block_hash DROP NOT NULL;
