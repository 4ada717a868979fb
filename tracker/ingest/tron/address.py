"""Tron addresses: base58check `T…` ⇄ 21-byte hex `41…` ⇄ 20-byte EVM hex `0x…`.

One pure module, so every conversion the tracker makes is the same one. Tron
stores an address as 0x41 followed by the 20 bytes an EVM log carries; users see
it in base58check (4-byte double-SHA-256 checksum).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from tracker import compiled
from tracker.errors import TrackerError

if TYPE_CHECKING:
    import polars as pl

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: index for index, char in enumerate(_ALPHABET)}
_PREFIX = 0x41
_HEX40 = re.compile(r"^[0-9a-fA-F]{40}$")


def _checksum(payload: bytes) -> bytes:
    # Imported here, not at the top: commands that never spell a Tron address skip OpenSSL's start (≈ 2 ms).
    import hashlib

    return hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]


def _b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, remainder = divmod(number, 58)
        out.append(_ALPHABET[remainder])
    leading = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading + "".join(reversed(out))


def _b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        if char not in _INDEX:
            raise ValueError(f"{char!r} is not a base58 character")
        number = number * 58 + _INDEX[char]
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    leading = len(text) - len(text.lstrip("1"))
    return b"\0" * leading + body


@lru_cache(maxsize=1 << 20)
def base58_from_hex20(hex40: str) -> str:
    """`T…` for the 20 address bytes as 40 hex digits (how EVM logs and topics carry them)."""
    payload = bytes([_PREFIX]) + bytes.fromhex(hex40)
    return _b58encode(payload + _checksum(payload))


def hex20_from_base58(address: str) -> str:
    """40 hex digits (no prefix) for a `T…` address; a bad checksum raises."""
    try:
        raw = _b58decode(address)
    except ValueError as error:
        raise TrackerError(f"invalid Tron address {address!r}: {error}") from None
    if len(raw) != 25 or raw[0] != _PREFIX:
        raise TrackerError(f"invalid Tron address {address!r}: not a 21-byte 0x41 address")
    if _checksum(raw[:21]) != raw[21:]:
        raise TrackerError(f"invalid Tron address {address!r}: base58check checksum does not match")
    return raw[1:21].hex()


def normalize_tron_address(text: str, what: str = "Tron address") -> str:
    """Canonical base58 `T…` from base58, `41…` (21-byte hex) or `0x…` (20-byte hex)."""
    candidate = text.strip()
    if candidate.startswith("T"):
        hex20_from_base58(candidate)  # validates the checksum
        return candidate
    if candidate[:2] in ("0x", "0X") and _HEX40.match(candidate[2:]):
        return base58_from_hex20(candidate[2:].lower())
    if candidate[:2] == "41" and _HEX40.match(candidate[2:]):
        return base58_from_hex20(candidate[2:].lower())
    raise TrackerError(f"invalid {what} {text!r}: expected base58 T…, 41 + 40 hex digits, or 0x + 40 hex digits")


def evm_hex(address: str) -> str:
    """The 0x + 20-byte form Tron's JSON-RPC uses for a base58 address (no 41 prefix)."""
    return "0x" + hex20_from_base58(address)


def _base58_column(series: pl.Series) -> pl.Series | None:
    """The column spelled in one native call over polars' own memory (`_addressbook.base58check_hex`: each
    distinct address encoded once, answered as an Arrow array, ≈ 0.6 µs an address), or None where that is not
    built or the column holds anything but 40 hex digits (the Python path then decides)."""
    import polars as pl

    book = compiled.load("tracker._addressbook")
    if book is None:
        return None
    try:
        spelled = book.base58check_hex(series.cast(pl.String).__arrow_c_stream__(), _PREFIX)
    except ValueError:
        return None
    return pl.Series(series.name, compiled.ArrowArray(spelled))


def tron_address(hex40: pl.Expr) -> pl.Expr:
    """Vectorized 40-hex → base58: each distinct address is encoded once per batch."""
    # polars only here: the chain specs import this module on every start, decoding alone needs polars.
    import polars as pl

    def encode(series: pl.Series) -> pl.Series:
        native = _base58_column(series)
        if native is not None:
            return native
        distinct = series.drop_nulls().unique()  # ≈ 4.5 µs an address in Python (BENCHMARKS.md, issue 22)
        encoded = pl.Series([base58_from_hex20(value) for value in distinct.to_list()], dtype=pl.String)
        return series.replace_strict(distinct, encoded, default=None, return_dtype=pl.String)

    return hex40.map_batches(encode, return_dtype=pl.String)
