"""Anti-money laundering on money received: the nightly monitoring (`monitoring`) and the
compliance case workflow of its alerts (`cases`)."""
