"""litfeed: a self-hosted research-paper discovery hub."""

__version__ = "0.1.0"
