"""Workflows registered on the export task queue."""

WORKFLOWS: list[type] = []
