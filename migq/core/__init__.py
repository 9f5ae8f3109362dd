"""Core: small building blocks that use only the standard library (no rich, no SQLAlchemy)."""
