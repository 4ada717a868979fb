"""Errors a user sees as one line.

Anything raised as `TrackerError` is printed by the CLI as a single
`error: ...` line with a non-zero exit; everything else is a bug.
"""


class TrackerError(Exception):
    """A failure caused by input or by the outside world, explained in one line."""


class RpcError(TrackerError):
    """The node answered with a JSON-RPC error object."""

    def __init__(self, message: str, code: int | None = None, method: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.method = method


class RpcTimeout(TrackerError):
    """The node did not answer in time (after the retries the policy allows)."""


class BadResponse(TrackerError):
    """The node answered something that is not what the protocol promises."""
