"""Evidence packs: their layout, the rules a plan fired with their sources, the checks a pack's
parts must pass (docs/evidence.md)."""
