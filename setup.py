"""The compiled parts: the native scan of eth_getLogs bodies (tracker/ingest/evm/_logscan.c) and the sync's
address book (tracker/_addressbook.c).

Optional: without a C compiler the package still installs, every body is read by the polars path and every
step's addresses are looked up in the file (`tracker sync` is then slower, not different). Everything else is declared in pyproject.toml.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("tracker.ingest.evm._logscan", ["tracker/ingest/evm/_logscan.c"], optional=True,
                  depends=["tracker/arrow_c.h"], extra_compile_args=["-O2"]),
        Extension("tracker._addressbook", ["tracker/_addressbook.c"], optional=True, depends=["tracker/arrow_c.h"],
                  extra_compile_args=["-O2"]),
    ]
)
