"""Test doubles for the benchmarks (put benchmarks/ on PYTHONPATH)."""
