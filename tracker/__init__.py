"""Stablecoin flow tracker: USDT exchange flows on Ethereum and Tron, in DuckDB."""

__version__ = "0.1.0"

import decimal as _decimal

# Amounts of an 18-decimal token hold up to 38 digits; Python's default 28-digit context would round their
# sums in the report and signals. 76 digits hold any product of two of them.
_decimal.DefaultContext.prec = max(_decimal.DefaultContext.prec, 76)
_decimal.getcontext().prec = max(_decimal.getcontext().prec, 76)
