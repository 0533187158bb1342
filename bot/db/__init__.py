"""Persistence: the SQLModel tables, the engine and the queries that use them."""
