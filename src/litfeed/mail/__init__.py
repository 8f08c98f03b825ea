"""The mail layer, below everything that sends mail (accounts, digests, and what comes):
composing and queueing messages (`outbox`), handing them over by SMTP or into files
(`postman`). Their rows are in `store/mail.py`."""

from litfeed.mail.outbox import MAX_RETRY, compose, deliver_due, queue_mail, retry_delay
from litfeed.mail.postman import MailError, Postman, send

__all__ = [
    "MAX_RETRY",
    "MailError",
    "Postman",
    "compose",
    "deliver_due",
    "queue_mail",
    "retry_delay",
    "send",
]
