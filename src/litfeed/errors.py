"""The base of every error litfeed reports to a user as one line (CLI: ``error: …``, API: 4xx)."""


class LitfeedError(Exception):
    """An error whose message is complete and fit to show as it is: it says what and where."""
