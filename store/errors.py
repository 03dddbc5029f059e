"""Errors `store/` raises; the API maps them to the contract once (api/errors.py)."""


class StoreError(Exception):
    """Base of every store error."""


class NotFound(StoreError):
    """The row does not exist in the caller's account."""

    def __init__(self, resource: str) -> None:
        super().__init__(resource)
        self.resource = resource
