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


# Digits said aloud (voice typing): "four four zero five five five ..." -> "440555...".
_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_DIGIT_WORD = "|".join(_DIGIT_WORDS)
_SPOKEN_DIGITS = re.compile(rf"\b(?:(?:{_DIGIT_WORD})[\s,.-]+){{6,}}(?:{_DIGIT_WORD})\b", re.I)


def _spoken_digits(text: str) -> str:
    """Runs of seven or more digit words become digits; other words stay as they are."""
    return _SPOKEN_DIGITS.sub(
        lambda m: "".join(_DIGIT_WORDS[w.lower()] for w in re.findall(r"[a-z]+", m[0], re.I)),
        text,
    )


def parse_contact(text: str, region: str = DEFAULT_REGION) -> Contact:
    """Find a valid email and/or phone number in the text (no DNS look-ups); a number said
    aloud by voice typing counts ("two one six five five five ...")."""
    text = _spoken_digits(text)
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


@dataclass(frozen=True)
class Names:
    """What a caregiver told us about names: the person's, their own, how they are related."""

    patient_name: str | None = None
    caregiver_name: str | None = None
    relation: str | None = None


# The caregiver's relation to the person, as staff read it ("answered by: daughter").
RELATIONS = (
    "daughter son wife husband partner sister brother mother father mom dad mum niece nephew "
    "granddaughter grandson grandmother grandfather aunt uncle cousin friend neighbor carer "
    "caregiver caretaker"
).split()
_REL = "|".join(RELATIONS)
_NAME_WORD = r"[^\W\d_][^\W\d_'.\-]*(?:['.\-][^\W\d_]+)*"
_NAME = rf"{_NAME_WORD}(?: {_NAME_WORD}){{0,3}}"
# Words that end a name: "Rosa Bianchi and I am Lucia" is two names.
_STOP = {
    "and",
    "i",
    "im",
    "i'm",
    "her",
    "his",
    "their",
    "my",
    "me",
    "is",
    "am",
    "she",
    "he",
    "the",
    "name",
    "names",
    "but",
    "so",
    "for",
    "from",
    "of",
    "with",
    "here",
    "this",
    "it",
    "its",
    "it's",
    "she's",
    "he's",
    "they",
    "on",
    "behalf",
    "calling",
    "writing",
    "typing",
    "who",
    *RELATIONS,
}


def _take_name(text: str) -> str | None:
    """The name at the start of ``text``, up to a word that cannot be part of it."""
    words: list[str] = []
    for word in re.findall(rf"{_NAME_WORD}|[,.;!?()]", text):
        if word in ",.;!?()" or word.lower() in _STOP:
            break
        words.append(word)
        if len(words) == 4:
            break
    if not words:
        return None
    name = " ".join(w[:1].upper() + w[1:] for w in words)
    return clean_name(name)


# Words a reply to "What is your name?" may be that are not a name: yes/no, times, greetings.
_NOT_A_NAME = set(
    "yes yeah yep yup ya sure ok okay no nope nah thanks thank please hello hi hey same before "
    "after here idk none later now today tomorrow tonight whenever anytime morning mornings "
    "afternoon afternoons evening evenings night nights weekday weekdays weekend weekends "
    "monday tuesday "
    "wednesday thursday friday saturday sunday am pm call email text phone already told "
    "patient prefer rather not say dont don't want give skip refuse busy driving work home "
    "private".split()
)
_OWN_LEAD = re.compile(
    r"(?:(?:hi|hello|hey)\b[,!. ]*)?(?:my name is|my name's|name is|name:|i am|i'm|im|it's|its|"
    r"this is|call me)\s+",
    re.IGNORECASE,
)


def own_name(text: str) -> str | None:
    """The name in a reply to "What is your name?": "Dana Kim, same as before", "my name is
    Margaret Olsen, I AM the patient", "Frank. I already told you" give the name; "yes",
    "afternoons", "after 10 am please" give None."""
    flat = " ".join(text.replace("\u2019", "'").split())
    if "?" in flat:
        return None  # a question back ("why do you need it?")
    lead = _OWN_LEAD.match(flat)
    rest = flat[lead.end() :] if lead else flat
    # Up to the first punctuation, only what a name is made of ("Zelda <script>", "10 am": no).
    first = re.split(r"[,;!?()]|\.\s+(?=[a-z]|I\b)", rest)[0]
    if not re.fullmatch(r"[^\W\d_](?:[^\W\d_]|[ .'\-])*", first.strip()):
        return None
    words: list[str] = []
    for word in first.split():  # up to a word that cannot be part of a name ("Tom here")
        if word.lower().strip(".") in _STOP or len(words) == 4:
            break
        words.append(word[:1].upper() + word[1:])
    name = clean_name(" ".join(words))
    if name is None or len(name) < 2 or any(w.lower().strip(".") in _NOT_A_NAME for w in words):
        return None
    return name


def read_names(text: str) -> Names:
    """ "her name is Rosa Bianchi, I'm her daughter Lucia", "Rosa Bianchi. I am Lucia, her
    daughter", "my mom Rosa Bianchi, me Lucia": whichever names and relation are there."""
    flat = " ".join(text.replace("\u2019", "'").split())
    low = flat.lower()
    relation = None
    caregiver = None
    patient = None
    rel = re.search(rf"\b(?:i am|i'm|im|me,?|as)\s+(?:her|his|their|the)\s+({_REL})\b", low)
    if rel:
        relation = rel.group(1)
        caregiver = _take_name(flat[rel.end() :].lstrip(" ,"))
    else:
        loose = re.search(rf"\b(?:her|his|their) ({_REL})\b(?! is)", low)
        relation = loose.group(1) if loose else None
    own = re.search(r"\b(?:my name is|my name's|i am|i'm|im|me,|me:?)\s+", low)
    while own and caregiver is None:
        after = flat[own.end() :]
        if not re.match(rf"(?:her|his|their|the)\s+(?:{_REL})\b", after.lower()):
            caregiver = _take_name(after)
        own = re.search(r"\b(?:my name is|my name's|i am|i'm|im|me,|me:?)\s+", low[own.end() :])
        break
    if caregiver is None and relation:
        before = re.search(rf"({_NAME}),?\s+(?:her|his|their)\s+{relation}\b", flat, re.I)
        if before:
            caregiver = _take_name(before.group(1).split(",")[-1].strip())
    told = re.search(
        rf"\b(?:her|his|their|the person's|the patient's) name is\s+|"
        rf"\b(?:the patient|the person|my (?:{_REL}))(?: is|,| named| called)?\s+",
        low,
    )
    if told:
        patient = _take_name(flat[told.end() :])
    if patient is None and (relation or caregiver):
        # "Rosa Bianchi, I'm her daughter Lucia": a name before anything else.
        first = _take_name(flat)
        if first and first != caregiver:
            patient = first
    return Names(patient_name=patient, caregiver_name=caregiver, relation=relation)
