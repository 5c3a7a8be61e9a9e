"""Playing a sample: the runner, the fork server, the player child, timeouts and players at once."""
