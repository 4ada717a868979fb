"""Shared fixtures: a compiled test token, a fresh anvil node per test, the hand-built dataset with signals.

Under CI (CI=true) a missing anvil or solc-js fails the test instead of skipping it:
CI must prove the real-node tests ran.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.support import dataset
from tests.support.chain import DECLARED, Anvil, Compiled, ToolMissing, compile_token
from tests.support.helpers import run_cli

# 2026-03-01 00:00:00 UTC: scenarios place blocks on known UTC days from here.
DAY0 = 1_772_323_200


def _require(error: ToolMissing) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{error} — required under CI")
    pytest.skip(str(error))


@pytest.fixture(autouse=True)
def _forget_test_tokens() -> Iterator[None]:
    """Each test token is declared for the test that deploys it (tests/support/chain.py), not the next one."""
    yield
    DECLARED.forget()


@pytest.fixture(scope="session")
def compiled() -> Compiled:
    try:
        return compile_token()
    except ToolMissing as error:
        _require(error)
        raise


def start_anvil(*extra_args: str) -> Anvil:
    """An anvil node starting at DAY0 (`extra_args`: e.g. "--chain-id", "31338"); skipped, or failed under CI,
    when anvil is missing."""
    try:
        return Anvil(start_timestamp=DAY0, extra_args=list(extra_args))
    except ToolMissing as error:
        _require(error)
        raise


@pytest.fixture
def anvil() -> Iterator[Anvil]:
    node = start_anvil()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture
def threaded_httpserver() -> Iterator[HTTPServer]:
    """A loopback server that answers each request on its own thread: pytest-httpserver's default one answers one
    request at a time, so requests a client sends together would reach it one after another."""
    server = HTTPServer(threaded=True)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


@pytest.fixture(scope="module")
def computed(tmp_path_factory) -> Path:
    """tests/support/dataset.py's hand-built database with its signals computed (day 2026-02-09 is the golden day)."""
    db = tmp_path_factory.mktemp("dataset") / "r.duckdb"
    dataset.build(db)
    done = run_cli("--db", str(db), "signals")
    assert done.returncode == 0, done.stderr
    return db
