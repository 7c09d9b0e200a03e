"""Finding a record by name, e-mail or phone while the contact details stay encrypted.

Each record's normalised full name, name parts, e-mail and phone number (and those of a
caregiver who answered for the person) are kept only as keyed hashes, HMAC-SHA256 under
SEARCH_KEY (made once into .env; else derived from the oldest HANDOFF_KEY, so a key rotation
keeps the index). A search hashes the query the same ways and looks the hashes up: exact
matches only ("maria" finds "Maria Lopez", "mar" does not), never a scan of decrypted data.
A name of several words also finds a record whose keys hold every one of its words, in any
order ("Ruth Abernathy" finds "Mrs. Ruth Abernathy"; "Abernathy Ruth" too).
The reference code is not secret and is matched directly.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from typing import Any

import phonenumbers
import sqlalchemy as sa

from bot.ops.settings import Settings
from bot.store import crypto
from bot.store.schema import handoff_search, handoffs

DEFAULT_REGION = "US"
_SPACES = re.compile(r"\s+")
_NAME_PARTS = re.compile(r"[^\w'-]+")


def key() -> bytes:
    raw = Settings.from_env().search_key  # read at each call, as crypto.keys() is
    if raw:
        return raw.encode()
    return hmac.new(crypto.keys()[-1].encode(), b"search index key", hashlib.sha256).digest()


def _digest(kind: str, value: str, secret: bytes) -> str:
    return hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def _fold(text: str) -> str:
    """Lower case, no accents, single spaces: 'José  LÓPEZ' -> 'jose lopez'."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", plain.casefold()).strip()


def phone_key(text: str) -> str | None:
    """A phone number in E.164 (+12165550177), read as a US number unless it has a +code."""
    digits = re.sub(r"[^\d+]", "", text)
    if len(re.sub(r"\D", "", digits)) < 7:
        return None
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def values_of(contact: dict[str, Any]) -> set[tuple[str, str]]:
    """(kind, normalised value) pairs a record can be found by."""
    found: set[tuple[str, str]] = set()
    names = [contact.get("name")]
    answered_by = contact.get("answered_by")
    if isinstance(answered_by, dict):
        names.append(answered_by.get("name"))
    for name in names:
        if isinstance(name, str) and name.strip():
            folded = _fold(name)
            found.add(("name", folded))
            for part in _NAME_PARTS.split(folded):
                if len(part) >= 2:
                    found.add(("name", part))
    email = contact.get("email")
    if isinstance(email, str) and "@" in email:
        found.add(("email", email.strip().lower()))
    phone = contact.get("phone")
    if isinstance(phone, str):
        normal = phone_key(phone)
        if normal:
            found.add(("phone", normal))
    return found


def digests_of(contact: dict[str, Any], secret: bytes | None = None) -> set[str]:
    secret = secret or key()
    return {_digest(kind, value, secret) for kind, value in values_of(contact)}


def query_digests(query: str, secret: bytes | None = None) -> set[str]:
    """What a search box entry may be: a full name, one name part, an e-mail or a phone."""
    secret = secret or key()
    text = query.strip()
    wanted: set[tuple[str, str]] = set()
    if "@" in text:
        wanted.add(("email", text.lower()))
    else:
        normal = phone_key(text) if re.search(r"\d", text) else None
        if normal:
            wanted.add(("phone", normal))
        if text:
            wanted.add(("name", _fold(text)))
    return {_digest(kind, value, secret) for kind, value in wanted}


def query_word_digests(query: str, secret: bytes | None = None) -> set[str]:
    """The name-part keys of each word of a name typed ('Ruth Abernathy' -> 'ruth',
    'abernathy'), split and folded as values_of() splits a stored name; words shorter than the
    parts the index keeps are left out. Empty for an e-mail or a single word (the full-name
    key already covers those)."""
    secret = secret or key()
    text = query.strip()
    if "@" in text:
        return set()
    words = {part for part in _NAME_PARTS.split(_fold(text)) if len(part) >= 2}
    if len(words) < 2:
        return set()
    return {_digest("name", word, secret) for word in words}


def index(connection: sa.engine.Connection, handoff_id: int, contact: dict[str, Any]) -> None:
    """(Re)write one record's search keys, inside the caller's transaction."""
    connection.execute(handoff_search.delete().where(handoff_search.c.handoff_id == handoff_id))
    for digest in sorted(digests_of(contact)):
        connection.execute(handoff_search.insert().values(handoff_id=handoff_id, digest=digest))
    connection.execute(
        handoffs.update().where(handoffs.c.id == handoff_id).values(search_indexed=1)
    )


def index_missing(engine: sa.engine.Engine) -> int:
    """Index every record not indexed yet (made before migration 0005, or by older code)."""
    from bot.store.handoff import unseal

    done = 0
    with engine.begin() as connection:
        rows = connection.execute(
            sa.select(handoffs.c.id, handoffs.c.contact).where(handoffs.c.search_indexed.is_(None))
        ).all()
        for row in rows:
            try:
                contact = unseal(row.contact, {})
            except Exception:  # undecodable (wrong key): leave it for the next start
                continue
            index(connection, int(row.id), contact if isinstance(contact, dict) else {})
            done += 1
    return done


def reindex_all(engine: sa.engine.Engine) -> int:
    """After SEARCH_KEY changed: every record's keys again."""
    with engine.begin() as connection:
        connection.execute(handoffs.update().values(search_indexed=None))
    return index_missing(engine)


def matching_ids(query: str) -> sa.sql.CompoundSelect:
    """A subquery of the ids of the records the query finds (reference or contact): a
    reference, an exact full name, name part, e-mail or phone, or a record holding every word
    of the name typed, in any order ('Ruth Abernathy' finds 'Mrs. Ruth Abernathy'). All in
    SQL, on the keyed hashes: the records are never decrypted to search them."""
    secret = key()
    digests = sorted(query_digests(query, secret))
    by_digest = sa.select(handoff_search.c.handoff_id).where(handoff_search.c.digest.in_(digests))
    by_reference = sa.select(handoffs.c.id).where(handoffs.c.reference == query.strip().upper())
    words = sorted(query_word_digests(query, secret))
    if not words:
        return sa.union(by_digest, by_reference)
    by_every_word = (
        sa.select(handoff_search.c.handoff_id)
        .where(handoff_search.c.digest.in_(words))
        .group_by(handoff_search.c.handoff_id)
        .having(sa.func.count(sa.distinct(handoff_search.c.digest)) == len(words))
    )
    return sa.union(by_digest, by_reference, by_every_word)
