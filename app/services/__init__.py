"""Use cases: one function per action, each its own transaction. No HTTP in here."""
