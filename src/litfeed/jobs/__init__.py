"""What the background worker runs: the one process per database that writes derived data."""
