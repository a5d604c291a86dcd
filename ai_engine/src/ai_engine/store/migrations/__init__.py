"""Alembic migrations, shipped in the package (a package so that env.py is installed too)."""
