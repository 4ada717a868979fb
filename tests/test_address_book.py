"""The sync writer's address book: the file's addresses with their ids in memory (tracker/_addressbook.c),
kept equal to the `addresses` table across writes, lends of the file and failed writes."""

from __future__ import annotations

import random
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest

import tracker.store as store
from tests.support.helpers import rows
from tracker import compiled
from tracker.store import AddressBook, Batch, Store

WHEN = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
TOKEN = "0x" + "aa" * 20
native = store._addressbook


def test_the_address_book_is_built() -> None:
    # Installed without a C compiler, every step's addresses are looked up in the file; the tests need the book.
    assert native is not None, "tracker._addressbook is not built (needs a C compiler at install)"


def stream(*names: str | None, chunks: int = 1) -> object:
    """Keys as the book reads them: an Arrow stream of string views (a polars String series), in `chunks` parts."""
    size = -(-len(names) // chunks) if names else 0
    parts = [pl.Series(list(names[i : i + size]), dtype=pl.String) for i in range(0, len(names), size or 1)]
    series = pl.concat(parts, rechunk=False) if parts else pl.Series([], dtype=pl.String)
    assert series.n_chunks() == max(1, min(chunks, len(names)))
    return series.__arrow_c_stream__()


def ids_of(answer: tuple[object, object]) -> list[int]:
    series = pl.Series(compiled.ArrowArray(answer))
    assert series.dtype == pl.Int32
    return series.to_list()


def test_intern_gives_held_ids_and_numbers_new_keys_by_first_appearance() -> None:
    book = native.book()
    native.add(book, stream("a", "b", "c"), 1)
    ids, new = native.intern(book, stream("x", "b", "y", "x", "c", "zz"), 4)
    assert ids_of(ids) == [4, 2, 5, 4, 3, 6]
    assert ids_of(new) == [0, 2, 5]  # positions of x, y, zz
    assert native.size(book) == 6
    ids, new = native.intern(book, stream("zz", "a"), 7)
    assert ids_of(ids) == [6, 1] and ids_of(new) == []
    ids, new = native.intern(book, stream(), 7)
    assert ids_of(ids) == [] and ids_of(new) == []


def test_intern_reads_every_chunk_and_both_kinds_of_view() -> None:
    # Arrow string views hold a value of up to 12 bytes inline and a longer one in a data buffer: an address
    # is longer, a short key is not; a series joined from steps comes in several chunks.
    short = ["k%d" % i for i in range(40)]
    long = ["0x%040x" % i for i in range(40)]
    names = [name for pair in zip(short, long) for name in pair] + short[:5] + long[-5:]
    book = native.book()
    ids, new = native.intern(book, stream(*names, chunks=7), 100)
    first_ids = {}
    for name in names:
        first_ids.setdefault(name, 100 + len(first_ids))
    assert ids_of(ids) == [first_ids[name] for name in names]
    assert ids_of(new) == list(range(80))
    assert native.size(book) == 80
    # the keys the book holds are the strings themselves: `add` of the same lines is refused, new ones are not
    with pytest.raises(ValueError, match="already held"):
        native.add(book, stream(long[7]), 200)
    native.add(book, stream("0x%040x" % 99), 180)
    ids, _ = native.intern(book, stream("0x%040x" % 99, long[39], short[0]), 181)
    assert ids_of(ids) == [180, first_ids[long[39]], 100]


def test_a_refused_call_leaves_the_book_as_it_was() -> None:
    book = native.book()
    native.add(book, stream("a", "b"), 1)
    with pytest.raises(ValueError, match="already held"):
        native.add(book, stream("c", "d", "a", chunks=2), 3)  # c and d are undone with it
    with pytest.raises(ValueError, match="empty key"):
        native.add(book, stream("e", ""), 3)
    with pytest.raises(ValueError, match="empty key"):
        native.intern(book, stream("e", "", "f"), 3)
    with pytest.raises(ValueError, match="null key"):
        native.intern(book, stream("e", None, "f"), 3)
    with pytest.raises(ValueError, match="string views"):
        native.intern(book, pl.Series([1, 2], dtype=pl.Int64).__arrow_c_stream__(), 3)
    with pytest.raises(ValueError, match="range"):
        native.intern(book, stream("e"), 2**31)
    with pytest.raises(ValueError, match="range"):
        native.add(book, stream("e"), 2**31)
    assert native.size(book) == 2
    ids, new = native.intern(book, stream("d", "c", "a", "b"), 3)
    assert ids_of(ids) == [3, 4, 1, 2] and ids_of(new) == [0, 1]


def test_a_large_random_book_agrees_with_a_dict() -> None:
    rnd = random.Random(22)
    book, reference = native.book(), {}
    for round_ in range(30):
        batch = ["0x%040x" % rnd.randrange(60_000) for _ in range(rnd.randrange(1, 9_000))]
        if round_ % 7 == 3:  # other widths share the book (Tron's base58 beside Ethereum's hex)
            batch = ["T%033d" % rnd.randrange(5_000) for _ in batch]
        ids, new = native.intern(book, stream(*batch, chunks=1 + round_ % 3), len(reference) + 1)
        expected_new = []
        for position, key in enumerate(batch):
            if key not in reference:
                reference[key] = len(reference) + 1
                expected_new.append(position)
        assert ids_of(ids) == [reference[key] for key in batch]
        assert ids_of(new) == expected_new
    assert native.size(book) == len(reference)


# -- AddressBook against a real file ------------------------------------------------------------------------


def transfers(block: int, pairs: list[tuple[str, str]]) -> pl.DataFrame:
    n = len(pairs)
    return pl.DataFrame({
        "chain": ["ethereum"] * n, "token": [TOKEN] * n, "block_number": [block] * n, "block_time": [WHEN] * n,
        "tx_hash": ["0x%064x" % (block * 1_000_000 + i // 3) for i in range(n)], "log_index": list(range(n)),
        "from_address": [p[0] for p in pairs], "to_address": [p[1] for p in pairs],
        "amount_raw": pl.Series(list(range(1, n + 1)), dtype=pl.Int128).cast(pl.Decimal(38, 0)),
    })


def batch(block: int, pairs: list[tuple[str, str]]) -> Batch:
    supply = pl.DataFrame(schema={"chain": pl.String, "token": pl.String, "block_number": pl.Int64,
                                  "tx_hash": pl.String, "log_index": pl.Int64, "kind": pl.String,
                                  "address": pl.String, "amount_raw": pl.Decimal(38, 0),
                                  "block_time": pl.Datetime("us", "UTC")})
    blocks = pl.DataFrame({"chain": ["ethereum"], "block_number": [block], "block_hash": ["0x%064x" % block],
                           "block_time": [WHEN]})
    return Batch("ethereum", TOKEN, block, block, "0x%064x" % block, transfers(block, pairs), supply, blocks)


def address(n: int) -> str:
    return "0x%040x" % n


def stored(db: Path) -> list[tuple]:
    return rows(db, "SELECT block_number, log_index, from_address, to_address, amount_raw FROM transfers ORDER BY ALL")


def expected(*batches: Batch) -> list[tuple]:
    return sorted((b, i, f, t, a) for one in batches
                  for b, i, f, t, a in one.transfers.select("block_number", "log_index", "from_address", "to_address",
                                                            "amount_raw").iter_rows())


def check_dense(db: Path) -> None:
    count, distinct, highest = rows(db, "SELECT count(*), count(DISTINCT address), max(address_id) FROM addresses")[0]
    assert count == distinct == highest


@pytest.fixture
def every_step(monkeypatch):
    monkeypatch.setattr(store, "BOOK_FROM_ROWS", 1)


def test_steps_get_their_ids_from_the_book_in_order(tmp_path: Path, every_step) -> None:
    db = tmp_path / "t.duckdb"
    book = AddressBook()
    one = batch(10, [(address(1), address(100 + i)) for i in range(50)])
    two = batch(11, [(address(100 + i), address(1 + (i % 3))) for i in range(40)])
    with Store.open(db) as s:
        s.write_batch(one, book)
        s.write_batch(two, book)
    assert book.handle is not None and book.highest == 53  # 0x…01-03 and the 50 receivers
    assert stored(db) == expected(one, two)
    check_dense(db)
    # rows are stored in the order written: by block, transaction hash, log index
    order = rows(db, "SELECT block_number, tx_hash, log_index FROM transfer_logs ORDER BY rowid")
    assert order == sorted(order)


def test_addresses_added_while_the_file_was_lent_are_read_in(tmp_path: Path, every_step) -> None:
    db = tmp_path / "t.duckdb"
    book = AddressBook()
    one = batch(10, [(address(1), address(2))])
    with Store.open(db) as s:
        s.write_batch(one, book)
    # Meanwhile another process labels two wallets: they get ids 3 and 4 in the file, not in the book.
    with Store.open(db) as other:
        other.connection.execute("INSERT INTO labels VALUES ('ethereum', ?, 'ExA', 'exchange', 'hot', 'test', NULL, NULL,"
                                 " 'imported'), ('ethereum', ?, 'ExA', 'exchange', 'hot', 'test', NULL, NULL, 'imported')",
                                 [address(7), address(8)])
        other.watch_addresses()
    assert rows(db, "SELECT max(address_id) FROM addresses") == [(4,)]
    two = batch(11, [(address(8), address(2)), (address(9), address(7))])
    with Store.open(db) as s:
        s.write_batch(two, book)
    assert book.highest == 5
    assert stored(db) == expected(one, two)
    check_dense(db)


def test_a_failed_write_drops_the_ids_it_gave(tmp_path: Path, every_step, monkeypatch) -> None:
    db = tmp_path / "t.duckdb"
    book = AddressBook()
    one = batch(10, [(address(1), address(2))])
    with Store.open(db) as s:
        s.write_batch(one, book)
        broken = batch(11, [(address(3), address(4))])

        def fail(*args, **kwargs):
            raise RuntimeError("disk full")
        monkeypatch.setattr(Store, "_advance", fail)
        with pytest.raises(RuntimeError):
            s.write_batch(broken, book)
        monkeypatch.undo()
        monkeypatch.setattr(store, "BOOK_FROM_ROWS", 1)
        assert book.handle is None  # the book had given 3 and 4, which the file never got
        three = batch(12, [(address(5), address(3))])
        s.write_batch(three, book)
    assert rows(db, "SELECT address_id, address FROM addresses ORDER BY 1") == [
        (1, address(1)), (2, address(2)), (3, address(5)), (4, address(3))]
    assert stored(db) == expected(one, three)


def test_a_write_that_fails_while_the_ids_are_given_waits_for_them_then_drops_the_book(
        tmp_path: Path, every_step, monkeypatch) -> None:
    """The ids are given on their own thread while the write's other statements run: a statement that fails
    meanwhile is raised only once that thread is done with the book, which is then dropped; nothing of the
    write is kept, and the next write numbers from the file."""
    import threading
    import time

    db = tmp_path / "t.duckdb"
    book = AddressBook()
    one = batch(10, [(address(1), address(2))])
    finished: list[str] = []
    real = store._given_ids

    def slow(*args):
        time.sleep(0.3)
        try:
            return real(*args)
        finally:
            finished.append(threading.current_thread().name)

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    with Store.open(db) as s:
        s.write_batch(one, book)
        monkeypatch.setattr(store, "_given_ids", slow)
        monkeypatch.setattr(store, "register_token", fail)
        with pytest.raises(RuntimeError, match="disk full"):
            s.write_batch(batch(11, [(address(3), address(4))]), book)
        assert finished == ["tracker-address-ids"]  # the thread was done before the error came out
        assert book.handle is None and book.highest == 0
        monkeypatch.undo()
        monkeypatch.setattr(store, "BOOK_FROM_ROWS", 1)
        three = batch(12, [(address(4), address(1))])
        s.write_batch(three, book)
    assert rows(db, "SELECT address_id, address FROM addresses ORDER BY 1") == [
        (1, address(1)), (2, address(2)), (3, address(4))]
    assert stored(db) == expected(one, three)
    check_dense(db)


def test_a_book_ahead_of_the_file_is_read_again(tmp_path: Path, every_step) -> None:
    db = tmp_path / "t.duckdb"
    book = AddressBook()
    with Store.open(db) as s:
        s.write_batch(batch(10, [(address(1), address(2))]), book)
    book.highest += 5  # as if it had given ids that never reached the file
    two = batch(11, [(address(2), address(3))])
    with Store.open(db) as s:
        s.write_batch(two, book)
    assert book.highest == 3
    assert rows(db, "SELECT address_id, address FROM addresses ORDER BY 1") == [
        (1, address(1)), (2, address(2)), (3, address(3))]


def test_a_file_the_book_cannot_hold_is_looked_up_as_before(tmp_path: Path, every_step, monkeypatch) -> None:
    db = tmp_path / "t.duckdb"
    monkeypatch.setattr(store, "BOOK_MOST_ADDRESSES", 3)
    book = AddressBook()
    one = batch(10, [(address(1), address(2))])
    two = batch(11, [(address(3), address(4)), (address(1), address(5))])
    three = batch(12, [(address(6), address(2)), (address(5), address(7))])
    with Store.open(db) as s:
        s.write_batch(one, book)
        assert book.handle is not None
        s.write_batch(two, book)  # 5 addresses after it: over the limit, the book is given up
        assert book.unused and book.handle is None
        s.write_batch(three, book)
    assert book.unused and book.handle is None
    assert stored(db) == expected(one, two, three)
    check_dense(db)


def test_small_steps_and_the_switch_leave_the_book_unloaded(tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "t.duckdb"
    monkeypatch.setattr(store, "BOOK_FROM_ROWS", 3)
    book = AddressBook()
    with Store.open(db) as s:
        s.write_batch(batch(10, [(address(1), address(2))] * 2), book)
        assert book.handle is None  # a tail sync's few logs: no book
        s.write_batch(batch(11, [(address(1), address(3))] * 3), book)
        assert book.highest == 3
    monkeypatch.setenv(store.ADDRESS_BOOK_SWITCH, "0")
    assert AddressBook().unused


def test_a_large_files_first_write_is_looked_up_and_the_book_read_in_at_the_second(tmp_path: Path, every_step,
                                                                                  monkeypatch) -> None:
    db = tmp_path / "t.duckdb"
    monkeypatch.setattr(store, "BOOK_LOADED_AT_ONCE", 2)
    before = batch(9, [(address(1), address(2)), (address(3), address(1))])
    with Store.open(db) as s:
        s.write_batch(before, AddressBook())  # a file of 3 addresses: over the (lowered) bound
    book = AddressBook()
    one = batch(10, [(address(2), address(4))])
    two = batch(11, [(address(4), address(5)), (address(1), address(6))])
    with Store.open(db) as s:
        s.write_batch(one, book)
        assert book.handle is None and not book.unused  # looked up in the file: a one-write sync never reads it in
        s.write_batch(two, book)
        assert book.handle is not None and book.highest == 6
    assert stored(db) == expected(before, one, two)
    check_dense(db)
    small = AddressBook()
    monkeypatch.setattr(store, "BOOK_LOADED_AT_ONCE", 6)
    with Store.open(db) as s:
        s.write_batch(batch(12, [(address(7), address(1))]), small)
    assert small.handle is not None and small.highest == 7  # a file within the bound is read in at once


def test_a_file_whose_ids_are_not_dense_is_looked_up_as_before(tmp_path: Path, every_step) -> None:
    db = tmp_path / "t.duckdb"
    with Store.open(db) as s:
        s.connection.execute("INSERT INTO addresses VALUES (1, ?), (5, ?)", [address(1), address(2)])
    book = AddressBook()
    one = batch(10, [(address(2), address(3))])
    with Store.open(db) as s:
        s.write_batch(one, book)
    assert book.unused and book.handle is None
    assert rows(db, "SELECT address_id, address FROM addresses ORDER BY 1") == [(1, address(1)), (5, address(2)), (6, address(3))]
    assert stored(db) == expected(one)
