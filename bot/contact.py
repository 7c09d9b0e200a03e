"""Check and tidy the contact details a patient types: name, email, phone."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email

DEFAULT_REGION = "US"
MAX_NAME = 80
_EMAIL_LIKE = re.compile(r"[^\s,;]+@[^\s,;]+")


@dataclass(frozen=True)
class Contact:
    email: str | None = None
    phone: str | None = None

    @property
    def found(self) -> bool:
        return bool(self.email or self.phone)


def clean_name(text: str) -> str | None:
    """A plausible name (letters, spaces, - ' .), or None."""
    name = " ".join(text.split()).strip(" .")
    if not name or len(name) > MAX_NAME or "?" in name or "@" in name:
        return None
    if not re.fullmatch(r"[^\W\d_](?:[^\W\d_]|[ .'\-])*", name):
        return None
    return name


def parse_contact(text: str, region: str = DEFAULT_REGION) -> Contact:
    """Find a valid email and/or phone number in the text (no DNS look-ups)."""
    email = None
    rest = text
    match = _EMAIL_LIKE.search(text)
    if match:
        try:
            email = validate_email(match.group(0), check_deliverability=False).normalized
        except EmailNotValidError:
            email = None
        rest = text.replace(match.group(0), " ")
    phone = None
    for found in phonenumbers.PhoneNumberMatcher(rest, region):
        if phonenumbers.is_valid_number(found.number):
            phone = phonenumbers.format_number(found.number, phonenumbers.PhoneNumberFormat.E164)
            break
    return Contact(email=email, phone=phone)
