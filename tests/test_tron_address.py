"""Tron address conversions against known pairs."""

from __future__ import annotations

import pytest

from tracker.errors import TrackerError
from tracker.ingest.tron.address import (
    base58_from_hex20,
    evm_hex,
    hex20_from_base58,
    normalize_tron_address,
)

# Public facts: USDT-TRC20 and Tron's zero address (the "black hole").
KNOWN = [
    ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "a614f803b6fd780986a42c78ec9c7f77e6ded13c"),
    ("T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb", "0000000000000000000000000000000000000000"),
]


@pytest.mark.parametrize("base58, hex20", KNOWN)
def test_known_pairs_both_ways(base58: str, hex20: str) -> None:
    assert base58_from_hex20(hex20) == base58
    assert hex20_from_base58(base58) == hex20
    assert evm_hex(base58) == "0x" + hex20


@pytest.mark.parametrize(
    "spelling",
    [
        "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
        "41a614f803b6fd780986a42c78ec9c7f77e6ded13c",
        "41A614F803B6FD780986A42C78EC9C7F77E6DED13C",
        "0xa614f803b6fd780986a42c78ec9c7f77e6ded13c",
        "  0xA614F803b6fd780986a42c78ec9c7f77e6ded13c ",
    ],
)
def test_every_spelling_normalizes_to_base58(spelling: str) -> None:
    assert normalize_tron_address(spelling) == "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"


@pytest.mark.parametrize(
    "bad, message",
    [
        ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u", "checksum does not match"),  # last character changed
        ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6", "21-byte"),  # one character short
        ("TR7NHqjeKQxGTCi8q8ZY4pL0otSzgjLj6t", "not a base58 character"),  # 0 is not base58
        ("42a614f803b6fd780986a42c78ec9c7f77e6ded13c", "expected base58"),
        ("0xa614f803b6fd780986a42c78ec9c7f77e6ded13", "expected base58"),
        ("1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "expected base58"),  # a Bitcoin address
    ],
)
def test_bad_addresses_are_rejected(bad: str, message: str) -> None:
    with pytest.raises(TrackerError, match=message):
        normalize_tron_address(bad)


def test_the_vectorized_spelling_uses_the_native_base58_and_agrees_with_the_pure_one() -> None:
    """tron_address spells a column in one `_addressbook.base58check_hex` call over polars' memory; its answers
    are the pure conversion's, for the known pairs, random addresses with leading zeros, repeats and nulls."""
    import random

    import polars as pl

    from tracker import compiled
    from tracker.ingest.tron import address as tron

    assert compiled.load("tracker._addressbook") is not None, "tracker._addressbook is not built (needs a C compiler)"
    generator = random.Random(22)
    hex40s = [hex20 for _, hex20 in KNOWN] + [
        ("00" * generator.randrange(4) + "%040x" % generator.getrandbits(160))[:40] for _ in range(3000)]
    frame = pl.DataFrame({"hex40": hex40s + [None] + hex40s[:5]})
    assert tron._base58_column(frame["hex40"]) is not None  # the native path takes it
    native = frame.select(tron.tron_address(pl.col("hex40")))["hex40"].to_list()
    assert native[:2] == [base58 for base58, _ in KNOWN]
    assert native == [base58_from_hex20.__wrapped__(value) if value else None for value in frame["hex40"]]


def test_native_base58check_matches_hashlib_and_the_pure_base58() -> None:
    """The compiled SHA-256 (constants computed from their definition) and base58 (five digits a pass) against
    hashlib and tracker's pure base58: every prefix byte (0 gives a leading '1'), addresses of all zeros, all
    ones and random ones, spelled in either case, in several chunks, nulls kept, repeats spelled alike."""
    import hashlib
    import random

    import polars as pl

    from tracker import compiled
    from tracker.ingest.tron.address import _b58encode

    book = compiled.load("tracker._addressbook")
    assert book is not None, "tracker._addressbook is not built (needs a C compiler)"
    generator = random.Random(58)
    addresses = [bytes(20), b"\xff" * 20] + [(bytes(generator.randrange(3)) + generator.randbytes(20))[:20]
                                           for _ in range(40)]
    values = [a.hex() for a in addresses] + [addresses[5].hex().upper(), None, addresses[3].hex()]
    series = pl.concat([pl.Series(values[:20]), pl.Series(values[20:], dtype=pl.String)], rechunk=False)
    assert series.n_chunks() == 2
    for prefix in range(256):
        spelled = pl.Series(compiled.ArrowArray(book.base58check_hex(series.__arrow_c_stream__(), prefix)))
        expected = [None if value is None else _b58encode(
            payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4])
            for value in values for payload in [None if value is None else bytes([prefix]) + bytes.fromhex(value)]]
        assert spelled.to_list() == expected, prefix


@pytest.mark.parametrize("values, message", [
    (["a614f803b6fd780986a42c78ec9c7f77e6ded13"], "40 hex digits"),  # 39 digits
    (["a614f803b6fd780986a42c78ec9c7f77e6ded13cz"], "40 hex digits"),
    (["0xa614f803b6fd780986a42c78ec9c7f77e6ded1"], "40 hex digits"),
])
def test_native_base58check_refuses_what_is_not_an_address(values: list[str], message: str) -> None:
    import polars as pl

    from tracker import compiled

    book = compiled.load("tracker._addressbook")
    with pytest.raises(ValueError, match=message):
        book.base58check_hex(pl.Series(values).__arrow_c_stream__(), 0x41)
    with pytest.raises(ValueError, match="string views"):
        book.base58check_hex(pl.Series([1]).__arrow_c_stream__(), 0x41)
    with pytest.raises(ValueError, match="one byte"):
        book.base58check_hex(pl.Series(["a" * 40]).__arrow_c_stream__(), 256)


def test_the_portable_sha256_spells_as_the_sha_extensions_do() -> None:
    """Where the CPU has the x86 SHA extensions the compiled SHA-256 uses them; TRACKER_SHA_EXTENSIONS=0 keeps the
    portable block. Both spell the same random addresses as hashlib and the pure base58 do (the test above runs
    whichever this machine picks; this one runs the portable block in a process of its own)."""
    import os
    import random
    import subprocess
    import sys

    generator = random.Random(256)
    addresses = ["%040x" % generator.getrandbits(160) for _ in range(500)] + ["00" * 20, "ff" * 20]
    code = ("import sys, polars as pl\nfrom tracker import _addressbook, compiled\n"
            "values = pl.Series(sys.stdin.read().split())\n"
            "print('\\n'.join(pl.Series(compiled.ArrowArray(_addressbook.base58check_hex(values.__arrow_c_stream__(),"
            " 0x41))).to_list()))")
    expected = [base58_from_hex20.__wrapped__(value) for value in addresses]
    for switch in ("0", "1"):
        run = subprocess.run([sys.executable, "-c", code], input="\n".join(addresses), capture_output=True, text=True,
                             env={**os.environ, "TRACKER_SHA_EXTENSIONS": switch})
        assert run.returncode == 0, run.stderr
        assert run.stdout.split() == expected, switch
