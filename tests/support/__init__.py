"""Stand-in servers, chain helpers and datasets the tests and benches share (imported, never collected)."""
