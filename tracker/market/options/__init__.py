"""Options: chain snapshots (Deribit, OKX, Bybit), Deribit's DVOL index and OKX's option statistics."""
