"""Configuration: the settings class and the Temporal client factory.

A leaf: it imports nothing of ours, so every layer (api, activities, workers, tools) may use it
while the composition root (`entrygo/`) stays imported by nothing.
"""

__version__ = "0.1.0"
