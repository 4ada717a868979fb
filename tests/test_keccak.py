"""tracker.ingest.evm.keccak against eth_utils' Keccak-256 (pycryptodome) and the published empty-input digest."""

import random

from eth_utils import keccak

from tracker.ingest.evm.keccak import keccak256


def test_known_digests():
    # Keccak-256 of the empty string and of ERC-20's Transfer signature (the topic0 every token log carries).
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert keccak256(b"Transfer(address,address,uint256)").hex() == (
        "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef")
    # Solidity's keccak256("testing"), published beside NIST SHA3-256's different 7f5979fb… for the same input.
    assert keccak256(b"testing").hex() == "5f16f4c7f149ac4f9510d9cf8cf384038ad348b3bcdc01915f95de12df9d1b02"


def test_matches_eth_utils_on_every_length_around_the_rate():
    # 136 bytes a block: lengths 0..300 cover one, two and three blocks and every padding edge (135, 136, 271).
    generator = random.Random(22)
    for length in [*range(301), 1000, 4096]:
        data = bytes(generator.getrandbits(8) for _ in range(length))
        assert keccak256(data) == keccak(data), length
