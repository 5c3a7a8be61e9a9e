"""Player double: see doubles._common.no_recording."""
from doubles._common import main

if __name__ == "__main__":
    main("no_recording")
