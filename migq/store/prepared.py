"""Statements run straight on the database driver, for the one hot path: storing replies.

SQLAlchemy spends about a tenth of a millisecond of Python per statement building its execution
context (cache key, parameters, result set-up, events). Storing a reply takes five statements,
and an ingest stores hundreds of replies while the reader workers wait for the CPU, so that
overhead was most of the main process's work. A ``Prepared`` statement is a Core statement
that SQLAlchemy compiles once per dialect and set of columns; each execution passes the values
through the same type bind processors SQLAlchemy would apply (dates and booleans on SQLite, for
instance) and hands SQL and values to the driver's cursor. The rows stored are the same.

Use it only inside a transaction of ``Store.write()``: it runs on that transaction's own
driver connection, so it commits or rolls back with everything else in it. The driver's errors
come out as SQLAlchemy's (``IntegrityError``, ``OperationalError``...), as from ``execute``.

    _INSERT = Prepared(insert(schema.audit_log))
    _INSERT.execute(conn, dict(at=..., actor=..., ...))
"""

from __future__ import annotations

from contextlib import contextmanager
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError


class _Compiled(NamedTuple):
    sql: str
    plan: tuple[tuple[str, Any], ...]  # (bind name, the type's bind processor or None), in SQL order
    positional: bool
    fixed: dict[str, Any]  # values of binds the statement itself carries (literals in a WHERE)
    take: Any  # itemgetter of the bind names in SQL order: the values as a tuple, at C speed
    processed: tuple[tuple[int, Any], ...]  # (place, bind processor) of the binds that have one


class Prepared:
    def __init__(self, statement, returning_id=None):
        """``returning_id``: for an insert, the id column whose new value ``insert_id`` returns."""
        self.statement = statement
        self.returning_id = returning_id
        self._cache: dict[tuple, _Compiled] = {}

    def _compiled(self, conn: Connection, keys: tuple[str, ...], returning: bool = False) -> _Compiled:
        dialect = conn.dialect
        cache_key = (dialect.name, keys, returning)
        found = self._cache.get(cache_key)
        if found is not None:
            return found
        statement = self.statement.returning(self.returning_id) if returning else self.statement
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        by_name = {name: bind for bind, name in compiled.bind_names.items()}  # as written in the SQL
        names = tuple(compiled.positiontup) if compiled.positional else tuple(by_name)
        every = compiled.construct_params({k: None for k in keys})
        fixed = {name: every[name] for name in names if name not in keys}
        table = getattr(statement, "table", None) if compiled.isinsert else None
        for name in fixed:  # columns left out of an insert take their Python-side default
            default = table.c[name].default if table is not None and name in table.c else None
            if default is not None:
                if not default.is_scalar:
                    raise ValueError(f"give {name} a value: its default is computed ({compiled.string})")
                fixed[name] = default.arg
        plan = tuple((name, by_name[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in names)
        take = _taker(names)
        processed = tuple((place, process) for place, (_, process) in enumerate(plan) if process)
        found = self._cache[cache_key] = _Compiled(compiled.string, plan, compiled.positional, fixed, take, processed)
        return found

    @staticmethod
    def _values(c: _Compiled, params: dict):
        # Called for every row of every reply stored: the values are taken in one C call and
        # only the few binds with a processor (dates, booleans on SQLite) are passed through it.
        values = c.take({**c.fixed, **params} if c.fixed else params)
        if c.processed:
            values = list(values)
            for place, process in c.processed:
                values[place] = process(values[place])
        if c.positional:
            return tuple(values)
        return dict(zip((name for name, _ in c.plan), values))

    def execute(self, conn: Connection, params: dict) -> None:
        self._run(conn, params, fetch=False)

    def all(self, conn: Connection, params: dict) -> list[tuple]:
        return self._run(conn, params, fetch=True)

    def _run(self, conn: Connection, params: dict, fetch: bool):
        c = self._compiled(conn, tuple(sorted(params)))
        with _cursor(conn, c.sql) as cursor:
            cursor.execute(c.sql, self._values(c, params))
            return cursor.fetchall() if fetch else None

    def executemany(self, conn: Connection, rows: list[dict]) -> None:
        """Run for every row (all rows with the same keys)."""
        if not rows:
            return
        c = self._compiled(conn, tuple(sorted(rows[0])))
        with _cursor(conn, c.sql) as cursor:
            cursor.executemany(c.sql, [self._values(c, row) for row in rows])

    def insert_id(self, conn: Connection, params: dict) -> int:
        """Run an insert and return the new row's id (RETURNING where the driver has no lastrowid)."""
        returning = conn.dialect.name != "sqlite"
        c = self._compiled(conn, tuple(sorted(params)), returning=returning)
        with _cursor(conn, c.sql) as cursor:
            cursor.execute(c.sql, self._values(c, params))
            return cursor.fetchone()[0] if returning else cursor.lastrowid


def _taker(names: tuple[str, ...]):
    """A function giving a row's values for ``names`` as a tuple (itemgetter gives a bare value
    for one name, and takes no zero names)."""
    if len(names) > 1:
        return itemgetter(*names)
    return lambda row: tuple(row[name] for name in names)


def execute_on_driver(conn: Connection, sql: str) -> None:
    """Run one statement without parameters (a BEGIN, a PRAGMA) straight on the driver."""
    with _cursor(conn, sql) as cursor:
        cursor.execute(sql)


@contextmanager
def _cursor(conn: Connection, sql: str):
    cursor = conn.connection.dbapi_connection.cursor()
    dbapi = conn.dialect.loaded_dbapi
    try:
        yield cursor
    except dbapi.Error as err:
        raise DBAPIError.instance(sql, None, err, dbapi.Error, dialect=conn.dialect) from err
    finally:
        cursor.close()
