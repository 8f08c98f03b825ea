"""The ``litfeed`` command: one module per area, each a thin layer that parses options, calls
the library and prints. Importing this package imports no area's dependencies: a command
imports what it uses when it runs, so that `litfeed --help` answers at once."""

# isort: off
# The areas register their commands in the order `litfeed --help` lists them.
from litfeed.cli import papers, sources, users, library, discussion, topics, delivery, maintenance
from litfeed.cli.common import app

# isort: on

__all__ = [
    "app",
    "delivery",
    "discussion",
    "library",
    "maintenance",
    "papers",
    "sources",
    "topics",
    "users",
]
