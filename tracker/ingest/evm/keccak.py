"""Keccak-256, the hash Ethereum names events with (topic0 = keccak256 of the event's signature).

Written from the Keccak reference (FIPS 202's permutation Keccak-f[1600] with the original Keccak padding
0x01…0x80, not SHA3-256's 0x06…0x80: `hashlib.sha3_256` gives other digests). The tracker hashes only a few
short signatures per run, so plain Python is fast enough; the compiled backends (pycryptodome via
eth_hash) cost a `tracker sync` more to load than every hash it needs (pycryptodome runs `file` on the
interpreter in a subprocess at load time).
"""

from __future__ import annotations

_MASK = (1 << 64) - 1
_RATE = 136  # bytes absorbed per permutation: 1600 bits less twice the 256-bit output


def _round_constants() -> list[int]:
    """The 24 round constants of ι, from the spec's 8-bit LFSR (x⁸ + x⁶ + x⁵ + x⁴ + 1)."""
    state, constants = 1, []
    for _ in range(24):
        constant = 0
        for j in range(7):
            if state & 1:
                constant |= 1 << ((1 << j) - 1)
            state = (state << 1) ^ (0x171 if state & 0x80 else 0)
        constants.append(constant)
    return constants


def _rotations() -> list[int]:
    """ρ's rotation of each lane (index x + 5y), from the spec's walk (x, y) → (y, 2x + 3y)."""
    offsets = [0] * 25
    x, y = 1, 0
    for t in range(24):
        offsets[x + 5 * y] = ((t + 1) * (t + 2) // 2) % 64
        x, y = y, (2 * x + 3 * y) % 5
    return offsets


_ROUND_CONSTANTS = _round_constants()
_ROTATIONS = _rotations()
# π moves lane (x, y) to (y, 2x + 3y): the source index of each destination lane.
_PI_SOURCE = [0] * 25
for _x in range(5):
    for _y in range(5):
        _PI_SOURCE[_y + 5 * ((2 * _x + 3 * _y) % 5)] = _x + 5 * _y


def _rotate(lane: int, by: int) -> int:
    return ((lane << by) | (lane >> (64 - by))) & _MASK if by else lane


def _permute(lanes: list[int]) -> None:
    for constant in _ROUND_CONSTANTS:
        columns = [lanes[x] ^ lanes[x + 5] ^ lanes[x + 10] ^ lanes[x + 15] ^ lanes[x + 20] for x in range(5)]
        for x in range(5):
            mix = columns[(x - 1) % 5] ^ _rotate(columns[(x + 1) % 5], 1)
            for y in range(0, 25, 5):
                lanes[x + y] ^= mix
        moved = [_rotate(lanes[source], _ROTATIONS[source]) for source in _PI_SOURCE]
        for y in range(0, 25, 5):
            row = moved[y:y + 5]
            for x in range(5):
                lanes[x + y] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5] & _MASK)
        lanes[0] ^= constant


def keccak256(data: bytes) -> bytes:
    """The 32-byte Keccak-256 digest of `data`."""
    padded = bytearray(data)
    padded.append(0x01)
    padded.extend(bytes(-len(padded) % _RATE))
    padded[-1] |= 0x80
    lanes = [0] * 25
    for offset in range(0, len(padded), _RATE):
        block = padded[offset:offset + _RATE]
        for i in range(_RATE // 8):
            lanes[i] ^= int.from_bytes(block[8 * i:8 * i + 8], "little")
        _permute(lanes)
    return b"".join(lane.to_bytes(8, "little") for lane in lanes[:4])
