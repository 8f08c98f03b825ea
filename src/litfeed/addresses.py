"""E-mail addresses: parsed and normalised once, where they enter litfeed (every form, API,
command and importer calls `parse_address`), so that mail is stored and sent from that normal
form only and nothing a stranger types can reach a mail header as more than one address.

The normal form is an RFC 5322 ``addr-spec``: a dot-atom before the ``@`` (ASCII, case kept:
only the receiving host may interpret it) and a host name after it, lower case, with an
internationalised domain in its ASCII form (IDNA 2008 with UTS #46 mapping:
``Ada@Bücher.Example`` → ``Ada@xn--bcher-kva.example``). Refused, each with an error that names
the field: control characters anywhere (CR, LF, TAB, NUL, the Unicode line and paragraph
separators, bidirectional and zero-width marks), spaces inside, quoted local parts, address
literals (``user@[192.0.2.1]``), a local part longer than 64 characters, a domain longer than
253, and an address longer than 254 (RFC 5321's path limit less the angle brackets).
"""

from __future__ import annotations

import re
import unicodedata

import idna

from litfeed.errors import LitfeedError

MAX_LENGTH = 254
MAX_LOCAL = 64
MAX_DOMAIN = 253
# RFC 5322 atext: letters, digits and these; a dot-atom is atoms joined by single dots.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# Unicode categories no address may hold: controls, format marks (bidi, zero-width), line and
# paragraph separators, surrogates, private use, unassigned.
_FORBIDDEN = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}
_CONTROLS = {"\r": "carriage return", "\n": "line feed", "\t": "tab", "\0": "NUL"}


class AddressError(LitfeedError, ValueError):
    """What was given is not an address litfeed can send to; the message names the field and
    says why."""

    def __init__(self, field: str, given: str, why: str) -> None:
        shown = given if len(given) <= 80 else given[:77] + "..."
        super().__init__(f"{field}: {shown!r} is not an e-mail address: {why}")
        self.field = field


def parse_address(text: object, field: str = "email") -> str:
    """The normal form of the address ``text``; `AddressError` naming ``field`` otherwise."""
    if not isinstance(text, str):
        raise AddressError(field, repr(text), "it is not text")
    address = text.strip(" ")
    for character in address:
        if unicodedata.category(character) in _FORBIDDEN:
            name = _CONTROLS.get(character, unicodedata.name(character, "a control character"))
            raise AddressError(
                field, text, f"it holds U+{ord(character):04X} ({name.lower()}): no address has one"
            )
        if character.isspace():
            raise AddressError(field, text, "it holds a space")
    if not address:
        raise AddressError(field, text, "it is empty")
    if len(address) > MAX_LENGTH:
        raise AddressError(field, text, f"it is longer than {MAX_LENGTH} characters")
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise AddressError(field, text, "it needs a name, an @ and a domain: ada@example.org")
    return _local_part(local, field, text) + "@" + _domain(domain, field, text)


def _local_part(local: str, field: str, text: str) -> str:
    if local.startswith('"'):
        raise AddressError(field, text, "quoted names before the @ are not accepted")
    if len(local) > MAX_LOCAL:
        raise AddressError(field, text, f"the part before the @ is longer than {MAX_LOCAL}")
    if not local.isascii():
        raise AddressError(
            field, text, "the part before the @ must be ASCII (letters, digits, . _ + - …)"
        )
    if not _DOT_ATOM.fullmatch(local):
        raise AddressError(
            field,
            text,
            "the part before the @ may hold letters, digits and !#$%&'*+/=?^_`{|}~- , and "
            "single dots between them",
        )
    return local


def _domain(domain: str, field: str, text: str) -> str:
    if domain.startswith("["):
        raise AddressError(field, text, "address literals (user@[192.0.2.1]) are not accepted")
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as error:
        raise AddressError(field, text, f"{domain[:80]!r} is not a domain name ({error})") from None
    labels = ascii_domain.split(".")
    if len(ascii_domain) > MAX_DOMAIN or len(labels) < 2:
        raise AddressError(field, text, "the domain needs a name and a top-level domain")
    for label in labels:
        if not _LABEL.fullmatch(label):
            raise AddressError(field, text, f"the domain's part {label[:63]!r} is not a host name")
    if labels[-1].isdigit():
        raise AddressError(field, text, "the domain is a number, not a host name")
    return ascii_domain


def address_key(address: str) -> str:
    """What two spellings of one address share (the database keeps one account and one
    subscriber per key; limits count attempts per key): the normal form in lower case."""
    return address.lower()


def key_of(text: str, field: str = "email") -> str:
    """`address_key` of what was typed; `AddressError` naming ``field`` when it is not an
    address (then no limit counts it: nothing is done for it)."""
    return address_key(parse_address(text, field))
