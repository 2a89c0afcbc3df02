"""The data plane: listener ports that route real HTTP by live weights to versioned local tasks."""
