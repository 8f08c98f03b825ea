"""Fetching what readers submitted: each pending submission through arXiv's Atom API (one
request for all of them), then credited to its submitter on the day it was submitted."""

from __future__ import annotations

from collections.abc import Callable

from litfeed.hub import Hub
from litfeed.sources import FetchBusy, Fetcher, FetchError

Log = Callable[[str], None]


def fetch_submissions(hub: Hub, fetcher: Fetcher, log: Log) -> int:
    """Fetch and credit the pending submissions; how many were done (found or not). The
    ``fetcher`` lives as long as the worker, so its pause between requests to arXiv holds
    across rounds."""
    pending = hub.store.community.pending_submissions()
    if not pending:
        return 0
    community = hub.community
    try:
        with fetcher.locked():
            fetcher.arxiv_ids([submission.arxiv_id for submission in pending])
    except FetchBusy:
        return 0  # a harvest holds arXiv's line: the next round
    except FetchError as error:
        for submission in pending:
            hub.store.community.finish_submission(
                submission.id, "failed", f"arXiv could not be reached ({error}); submit it again"
            )
        log(f"submissions: {error}")
        return len(pending)
    for submission in pending:
        paper = hub.get_paper(submission.arxiv_id)
        if paper is None:
            hub.store.community.finish_submission(
                submission.id, "failed", "arXiv knows no paper with this id"
            )
            continue
        community.credit_submission(submission, paper)
        hub.store.community.finish_submission(submission.id, "done", paper.id)
    return len(pending)
