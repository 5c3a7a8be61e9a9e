"""Player double: see doubles._common.flaky."""
from doubles._common import main

if __name__ == "__main__":
    main("flaky")
