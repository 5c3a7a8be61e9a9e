"""Player double: see doubles._common.defects."""
from doubles._common import main

if __name__ == "__main__":
    main("defects")
