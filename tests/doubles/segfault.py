"""Player double: see doubles._common.segfault."""
from doubles._common import main

if __name__ == "__main__":
    main("segfault")
