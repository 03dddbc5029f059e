"""Workflows registered on the export task queue."""

from workflows.destination import DestinationWorkflow
from workflows.export import ExportWorkflow

WORKFLOWS: list[type] = [ExportWorkflow, DestinationWorkflow]
