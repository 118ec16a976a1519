"""Persistence: tables, migrations, repositories and statistics queries."""
