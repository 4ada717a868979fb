"""Decode an eth_getLogs body by the polars path and, when it takes the body, by the native scan: the two must
give the same rows, or the same error."""

from __future__ import annotations

from polars.testing import assert_frame_equal

from tracker.chains import ETHEREUM_FORMAT, ChainFormat
from tracker.ingest.evm import native
from tracker.ingest.evm.decode import (
    DecodedLogs,
    decode_answer,
    decode_logs,
    parse_logs_response,
)
from tracker.ingest.evm.logs import LogFilter

FRAMES = ("transfers", "supply_events", "block_hashes")


def expected_logs(raw: bytes) -> int:
    return parse_logs_response(raw).height


def _outcome(decode) -> tuple[DecodedLogs | None, Exception | None]:
    try:
        return decode(), None
    except Exception as error:  # compared below, then re-raised
        return None, error


def decode_both(raw: bytes, log_filter: LogFilter, chain_format: ChainFormat = ETHEREUM_FORMAT) -> tuple[DecodedLogs, bool]:
    """(decode_logs' rows, whether the native scan took the body); decode_logs' error is raised as it came."""
    expected, error = _outcome(lambda: decode_logs(parse_logs_response(raw), log_filter, chain_format))
    events = native.scan(raw, log_filter)
    if events is not None:
        assert events.height == expected_logs(raw)  # known before polars reads the columns
        got, got_error = _outcome(lambda: decode_answer(events, log_filter, chain_format))
        # Only the checks that follow the scan (a deprecation, two hashes for one block) may fail a body it took.
        assert (type(got_error), str(got_error)) == (type(error), str(error))
        if error is None:
            for frame in FRAMES:
                assert_frame_equal(getattr(got, frame), getattr(expected, frame))
    if error is not None:
        raise error
    return expected, events is not None
