"""The address normaliser (`litfeed.addresses`): whatever it accepts builds a valid mail header
holding that one address; whatever it refuses gets an `AddressError` that names the field."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from email.utils import getaddresses

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from litfeed.addresses import AddressError, parse_address

ATEXT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-"
# Characters an attacker reaches for: line breaks of every kind, controls, format marks,
# separators, quotes, brackets, commas, non-ASCII letters.
HOSTILE = '\r\n\t\x00\x0b\x0c\x1b\x7f\x85\u2028\u2029\u200b\u200e\u202e\ufeff "<>(),;:[]\\@.é中ß'

local_parts = st.lists(st.text(ATEXT, min_size=1, max_size=12), min_size=1, max_size=3).map(
    ".".join
)
labels = st.text("abcdefghijklmnopqrstuvwxyz0123456789-éüß中", min_size=1, max_size=15)
domains = st.lists(labels, min_size=2, max_size=4).map(".".join)
well_formed = st.builds(lambda local, domain: f"{local}@{domain}", local_parts, domains)
anything = st.text(ATEXT + HOSTILE, max_size=80)
spliced = st.builds(
    lambda address, junk, at: address[:at] + junk + address[at:],
    well_formed,
    st.text(HOSTILE, min_size=1, max_size=3),
    st.integers(0, 40),
)


def _header_holds_only(address: str) -> None:
    message = EmailMessage(policy=email.policy.SMTP)
    message["To"] = address
    message["Subject"] = "hello"
    message.set_content("body")
    raw = bytes(message)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    # exactly the headers set, nothing smuggled in; one address, this one
    assert [name.lower() for name in parsed] == [
        "to",
        "subject",
        "content-type",
        "content-transfer-encoding",
        "mime-version",
    ]
    assert [a.addr_spec for a in parsed["To"].addresses] == [address]
    assert parsed.get_content().strip() == "body"
    assert getaddresses([address]) == [("", address)]
    assert parsed["Subject"] == "hello"


@settings(max_examples=600, deadline=None)
@given(st.one_of(well_formed, anything, spliced))
@example("\r\n\tmallory@example.net\r\n\r\n")
@example("ada@example.org\u2028Bcc: eve@evil.example")
@example("Ada@Bücher.Example")
@example("a@b.c" + "d" * 300)
def test_what_is_accepted_builds_a_valid_header_and_what_is_not_names_the_field(
    text: str,
) -> None:
    try:
        address = parse_address(text, field="recipient")
    except AddressError as error:
        assert str(error).startswith("recipient: ") and "is not an e-mail address: " in str(error)
        assert error.field == "recipient"
        return
    assert address.isascii() and address.isprintable() and len(address) <= 254
    assert parse_address(address) == address  # the normal form is its own
    _header_holds_only(address)


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("ada@example.org", "ada@example.org"),
        ("  Ada.Lovelace+litfeed@EXAMPLE.Org ", "Ada.Lovelace+litfeed@example.org"),
        ("ada@Bücher.example", "ada@xn--bcher-kva.example"),
        ("ada@ｅｘａｍｐｌｅ.org", "ada@example.org"),  # full-width letters, mapped by UTS #46
    ],
)
def test_addresses_are_normalised(typed: str, normal: str) -> None:
    assert parse_address(typed) == normal


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("\r\n\tmallory@example.net\r\n\r\n", "U+000D (carriage return)"),
        ("mallory@example.net\u2028", "U+2028 (line separator)"),
        ("mallory@exa\u202emple.net", "U+202E (right-to-left override)"),
        ("mallory@example.net, eve@evil.example", "a space"),
        ("Mallory <mallory@example.net>", "a space"),
        ('"m"@example.net', "quoted names"),
        ("m@[127.0.0.1]", "address literals"),
        ("m" * 65 + "@example.net", "longer than 64"),
        ("m@localhost", "a name and a top-level domain"),
        ("mé@example.net", "must be ASCII"),
        ("m..x@example.net", "single dots"),
        ("", "it is empty"),
    ],
)
def test_refusals_say_why(typed: str, why: str) -> None:
    with pytest.raises(AddressError, match=r"^email: ") as refused:
        parse_address(typed)
    assert why in str(refused.value)
