"""Alembic environment: runs migrations on the engine handed over by shared.migrate."""

from alembic import context

from shared.migrate import described_by_models
from shared.models import Base

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    driver = connection.connection.driver_connection
    if sqlite:
        # SQLite rebuilds a table to alter it (batch mode) and refuses to drop one that others point at
        # while foreign keys are enforced; the pragma only works outside a transaction.
        driver.execute("PRAGMA foreign_keys=OFF")
    try:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=sqlite,
            compare_type=True,
            include_object=described_by_models,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                raise RuntimeError("migration left rows that break a foreign key")
    finally:
        if sqlite:
            driver.execute("PRAGMA foreign_keys=ON")
