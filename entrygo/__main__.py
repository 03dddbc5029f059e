"""`python -m entrygo`."""

from entrygo.cli import main

main()
