"""The evidence and audit routes' response models: the use cases' own."""

from services.models.evidence import AuditDecision, AuditPage, EvidenceKey

__all__ = ["AuditDecision", "AuditPage", "EvidenceKey"]
