"""`python -m litfeed` is the `litfeed` command."""

from litfeed.cli import app

app()
