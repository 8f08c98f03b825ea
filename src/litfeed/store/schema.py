"""The database tables. Alembic migrations under ``migrations/versions`` create exactly these."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import false
from sqlalchemy.sql.expression import true as sa_true
from sqlalchemy.types import TypeDecorator

metadata = MetaData()


class UTCDateTime(TypeDecorator[datetime]):
    """A moment stored in UTC and always read back timezone-aware, on SQLite (which keeps no
    zone) as on PostgreSQL, so the API shows the same value whichever database is behind it."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError(f"refusing a datetime without a time zone: {value!r}")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


papers = Table(
    "papers",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),
    # The title-based id ("t-…") a paper had until an arXiv id was known for it: links to the
    # old id keep working.
    Column("former_id", String(64), index=True, unique=True),
    Column("arxiv_id", String(32), unique=True),
    Column("arxiv_version", Integer),
    # [{"number": 2, "submitted": "2024-05-01"}, …], oldest first (migration 0006).
    Column("versions", JSON),
    Column("withdrawn", Boolean, nullable=False, default=False, server_default=false()),
    # Not unique: two arXiv papers are sometimes given one DOI (migration 0004).
    Column("doi", String(255), index=True),
    Column("hf_id", String(64)),
    Column("title", Text, nullable=False),
    Column("title_key", Text, nullable=False, index=True),
    Column("abstract", Text, nullable=False),
    Column("authors", JSON, nullable=False),
    Column("categories", JSON, nullable=False),
    Column("comment", Text),
    Column("published", Date),
    Column("updated", Date),
    Column("first_seen", UTCDateTime, nullable=False),
    # The publication date, or UNDATED: newest first lists dated papers first, by date, then
    # those without a known date (newest import first), with the index in both cases.
    Column("sort_date", Date, nullable=False, index=True),
    Column("links", JSON, nullable=False),
    Column("upvotes", Integer),
    Column("comments", Integer),
    Column("submitted_by", String(255)),
    # The submitter's Hugging Face user name (`submitted_by` is the full name shown), 0010.
    Column("submitter_user", String(255)),
    Column("submitted_at", UTCDateTime),
    # The day arXiv announced it (known or inferred from arXiv's metadata: the first
    # announcement on or after its first version), migration 0007.
    Column("announced", Date),
    # The paper's day (its daily page): announced by arXiv, entered Hugging Face Daily Papers,
    # or submitted here, whichever came first; else the announcement day it arrived in.
    Column("day", Date, nullable=False, index=True),
    # litfeed's own votes, maintained with each vote (the counts imported from Hugging Face are
    # `upvotes`); hidden papers leave every list.
    Column("votes", Integer, nullable=False, default=0, server_default="0"),
    # Comments shown under it here, maintained with each comment (migration 0018).
    Column("comments_here", Integer, nullable=False, default=0, server_default="0"),
    Column("hidden", Boolean, nullable=False, default=False, server_default=false()),
    # Submitted here (migration 0009): the day, and by whom.
    Column("submitted_here", Date),
    Column("submitter_id", Integer, ForeignKey("accounts.id", ondelete="SET NULL")),
    Column("content_hash", String(64), nullable=False),
    # The change cursor: the value of counters["changes"] when the row last changed.
    Column("change_seq", BigInteger, nullable=False, index=True),
)

imports = Table(
    "imports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("path", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("new", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("rejected", Integer, nullable=False, default=0),
    # A fetch run (migration 0006): the configured source it fetched ("arxiv:cs:cs:LG",
    # "hf-daily"), how it ended (running, ok, failed) and what it got to, in words.
    Column("origin", String(255), index=True),
    Column("status", String(16)),
    Column("detail", Text),
    # A file's import (migration 0023): the line and byte of the inflated file after its last
    # committed batch (`litfeed import --resume` goes on from there), and the records left
    # out for their categories (`--categories`).
    Column("resume_line", BigInteger),
    Column("resume_byte", BigInteger),
    Column("skipped", Integer),
)

# Where each harvest is (migration 0006): committed with the papers of each page it fetched, so
# that a harvest stopped at any moment resumes after its last committed page.
harvests = Table(
    "harvests",
    metadata,
    Column("origin", String(255), primary_key=True),
    # The window being harvested: from this day (None: from the beginning) in this format.
    Column("window_from", Date),
    Column("metadata_format", String(32)),
    # The resumption token of the next page; None when no harvest is under way.
    Column("token", Text),
    Column("pages", Integer, nullable=False, default=0),
    Column("records", Integer, nullable=False, default=0),
    Column("complete_size", Integer),
    # The `from` of the next harvest: the day (UTC) the last complete harvest began.
    Column("next_from", Date),
    Column("updated_at", UTCDateTime, nullable=False),
)

paper_sources = Table(
    "paper_sources",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), nullable=False),
    Column("import_id", Integer, ForeignKey("imports.id"), nullable=False),
    Column("source", String(64), nullable=False),
    Column("location", Text, nullable=False),
    Column("seen_at", UTCDateTime, nullable=False),
    UniqueConstraint("paper_pk", "source", "location", name="uq_paper_sources_location"),
)

embeddings = Table(
    "embeddings",
    metadata,
    Column("model", String(255), primary_key=True),
    Column("text_hash", String(64), primary_key=True),
    # float32 values, little-endian: derived data kept because it is slow to recompute.
    Column("vector", LargeBinary, nullable=False),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # Stored as given but compared in lower case: one account per address.
    Column("email", String(320), nullable=False),
    Column("email_key", String(320), nullable=False, unique=True),
    Column("password_hash", String(255)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("verified_at", UTCDateTime),
    Column("is_admin", Boolean, nullable=False, default=False, server_default=false()),
    Column("disabled_at", UTCDateTime),
    # An administrator hid every vote of this account: they leave every count.
    Column("votes_hidden", Boolean, nullable=False, default=False, server_default=false()),
    # The public name shown with what the account submits (optional; unique in any case), 0010.
    Column("name", String(40)),
    # Whether replies and mentions are mailed to it (migration 0019).
    Column("comment_mail", Boolean, nullable=False, default=True, server_default=sa_true()),
)
Index("ix_accounts_name_key", func.lower(accounts.c.name), unique=True)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    # SHA-256 of the token: the token itself is shown once and never stored.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime),
)

votes = Table(
    "votes",
    metadata,
    # One vote per account and paper, by the primary key: concurrent clicks count once.
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False, index=True),
)

sessions = Table(
    "sessions",
    metadata,
    # SHA-256 of the session token the (signed) cookie carries.
    Column("id", String(64), primary_key=True),
    Column(
        "account_id",
        Integer,
        ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

# Mail waiting for the background worker (a web request never sends mail itself).
mail_outbox = Table(
    "mail_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("recipient", String(320), nullable=False),
    Column("subject", Text, nullable=False),
    Column("text_body", Text, nullable=False),
    Column("html_body", Text),
    Column("message_id", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_error", Text),
    # Built or refused for good (0012): never tried again; `last_error` says why.
    Column("failed_at", UTCDateTime, index=True),
)

# Fixed-window counters shared by every web process (sign-up, log-in, reset, votes).
rate_limits = Table(
    "rate_limits",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("window_start", UTCDateTime, nullable=False),
    Column("count", Integer, nullable=False),
)

# Values made once per database: the key that signs cookies and links.
submissions = Table(
    "submissions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    # The arXiv id asked for, without version.
    Column("arxiv_id", String(32), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # pending (the worker fetches it), done, failed.
    Column("status", String(16), nullable=False, index=True),
    Column("detail", Text),
    Column("done_at", UTCDateTime),
)

# Digest subscribers (migration 0011): with or without an account, confirmed by double opt-in.
subscribers = Table(
    "subscribers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False),
    Column("email_key", String(320), nullable=False, unique=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="SET NULL")),
    # pending (not confirmed yet), confirmed, unsubscribed, bouncing (too many 5xx).
    Column("status", String(16), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("confirmed_at", UTCDateTime),
    Column("unsubscribed_at", UTCDateTime),
    # What the digest holds: [{"kind": "trending"|"daily"|"search"|"author"|"category", ...}].
    Column("sections", JSON, nullable=False),
    Column("mutes", JSON, nullable=False),  # words that exclude a paper
    Column("max_papers", Integer, nullable=False),
    Column("cadence", String(8), nullable=False),  # daily, weekly
    Column("send_hour", Integer, nullable=False),  # 0-23 in `timezone`
    Column("timezone", String(64), nullable=False),
    # Changed to revoke every link and the private feed given so far.
    Column("secret", String(32), nullable=False),
    Column("bounces", Integer, nullable=False, default=0, server_default="0"),
)

# The send ledger: one row per (subscriber, period), written before the message is handed to
# SMTP (with the papers it holds), marked sent after.
digests = Table(
    "digests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "subscriber_id",
        Integer,
        ForeignKey("subscribers.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("period", String(16), nullable=False),  # 2026-12-01 (a day) or 2026-W49 (a week)
    Column("message_id", String(255), nullable=False),
    # [[paper pk, [the sections that hold it]], ...] in the message's order
    Column("papers", JSON, nullable=False),
    # pending (to send), sent, failed (given up), empty (nothing new: never sent).
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False, index=True),
    Column("last_error", Text),
    UniqueConstraint("subscriber_id", "period", name="uq_digests_subscriber_period"),
)

# Every paper a subscriber was sent: never sent to them again.
digest_papers = Table(
    "digest_papers",
    metadata,
    Column(
        "subscriber_id",
        Integer,
        ForeignKey("subscribers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("digest_id", Integer, ForeignKey("digests.id", ondelete="CASCADE"), nullable=False),
)

# "More like this" / "less like this" from a digest's links (+1 / -1), for the personal feed.
feedback = Table(
    "feedback",
    metadata,
    Column(
        "subscriber_id",
        Integer,
        ForeignKey("subscribers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("value", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

site = Table(
    "site",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

UNDATED = date.min  # the sort_date of a paper whose publication date is unknown
CHANGE_COUNTER = "changes"
# A random number set when the database is created: derived index files record it.
IDENTITY_COUNTER = "database"


# A reader's library (migration 0013): the papers an account saved, private to it.
library_items = Table(
    "library_items",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("note", Text, nullable=False, default="", server_default=""),
    Column("added_at", UTCDateTime, nullable=False),
    # The reader's lists this paper is on: a JSON list of names (migration 0014).
    Column("tags", Text, nullable=False, default="[]", server_default="[]"),
)

# Library entries that match no stored paper (migration 0014): kept with their own metadata,
# embedded by their text like a paper, private to their reader.
outside_items = Table(
    "outside_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("key", Text, nullable=False),  # "doi:…", "arxiv:…" or "title:…": one entry, one row
    Column("title", Text, nullable=False),
    Column("abstract", Text, nullable=False, default="", server_default=""),
    Column("authors", Text, nullable=False, default="[]", server_default="[]"),
    Column("year", Integer),
    Column("doi", Text, index=True),
    Column("arxiv_id", Text, index=True),
    Column("url", Text),
    Column("note", Text, nullable=False, default="", server_default=""),
    Column("tags", Text, nullable=False, default="[]", server_default="[]"),
    Column("added_at", UTCDateTime, nullable=False),
    # The title compared as `normalise_title` does (migration 0017): with the arXiv id and the
    # DOI, what finds the items waiting for a paper that has just arrived.
    Column("title_key", Text, nullable=False, default="", server_default="", index=True),
    UniqueConstraint("account_id", "key", name="uq_outside_items_account_key"),
)

# A reader's private feed address (migration 0015): the hash of its secret key.
feed_keys = Table(
    "feed_keys",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("key_hash", Text, nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
)

# What a reader follows and mutes (migration 0016): kind is follow-author, follow-category,
# mute-word, mute-author or mute-category; value_key the value case-folded.
interests = Table(
    "interests",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", Text, primary_key=True),
    Column("value_key", Text, primary_key=True),
    Column("value", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# A reader's ratings (migration 0013): +1 "more like this", -1 "less like this", private to it.
ratings = Table(
    "ratings",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("rating", Integer, nullable=False),
    Column("rated_at", UTCDateTime, nullable=False),
)

# Discussion (migration 0018): comments under papers, their votes and reports, and the log of
# what moderators did. A comment keeps the reader's source and the sanitised HTML made from it
# by the rules of version `renderer`; deleted and hidden comments stay (their replies hang on
# them) and leave every count.
comments = Table(
    "comments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column(
        "account_id",
        Integer,
        ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("parent_id", Integer, ForeignKey("comments.id"), index=True),
    Column("body", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("renderer", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("edited_at", UTCDateTime),
    Column("deleted_at", UTCDateTime),
    Column("hidden_at", UTCDateTime),
)

comment_votes = Table(
    "comment_votes",
    metadata,
    Column("comment_id", Integer, ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
)

comment_reports = Table(
    "comment_reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "comment_id",
        Integer,
        ForeignKey("comments.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    UniqueConstraint("comment_id", "account_id", name="uq_comment_reports_one_each"),
)

moderation_log = Table(
    "moderation_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_id", Integer, ForeignKey("accounts.id", ondelete="SET NULL")),
    Column("action", Text, nullable=False),  # hide, restore, suspend, unsuspend, …
    Column("comment_id", Integer, ForeignKey("comments.id", ondelete="SET NULL")),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="SET NULL")),
    Column("detail", Text, nullable=False, default="", server_default=""),
)

# Replies to a reader's comments and mentions of their name (migration 0019): one row per reader
# and comment; ``mailed_at`` is set in the transaction that queues the mail that tells them.
notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("kind", Text, nullable=False),  # reply, mention
    Column("comment_id", Integer, ForeignKey("comments.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("mailed_at", UTCDateTime),
    UniqueConstraint("account_id", "comment_id", name="uq_notifications_one_each"),
)
Index("ix_notifications_unmailed", notifications.c.mailed_at, notifications.c.created_at)

# Collections (migration 0020): a reader's named lists of papers, public or unlisted (reached
# by their random ``key`` alone), with a Markdown description beside its sanitised HTML, a
# note per paper, and the readers who follow each.
collections = Table(
    "collections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(32), nullable=False, unique=True),
    Column(
        "account_id",
        Integer,
        ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=False, default="", server_default=""),
    Column("description_html", Text, nullable=False, default="", server_default=""),
    Column("renderer", Integer, nullable=False),
    Column("public", Boolean, nullable=False, default=True, server_default=sa_true()),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

collection_papers = Table(
    "collection_papers",
    metadata,
    Column(
        "collection_id", Integer, ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("note", Text, nullable=False, default="", server_default=""),
    Column("note_html", Text, nullable=False, default="", server_default=""),
    Column("added_at", UTCDateTime, nullable=False, index=True),
)

collection_follows = Table(
    "collection_follows",
    metadata,
    Column(
        "collection_id", Integer, ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
)

# Who wrote what (migration 0021): one row per paper and author, the name as the paper spells
# it and its lookup key (`identifiers.family_key`), kept with each paper's authors.
authorships = Table(
    "authorships",
    metadata,
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("family", Text, nullable=False, index=True),
)

# A reader's claim to be an author (migration 0021): shown as "not verified" until an
# administrator verifies it.
author_claims = Table(
    "author_claims",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    Column("family", Text, nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("verified_at", UTCDateTime),
    Column("verified_by", Integer, ForeignKey("accounts.id", ondelete="SET NULL")),
    UniqueConstraint("account_id", "name", name="uq_author_claims_one_each"),
)

# The topic map (migration 0022): topics at two levels and each paper's place, derived from the
# stored embeddings by `litfeed topics build` and replaced whole in one transaction.
topics = Table(
    "topics",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("level", Integer, nullable=False),  # 0 broad, 1 fine
    Column("parent_id", Integer),
    Column("label", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("x", Float, nullable=False),
    Column("y", Float, nullable=False),
    Column("built_at", UTCDateTime, nullable=False),
)

paper_places = Table(
    "paper_places",
    metadata,
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("x", Float, nullable=False),
    Column("y", Float, nullable=False),
    Column("broad_id", Integer, index=True),
    Column("fine_id", Integer, index=True),
)
