"""Alembic environment: tcptutor runs migrations itself, handing over an open connection."""

from alembic import context

from tcptutor.bank.models import Base

target_metadata = Base.metadata
connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
