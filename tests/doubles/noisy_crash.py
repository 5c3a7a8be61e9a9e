"""Player double: see doubles._common.noisy_crash."""
from doubles._common import main

if __name__ == "__main__":
    main("noisy_crash")
