"""Player double: see doubles._common.abort."""
from doubles._common import main

if __name__ == "__main__":
    main("abort")
