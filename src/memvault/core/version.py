"""memvault's version, in the lowest layer so a backup manifest (service) can carry it."""

VERSION = "0.1.0"  # keep equal to pyproject.toml's version
