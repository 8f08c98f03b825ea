"""The base of every error litfeed reports to a user as one line (CLI: ``error: …``, API: 4xx)."""


class LitfeedError(Exception):
    """An error whose message is complete and fit to show as it is: it says what and where."""


def described(error: Exception) -> str:
    """An error in one line for a log: litfeed's own as they are, any other with its kind."""
    return str(error) if isinstance(error, LitfeedError) else f"{type(error).__name__}: {error}"
