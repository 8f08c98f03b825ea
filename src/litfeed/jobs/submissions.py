"""Fetching what readers submitted: each pending submission through arXiv's Atom API (one
request for all of them), then credited to its submitter on the day it was submitted.

One submission, one fate: when the request for all of them breaks on something other than
arXiv being unreachable, each is fetched on its own, and one that still fails is marked failed
with its reason; crediting one that fails does not stop the others."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from litfeed.errors import described
from litfeed.hub import Hub
from litfeed.sources import FetchBusy, Fetcher, FetchError
from litfeed.store import Submission

Log = Callable[[str], None]


def fetch_submissions(hub: Hub, fetcher: Fetcher, log: Log) -> int:
    """Fetch and credit the pending submissions; how many were done (found or not). The
    ``fetcher`` lives as long as the worker, so its pause between requests to arXiv holds
    across rounds."""
    pending = hub.store.community.pending_submissions()
    if not pending:
        return 0
    try:
        _fetch(fetcher, pending)
    except FetchBusy:
        return 0  # a harvest holds arXiv's line: the next round
    except FetchError as error:
        for submission in pending:
            _fail(hub, submission, f"arXiv could not be reached ({error}); submit it again")
        log(f"submissions: {error}")
        return len(pending)
    except Exception as error:
        log(f"submissions: fetching {len(pending)} at once failed ({described(error)}); one by one")
        return _one_by_one(hub, fetcher, pending, log)
    for submission in pending:
        _finish(hub, submission, log)
    return len(pending)


def _fetch(fetcher: Fetcher, submissions: Sequence[Submission]) -> None:
    with fetcher.locked():
        fetcher.arxiv_ids([submission.arxiv_id for submission in submissions])


def _one_by_one(hub: Hub, fetcher: Fetcher, pending: list[Submission], log: Log) -> int:
    done = 0
    for submission in pending:
        try:
            _fetch(fetcher, [submission])
        except FetchBusy:
            break
        except Exception as error:
            _fail(hub, submission, f"it could not be fetched: {described(error)}")
            log(f"submission {submission.id} ({submission.arxiv_id!r}): {described(error)}")
        else:
            _finish(hub, submission, log)
        done += 1
    return done


def _finish(hub: Hub, submission: Submission, log: Log) -> None:
    """Credit a fetched submission (or say arXiv knows no such paper)."""
    try:
        paper = hub.get_paper(submission.arxiv_id)
        if paper is None:
            _fail(hub, submission, "arXiv knows no paper with this id")
            return
        hub.community.credit_submission(submission, paper)
        hub.store.community.finish_submission(submission.id, "done", paper.id)
    except Exception as error:  # one submission, one fate
        _fail(hub, submission, f"it could not be credited: {described(error)}")
        log(f"submission {submission.id}: {described(error)}")


def _fail(hub: Hub, submission: Submission, reason: str) -> None:
    hub.store.community.finish_submission(submission.id, "failed", reason)
