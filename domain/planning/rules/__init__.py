"""The planning rules by family: plan and orders, line data, compliance, entry."""
