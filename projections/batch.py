"""A page of events folded in memory, then written with one statement per table and kind of change.

Handlers read and change rows through a `Batch` instead of issuing SQL per event. The batch loads
a row the first time a handler asks for it (or finds it in the projector's row cache), keeps every
change in memory, and `flush()` writes what the page changed: the deletions, then the new rows,
then the changed columns of existing rows, each as one `executemany` per table. Rows appended to a
log-like table (statement lines) keep their order.

Rows are plain dicts keyed by column name, so a handler computes a counter's next value in Python
(`row["offers_count"] + 1`) rather than in SQL. The semantics follow the SQL they replace: updating
or deleting a missing row does nothing; inserting a row whose key exists fails at flush, and the
projector then replays the whole page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from functools import cache
from itertools import islice
from operator import itemgetter
from typing import Any

from sqlalchemy import Column, Connection, Dialect, Table, and_, bindparam, delete, insert, select, tuple_, update
from sqlalchemy.exc import DBAPIError

from projections.db import UTCDateTime

Key = tuple[Any, ...]
Row = dict[str, Any]

# States of a row a batch has touched.
_LOADED = "loaded"  # exists in the database; `dirty` names the columns changed since
_NEW = "new"  # not in the database before this batch (or deleted earlier in it): inserted at flush
_GONE = "gone"  # existed in the database and is deleted at flush
_ABSENT = "absent"  # looked up and not found

IN_CLAUSE_CHUNK = 500


class _Entry:
    __slots__ = ("state", "row", "dirty", "replaces")

    def __init__(self, state: str, row: Row | None) -> None:
        self.state = state
        self.row = row
        self.dirty: set[str] = set()
        self.replaces = False  # a new row whose key was deleted earlier in the batch


class RowCache:
    """The rows the projector wrote last, per table, so the next page need not read them again.

    Bounded per table: past the bound, the least recently written quarter goes. Only valid while
    this projector is the sole writer of the views: the projector clears it whenever a view's
    position is not the one it wrote itself (another projector, a rebuild) and after any failed
    batch.
    """

    def __init__(self, per_table: int = 20_000) -> None:
        self.per_table = per_table
        self._rows: dict[str, dict[Key, Row | None]] = {}

    def get(self, table: Table, key: Key) -> tuple[bool, Row | None]:
        rows = self._rows.get(table.name)
        if rows is None or key not in rows:
            return False, None
        return True, rows[key]

    def put(self, table: Table, key: Key, row: Row | None) -> None:
        if self.per_table <= 0:
            return
        rows = self._rows.setdefault(table.name, {})
        rows.pop(key, None)  # re-inserted: now the most recently written
        rows[key] = row
        if len(rows) > self.per_table:
            self._rows[table.name] = dict(islice(rows.items(), len(rows) // 4, None))

    def forget(self, tables: Iterable[Table] | None = None) -> None:
        if tables is None:
            self._rows.clear()
        else:
            for table in tables:
                self._rows.pop(table.name, None)

    def __len__(self) -> int:
        return sum(len(rows) for rows in self._rows.values())


@cache
def _primary_key(table: Table) -> tuple[Column[Any], ...]:
    return tuple(table.primary_key.columns)


@cache
def _defaults(table: Table) -> dict[str, Any]:
    """Every column with its scalar default (None where it has none): a new row starts from these."""
    defaults = {}
    for column in table.columns:
        default = column.default
        scalar = default is not None and getattr(default, "is_scalar", False)
        defaults[column.name] = getattr(default, "arg", None) if scalar else None
    return defaults


class Batch:
    """What one page of events does to the views, kept in memory until `flush()`."""

    def __init__(self, conn: Connection, cache: RowCache | None = None) -> None:
        self.conn = conn
        self.cache = cache
        self._entries: dict[str, dict[Key, _Entry]] = {}
        self._appended: dict[str, list[Row]] = {}
        self._tables: dict[str, Table] = {}
        self.loads = 0  # rows asked of the database (tests check that the cache and prefetch spare them)

    # Reading -----------------------------------------------------------------
    def _key(self, table: Table, key: Any) -> Key:
        return key if isinstance(key, tuple) else (key,)

    def _entry(self, table: Table, key: Key) -> _Entry:
        entry = self._entries.get(table.name, {}).get(key)
        if entry is None:
            self.prefetch(table, [key])  # from the cache, or one query
            entry = self._entries[table.name][key]
        return entry

    def prefetch(self, table: Table, keys: Iterable[Any]) -> None:
        """Load many rows in a few queries (one per chunk of keys) before the handlers ask for them."""
        entries = self._entries.setdefault(table.name, {})
        self._tables[table.name] = table
        missing = []
        for raw in keys:
            key = self._key(table, raw)
            if key in entries:
                continue
            hit, row = self.cache.get(table, key) if self.cache is not None else (False, None)
            if hit:
                entries[key] = _Entry(_LOADED if row is not None else _ABSENT, row)
            else:
                missing.append(key)
        missing = list(dict.fromkeys(missing))
        pk = _primary_key(table)
        for start in range(0, len(missing), IN_CLAUSE_CHUNK):
            chunk = missing[start:start + IN_CLAUSE_CHUNK]
            self.loads += len(chunk)
            where = pk[0].in_([k[0] for k in chunk]) if len(pk) == 1 else tuple_(*pk).in_(chunk)
            found = {tuple(r[c.name] for c in pk): dict(r) for r in self.conn.execute(select(table).where(where)).mappings()}
            for key in chunk:
                row = found.get(key)
                entries[key] = _Entry(_LOADED if row is not None else _ABSENT, row)

    def get(self, table: Table, key: Any) -> Row | None:
        """The row as this batch has made it so far (a dict to read, not to change), or None."""
        return self._entry(table, self._key(table, key)).row

    # Changing ----------------------------------------------------------------
    def insert(self, table: Table, row: Row) -> Row:
        """A new row; a key that already exists in the database makes the flush fail."""
        key = tuple(row[c.name] for c in _primary_key(table))
        entries = self._entries.setdefault(table.name, {})
        self._tables[table.name] = table
        previous = entries.get(key)
        if previous is not None and previous.state in (_LOADED, _NEW):
            raise ValueError(f"{table.name}: a row with key {key!r} exists already")
        full = {**_defaults(table), **row}
        entry = _Entry(_NEW, full)
        entry.replaces = previous is not None and (previous.state == _GONE or previous.replaces)
        entries[key] = entry
        return full

    def update(self, table: Table, key: Any, **values: Any) -> Row | None:
        """Change some columns of a row; a missing row is left missing (as SQL's UPDATE would)."""
        entry = self._entry(table, self._key(table, key))
        if entry.row is None:
            return None
        entry.row.update(values)
        if entry.state == _LOADED:
            entry.dirty.update(values)
        return entry.row

    def delete(self, table: Table, key: Any) -> None:
        key = self._key(table, key)
        entries = self._entries.setdefault(table.name, {})
        self._tables[table.name] = table
        entry = entries.get(key)
        if entry is not None and entry.state == _NEW and not entry.replaces:
            entries[key] = _Entry(_ABSENT, None)  # made and unmade within the batch
        else:
            entries[key] = _Entry(_GONE, None)

    def append(self, table: Table, row: Row) -> None:
        """A line for a table written only by appending (its key is assigned by the database)."""
        self._tables[table.name] = table
        self._appended.setdefault(table.name, []).append(row)

    # Writing -----------------------------------------------------------------
    def flush(self) -> None:
        """Write every change: deletions, insertions, updates, appended lines; table by table in
        dependency order, so a row is inserted before the rows that refer to it."""
        if not self._tables:
            return
        order = {t.name: i for i, t in enumerate(next(iter(self._tables.values())).metadata.sorted_tables)}
        names = sorted(self._tables, key=lambda n: order.get(n, len(order)))
        for name in reversed(names):
            table = self._tables[name]
            gone = [k for k, e in self._entries.get(name, {}).items() if e.state == _GONE or (e.state == _NEW and e.replaces)]
            if gone:
                pk = _primary_key(table)
                _many(self.conn, _delete_statement(table), [dict(zip((c.name for c in pk), k, strict=True)) for k in gone])
        for name in names:
            table = self._tables[name]
            entries = self._entries.get(name, {})
            new = [e.row for e in entries.values() if e.state == _NEW and e.row is not None]
            if new:
                _insert_many(self.conn, table, new, appended=False)
            changed = [e.row for e in entries.values() if e.state == _LOADED and e.dirty and e.row is not None]
            if changed:
                columns = frozenset().union(*(e.dirty for e in entries.values() if e.state == _LOADED))
                _many(self.conn, _update_statement(table, columns), changed)
            appended = self._appended.get(name)
            if appended:
                _insert_many(self.conn, table, appended, appended=True)

    def remember(self) -> None:
        """After a successful commit: keep the rows as now written for the next page."""
        if self.cache is None:
            return
        for name, entries in self._entries.items():
            table = self._tables[name]
            for key, entry in entries.items():
                self.cache.put(table, key, entry.row)


# Writing many rows -----------------------------------------------------------------------------
# SQLAlchemy's per-row parameter handling cost more than SQLite's own executemany. Each statement
# is compiled once per dialect; each row's values go through the columns' own bind processors (so
# a UUID or a datetime is stored exactly as SQLAlchemy would store it) straight to the driver.

# Each statement is built once (functools.cache keeps it, so it is also the key of its compiled
# forms). Bind names are `k_<column>` for keys and `v_<column>` for values.
@cache
def _insert_statement(table: Table, appended: bool) -> Any:
    columns = [c.name for c in table.columns if not (appended and c.primary_key and c.autoincrement is True)]
    return insert(table).values({name: bindparam(f"v_{name}", type_=table.c[name].type) for name in columns})


@cache
def _update_statement(table: Table, columns: frozenset[str]) -> Any:
    pk = _primary_key(table)
    return update(table).where(and_(*(c == bindparam(f"k_{c.name}", type_=c.type) for c in pk))).values(
        {name: bindparam(f"v_{name}", type_=table.c[name].type) for name in sorted(columns)}
    )


@cache
def _delete_statement(table: Table) -> Any:
    pk = _primary_key(table)
    return delete(table).where(and_(*(c == bindparam(f"k_{c.name}", type_=c.type) for c in pk)))


@cache
def _compiled(statement: Any, dialect: Dialect) -> tuple[str, bool, tuple[tuple[str, str, Callable[[Any], Any] | None], ...]]:
    """The SQL text, whether parameters are positional, and per parameter: its bind name, the row
    key it takes its value from, and its type's bind processor."""
    compiled = statement.compile(dialect=dialect)
    names = compiled.positiontup if compiled.positional else list(compiled.binds)
    assert names is not None
    params = tuple((name, name[2:], _processor(compiled.binds[name].type, dialect)) for name in names)
    return compiled.string, compiled.positional, params


def _sqlite_utc(value: datetime | None) -> str | None:
    """What UTCDateTime and SQLite's DATETIME make of an aware datetime, in half the time."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    v = value.astimezone(timezone.utc)
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d} {v.hour:02d}:{v.minute:02d}:{v.second:02d}.{v.microsecond:06d}"


def _processor(type_: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    if isinstance(type_, UTCDateTime) and dialect.name == "sqlite":
        return _sqlite_utc  # tests/projections/test_batch.py holds it to SQLAlchemy's own output
    processor: Callable[[Any], Any] | None = type_.dialect_impl(dialect).bind_processor(dialect)
    return processor


def _tuples(params: tuple[tuple[str, str, Callable[[Any], Any] | None], ...], rows: list[Row]) -> list[tuple[Any, ...]]:
    """Each row's values in parameter order, converted by the processors."""
    converted = [(i, key, p) for i, (_, key, p) in enumerate(params) if p is not None]
    take = itemgetter(*(key for _, key, _ in params))
    values = []
    for row in rows:
        taken = take(row)
        value = list(taken) if len(params) > 1 else [taken]
        for i, key, p in converted:
            value[i] = p(row[key])
        values.append(tuple(value))
    return values


def _many(conn: Connection, statement: Any, rows: list[Row]) -> None:
    sql, positional, params = _compiled(statement, conn.dialect)
    if positional:
        conn.exec_driver_sql(sql, _tuples(params, rows))
    else:
        names = [name for name, _, _ in params]
        conn.exec_driver_sql(sql, [dict(zip(names, value, strict=True)) for value in _tuples(params, rows)])


def _insert_many(conn: Connection, table: Table, rows: list[Row], appended: bool) -> None:
    """New rows: PostgreSQL's COPY where there is one (a round trip per batch, not per row)."""
    statement = _insert_statement(table, appended)
    if conn.dialect.name != "postgresql":
        _many(conn, statement, rows)
        return
    _, _, params = _compiled(statement, conn.dialect)
    quote = conn.dialect.identifier_preparer
    columns = ", ".join(quote.quote(key) for _, key, _ in params)
    sql = f"COPY {quote.format_table(table)} ({columns}) FROM STDIN"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor, cursor.copy(sql) as copy:
            for value in _tuples(params, rows):
                copy.write_row(value)
    except conn.dialect.loaded_dbapi.Error as error:  # raised as SQLAlchemy raises the driver's errors elsewhere
        raise DBAPIError.instance(sql, None, error, conn.dialect.loaded_dbapi.Error) from error
