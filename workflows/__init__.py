"""Workflows registered on the export task queue."""

from workflows.export import ExportWorkflow

WORKFLOWS: list[type] = [ExportWorkflow]
