"""Alembic environment: migq passes its own connection; no alembic.ini is needed."""

from alembic import context

from migq.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
