"""The public SDK's names: code written for it runs with only its import line changed."""

from entrygo_client.client import AsyncEntryGo, EntryGo
from entrygo_client.errors import EntryGoError

SHPBNDL = EntryGo
AsyncSHPBNDL = AsyncEntryGo
SHPBNDLError = EntryGoError

__all__ = ["SHPBNDL", "AsyncSHPBNDL", "SHPBNDLError"]
