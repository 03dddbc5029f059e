"""Restricted-party screening: the Consolidated Screening List, name normalization and matching."""
