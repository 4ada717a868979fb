"""Stablecoin flow tracker: USDT exchange flows on Ethereum and Tron, in DuckDB."""

__version__ = "0.1.0"
