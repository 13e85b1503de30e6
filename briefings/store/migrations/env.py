"""Alembic environment. Run through :func:`briefings.store.db.upgrade`, which hands over a live connection
(async engines run migrations inside ``connection.run_sync``)."""

from alembic import context

from briefings.store.models import Base

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")
if connection is None:  # plain `alembic` CLI use: a sync URL in the config
    from sqlalchemy import engine_from_config, pool

    engine = engine_from_config(context.config.get_section(context.config.config_ini_section, {}),
                                prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
