"""Chain ingest: the sync pipeline (`sync`), range sizing, one entry per source (`sources`); `evm/` and `tron/` speak the nodes and APIs."""
