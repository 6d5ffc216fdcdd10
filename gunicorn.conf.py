"""gunicorn's settings wherever AutoFin's web runs: `make run` (autofin/dev/run.py), the image,
docker compose and the HTTP benches all start gunicorn in the project's directory, where it reads
this file; their command lines name only the address and the number of workers.

Threaded workers: a customer's status request waiting for the decision (up to 20 s, asleep on
Redis, see origination/api/applications.py) holds one thread, not a whole worker, and a quick
request runs beside a slow one instead of queueing behind it. Eight threads a worker: enough for
the waiting requests of a busy moment, while each thread's persistent database connection keeps
the backends per host at workers x 8.
"""

worker_class = "gthread"
threads = 8
