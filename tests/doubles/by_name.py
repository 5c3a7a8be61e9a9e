"""Player double: see doubles._common.by_name."""
from doubles._common import main

if __name__ == "__main__":
    main("by_name")
