"""Player double: see doubles._common.perfect."""
from doubles._common import main

if __name__ == "__main__":
    main("perfect")
