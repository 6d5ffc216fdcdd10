"""Developer tooling: the embedded servers and launchers, the test runner, the API fuzzer and
the codebase checks. Nothing here runs in production."""
