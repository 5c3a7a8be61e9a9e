"""Player double: see doubles._common.hang."""
from doubles._common import main

if __name__ == "__main__":
    main("hang")
