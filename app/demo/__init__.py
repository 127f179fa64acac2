"""Demo data for ``flask seed-demo``."""
