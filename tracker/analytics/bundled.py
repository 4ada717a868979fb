"""Where the bundled label set lives and which version of it a database holds (light: no polars)."""

from __future__ import annotations

import hashlib
from importlib import resources
from importlib.resources.abc import Traversable

import duckdb

from tracker.errors import TrackerError

# Package data (a Traversable): present in an installed wheel as in the checkout.
BUNDLED_DIR = resources.files("tracker") / "data" / "labels"
# The files of the set, one name a line. Listed rather than globbed: setuptools builds in ./build, and a file
# removed from the checkout (default.csv) stays there and lands in the next wheel built from it.
MANIFEST = "MANIFEST"


def bundled_files() -> list[Traversable]:
    """The bundled label CSVs the manifest names, in its order; refused loudly when the package lacks them."""
    manifest = BUNDLED_DIR / MANIFEST
    names = manifest.read_text(encoding="utf-8").split() if manifest.is_file() else []
    files = [BUNDLED_DIR / name for name in names]
    if not files or not all(entry.is_file() for entry in files):
        raise TrackerError(f"the bundled label set is missing from the installed package ({BUNDLED_DIR}): reinstall it")
    return files


def bundled_digest() -> str:
    """One digest over every bundled file's name and bytes: it changes whenever the shipped set does."""
    digest = hashlib.sha256()
    for entry in bundled_files():
        digest.update(entry.name.encode() + b"\0" + entry.read_bytes() + b"\0")
    return digest.hexdigest()


def bundled_current(connection: duckdb.DuckDBPyConnection) -> bool:
    """False when the labels table is empty, or holds bundled rows from another version of the set.

    A file whose labels were all written by the user (no bundled rows ever loaded) is left as it is.
    """
    if not connection.execute("SELECT count(*) FROM labels").fetchall()[0][0]:
        return False
    loaded = connection.execute("SELECT digest FROM label_sets WHERE name = 'bundled'").fetchall()
    if loaded:
        return loaded[0][0] == bundled_digest()
    return not connection.execute("SELECT count(*) FROM labels WHERE method = 'bundled'").fetchall()[0][0]
