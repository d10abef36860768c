"""Heng benchmarks: ``.venv/bin/python -m bench.run [--only NAME]`` (``make bench``)."""
