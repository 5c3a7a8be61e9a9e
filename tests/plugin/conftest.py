"""Plugin tests: pytester runs of the plugin with the player doubles of tests/doubles.

Their fixtures (`mp`: MediaTester and MediaRun; `plug`; `index_page`) live in
tests/conftest.py, shared with tests/reliability and tests/e2e; nothing here
is plugin-only. A test that plays real media belongs in tests/e2e."""
