"""EntryGo's composition root: the CLI, the dev stack, the worker main and the demo seed.

Nothing else imports this package; configuration lives in `config/`.
"""

from config import __version__

__all__ = ["__version__"]
