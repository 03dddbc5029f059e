"""Customs package artifacts: the commercial invoice in four forms, packing list and manifest.

Import from the modules (`domain.documents.models`, `domain.documents.render`): this file stays
empty so that importing the models does not load Jinja2 or fpdf2 (workflows import the models).
"""
