"""Demo-data steps that later areas register; each is ``step(session, brands, dealers)`` and idempotent."""

STEPS: list = []
