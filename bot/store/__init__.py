"""Storage: the handoff store and its Alembic migrations, the outbox and spool, encryption at
rest, key rotation, retention, search and private files."""
