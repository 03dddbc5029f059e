"""Semantic checks routes make after schema validation, answered as VALIDATION_ERROR issues."""

from collections.abc import Sequence

from api.errors import ErrorIssue, validation_error


def reject_duplicates(values: Sequence[str], list_path: str, field: str) -> None:
    """400 when the same value appears twice in a request's list."""
    seen: dict[str, int] = {}
    issues = []
    for index, value in enumerate(values):
        if value in seen:
            issues.append(
                ErrorIssue(
                    path=f"{list_path}.{index}.{field}",
                    message=f"duplicate of {list_path}.{seen[value]}.{field}",
                    code="duplicate",
                )
            )
        else:
            seen[value] = index
    if issues:
        raise validation_error(issues)
