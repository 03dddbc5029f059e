"""The application layer: one module per use-case family; routes call one function each."""
