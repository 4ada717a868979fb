"""The one compiled part: the native scan of eth_getLogs bodies (tracker/ingest/evm/_logscan.c).

Optional: without a C compiler the package still installs, and every body is read by the polars path
(`tracker sync` is then slower, not different). Everything else is declared in pyproject.toml.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("tracker.ingest.evm._logscan", ["tracker/ingest/evm/_logscan.c"], optional=True,
                  extra_compile_args=["-O2"]),
    ]
)
