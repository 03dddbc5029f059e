"""Versioned rule-pack data files (`<version>.toml`), read by `domain.rulepack.model`."""
