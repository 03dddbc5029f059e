"""Rule packs: the model (`model.py`) and the dated pack files (`packs/`)."""
