"""Export use cases: planning, decisions, execution and the read models."""
