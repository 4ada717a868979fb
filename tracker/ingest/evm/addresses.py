"""Ethereum address parsing: one place decides what a valid address is."""

import re

from tracker.errors import TrackerError

_HEX_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


def normalize_eth_address(text: str, what: str = "address") -> str:
    """Return the lower-case 0x address, or raise a one-line error.

    Mixed-case input must carry a valid EIP-55 checksum: a mistyped
    character in a checksummed address is caught instead of silently
    indexing another contract.
    """
    candidate = text.strip()
    if not _HEX_ADDRESS.match(candidate):
        raise TrackerError(f"invalid {what} {text!r}: expected 0x followed by 40 hex digits")
    body = candidate[2:]
    mixed_case = body != body.lower() and body != body.upper()
    if mixed_case and not _is_checksum_address(candidate):
        raise TrackerError(f"invalid {what} {text!r}: EIP-55 checksum does not match")
    return candidate.lower()


def _is_checksum_address(candidate: str) -> bool:
    from eth_utils import (
        is_checksum_address,  # heavy (pydantic): loaded only for mixed-case input
    )

    return is_checksum_address(candidate)
