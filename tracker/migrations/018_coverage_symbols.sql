-- Issue 18: which symbols a stream's coverage holds for. The collector keeps only the symbols it was asked
-- for, so an all-market stream (Binance !forceOrder@arr, OKX liquidation-orders:SWAP) connected for BTC says
-- nothing about ETH. NULL on rows written before: read as every symbol the file holds liquidations of.
ALTER TABLE stream_coverage ADD COLUMN symbols VARCHAR[];
