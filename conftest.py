"""The project's own tests use pytester to run the plugin in isolated pytest runs."""
pytest_plugins = ["pytester"]
