"""The package's compiled parts (`setup.py` builds them where a C compiler is found at install time).

Each is optional: without it the code takes its plain path, slower and not different, and each has an
environment switch that sends work down the plain path anyway, to compare the two.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType


def load(name: str) -> ModuleType | None:
    """The compiled module `name`, or None when the package was installed without it."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def switched_on(variable: str) -> bool:
    """Is the compiled path wanted? Only `0` in `variable` turns it off."""
    return os.environ.get(variable, "1") != "0"


class ArrowArray:
    """An Arrow array a compiled part made, as a (schema, array) capsule pair, in the form polars imports without a
    copy (`pl.DataFrame(...)` for a struct of columns, `pl.Series(...)` for one; Arrow PyCapsule interface)."""

    def __init__(self, capsules: tuple[object, object]) -> None:
        self.capsules = capsules

    def __arrow_c_array__(self, requested_schema: object = None) -> tuple[object, object]:
        return self.capsules
