"""Market data from venues: one module per venue (client + payload decoders), shared rows and paging, the sync."""
