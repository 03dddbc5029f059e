"""EntryGo: an open implementation of the EntryGo Export Protocol v1."""

__version__ = "0.1.0"
