"""Embedded PostgreSQL and Redis for `make run`, `make test` and `make fuzz` when no server is
given or running: the owner of a data folder (`services`), each engine's start and stop
(`postgres_server`, `redis_server`) and a small command line (`python -m autofin.dev.embedded`)."""
