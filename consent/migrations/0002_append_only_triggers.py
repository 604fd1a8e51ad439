"""The consent event log and the disclosure ledger refuse changes inside the database too.

PostgreSQL refuses UPDATE and DELETE of their rows. SQLite (the embedded demo database)
refuses UPDATE; it cannot refuse DELETE without also breaking the test suite's flushes, so
there the models alone refuse deletes, and foreign keys protect the rows they point at.
"""

from django.db import migrations

TABLES = ("consent_consentevent", "consent_disclosure")

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION consent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""
POSTGRES_TRIGGER = """
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION consent_append_only();
"""
SQLITE_TRIGGER = """
CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table}
BEGIN
    SELECT RAISE(ABORT, '{table} rows are append-only');
END;
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION, params=None)
        for table in TABLES:
            schema_editor.execute(POSTGRES_TRIGGER.format(table=table))
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(SQLITE_TRIGGER.format(table=table))


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS consent_append_only()")


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_consent")]

    operations = [migrations.RunPython(forwards, backwards)]
