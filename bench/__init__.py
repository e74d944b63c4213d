"""Benchmarks: each ``bench_*.py`` module has ``main()`` printing markdown table rows."""
