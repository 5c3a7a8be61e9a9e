"""The event table, names, errors and atomic writes: what every stage shares. Imports nothing above it."""
