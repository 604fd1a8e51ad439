"""Insert many rows fast: plain tuples through executemany (SQLite) or COPY (PostgreSQL).

The ORM's per-object work (bulk_create compiles every value of every row) costs several times
the inserts themselves; the seeder and the HSDS import write hundreds of thousands of rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import date, time
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.utils import timezone


def columns(model: type[models.Model]) -> list[tuple[str, Callable[[Any], Any] | None, Any]]:
    """(column, to-database or None when the driver takes the value as is, default)."""
    real = connections[DEFAULT_DB_ALIAS]
    found = []
    for field in model._meta.concrete_fields:
        default = None if field.primary_key else field.get_default()
        prepare: Callable[[Any], Any] | None = None
        if isinstance(field, models.DateTimeField):
            # Bulk rows never set a timestamp: prepare "now" once, not once per row.
            default = field.get_db_prep_save(timezone.now(), real)
        elif isinstance(field, models.UUIDField):
            if real.vendor != "postgresql":
                prepare = _uuid_hex
        elif isinstance(field, models.JSONField):

            def prepare(value: Any, field: models.Field[Any, Any] = field) -> Any:
                return field.get_db_prep_save(value, real)

        elif isinstance(field, models.DateField | models.TimeField) and real.vendor == "sqlite":
            prepare = _isoformat

        found.append((field.attname, prepare, default))
    return found


def _isoformat(value: date | time | None) -> str | None:
    return value.isoformat() if value is not None else None


def _uuid_hex(value: uuid.UUID | str | None) -> str | None:
    if value is None:
        return None
    return (value if isinstance(value, uuid.UUID) else uuid.UUID(value)).hex


def insert_rows(
    model: type[models.Model], rows: Iterable[dict[str, Any]], *, primary_key: bool = True
) -> None:
    """Insert rows given as {attname: value}; a column a row leaves out takes its default.
    Without ``primary_key`` the database numbers the rows (read them back by another key)."""
    found = columns(model)
    if not primary_key:
        pk = model._meta.pk.attname
        found = [column for column in found if column[0] != pk]
    names = [name for name, _prep, _default in found]
    position = {name: index for index, name in enumerate(names)}
    template = [default for _name, _prep, default in found]
    prepared = [(index, prep) for index, (_name, prep, _default) in enumerate(found) if prep]
    values = []
    for row in rows:
        value = template.copy()
        for name, given in row.items():
            value[position[name]] = given
        for index, prep in prepared:
            value[index] = prep(value[index])
        values.append(value)
    insert_values(model, names, values)


def insert_values(model: type[models.Model], names: Sequence[str], values: list[Any]) -> None:
    """Insert rows already in database form: one sequence of values per row, in the order of
    the column ``names`` (COPY on PostgreSQL, one executemany elsewhere)."""
    if not values:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(n) for n in names)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)
        else:
            marks = ", ".join(["%s"] * len(names))
            # Table and column names come from the models, never from input.
            sql = f"INSERT INTO {table} ({quoted}) VALUES ({marks})"  # noqa: S608
            cursor.executemany(sql, values)
