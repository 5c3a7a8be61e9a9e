"""Plugin tests: their fixtures (`mp`, MediaTester, MediaRun and helpers) live in
tests/conftest.py, shared with tests/reliability; nothing here is plugin-only."""
