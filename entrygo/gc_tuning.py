"""Garbage-collector settings for the long-running processes (API, worker).

Start-up leaves hundreds of thousands of long-lived objects (pydantic models, the HS
nomenclature, Temporal's SDK); every full collection walks them all and pauses the event loop
for 100–300 ms. Freezing them after start-up takes them out of every later collection, and a
larger first-generation threshold makes collections rarer (docs/benchmarks.md, "Plan").
"""

import gc

FIRST_GENERATION_THRESHOLD = 50_000


def tune_gc() -> None:
    """Collect once, freeze what survived start-up, and collect less often from now on."""
    gc.collect()
    gc.freeze()
    _, second, third = gc.get_threshold()
    gc.set_threshold(FIRST_GENERATION_THRESHOLD, second, third)
