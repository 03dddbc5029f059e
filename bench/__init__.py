"""Benchmarks run by `make bench-*`: each starts what it needs and prints its figures."""
