"""The benchmark behind `make bench`: real uvicorn processes, driven from another process.

`bench.run` sets up the databases and servers and writes `bench/results.json`; `bench.load` is
the load generator it runs as a separate process; `bench.bare_app` is the baseline it compares
the survey's send step with. Not part of the installed package.
"""
