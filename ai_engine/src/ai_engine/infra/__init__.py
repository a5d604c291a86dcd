"""Local infrastructure: the PostgreSQL and Redis servers the engine runs against on a laptop,
in CI and in the offline demo. `local_services` is the one entry point (CLI, Makefile, tests)."""
