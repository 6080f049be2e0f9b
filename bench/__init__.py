"""Benchmarks of gldash: fetch against a naive baseline, refresh, render, browser, rate limit.

Run everything with `make bench` (or `python -m bench`); see docs/benchmarks.md.
"""
