"""Shared fixtures: a compiled test token and a fresh anvil node per test.

Under CI (CI=true) a missing anvil or solc-js fails the test instead of skipping it:
CI must prove the real-node tests ran.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.chain import Anvil, Compiled, ToolMissing, compile_token

# 2026-03-01 00:00:00 UTC: scenarios place blocks on known UTC days from here.
DAY0 = 1_772_323_200


def _require(error: ToolMissing) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{error} — required under CI")
    pytest.skip(str(error))


@pytest.fixture(scope="session")
def compiled() -> Compiled:
    try:
        return compile_token()
    except ToolMissing as error:
        _require(error)
        raise


@pytest.fixture
def anvil() -> Iterator[Anvil]:
    try:
        node = Anvil(start_timestamp=DAY0)
    except ToolMissing as error:
        _require(error)
        raise
    try:
        yield node
    finally:
        node.stop()
