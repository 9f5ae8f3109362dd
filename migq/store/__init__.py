"""The workspace database. ``open_store`` is the entry point; the other modules are queries."""

from migq.store.db import Store, open_store, redact, resolve_url

__all__ = ["Store", "open_store", "redact", "resolve_url"]
