"""The one reading stage of the prescreen: a reply in, one typed ``Reading`` out.

A reply (typed text or a button, plus the entities bot.nlu found in it) is read here once,
against the question being asked and the answers so far. What comes out says what the person
did: answered the question (with a value, and how sure we are: a button, a clear reply, or an
inferred one), corrected an earlier answer, asked a question, asked why, wants to stop, to
start over or to withdraw, said they answer for someone else, or was unclear.

The prescreen (bot/prescreen/dialogue.py) decides what to do with a ``Reading``; the engine
(bot/prescreen/engine.py) scores answers. Neither reads the text again.

What a question needs to be read is data, in each criterion's ``reading:`` entry of the
trial's criteria.yml (trials/<id>/):

  time                 ever: past use counts ("not anymore" to "have you ever taken...": yes);
                       now: only the present counts ("not anymore" to "right now?": no)
  medicines            entity roles (bot.nlu) whose mention answers it with yes (set by
                       bot.prescreen.engine from the question's filled_by, not written here)
  affirm / deny        words that, not negated, answer it with yes / patterns that mean no
  topic                words that name it, so "actually, the biopsy..." corrects it
  helped_means         "no": "it helped" is a no and "it did not help" a yes (the cream one)
  stop_plan            "I can stop them" / "stopped 3 weeks ago" answer it (the washout one)
  change_means         "no": "changed my dose last week" is a no (stable medicines)
  cannot_be_pregnant   the value of "I'm a man", "past menopause", "had a hysterectomy"

  not_applicable       patterns that say the question does not apply ("I'm a man"); the value
                       they give is cannot_be_pregnant
  also_when            patterns naming the question inside a reply to another one, so "52 and
                       yes I was diagnosed in 2021" also answers it (Reading.also)
  yes_even_after_no    patterns that answer yes past a leading no ("no, not now, but I was
                       diagnosed in 2010")
  ignore               clauses that do not answer it ("I'm not planning to", for "could you")
  every_part           the parts of a two-part question ("birth control", "test"): a plain no
                       to one of them is a no ("I'll take the tests but not birth control")
  fix_cues / near      what a correction says when it is about this question, and the
                       questions it may be named as ("about the cream question, I don't want
                       to stop" corrects the washout question, not the cream one)

Nothing here logs or stores what a person typed. This module is long on purpose: it is the
one place the prescreen's free text is read (issue 15), and its rules are only checked
against the corpus as a whole (tests/reading); split, the rules would call across modules.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

from bot import content
from bot.nlu.dates import MONTH_RE, MONTHS
from bot.nlu.numbers import WORD_NUMBER, parse_number
from bot.prescreen import answers
from bot.prescreen import engine as eligibility

Kind = Literal[
    "answer",
    "correction",
    "question",
    "why",
    "stop",
    "restart",
    "withdraw",
    "someone_else",
    "self",
    "safety_resume",
    "unclear",
]
Sure = Literal["button", "clear", "inferred"]
Value = str | int

# The traits a question's `reading:` entry may give (the module's docstring says what each
# does; medicine roles come from its filled_by). `python -m bot trial check` refuses others.
TRAITS = (
    "time", "affirm", "deny", "topic", "helped_means", "stop_plan", "change_means",
    "cannot_be_pregnant", "for_only", "only_other", "unsure_words", "about_medicines",
    "also_when", "yes_even_after_no", "ignore", "not_applicable", "fix_cues", "near",
    "every_part",
)  # fmt: skip
WHO = "who"  # the "for yourself or for someone else?" question
IMPLAUSIBLE_AGE = "implausible_age"  # value of an unclear reading: "I'm 250"
# A mentioned age from which we read "cannot become pregnant" (an inference, confirmed by
# nothing: the question cannot fail, so the only cost of a wrong guess is one skipped question).
PAST_MENOPAUSE_AGE = 55
MIN_CONFIDENCE = eligibility.MIN_CONFIDENCE


@dataclass(frozen=True)
class Reply:
    """What the person sent, as NLU read it, and the buttons they were offered."""

    text: str
    intent: str | None = None
    entities: Sequence[Mapping[str, Any]] = ()
    buttons: Sequence[str] = ()
    # The person answers for someone else (so "5" to "How old is the person?" can be an age).
    for_someone_else: bool = False
    today: date | None = None


@dataclass(frozen=True)
class Reading:
    """One reply, read. ``target`` is the question an answer or correction is for."""

    kind: Kind
    value: Value | None = None
    sure: Sure | None = None
    target: str | None = None
    # Other questions the same reply answers ("prednisone then methotrexate").
    also: Mapping[str, Value] = field(default_factory=dict)
    # The reply speaks of another person ("she is 74", "can I fill this in for her?").
    someone_else: bool = False
    relation: str | None = None


# --- words -----------------------------------------------------------------------------------

BUTTON_VALUES: Mapping[str, Value] = {
    "yes": "yes",
    "no": "no",
    "not sure": "unsure",
    "does not apply": "not_applicable",
    "for myself": "self",
    "for someone else": "someone_else",
}

RELATIONS: Mapping[str, str] = {
    **{w: "mother" for w in ("mom", "mother", "mum", "mama", "momma", "mommy")},
    **{w: "father" for w in ("dad", "father", "papa", "daddy")},
    **{w: "wife" for w in ("wife",)},
    **{w: "husband" for w in ("husband",)},
    **{w: "partner" for w in ("partner", "boyfriend", "girlfriend", "spouse")},
    **{w: "daughter" for w in ("daughter",)},
    **{w: "son" for w in ("son",)},
    **{w: "sister" for w in ("sister",)},
    **{w: "brother" for w in ("brother",)},
    **{w: "aunt" for w in ("aunt", "auntie")},
    **{w: "uncle" for w in ("uncle",)},
    **{w: "grandmother" for w in ("grandmother", "grandma", "granny", "nana")},
    **{w: "grandfather" for w in ("grandfather", "grandpa")},
    **{w: "friend" for w in ("friend", "neighbor", "neighbour")},
    **{w: "niece" for w in ("niece",)},
    **{w: "nephew" for w in ("nephew",)},
    **{w: "cousin" for w in ("cousin",)},
    **{w: "child" for w in ("kid", "child", "grandchild")},
    **{w: "caregiver" for w in ("caregiver", "carer", "caretaker", "helper", "aide")},
}
_REL = "|".join(sorted(RELATIONS, key=len, reverse=True))


_rx = answers._rx  # noqa: SLF001 - the shared "one pattern of alternatives" helper


_RESTART = _rx(
    r"\b(start|begin|do (it|this)|go) (all )?(over|again)\b",
    # "can I start this whole thing again", "begin the questions over"
    r"\b(start|begin|do|go through|take) (this|the|it|these)( whole| entire)?"
    r"( thing| questionnaire| quiz| survey| form| questions| screening| prescreen)? "
    r"(all )?(over|again)\b",
    r"\brestart\b",
    r"\bredo\b",
    r"\bfrom the (top|beginning|start)\b",
    r"\bback to the (top|beginning|start|first question)\b",
    r"\breset\b",
    r"\b(start|begin|go) (again |over )?(from scratch|fresh|afresh)\b",
)
_WITHDRAW = _rx(
    r"\b(do|does) not (really )?(want|wish) to (continue|go on|keep going|take part|"
    r"participate|be in|join|finish|answer|carry on|proceed|go (any )?(further|farther)|"
    r"go on with (this|it))\b",
    r"\b(would rather not|will not|not going to|am not going to) (go (any )?(further|farther)|"
    r"proceed)\b",
    # "I'm going to pass on this trial": a no to the study ("pass on this one" is not saying)
    r"\b(pass|passing) on (this|the|your) (trial|study|research)\b",
    # "I don't want to do this", not "she doesn't want to do the monthly tests" (an answer)
    r"\b(do|does) not (really )?(want|wish) to do( (this|it|that|these|any of (this|it)|"
    r"this anymore|it anymore|any more|anymore|the (questions|rest)))?( anymore| any more)?$",
    r"\b(do|does) not (really )?(want|wish) to do (this|it|these questions|any of this)\b"
    r"(?! (test|tests|visit|visits|cream))",
    r"\bwould rather not (do|continue|go on|answer)\b",
    # "I'm going to quit here, I don't want to do the study"
    r"\b(do|does) not (really )?(want|wish) to do (the|this|your) (study|trial|research)\b",
    r"\b(going to|gonna|will|ll|want to|wanna) quit (here|now|right here|right now)\b",
    r"\bchanged? my mind\b",
    r"\bnot interested\b",
    r"\bforget (it|this|about it)\b",
    r"^(i am|i'm|im) done\b",
    r"\bnot doing this\b",
    # "not doing a study", "not joining any trial": a no to the study, not to the question
    r"\bnot (doing|joining|taking part in|signing up for|interested in) (a|the|this|any|your) "
    r"(study|trial|research|thing)\b",
    r"\b(do not|did not) think (this|it) is for me\b(?!.*\bfor (my|her|him|them)\b)",
    r"\bforget the whole (thing|study|trial)\b",
    r"\bjust (browsing|looking around|having a look)\b",
    r"\bcount me out\b",
    r"\b(want|wanna|going) to (quit|stop) (this|doing this|the questions)\b",
    r"\bdelete (my|all) (answers|info|information|data)\b",
    r"\b(delete|erase|remove) (everything|it all|all of it|my (stuff|details))\b",
    r"\bnever ?mind\b.*\b(do|doing) (this|it)\b",
    r"\b(this|it) is not for me\b(?!.*\bfor (my|her|him|them)\b)",
    r"\b(i am|im) (done|out)( with (this|it|these questions|the questions|all this))?$",
    r"^(ok |okay |nope |no )?(i am|im) out\b(?! of)",
    r"\b(take|remove|drop) me (off|out of|from) (the |your |this )?(list|study|trial|this)\b",
    r"\b(stop|quit) (asking|messaging|texting|contacting) me\b",
    r"\bleave me alone\b",
    r"\b(not|no longer) (going to|gonna) (do|finish|continue) (this|it)\b",
)
# A pause, not a refusal: "can we take a break", "brb", "gotta run, finish later". The answers
# are kept and the person can pick up where they left off. "I can stop the cream" is an answer.
_PAUSE = _rx(
    r"\b(take|need|have) a (short |quick )?(break|breather|pause)\b",
    r"\bbrb\b|\bbe right back\b|\bback in (a|five|ten|\d+) ?(bit|sec|second|min|minute|minutes)\b",
    r"\b(gotta|got to|have to|need to|must) (run|go|leave|dash|step away|head out)"
    r"( now| soon| sorry| for now| for a (bit|sec|minute))?$",
    r"^(sorry |oh |ok |okay )?(i )?(gotta|got to|have to|need to|must) (run|go|leave|dash)\b"
    r"(?! back\b)",  # "I need to go back, I've never been on ..." is a correction
    # the person's own plan ("can I finish later", "finish later"), not "the rash will come
    # back after a week"
    r"(^|\b(i|we|me|us)\b( \w+){0,3} )(finish|continue|come back|do (this|it|the rest)|"
    r"pick (this |it )?up|carry on|resume|get back to (this|it|you))\b.{0,30}\b(later|tomorrow|"
    r"another time|some other time|next time|tonight|in a bit|in a while|this evening|after)\b",
    r"\b(do|finish|continue|talk|try|pick)\b.{0,20}\b(another|some other|a different) (time|day)\b",
    r"^(another|some other) time\b",
    # "can we stop here for now"; not "I could stop for a while" (the washout answer)
    r"(?<!\bcould )(?<!\bcan )(?<!\bwould )(?<!\bwill )(?<!willing to )(?<!able to )(?<!\bd )"
    r"\b(pause|stop)( this| it)? (here|for now|for today|for the day|"
    r"for a (bit|while|minute|sec))\b",
    r"^(let s|lets|let us|can we|could we|can i|could i) (pause|stop|quit)( now| here)?$",
    r"\b(need|have|want) to stop now\b",
    r"\b(i will|i ll|i would like to|i want to|can i) "
    r"(come back|be back|finish (this |it )?later)\b",
    # "I'll have to come back to this, my ride is here"; "let me check with my daughter and
    # get back to you"
    r"\b(have to|need to|will|ll|going to|gonna) come back to (this|it|you)\b",
    r"\bmy (ride|bus|taxi|cab|uber|appointment) is here\b",
    r"\b(let me|lemme|i ll|i will|i need to|i have to) (check|ask|talk) .{0,40}"
    r"\b(get back to you|come back)\b",
    r"\b(look (up|at)|find|check|grab|get) my (med|meds|medicine|medication|medications|"
    r"list|records|notes|pill bottles|bottles|pills|papers|chart|files?)\b.*"
    r"\b(later|come back|get back|then)\b",
    # a moment away: "hang on, need to grab my glasses", "gotta take my meds one sec"
    r"^(hang on|hold on|one sec|one second|one moment|just a (sec|second|minute|moment))\b.*"
    r"\b(need to|have to|gotta|got to|let me|lemme) (grab|get|find|take|check|look|answer)\b",
    r"\b(need to|have to|gotta|got to|let me|lemme) (grab|get|find|take|check|answer) .{0,30}"
    r"\b(one|a) (sec|second|moment|minute|min)$",
    r"^paus(e|ing)\b(?!.*\b(yes|no)\b)",
)
_STOP = re.compile(
    r"^(please |ok |okay |can we |can i |i want to |i need to |let me |let us |lets |i )?"
    r"(stop|quit|cancel|exit|end|pause|abort)( it| this| now| please| here| the questions)*$"
    r"|^(i would like to|i d like to|i wanna|i want to|i have to|i need to|i got to|i gotta) "
    r"(stop|quit|go|leave)( now| here| for now| please| for today)*$"
    r"|^(bye|goodbye|good bye|bye bye|gotta go|got to go|ttyl)\b"
    r"|^no more questions\b"
)
_WHY = _rx(
    r"^why\b",
    r"^(and |but )?why\b",
    r"\bwhat (does|do|has|is|s) (\w+ ){1,4}(have|got) to do with\b",
    r"^what is (that|this) for\b",
    r"^why (do|does|would|is)\b",
)
# "can I fill this out for her", "I'm answering for my mother", "on behalf of my aunt".
_FOR_OTHER = _rx(
    r"\b(can|could|may|should) i (fill|answer|do|complete|take)\b.*\bfor (her|him|them|my )",
    r"\b(i am|im|i'm) (answering|filling|doing|completing|typing|asking) (this |these |it )?"
    r"(out |in )?(for|on behalf of) (her|him|them|my )",
    r"\bon behalf of\b",
    r"\b(answering|filling (it |this )?(in|out)|doing (this|it)) for (my|her|him|them)\b",
    rf"^(this is |it is |its |it s )?for my ({_REL})\b",
    rf"\b(this is|it is|its|it s) (actually |really |all )?(for|about) my ({_REL})\b",
    rf"\b(i am|im) (his|her|their) ({_REL})\b",
)
_SELF_WHO = _rx(
    r"\b(about|for) me\b",
    r"^(me|myself|just me|i am|i do|mine|me myself)\b",
    r"^(it is|its) (for )?me\b",
    r"\bmyself\b",
)
_OTHER_WHO = _rx(
    r"\bsome(one|body) else\b",
    rf"^(a |the )?({_REL})$",
    rf"\b(my|for (my|her|his)|her|his) ({_REL})\b",
    r"\b(for|about) (her|him|them)\b",
    r"\bon behalf\b",
)
# "no its for me, im the patient": the person answers about themselves (this undoes a wrong
# "answering for someone else"); never a yes or no to the question asked.
_FOR_SELF = _rx(
    r"^(no |nope |nah )?(it is|this is|it s) (all |just )?(for|about) (me|myself)\b",
    r"\b(i am|i m) (actually )?the (patient|one (with|who has) it)\b",
    r"\b(i am|i m) (answering|filling (this |it )?(in|out)|doing (this|it)) for (me|myself)\b",
    r"\b(it is|it s|this is) (just )?(me|myself)$",
    r"\bnot (for |about )?(someone|somebody|anyone|anybody) else\b",
    r"\bthere is no (one|body) else\b",
    r"\b(i am|i m) not (answering|filling|asking|doing (this|it)) for (someone|somebody|anyone)\b",
)
# The person's own body or doings ("they did a biopsy of my arm"): "they" there are doctors,
# not a sign of answering for someone else, unless a relation is named ("my mom, she ...").
_FIRST_PERSON = re.compile(
    r"\b(my|me|myself|mine)\b|\bi (had|have|did|was|am|took|take|use|used|got|get|still)\b"
)
_NAMES_OTHER = re.compile(rf"\bmy ({_REL})\b|\b(i am|i m) (her|his|their) ({_REL})\b")
_THIRD_PERSON = re.compile(
    rf"^(she|he|her|his|hers|him|my ({_REL}))\b|\b(she|he) (is|was|has|had|did|does|takes|"
    r"took|uses|used|will|would|stopped|can)\b|\bshe s\b|\bhe s\b"
)

# Correction markers. Explicit ones ("I meant") change an earlier answer even without naming
# it (the one just before); soft ones ("actually", "wait") only when the reply names an
# earlier question or a medicine it asked about.
_EXPLICIT_FIX = re.compile(
    r"\b((?:earlier |before )i (?:said|answered|put|pressed|clicked|tapped) (?:no|yes|not sure)|"
    r"i (?:answered|put|pressed|clicked|tapped|hit|chose) (?:no|yes|not sure)|"
    r"i said (?:no|yes|not sure) (?:earlier|before|by mistake|to the|for the|but i)|"
    r"wrong button|"
    r"i meant|i mean|meant to say|i typed (it |that |my \w+ )?wrong|i was wrong|"
    r"correction|change (that|my answer|the last answer|it) to|scratch that|my (mistake|bad)|"
    r"should (be|have been|say) (a |an )?(no|yes|not sure)|"
    r"make (it|that) (a )?(no|yes|not sure)|"
    r"should have (said|put|answered|picked|pressed|chosen|clicked) (no|yes|not sure)|"
    r"i (put|typed|entered|gave|got|answered|did|filled) (my |the |that |it |in )?(\w+ )?(\w+ )?"
    r"(in )?wrong(ly)?|"
    r"i (misread|misunderstood|mistyped|misclicked|messed up)|"
    r"(that|it|my answer) was wrong|i made a mistake|i got (it|that) wrong|"
    r"(change|fix|update|correct|redo) (my|the|that|an) (\w+ ){0,3}(answer|one|question)( to)?|"
    r"(change|fix|update|correct) my age|"
    r"the \w+ (answer|one|question) (is|should be|was) (no|yes|not sure))\b"
)
_SOFT_FIX = re.compile(
    r"\b(actually|wait|sorry|oops|oh no|earlier|before i said|i forgot|forgot to (say|mention|"
    r"tell you)|go back|going back|back to the|about the (\w+ ){0,3}(question|one|answer)|also|"
    # naming an earlier question: "that question about steroid pills", "about stopping the
    # creams, ...", "I'm second-guessing the biopsy answer", "before we go on"
    r"(that|the) (\w+ ){0,2}question (about|on|for)|^(about|regarding|as for|re) |"
    r"second ?guess\w*|rethinking|thinking about it|before we (go on|continue|move on)|"
    r"(the|my) \w+ answer)\b"
)
# What a correction says about itself, left out when its new value is read: "I said no
# before", "I misread the last one", "the rash question".
_FIX_TALK = re.compile(
    r"\b((earlier |before )?i (said|answered|put|pressed|clicked|chose|picked|typed|told you) "
    r"(no|yes|not sure)( (before|earlier|by mistake|first|at first|then))?|"
    r"i (misread|misunderstood|mistyped|misclicked|messed up)( (it|that|the \w+( \w+)? (one|"
    r"question)))?|"
    r"(for|to|on|about|in|at)? ?the (last|previous|first|other|earlier|\w+)( \w+)?( \w+)? "
    r"(one|question|answer)|by mistake|by accident|"
    r"i (put|typed|entered|gave|got|answered|did|filled) (my |the |that |it |in )?(\w+ )?(\w+ )?"
    r"(in )?wrong(ly)?|"
    r"go(ing)? back|i forgot|forgot to (say|mention|tell you)|i made a mistake|"
    r"should have (said|put|answered|picked|pressed|chosen|clicked)|"
    r"(that|the) (\w+ ){0,2}question (about|on|for)|^(about|regarding|as for|re) |"
    r"second ?guess\w*|before we (go on|continue|move on))\b"
)
_BACK_REF = re.compile(
    r"\b(for|to|on|about|in) the (last|previous|first|other|earlier|last) (one|question|answer)\b"
    r"|\bthe (last|previous) (one|question|answer) (should|was|is|must)\b"
)
_TOPIC_REF = re.compile(r"\b(for|to|on|about) the (\w+)( one| question)?\b")

# Replies that say a question does not apply to anyone ("n/a"); the phrasings that say why it
# does not apply to this person ("I'm a man", "past menopause") are each question's own
# ``not_applicable`` list in criteria.yml.
_NOT_APPLICABLE_ANY = _rx(
    r"\b(does|do) not apply\b",
    r"\bnot applicable\b",
    r"\bnot relevant\b",
)


def _not_able(criterion_id: str) -> re.Pattern[str] | None:
    """The question's own not-applicable phrasings and the general ones, or None if the
    question lists none (then "I'm a man" does not answer it)."""
    criterion = next((c for c in eligibility.load_criteria() if c.id == criterion_id), None)
    own = tuple(str(p) for p in criterion.reading.get("not_applicable", ())) if criterion else ()
    return _compiled(own) if own else None


@functools.cache
def _compiled(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return _rx(*patterns, _NOT_APPLICABLE_ANY.pattern)


_NO_LONGER = re.compile(r"\b(not|no) (any ?more|longer)\b|\bnot since\b")

# Past-only use: "used to", "not anymore", "stopped", "years ago, not now".
_PAST = _rx(
    r"\b(not|no) (any ?more|longer)\b",
    r"\bused to\b",
    r"\bin the past\b",
    r"\b(stopped|quit)\b",
    r"\bwent away\b",
    r"\bcleared( up)?\b",
    r"\b(is|it s|its|has) (actually |now |all |completely |totally |mostly )?"
    r"(gone|clear|cleared)\b",
    r"\buntil\b",
    r"\b(years|months|long time|while) ago\b",
    r"\bnot (now|at the moment|currently|right now)\b",
    r"\b(did|had|took|was on) (it |them |some )?before\b",
    r"\b(not|do not|does not|am not|is not|are not) (\w+ )?(take|taking|on|using|use)\b.*"
    r"\b(now|right now|currently|at the moment|these days|today|lately)\b",
    r"\bnone (right )?now\b",
    r"\bnot (lately|recently)\b",
    r"\bnot (for|in) (a (long )?(time|while)|years|ages|months|a few years)\b",
    r"\bnot (\w+ ){1,3}(in|for) (years|ages|a long time|a while|months|a few years)\b",
    r"\b(i am|she is|he is|they are|we are) off (them|it|those|the \w+|\w+)\b",
)
# For "right now?" questions only a clear end counts: "yes, diagnosed years ago" is a yes.
_PAST_NOW = _rx(
    r"\b(not|no) (any ?more|longer)\b",
    r"\bused to\b",
    r"\b(stopped|quit)\b",
    r"\bwent away\b",
    r"\bcleared( up)?\b",
    r"\b(is|it s|its|has) (actually |now |all |completely |totally |mostly )?"
    r"(gone|clear|cleared)\b",
    r"\bnot (now|at the moment|currently|right now)\b",
)
_ONGOING = _rx(r"\bsince\b", r"\b(again|still|came back|comes back|flared|flare)\b")
_ON_OFF = _rx(
    r"\bcomes and goes\b",
    r"\bon and off\b",
    r"\boff and on\b",
    r"\bsometimes\b",
    r"\bsome days\b",
)

_UNSURE = _rx(
    # not saying is allowed, and goes to the study team like "not sure"
    r"\b(rather|prefer|preferably|prefer to|would like to) not (to )?(say|answer|tell|disclose|"
    r"get into( (it|that))?|go into( (it|that))?|talk about( (it|that))?)\b",
    r"\b(do not|would not|not) (want|like|wish|care) to (say|answer|tell|disclose)\b",
    r"\bnot (comfortable|willing) (saying|answering|to say|to answer|telling)\b",
    r"\bprefer not( to)?$",
    r"\b(no comment|pass on (this|that)( one)?)\b",
    r"\bnot (\w+ )?(sure|certain|positive)\b",
    # a hedged no about someone else: the speaker cannot vouch for it ("I don't think he
    # did"); "they" are the doctors ("I don't think they did one" is a no)
    rf"\b(do not|did not) (think|believe) (he|she|my ({_REL}))\b",
    r"\b(unsure|uncertain)\b",
    r"\bno (idea|clue)\b",
    r"\b(do|did) not (really |actually |even |honestly )?know\b",
    r"\b(can not|could not|do not|did not) (really |actually |even |honestly )?"
    r"(remember|recall|say|tell)\b",
    r"\bforg[eo]t\b",
    r"\b(maybe|perhaps|possibly)\b",
    r"\bhard to say\b",
    r"\bwho knows\b",
    r"\b(kinda|kind of|sort of|sorta|somewhat|mostly|partly)\b",
    r"^a (little|bit)( bit)?$",
    r"\bnot confirmed\b",
    r"^not (exactly|quite|entirely|completely|fully|totally|always)\b",
    r"\bnot (officially|formally|yet confirmed|definite)\b",
    r"\binconclusive\b",
    r"\b(have|need|needs|would need) to (think|ask|check)\b",
    # a say left to someone else or to how it goes: "I'd want to ask my dermatologist first",
    # "I'd have to see how bad it gets"
    r"\b(want|like|have|need|ought|got) to (ask|check with|talk to|run it by|speak to|clear it "
    r"with) (my |the |her |his )?\w+( \w+)? (first|before)\b",
    r"\b(have|need|want|would like|ll|will|d) (to )?(see|wait and see) (how|what|if|whether)\b",
    r"\b(think|thinking) about it\b",
    r"\bdepends\b",
    r"\bthey (think|suspect)\b",
    r"\bsuspect\b",
    # "something like myositis", "something starting with M", "still running tests"
    r"\bsomething (like|starting with|beginning with|with an?)\b",
    r"\bstill (running|doing|waiting on|waiting for|waiting to hear)\b",
    r"\b(can not|could not|do not) (really )?(remember|recall|say) (if|whether)\b",
    r"\bnothing (official|confirmed|definite|certain|for sure)\b",
    r"\b(hard|difficult|tough|not easy) to (say|tell|know)\b",
    r"\bunless\b",
    r"\b(yeah right|as if)\b",
    r"\blike (that|it|this) (would|will|is going to|s going to) (ever )?(work|help|happen)\b",
    r"\b(not|no) (official|formal)\b",
    r"\b(can not|could not) (promise|guarantee|say for sure)\b",
    r"\bno (promises|guarantees)\b",
    r"\b(might|may|could) (change|switch|add|adjust|increase|lower)\b",
    r"\b(might|may) (stop|pause|hold|taper|reduce)\b",
)
_SOFT_NO = _rx(
    r"\bnot that i (can |could )?(know|remember|recall|think of|am aware)\b",
    r"\b(probably|prob|prolly|likely) not\b",
    r"\b(do not|did not) (think|believe) (so|i)\b",
    r"\b(think|believe|guess|suppose) not\b",
)
_SOFT_YES = _rx(
    r"\b(i|we) (\w+ )?(think|believe|guess|suppose|reckon)( so)?\b",
    r"\b(probably|prob|prolly)\b",
    r"\btechnically\b",
)
_YES_IDIOMS = _rx(
    r"\bno (problem|doubt|worries|big deal|bother)\b",
    r"\bnot a problem\b",
    # "I wouldn't have a problem with that", "she doesn't mind the tests"
    r"\b(do|does|did|would|will|d) not (really )?(mind|object|have (a|any) (problem|issue))\b",
    r"\bno (problem|issue|objection)s? (with|at all)\b",
    r"^(of course|why not|you bet|for sure|that is (right|correct|true|fine|ok|okay)|right|"
    r"i agree|very much( so)?|that s (fine|ok|okay)|thats (fine|ok|okay))\b",
    r"\b(is|s) (fine|ok|okay)\b",
    r"^(?!.*\b(not|never|no)\b).*\b((would|will|d|ll|should) be|am|is|are|m) (fine|ok|okay|"
    r"good|alright|happy)"
    r"( with (that|it|this|both|those|them|all that|birth control|the tests?))?$",
    r"^(?!.*\b(not|never|no)\b).*\b(fine|ok|okay|happy|good) with (that|it|this|both|those|"
    r"them|all that|birth control|the tests?)\b",
)
_NO_PHRASES = _rx(
    r"^(definitely|absolutely|certainly|of course|sure|really|def|defo) not\b",
    r"^not (really|at all|yet|ever|that i can think of)\b",
    r"^no way\b",
    r"\brather not\b",
    r"^(no one|nobody|none|nothing|neither)\b",
    r"\b(on|taking|take|use|using) nothing\b",  # "I'm on nothing but vitamins"
)
# "no luck with prednisone", "no joy from the methotrexate": an outcome, not a no.
_NO_OUTCOME = re.compile(r"^(no|nope|nah) (luck|joy|success|improvement|relief|benefit|results?)\b")
_YES_WORDS = frozenset(
    "yes yeah yea yep yup ya yah yeh y ye yess yse ys sure definitely absolutely certainly "
    "correct affirmative indeed totally exactly true yessir def defo".split()
)
_NO_WORDS = frozenset("no nope nah n nay negative noo nop nada".split())
_FILLERS = frozenset(
    "well um umm uh uhh er erm hmm hm oh ah so then honestly and but lol haha hahaha oops hey "
    "ok okay ugh ahh geez jeez omg wow".split()
)
# "I did", "she has", "he would": an auxiliary answering the question on its own.
_SUBJ = (
    rf"(i|we|she|he|they|my ({_REL}|doctor|dermatologist|rheumatologist|derm|rheum)|her \w+|"
    r"his \w+|"
    r"the (doctor|dermatologist|rheumatologist|derm|rheum|specialist))"
)
_AUX_ONLY = re.compile(
    rf"^{_SUBJ}( (really|definitely|still|already|also|actually|just|certainly))* "
    r"(have|has|had|did|do|does|was|were|will|would|could|can|am|is|are)"
    r"( (had|done|taken|tried|used|been|one|it|that|so|them|had one|have one|have))?$"
)
_AUX_NOT = re.compile(
    rf"^({_SUBJ} )?(have|has|had|did|do|does|was|were|will|would|could|can|am|is|are) "
    r"(not|never)\b"
)
# No subject: "had one last month", "took them for years".
_BARE_DID = re.compile(
    r"^(had|got|did|took|tried|used|have had|been on) (one|it|them|some|those)\b"
)
_DID_VERB = re.compile(
    rf"^{_SUBJ}( (really|definitely|still|already|also|actually|just|once|did|do|does|both|all))* "
    r"(had|have had|has had|took|taken|tried|try|used|got|get|"
    r"gets|was on|have been on|has been on|been on|was given|received|"
    r"gave (me|her|him|them)|have taken|has taken|have tried|has tried|have used|has used|"
    r"did have|did take|did try|did use|would|will|agree|am willing|is willing|can|could|"
    r"had one|told (me|her|him|them|us)|was told|were told|been told|diagnosed (me|her|him|them)|"
    r"said(?: so| yes| i (?:do|did|have|had)| (?:she|he) (?:does|did|has|had)|"
    r" it (?:is|was)(?: that| it)?)?$)\b"
)
# "I take ...", "she uses ...": a yes only where the question is about using something.
_PRESENT_USE = re.compile(rf"^{_SUBJ} (take|takes|taking|use|uses|using|am on|is on|are on)\b")
_SUBJ_NEG = re.compile(rf"^{_SUBJ}( \w+)? (not|never)\b")
_NEVER = re.compile(r"\bnever\b(?! ?mind)")


@dataclass(frozen=True)
class _Condition:
    """Patterns made from the trial's own words for its condition (trial.yml
    ``condition_words``): this module names no condition itself (review finding 10)."""

    for_self: re.Pattern[str]  # "I'm the one with dermatomyositis": about themselves
    said_it_is: re.Pattern[str]  # "the doctor said it was dermatomyositis": a yes
    still_has: re.Pattern[str]  # "she still has the rash": the treatment did not help
    names: re.Pattern[str] = re.compile(r"(?!x)x")  # the condition's names, as words


_NOTHING = re.compile(r"(?!x)x")  # matches nothing: a trial without condition words


def _words(found: Any) -> str:
    words = [" ".join(_normalise(str(w)).split()) for w in found or () if str(w).strip()]
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True) if w)


@content.per_trial
def _condition() -> _Condition:
    given = content.trial().get("condition_words") or {}
    names, signs = _words(given.get("names")), _words(given.get("signs"))
    both = "|".join(x for x in (names, signs) if x)
    if not both:
        return _Condition(_NOTHING, _NOTHING, _NOTHING)
    return _Condition(
        for_self=re.compile(
            rf"\b(i am|i m) (actually )?the one (with|who has) (the |my )?({both})\b"
        ),
        said_it_is=re.compile(
            rf"^{_SUBJ}( (really|definitely|still|already|also|actually|just|once))* "
            rf"(said|told (me|her|him|them|us)|was told|were told|been told) "
            rf"(it (is|was) |i have |(she|he) has )?({names})$"
            if names
            else r"(?!x)x"
        ),
        still_has=re.compile(
            r"\bstill (has|have|had|got|get|gets|getting) (the |a |my |her |his |their )?"
            rf"({signs})\b"
            if signs
            else r"(?!x)x"
        ),
        names=re.compile(rf"\b({names})\b") if names else _NOTHING,
    )


def _normalise(text: str) -> str:
    text = answers._normalise(text)  # noqa: SLF001 - the shared word-level normaliser
    return (
        text.replace(" s ", " s ")
        .replace("its ", "it is ")
        .replace("im ", "i am ")
        .replace("dont ", "do not ")
        .replace("didnt ", "did not ")
        .replace("doesnt ", "does not ")
        .replace("havent ", "have not ")
        .replace("hasnt ", "has not ")
        .replace("isnt ", "is not ")
        .replace("wasnt ", "was not ")
        .replace("cant ", "can not ")
        .replace("wont ", "will not ")
    )


_TYPOS = (
    (re.compile(r"\b(do|did) not no\b"), r"\1 not know"),  # "i dont no"
    (re.compile(r"\b(shure|sur|suer|srue)\b"), "sure"),
    (re.compile(r"^(nuh uh|uh uh|nuh)\b"), "no"),
)


# One reply is normalised many times over a turn (each rule reads a clause again); a small
# cache makes that once. It lives in memory only, like the tracker that holds the same text.
@functools.lru_cache(maxsize=128)
def _norm(text: str) -> str:
    norm = " ".join(_normalise(text + " ").split())
    for pattern, replacement in _TYPOS:
        norm = pattern.sub(replacement, norm)
    return norm


def _segments(text: str) -> list[str]:
    return [s for s in answers._segments(text)]  # noqa: SLF001


_WH = frozenset("what whats why how who whom whose where when which".split())
_AUX_Q = frozenset(
    "is are am was were can could do does did will would should shall may might must "
    "tell explain".split()
)


def _is_question(segment: str) -> bool:
    words = [w for w in re.findall(r"[a-z0-9]+", segment.lower()) if w not in _FILLERS]
    if not words:
        return False
    if words[0] in _WH:
        # "when I first got the rash, the doctor took a piece": a statement, not a question
        statement = (
            words[0] in ("when", "where", "which", "who", "whom", "whose")
            and not segment.strip().endswith("?")
            and len(words) > 1
            and words[1] not in _AUX_Q
        )
        return not statement
    if words[0] in _AUX_Q and (segment.strip().endswith("?") or len(words) > 2):
        # "is there a placebo", "does it hurt?", but not "did" or "would be fine"
        return segment.strip().endswith("?") or words[1] in answers._SUBJECTS  # noqa: SLF001
    return False


def _clauses(norm: str) -> list[str]:
    parts = re.split(r"\b(?:but|and|though|although|because|cause|cuz|so|then)\b", norm)
    out = []
    for part in parts:
        words = part.split()
        if words[:2] == ["oh", "no"] and len(words) > 3:
            words = words[2:]  # "oh no my skin is perfect, look at my hands": not a no
        while words and words[0] in _FILLERS:
            words = words[1:]
        if words:
            out.append(" ".join(words))
    return out


# --- yes / no / not sure, word by word ----------------------------------------------------------


def _clause_value(clause: str, present_use: bool = True) -> tuple[Value, Sure] | None:
    if not clause:
        return None
    if _SOFT_NO.search(clause):
        return "no", "inferred"
    if _UNSURE.search(clause):
        return "unsure", "clear"
    if _NO_PHRASES.search(clause):
        return "no", "clear"
    first = clause.split()[0]
    if _NO_OUTCOME.match(clause):
        return None  # "no luck with methotrexate": it was taken, and it did not work
    if first in _NO_WORDS and not re.match(
        r"^no (problem|doubt|worries|issues?|objections?)\b", clause
    ):
        return "no", "clear"  # "nah it's fine now"
    if _YES_IDIOMS.search(clause):
        return "yes", "clear"
    if first in _YES_WORDS:
        return "yes", "clear"
    if first in _NO_WORDS:
        return "no", "clear"
    if _SOFT_YES.search(clause):
        rest = re.sub(r"^.*?\b(think|believe|guess|suppose|reckon)( so)?\b ?", "", clause)
        inner = _clause_value(rest, present_use) if rest and rest != clause else None
        if inner is not None:
            return inner[0], "inferred"
        if _NEVER.search(clause) or re.search(r"\bnot\b", clause):
            return "unsure", "clear"  # "he never told me it was, he just said probably"
        return "yes", "inferred"
    if _NEVER.search(clause):
        return "no", "clear"
    if _AUX_NOT.match(clause) or _SUBJ_NEG.match(clause):
        return "no", "clear"
    if (
        _AUX_ONLY.match(clause)
        or _DID_VERB.match(clause)
        or _condition().said_it_is.match(clause)
        or _BARE_DID.match(clause)
    ):
        return "yes", "clear"
    if present_use and _PRESENT_USE.match(clause):
        return "yes", "clear"
    words = clause.split()
    if "not" in words or "never" in words:
        return None  # "not exactly": a yes word, negated
    if len(words) <= 3 and any(w in _YES_WORDS for w in words):
        return "yes", "clear"
    if words[-1] in ("yes", "yeah", "yep", "yup") and not set(words) & {"no", "nope", "nah"}:
        return "yes", "clear"  # "the skin only kind, yes"
    if len(words) <= 3 and any(w in _NO_WORDS for w in words):
        return "no", "clear"
    return None


def _lexical(norm_segments: Sequence[str], present_use: bool = True) -> tuple[Value, Sure] | None:
    found: list[tuple[Value, Sure]] = []
    leads: list[Value] = []
    for segment in norm_segments:
        for clause in _clauses(segment):
            value = _clause_value(clause, present_use)
            if value is not None:
                found.append(value)
                if clause.split()[0] in _YES_WORDS | _NO_WORDS:
                    leads.append(value[0])
    if not found:
        return None
    # "no, they said it was lupus, not dermatomyositis": a reply that opens with yes or no
    # means that; what follows explains it, unless it says yes or no again.
    if (
        leads
        and len(set(leads)) == 1
        and found[0][0] == leads[0]
        and "unsure" not in {v for v, _ in found}
    ):
        return found[0]
    values = {v for v, _ in found}
    if len(values) == 1:
        sure: Sure = "inferred" if any(s == "inferred" for _, s in found) else "clear"
        return found[0][0], sure
    if "unsure" in values:
        return "unsure", "clear"
    return "unsure", "clear"


def read_yes_no(text: str) -> Value | None:
    """yes / no / unsure for a plain yes-or-no question (consent, share, confirm), or None."""
    norm = [_norm(s) for s in _segments(text) if not _is_question(s)]
    found = _lexical(norm)
    return found[0] if found else None


# A decline that throws the answers away must be said plainly: "no", "no thanks", "don't share".
_DECLINE = _rx(
    r"^(no|nope|nah|n|nay|negative)\b",
    r"^(not now|not really|no way|not interested|not today)\b",
    r"\b(do not|please do not|would rather not|rather not|not|never) (want (you )?to |wanna )?"
    r"(share|send|pass|give)\b",
    r"\bnot interested\b",
)


def asks_something(text: str) -> bool:
    """The reply asks a question ("is there parking? he can't walk far")."""
    return "?" in text or any(_is_question(s) for s in _segments(text))


def clear_decline(text: str) -> bool:
    """A plain no to "may I share your answers?": never a question, never a "can't" inside
    another sentence ("I can't drive anymore, is there help with getting there?")."""
    if asks_something(text) or read_yes_no(text) != "no":
        return False
    return bool(_DECLINE.search(_norm(text)))


_LEAD = re.compile(
    r"^(?:(?P<yes>yes|yeah|yep|yup|ya|y|sure|correct|right|exactly|that is (?:right|correct)|"
    r"that s (?:right|correct)|thats (?:right|correct)|true)|"
    r"(?P<no>no|nope|nah|n|wrong|not right|incorrect|that is wrong|that s wrong)|"
    r"(?P<unsure>not sure|unsure|i do not know|i am not sure|no idea|maybe))\b"
)


def lead_reply(text: str) -> tuple[Value | None, str]:
    """For "Is that right?": the yes / no / not sure a reply opens with, and what follows it
    ("no, I have taken them" -> no, "i have taken them"). (None, text) if it opens with none."""
    norm = _norm(text)
    m = _LEAD.match(norm)
    if not m:
        return None, text
    value = "yes" if m.group("yes") else "no" if m.group("no") else "unsure"
    return value, norm[m.end() :].strip()


# --- entities -------------------------------------------------------------------------------


def _medicine_roles(negated: bool = False) -> Mapping[str, str]:
    """Entity role -> the question a mention of it answers (from criteria.yml). With
    ``negated``, also the roles whose mention says nothing but whose "never" is a no (a cream
    used does not say it failed; a cream never used does)."""
    out: dict[str, str] = {}
    keys = ("medicines", "negated_medicines") if negated else ("medicines",)
    for criterion in eligibility.load_criteria():
        for key in keys:
            for role in criterion.reading.get(key, ()):
                out.setdefault(str(role), criterion.id)
    return out


def _confident(entity: Mapping[str, Any]) -> bool:
    confidence = entity.get("confidence", 1.0)
    return isinstance(confidence, int | float) and confidence >= MIN_CONFIDENCE


def facts_from_entities(
    entities: Iterable[Mapping[str, Any]], *, include_negatives: bool = False
) -> dict[str, Value]:
    """Answers that extracted entities give: "prednisone then methotrexate" answers both
    medicine questions with yes, "I'm 52" the age. Mentions with a guessed route or a low
    confidence are left out. Negated mentions give "no" only with ``include_negatives``; a
    "yes" from any mention wins over a negated one."""
    roles = _medicine_roles(negated=include_negatives)
    yes_roles = _medicine_roles()
    yes: dict[str, Value] = {}
    no: dict[str, Value] = {}
    for entity in entities:
        if not _confident(entity):
            continue
        if entity.get("entity") == "age":
            age = answers.entity_age(entity)
            for asked in eligibility.filled_by("age")[:1]:  # the question an age fills
                if age is not None and asked.id not in yes:
                    yes[asked.id] = age
            continue
        if entity.get("entity") != "medication":
            continue
        role = str(entity.get("role"))
        if role not in roles:
            continue
        if entity.get("status") == "never":
            if include_negatives:
                no[roles[role]] = "no"
        elif role in yes_roles:
            yes[roles[role]] = "yes"
    return {**no, **yes}


def _mentions(entities: Iterable[Mapping[str, Any]], roles: Iterable[str]) -> list[str]:
    """The statuses of confident mentions of these medicine roles."""
    wanted = set(roles)
    return [
        str(e.get("status"))
        for e in entities
        if e.get("entity") == "medication" and e.get("role") in wanted and _confident(e)
    ]


def _durations(entities: Iterable[Mapping[str, Any]]) -> list[tuple[str, float]]:
    return [
        (str(e.get("role")), float(e["value"]))
        for e in entities
        if e.get("entity") == "duration" and isinstance(e.get("value"), int | float)
    ]


# --- ages -----------------------------------------------------------------------------------

_AGE_FIX = re.compile(r"\b(no wait|wait|sorry i mean|i mean|i meant|actually|sorry|oops|no)\b")
_WORD_NUM = re.compile(rf"\b{WORD_NUMBER}\b", re.IGNORECASE)
# A whole number: not part of "1.5", "1,000", "3/4" or "-3" (no one is minus 3).
_DIGITS = re.compile(r"(?<![\d.,/\-])\d{1,3}(?![\d.,/]\d|\d)")


def _numbers(text: str) -> list[tuple[int, int]]:
    """(position, whole number) of each number in the text, digits or words, no units after."""
    found: list[tuple[int, int]] = []
    for m in _DIGITS.finditer(text):
        if answers._UNIT_AFTER.match(text[m.end() :].lower()):  # noqa: SLF001
            continue
        if re.match(r"\s*(years?|yrs?)\s+ago\b", text[m.end() :].lower()) or re.search(
            r"\b(for|in|since)\s+$", text[: m.start()].lower()
        ):
            continue  # "diagnosed 3 years ago", "for 6 years", "in 2019": not an age
        if _EVENT_AGE_BEFORE.search(_norm(text[: m.start()]) + " "):
            continue  # "diagnosed at 12", "since I was 10": the age then, not now
        found.append((m.start(), int(m.group(0))))
    for m in _WORD_NUM.finditer(text):
        value = parse_number(m.group(0))
        after = text[m.end() :].lower()
        if re.match(r"\s*(years?|yrs?)\s+ago\b", after):
            continue  # "diagnosed two years ago"
        if value is not None and not answers._UNIT_AFTER.match(after):  # noqa: SLF001
            found.append((m.start(), int(value)))
    return sorted(found)


# A number typed with letters that look like digits ("5o", "l8", "1OO"): no one's age.
_GARBLED = re.compile(r"\b(?=[0-9oli]*\d)(?=[0-9oli]*[oli])[0-9oli]{2,}\b")
# An age range, not an age: "in my sixties", "late 50s", "over 18", "18+".
_DECADE = re.compile(
    r"\b(early|mid|late|in (my|her|his|their|the))( |-)?(\w+ties|\d0 ?s)\b" r"|^(\w+ties|\d0 ?s)$"
)
_BOUND = re.compile(
    r"\b(over|under|above|below|older than|younger than|more than|less than|at least|pushing)\s+"
    r"(\d{1,3}|" + WORD_NUMBER + r")\b|\b\d{1,3} ?\+|\b\d{1,3} (or|and) (older|over|up|above)\b",
    re.IGNORECASE,
)
_ALMOST = re.compile(
    r"\b(almost|nearly|not quite|soon to be|about to (turn|be))\s+(\d{1,3}|" + WORD_NUMBER + r")\b"
    r"|^\s*(\d{1,3}) (next|this coming) (week|month|year)\b",
    re.IGNORECASE,
)
# The age of an event, not now: "diagnosed at 12", "since I was 10", "when she was 8".
_EVENT_AGE_BEFORE = re.compile(r"\b(at|by|from|until|till|was|were|since)( (the )?age( of)?)?\s*$")
# An adult spoken of with a child's age ("my mom is 7"), or a child's age with an adult's
# life ("retired", "my grandkids", "menopause"): a typo, not an age.
_ADULT_SUBJECT = re.compile(
    r"\b(my|her|his|their) (mom|mother|mum|mama|dad|father|papa|husband|wife|grandma|"
    r"grandmother|grandpa|grandfather|granny|nana|aunt|uncle)( is| s| was| just turned| turned)?"
    r"( only| just| about| around)? (\d{1,3}|" + WORD_NUMBER + r")\b",
    re.IGNORECASE,
)
_ADULT_LIFE = re.compile(
    r"\b(retired|retirement|grand ?(kids|children|son|daughter|baby)|menopause|my (husband|wife)|"
    r"my (kids|children)|years ago|decades)\b"
)
# A date of birth typed as the answer to "How old are you?": "04/12/1958", "March 3, 1960",
# "3rd of March 1960", "b. 1955" (US order for numbers: month first unless it cannot be).
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_DATE_FORMS = (
    re.compile(rf"\b(?P<m>\d{{1,2}})[/.-](?P<d>\d{{1,2}})[/.-]{_YEAR}\b"),
    re.compile(rf"\b(?P<month>{MONTH_RE})\.? (?P<d>\d{{1,2}})(?:st|nd|rd|th)?,? {_YEAR}\b"),
    re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)? (?:of )?(?P<month>{MONTH_RE})\.?,? {_YEAR}\b"),
    # a month and year alone: "Aug 2009"
    re.compile(rf"^\s*(?P<month>{MONTH_RE})\.?,? {_YEAR}\s*[.!]?\s*$"),
    re.compile(
        rf"\b(?:born|birthday|dob|b\.)\s*(?:is |was |in |on )?"
        rf"(?P<month>{MONTH_RE})?\.?,? ?{_YEAR}\b"
    ),
)


def _birth_date_age(low: str, today: date) -> int | None:
    """The age from a date of birth in the reply, or None."""
    for form in _DATE_FORMS:
        m = form.search(low)
        if not m:
            continue
        groups = m.groupdict()
        year = int(groups["year"])
        if groups.get("month"):
            month = MONTHS[groups["month"]]
        elif groups.get("m"):
            month = int(groups["m"])
        else:
            return today.year - year if 0 < today.year - year <= answers.MAX_AGE else None
        day = int(groups["d"]) if groups.get("d") else 1
        if month > 12 and day <= 12:
            month, day = day, month  # "25/12/1945"
        try:
            born = date(year, month, day)
        except ValueError:
            return None
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        return age if 0 <= age <= answers.MAX_AGE else None
    return None


CHILD_AGE = 18  # below this, an adult cue makes the age a typo
SELF_MIN_AGE = 10  # below this, someone answering for themselves typed something else


def _read_age(
    text: str,
    entities: Sequence[Mapping[str, Any]],
    someone_else: bool = False,
    today: date | None = None,
) -> tuple[Value, Sure] | None:
    found = _read_age_value(text, entities, today)
    if found is None or not isinstance(found[0], int):
        return found
    age = found[0]
    norm = _norm(text)
    if age < CHILD_AGE:
        adult = _ADULT_SUBJECT.search(text.translate(answers._QUOTES).lower())  # noqa: SLF001
        third = bool(_THIRD_PERSON.search(norm)) or someone_else
        if adult or (not third and _ADULT_LIFE.search(norm)):
            return None
        if age < SELF_MIN_AGE and not third:
            return None
    return found


_TENS_THEN = re.compile(
    r"\b(twenty|thirty|forty|fourty|fifty|sixty|seventy|eighty|ninety)[ -]([a-z]{3,6})\b"
)
_UNITS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _unit_typos(low: str) -> str:
    """ "fifty sevn", "sixty too": a misspelt unit after a tens word, as the word it is."""

    def fix(m: re.Match[str]) -> str:
        close = difflib.get_close_matches(m.group(2), _UNITS, 1, 0.75)
        return f"{m.group(1)} {close[0]}" if close else m.group(0)

    return _TENS_THEN.sub(fix, low)


def _read_age_value(
    text: str, entities: Sequence[Mapping[str, Any]], today: date | None
) -> tuple[Value, Sure] | None:
    low = _unit_typos(text.translate(answers._QUOTES).lower())  # noqa: SLF001
    norm = _norm(text)
    garbled = _GARBLED.search(low)
    if garbled:
        # "im 5o", "hes 7o": a letter o typed for a zero after a digit reads as 50 or 70
        # (inferred); anything else garbled is asked again rather than guessed.
        word = garbled.group(0)
        if re.fullmatch(r"[1-9]o", word) and len(_GARBLED.findall(low)) == 1:
            return int(word[0]) * 10, "inferred"
        return None
    born = _birth_date_age(low, today or date.today())
    if born is not None:
        return born, "clear"
    if _BOUND.search(low) and len(_numbers(low)) <= 1:
        return "unsure", "clear"  # "over 18": the team asks
    if _DECADE.search(norm) and not [n for _, n in _numbers(low) if n % 10 or n > 100]:
        return "unsure", "clear"  # "in my sixties", "late 50s": the team asks
    if _UNSURE.search(norm) and not _numbers(low):
        return "unsure", "clear"
    almost = _ALMOST.search(low)
    if almost and len(_numbers(low)) == 1:
        value = parse_number(almost.group(3) or almost.group(4))
        if value is not None and answers.MIN_AGE < value <= answers.MAX_AGE:
            return int(value) - 1, "inferred"
    soon = re.search(
        r"^\D*(\d{1,3}),? (\d{1,3}) (in (a|an|two|three|a few|a couple of) (days?|weeks?|months?)|"
        r"next (week|month|year)|soon|this (week|month|year))\b",
        low,
    )
    if soon and int(soon.group(2)) == int(soon.group(1)) + 1:
        return int(soon.group(1)), "clear"  # "67, 68 in a few weeks"
    fixes = list(_AGE_FIX.finditer(low))
    if fixes:
        after = _numbers(low[fixes[-1].end() :])
        if after:
            return after[0][1], "clear"
    numbers = _numbers(low)
    for entity in entities:
        age = answers.entity_age(entity)
        if age is not None and (entity.get("confidence", 1.0) >= MIN_CONFIDENCE or numbers):
            return age, "clear"
    year = re.fullmatch(r"\s*((?:19|20)\d\d)\s*[.!]?\s*", low)
    this_year = (today or date.today()).year
    if year and 0 < this_year - int(year.group(1)) <= answers.MAX_AGE:
        return this_year - int(year.group(1)), "inferred"  # "1958": a year of birth
    # One number and words, or nothing: "1=1", "3 or 4" and "<b>1</b>" are no one's age.
    if len(numbers) == 1 and not re.search(r"[=<>{}\[\];|\\*#$%^~`]", text):
        sure: Sure = "inferred" if re.search(r"\b(about|around|think|roughly)\b", norm) else "clear"
        value = numbers[0][1]
        if not answers.MIN_AGE <= value <= answers.MAX_AGE:
            return None
        return value, sure
    if _UNSURE.search(norm):
        return "unsure", "clear"
    return None


# --- one question ----------------------------------------------------------------------------


def _words_in(norm: str, words: Iterable[str]) -> list[str]:
    return [w for w in words if re.search(rf"\b{re.escape(str(w).lower())}", norm)]


def _negated(norm: str, word: str) -> bool:
    """Is this word negated within its clause ("not dermatomyositis", "isn't active")?"""
    for clause in _clauses(norm):
        m = re.search(rf"\b{re.escape(word)}", clause)
        if not m:
            continue
        before = clause[: m.start()].split()[-4:]
        if any(w in ("not", "no", "never", "without", "nothing") for w in before):
            return True
    return False


_HELPED_NOT = _rx(
    r"\b(not|never|nothing|barely|hardly)\b.*\b(help|helps|helped|work|works|worked|do much|"
    r"difference|"
    r"do anything|did much|does much|enough|change|better)\b",
    r"\b(did|does|do) nothing\b",
    r"\bno ((real|big|much|major|noticeable|visible|significant) )?"
    r"(change|difference|better|improv\w*|help)\b",
    r"\b(did|does|do) not (do )?(a (single )?thing|squat|much of anything)\b",
    r"\bnot enough\b",
    r"\bbarely\b",
    r"\bnothing (has |have )?(work|help)",
    r"\bnone (of them )?(has |have )?(work|help|did)",
    r"\bused to help\b",
    r"\b(helped|worked) at first\b",
    r"\bstill (there|bad|active|red)\b",
    r"\bno (luck|joy|dice|success|use|good)\b",
    r"\b(all |both |they |it |each )?(failed|fail|fails|flopped)\b",
    r"\b(useless|worthless|pointless|a waste|waste of)\b",
    r"\b(stopped|quit|stop) (working|helping)\b",
    r"\bwore off\b",
    r"\b(came|comes|keeps coming|kept coming) back\b",
    r"\b(is|s|was|are|were) (right |straight |just |all )?back\b",
    r"\b(did|does|do) (zip|zilch|squat|jack)\b",
    # "the creams aren't cutting it anymore", "isn't doing the trick"
    r"\bnot (really |quite )?(cutting it|doing (it|the trick|the job|enough))\b",
)
_HELPED_PART = _rx(
    r"\bhelp(s|ed)? (a (little|bit)|some|for a while|a little bit)\b",
    r"\bhelp(s|ed)? (for )?(a|one|two|a few|a couple of) (day|days|week|weeks|month|months)\b",
    r"\b(helped|worked) for a while\b",
)
_HELPED = _rx(
    r"\b(helped|helps|worked|works|cleared|clears|got better|went away)\b",
    r"\b(cream|creams|ointment|ointments|it|they|them) (really |do |does )?(help|work)\b",
    r"\b(did|does|do) (help|work)\b",
)
_NO_CREAM = _rx(
    r"\b(not|never) (\w+ )?(tried|used|had|use|try)\b.*\b(cream|creams|ointment|one|any)\b",
    r"\bnever used one\b",
)
_CAN_STOP = _rx(
    r"\b(can|could|would|will|cud|cn|d|ll|happy to|willing to|able to|ok to|fine to) (\w+ )?stop\b",
    r"\bno problem\b",
)
_WONT_STOP = _rx(
    r"\b(can not|could not|will not|would not|do not want to|not willing to) stop\b",
    r"\bneed (it|them) every day\b",
)
_TIME_UNITS = ("day", "days", "week", "weeks", "month", "months", "year", "years")
_COUNTED = re.compile(rf"\b(\d{{1,3}}|{WORD_NUMBER}|a|an|few|of) ([a-z]{{2,8}})\b")


def _unit_typos_fixed(norm: str) -> str:
    """A misspelt time unit after a number ("3 weks", "4 wks", "2 mnths") spelt right."""

    def fix(m: re.Match[str]) -> str:
        word = m.group(2)
        if word in _TIME_UNITS:
            return m.group(0)
        close = difflib.get_close_matches(word, _TIME_UNITS, n=1, cutoff=0.75)
        return f"{m.group(1)} {close[0]}" if close else m.group(0)

    return _COUNTED.sub(fix, norm)


# Off the cream and meaning to stay off: willing to stop, whenever it last was.
_STAYING_OFF = _rx(
    r"\b(not|never|no plans? (on|of)|do not plan (on|to)|not planning (on|to)) "
    r"(going |to go |go |gonna go )?back (on|to)\b",
    r"\b(do not|will not|not going to|never going to|not gonna) (use|touch|need) (it|them) again\b",
    r"\b(done|finished) with (it|them|that cream|those creams|the creams?)\b",
)
_RECENT_USE = _rx(
    r"\b(yesterday|today|this morning|last night|tonight|this week)\b",
    r"\bstill (use|using|on|put|apply)\b",
    r"\b(use|using|apply|put) (it|them|on) (every day|daily|now|twice a day)\b",
)
_STOP_WORD = re.compile(r"\b(stopped|quit|haven t|have not|not used|not for|off it|off them)\b")
# When it was last used, lately: "last week", "3 days ago", "yesterday".
_LATELY = _rx(
    r"\blast (week|night)\b",
    rf"\b(a|one|two|three|four|five|six|seven|ten|a few|a couple of|few|\d{{1,2}}|{WORD_NUMBER}) "
    r"days? ago\b",
    r"\b(a|one) week ago\b",
)


def used_lately_only(criterion: eligibility.Criterion, text: str, entities: Any = ()) -> bool:
    """A reply to a two-part question ("last used more than 2 weeks ago, or willing to stop
    them?", trait stop_plan) that only says the person used it lately: that answers the
    first part, and whether they would stop is still to ask (tester M6)."""
    if not criterion.reading.get("stop_plan"):
        return False
    norm = _normalise(text)
    if _WONT_STOP.search(norm) or _CAN_STOP.search(norm):
        return False
    rule = criterion_duration(criterion)
    days = [d for role, d in _durations(entities) if role == "ago"]
    if days and rule is not None:
        return max(days) < rule[1]
    return bool(_LATELY.search(norm) or _RECENT_USE.search(norm))


_CHANGE_WORD = re.compile(
    r"\b(chang\w*|started|start|new|added|increased|decreased|switched|went up|went down|"
    r"stopped|raised|lowered|upped|doubled|reduced|cut|tapered|tapering|adjusted|dropped)\b"
)
_NO_CHANGE = re.compile(
    r"\b(nothing|none of them|not|never)('s| s| is| has)? (has |have )?(been )?chang"
    r"|\bno changes?\b"
)


def _answer(
    criterion: eligibility.Criterion,
    text: str,
    entities: Sequence[Mapping[str, Any]],
    reply: Reply | None = None,
) -> tuple[Value, Sure] | None:
    """The answer this reply gives to this question, and how sure, or None."""
    if criterion.kind == "age":
        if all(_is_question(s) or s.strip().endswith("?") for s in _segments(text)):
            return None
        other = reply is not None and reply.for_someone_else
        return _read_age(text, entities, other, reply.today if reply else None)
    if criterion.kind in ("number", "choice"):
        return _read_number_or_choice(criterion, text)
    segments = _segments(text)
    if len(segments) > 1 and _COUNTS.search(_norm(segments[-1])) and "?" in segments[-1]:
        return None  # "my husband had a vasectomy, does that count?": a question to answer
    return _checked(criterion, text, entities)


_COUNTS = re.compile(
    r"^(but |and |so )?(does|would|will|is|do) (that|this|it|these|those|\w+)( \w+)? "
    r"(count|counts|matter|qualify|apply|work)\b"
)


_NUMBER_IN_REPLY = re.compile(rf"\b(\d{{1,4}}|{WORD_NUMBER})\b")


def _read_number_or_choice(
    criterion: eligibility.Criterion, text: str
) -> tuple[Value, Sure] | None:
    """The simple hook for the number and choice kinds (issue 17): one number in the reply
    ("3", "about five times") or a choice's label or id; "not sure" is unsure."""
    norm = _norm(text)
    if re.search(r"\b(not sure|unsure|do not know|don'?t know|no idea)\b", norm):
        return "unsure", "clear"
    if criterion.kind == "choice":
        for cid, label in criterion.choices:
            if norm in (_norm(label), _norm(cid).replace("_", " ")):
                return cid, "button"
        return None
    found = [m.group(1) for m in _NUMBER_IN_REPLY.finditer(norm)]
    values = {parse_number(f) for f in found} - {None}
    if len(values) != 1:
        return None
    value = values.pop()
    return (int(value), "clear") if value is not None and value == int(value) else None


def _answer_yes_no(
    criterion: eligibility.Criterion, text: str, entities: Sequence[Mapping[str, Any]]
) -> tuple[Value, Sure] | None:
    """A yes / no / not sure answer, rule by rule (``_checked`` then looks for conflicts)."""
    traits = criterion.reading
    raw_segments = _segments(text)
    segments = [_norm(s) for s in raw_segments if not _is_question(s)]
    if len(segments) > 1 and segments[0] in ("oh no", "oh no no"):
        segments = segments[1:]  # "oh no, my scalp is itchy as ever": an exclamation
    concluded = _CONCLUSION.search(" ".join(segments)) or _concluding_sentence(text)
    if concluded and len(" ".join(segments).split()) > 6:
        return ("yes" if concluded.group("v") == "yes" else "no"), "inferred"
    ignore = [re.compile(str(p)) for p in traits.get("ignore", ())]
    if ignore:  # "technically yes but I'm not planning to": plans do not answer "could you"
        segments = [
            " and ".join(c for c in _clauses(seg) if not any(p.search(c) for p in ignore))
            for seg in segments
        ]
        segments = [seg for seg in segments if seg]
    if not segments:
        return None
    norm = " ".join(segments)
    present_use = bool(traits.get("medicines")) or traits.get("cannot_be_pregnant") == (
        "not_applicable"
    )
    lexical = _lexical(segments, present_use)

    cannot = traits.get("cannot_be_pregnant")
    not_able = _not_able(criterion.id)
    if cannot and not_able is not None:
        if _words_in(norm, traits.get("unsure_words", ())):
            return "unsure", "clear"  # "I'm going through menopause now"
        if not_able.search(norm) or (lexical is None and norm in ("na", "n a", "not applicable")):
            return str(cannot), "clear"
        if cannot == "no" and _NO_LONGER.search(norm):
            return "no", "clear"
        ages = [answers.entity_age(e) for e in entities]
        ages += [n for _, n in _numbers(text.lower())] if not ages or None in ages else []
        old = [a for a in ages if a is not None and a >= PAST_MENOPAUSE_AGE]
        if old and (lexical is None or lexical[0] == "no"):
            return str(cannot), "inferred"  # "no, I'm 62": past menopause, most likely
    elif re.fullmatch(r"(not applicable|n a|na|(does|do) not apply( to me)?)", norm):
        return None
    if cannot == "not_applicable" and _NO_NEED.search(norm):
        if not (lexical and lexical[0] == "yes" and norm.split()[0] in _YES_WORDS):
            return "unsure", "clear"  # "my husband had a vasectomy": the team asks

    if traits.get("every_part") and lexical is not None and lexical[0] == "unsure":
        said = [_clause_value(c, present_use) for seg in segments for c in _clauses(seg)]
        values = {v[0] for v in said if v is not None}
        parts = [str(w) for w in traits.get("every_part", ())]
        plain_no = any(
            v == ("no", "clear") and _words_in(c, parts)
            for v, c in zip(said, [c for seg in segments for c in _clauses(seg)], strict=True)
        )
        if plain_no and values <= {"yes", "no"} and not _UNSURE.search(norm):
            return "no", "inferred"  # "I'll take the tests but I don't want to use birth control"
    if traits.get("helped_means") == "no":
        if re.search(r"\b(remember|recall|know|sure) (if|whether)\b", norm):
            return "unsure", "clear"  # "I can't remember if it helped"
        if _HELPED_PART.search(norm) and not re.search(
            r"\bnot enough\b|\bbut not\b|\bstill (there|has|have|bad|red|active)\b"
            r"|\b(comes|came|keeps coming|kept coming) back\b"
            r"|\b(is|s|was|are|were) (right |straight |just |all )?back\b",
            norm,
        ):
            return "unsure", "clear"
        if _NO_CREAM.search(norm):
            return "no", "clear"
        if _HELPED_NOT.search(norm) or _condition().still_has.search(norm):
            return "yes", "clear"
        if _HELPED.search(norm):
            if lexical is not None and lexical[0] == "unsure":
                return lexical
            if lexical is not None and lexical[0] == "yes" and _SOFT_YES.search(norm):
                return "unsure", "clear"
            return "no", "clear"

    if traits.get("stop_plan"):
        if _WONT_STOP.search(norm):
            return "no", "clear"
        if re.search(r"\bwilling\b", norm):
            if _negated(norm, "willing"):
                return "no", "clear"  # "not willing, no"
            if re.search(r"\b(as long as|if|only if|provided)\b", norm):
                return "unsure", "clear"  # "he'd be willing, as long as the itch is ok"
            return "yes", "clear"  # "willing"
        if _CAN_STOP.search(norm):
            return ("unsure" if _UNSURE.search(norm) else "yes"), "clear"
        if _STAYING_OFF.search(norm):
            return "yes", "clear"  # "stopped last week and not going back on it"
        rule = criterion_duration(criterion)
        days = [d for _, d in _durations(entities)]
        if _RECENT_USE.search(norm) and not _STOP_WORD.search(norm):
            return "no", "clear"
        if re.search(
            r"\b(stopped|quit|came off|been off|off (it|them))\b.*\b(months|years|a long time|ages|"
            r"a while|a year|a month|a couple of months|a few months) ago\b",
            norm,
        ):
            return "yes", "clear"  # "no I stopped months ago": the no is to still using them
        hedged = re.search(r"\b(like|about|around|roughly|maybe|or so|ish|give or take)\b", norm)
        if days and rule is not None:
            if max(days) < rule[1] and hedged:
                return "unsure", "clear"  # "it's been like a week": close, the team asks
            return ("yes" if max(days) >= rule[1] else "no"), "clear"
        norm = _unit_typos_fixed(norm)  # "havent used it in 3 weks"
        ago = re.search(
            r"\b(stopped|quit|last used|came off|been off|off (it|them))\b.*\b"
            rf"(\d{{1,3}}|{WORD_NUMBER}) (day|days|week|weeks|month|months|year|years) ago\b",
            norm,
        )
        if ago and rule is not None and not days:
            number = parse_number(ago.group(3))
            unit = {"day": 1, "week": 7, "month": 30, "year": 365}[ago.group(4).rstrip("s")]
            if number is not None:
                return ("yes" if number * unit >= rule[1] else "no"), "clear"
        unused = re.search(
            r"\b(have not|has not|not|never) (used|put|applied|touched|had)\b.*\b(in|for) "
            rf"(over |more than |about |almost )?(\d{{1,3}}|{WORD_NUMBER}|a|an|a few|a couple of) "
            r"(day|days|week|weeks|month|months|year|years)\b",
            norm,
        )
        if unused and rule is not None:
            count = {"a": 1, "an": 1, "a few": 3, "a couple of": 2}.get(unused.group(5))
            number = count if count is not None else parse_number(unused.group(5))
            unit = {"day": 1, "week": 7, "month": 30, "year": 365}[unused.group(6).rstrip("s")]
            if number is not None:
                return ("yes" if number * unit >= rule[1] else "no"), "clear"
        if re.search(r"\bnot for (months|weeks|a long time|ages|years)\b", norm) or re.search(
            r"\b(have not|has not|not) (used|put|applied|touched)\b.*\b(in|for) (months|weeks|"
            r"ages|years|a long time|a while|over a month)\b",
            norm,
        ):
            return "yes", "clear"

    if traits.get("change_means") == "no":
        days_ago = [d for role, d in _durations(entities) if role == "ago"]
        spans = [d for role, d in _durations(entities) if role == "for"]
        rule = criterion_duration(criterion)
        if _UNSURE.search(norm):
            return "unsure", "clear"  # "my doctor might change things", "can't promise"
        if _NO_CHANGE.search(norm):
            return "yes", "clear"
        if _CHANGE_WORD.search(norm) and not re.search(r"\bsame\b", norm):
            if days_ago and rule is not None and min(days_ago) >= rule[1]:
                return "yes", "clear"
            if re.search(r"\b(dose|bit|little)\b", norm) and lexical and lexical[0] == "unsure":
                return lexical
            return "no", "clear"
        if spans and rule is not None and re.search(r"\bsame\b|\bsince\b", norm):
            return ("yes" if max(spans) >= rule[1] else "no"), "clear"
        if re.search(r"\bsame\b", norm) and not _SUBJ_NEG.match(norm) and lexical is None:
            return "yes", "clear"
        steady = re.search(r"\b(stable|unchanged|steady)\b", norm)
        if steady and lexical is None:
            # "stable", "all unchanged"; "not stable" is a change
            return ("no" if _negated(norm, steady.group(0)) else "yes"), "clear"

    for pattern in traits.get("deny", ()):
        if re.search(str(pattern), norm):
            return "no", "clear"
    if _words_in(norm, traits.get("unsure_words", ())):
        return "unsure", "clear"

    if _UNSURE.search(norm) and not (lexical and lexical[0] == "no" and _SOFT_NO.search(norm)):
        return "unsure", "clear"

    purpose = [str(w) for w in traits.get("for_only", ())]
    if purpose and re.search(
        rf"\b(never|not|no|but not)( \w+)? for (the |my |her |his |their )?"
        rf"({'|'.join(map(re.escape, purpose))})\b",
        norm,
    ):
        return "no", "clear"  # "prednisone for asthma, never for the dermatomyositis"
    if purpose and re.search(
        rf"\bfor (?!(the |my |her |his |their )?({'|'.join(map(re.escape, purpose))})\b)\w+\b.*"
        rf"\bnot (for )?(the |my |her |his |their )?({'|'.join(map(re.escape, purpose))})\b",
        norm,
    ):
        return "no", "clear"  # "a shot once, but that was for arthritis, not the DM"
    if (
        purpose
        and re.search(
            r"\bfor (something|some thing|another|a different|other|an other) ?(else|thing|reason|"
            r"condition|problem|issue)?\b",
            norm,
        )
        and not _words_in(norm, purpose)
    ):
        return "no", "clear"  # "prednisone, but for something else"
    others = [str(w) for w in traits.get("only_other", ())]
    own = _mentions(entities, traits.get("medicines", ()))
    if (
        others
        and not [st for st in own if st != "never"]
        and re.search(
            rf"\b(only|just)( \w+)?( \w+)? ({'|'.join(map(re.escape, others))})\b"
            rf"|\b({'|'.join(map(re.escape, others))}) only\b",
            norm,
        )
    ):
        return "no", "clear"  # "only creams" (steroid pills?), "just prednisone" (other?)
    roles = [*traits.get("medicines", ()), *traits.get("negated_medicines", ())]
    if roles and _mentions(entities, roles):
        if _TRIED.search(norm) and not _NEVER.search(norm):
            return "yes", "clear"  # "couldn't tolerate methotrexate": it was taken
        if _NOT_STARTED.search(norm) and not _USED.search(norm):
            return "no", "clear"  # "the doctor wanted me to try it but I said no"

    time = traits.get("time")
    named = [m.group(0) for m in _condition().names.finditer(norm)] if traits.get("affirm") else []
    if named and all(_negated(norm, w) for w in named) and traits.get("yes_even_after_no"):
        return "no", "clear"  # "they diagnosed me with lupus, not dermatomyositis"
    for pattern in traits.get("yes_even_after_no", ()):
        m = re.search(str(pattern), norm)
        if m and not _negated(norm, m.group(0).split()[-1]):
            return "yes", "clear"  # "no, not now, it's in remission, but I was diagnosed in 2010"
    if time == "now" and _symptom_now(segments, traits):
        return "yes", "clear"  # "no rash right now but my scalp is itchy", "still red"
    if time == "now":
        if _ON_OFF.search(norm):
            return "unsure", "clear"
        if _PAST_NOW.search(norm) and not _ONGOING.search(re.sub(r"\bnot since\b", " ", norm)):
            return "no", "clear"
    if time == "ever":
        past = _PAST.search(norm) or re.search(r"\bsince\b", norm)
        if past and not _NEVER.search(norm) and not re.search(r"\bnot yet\b", norm):
            return "yes", "inferred" if lexical is None or lexical[0] != "yes" else "clear"

    never_only = traits.get("negated_medicines", ())
    if never_only:
        statuses = _mentions(entities, never_only)
        if statuses and all(s == "never" for s in statuses):
            return "no", "clear"
    medicines = traits.get("medicines", ())
    if medicines:
        statuses = _mentions(entities, medicines)
        if any(s != "never" for s in statuses):
            if lexical is None or lexical[0] == "yes" or not re.match(r"^(no|nope|nah)\b", norm):
                return "yes", "clear"
        if statuses and all(s == "never" for s in statuses):
            return "no", "clear"

    if lexical is not None:
        return lexical

    affirm = _words_in(norm, traits.get("affirm", ()))
    if affirm:
        if all(_negated(norm, w) for w in affirm):
            return "no", "clear"
        if not any(_negated(norm, w) for w in affirm):
            return "yes", "inferred"
    if (
        time == "now"
        and not re.search(r"\b(not|no|never|nothing|none)\b", norm)
        and (_ONGOING.search(norm) or re.search(r"\b(right now|at the moment|currently)\b", norm))
    ):
        return "yes", "inferred"
    return None


# A reply that ends with its own conclusion: "... my gynecologist says I'm not through it yet.
# So technically yes.", "..., so that's a no".
_CONCLUSION = re.compile(
    r"\bso (technically |basically |i guess |i would say |i d say )?"
    r"(that is |that s |it is |it s )?(a |the answer is )?(?P<v>yes|no)( for me| then)?$"
)


# A story's last sentence that starts with its answer and only stresses it: "... So no,
# definitely not." / "... So yes, technically it's still possible, as crazy as that sounds."
_CONCLUDING = re.compile(
    r"^(and |but )?so (technically |basically |i guess |i would say |i d say )?(?P<v>yes|no)\b"
    r"(?!.*\b(but|though|unless|except|maybe|not sure|if|yes|no)\b)"
)


def _concluding_sentence(text: str) -> re.Match[str] | None:
    sentences = [s for s in re.split(r"[.!?\n]+", text) if s.strip()]
    if len(sentences) < 2:
        return None
    return _CONCLUDING.search(_norm(sentences[-1]))


_THEN = re.compile(
    r"\b(was|were|ago|last (week|month|year|time)|before|used to|had|went|cleared)\b"
)
_NOW_CUE = re.compile(
    r"\b(still|now|right now|at the moment|currently|today|these days|is|are|am|keeps|has been|"
    r"have been|this week|lately)\b"
)


def _symptom_now(segments: Sequence[str], traits: Mapping[str, Any]) -> bool:
    """A "right now?" question answered by a symptom said in the present, after a no about
    something else: "no rash right now but my scalp is itchy", "it hasn't cleared, still red"."""
    norm = " ".join(segments)
    if not re.match(
        r"^((it|it s|it is|they) )?"
        r"(no|nope|nah|not|comes and goes|come and go|on and off|off and on)\b",
        norm,
    ):
        return False
    clauses = [c for segment in segments for c in _clauses(segment)]
    for clause in clauses[1:] if norm.startswith(("no", "nah", "not")) else clauses:
        affirm = _words_in(clause, traits.get("affirm", ()))
        if not affirm or any(_negated(clause, w) for w in affirm):
            continue
        if _THEN.search(clause) or _PAST_NOW.search(clause) or not _NOW_CUE.search(clause):
            continue
        return True
    return False


_TRIED = _rx(
    r"\b(could not|can not|did not|do not) (tolerate|handle|stand|take it|keep it down)\b",
    r"\ballergic\b",
    r"\bside effects?\b",
    r"\bmade me (sick|ill|feel)\b",
    r"\b(bad |a )?reaction\b",
    r"\bhad to (stop|quit|come off|get off)\b",
    r"\b(did not|does not|didn t) (work|help|do (much|anything))\b",
    r"\bno (luck|joy|success|improvement|relief|benefit|results?)\b",
)
_NOT_STARTED = _rx(
    r"\b(have not|has not|never|did not|not yet|yet to) (started|start|begun|begin|tried|try)\b",
    r"\b(i|she|he|we) (said no|refused|declined|turned (it|them) down)\b",
    r"\b(offered|suggested|recommended|talked about|mentioned|wants? me to|wanted me to)\b"
    r".*\b(but|not)\b",
    r"\b(going to|gonna|about to|will|plan to|planning to|supposed to|due to) (start|begin|try)\b",
    r"\bstart(ing)? (it |them |\w+ )?next (week|month|time|visit)\b",
)
_USED = _rx(r"\b(took|taken|taking|was on|been on|am on|is on|used|using|tried it)\b")
# After a reply's first word, what can turn a "no" into something else: "no pills but a
# steroid shot", "no rash but my scalp itches", "no? i think".
_BUT = re.compile(r"\b(but|only|just|except|besides|apart from|still|although|though)\b")
# In-reply self-correction: "no... actually yes", "nope, oh wait, yes prednisone".
_SELF_FIX = re.compile(
    r"\b(oh wait|wait|actually|i mean|i meant|scratch that|oops|hold on|sorry)\b"
)
# A reason that is not a refusal: "no need, I'm not sexually active", "husband had a vasectomy".
_NO_NEED = _rx(
    r"\bno need\b",
    r"\b(do not|does not|would not) need (it|to|one|them|birth control)\b",
    r"\bnot (sexually )?active\b",
    r"\b(abstinent|celibate|vasectomy|gay|lesbian|same sex)\b",
    r"\b(can not|could not) (take|use|have) (the |a )?(pill|pills|hormones|birth control)\b",
)


def _fails_and_ends(criterion: eligibility.Criterion, value: Value) -> bool:
    """Would this answer end the prescreen (a fail on an ``on_fail: end`` question)?"""
    if criterion.on_fail != "end" or not criterion.accepts(value):
        return False
    return criterion.verdict(value) == "fail"  # type: ignore[arg-type]


def _checked(
    criterion: eligibility.Criterion, text: str, entities: Sequence[Mapping[str, Any]]
) -> tuple[Value, Sure] | None:
    """The answer, unless something else in the reply says otherwise.

    A reading that would end the prescreen must not be a guess: when another part of the
    reply points the other way (a self-correction, a medicine the question asks about, a
    symptom after "but", a question, a "?" after the "no") the answer is the later word, "not
    sure", or none (the question is asked again).
    """
    low = text.translate(answers._QUOTES).lower()  # noqa: SLF001
    fixes = [
        m
        for m in _SELF_FIX.finditer(low)
        if low[: m.start()].strip(" ,.!-") and not _ADVERB_SPOT.search(low[: m.start()])
    ]
    if fixes:
        cut = fixes[-1]
        after = _answer_yes_no(
            criterion, text[cut.end() :], [e for e in entities if _start(e) >= cut.end()]
        )
        before = _answer_yes_no(
            criterion, text[: cut.start()], [e for e in entities if _start(e) < cut.start()]
        )
        if after is not None and before is not None and after[0] != before[0]:
            return after[0], "inferred"
        if after is None and before is not None and "?" in low[cut.end() :]:
            if _fails_and_ends(criterion, before[0]):
                return None  # "no, wait, does a medrol dose pack count?": a question
    found = _answer_yes_no(criterion, text, entities)
    if found is None or not _fails_and_ends(criterion, found[0]):
        return found
    value = found[0]
    norm = _norm(text)
    traits = criterion.reading
    if any(_is_question(s) or s.strip().endswith("?") for s in _segments(text)):
        if re.match(r"^\s*(no|nope|nah|n)\s*\?", low):
            return "unsure", "clear"  # "no?"
        return None  # "no. does plaquenil count?": answer the question, then ask again
    leading_no = bool(re.match(r"^(no|nope|nah|n|not|never)\b", norm))
    roles = [str(r) for r in traits.get("medicines", ())]
    tail = _BUT.search(norm)
    but_at = _BUT.search(low)
    if value == "no" and roles and leading_no and but_at:
        later = [
            e
            for e in entities
            if e.get("entity") == "medication"
            and e.get("role") in roles
            and e.get("status") != "never"
            and _confident(e)
            and _start(e) >= but_at.end()
        ]
        if later:
            return "unsure", "clear"  # "no pills but I had a steroid shot"
    if value == "no" and tail:
        rest = norm[tail.end() :]
        affirm = [w for w in _words_in(rest, traits.get("affirm", ())) if not _negated(rest, w)]
        if (
            affirm
            and not _PAST_NOW.search(rest)
            and not re.search(r"\b(ago|last year|was|were)\b", rest)
        ):
            return "unsure", "clear"  # "no rash but my scalp itches"
        later_value = _lexical([rest])
        if (
            later_value is not None
            and later_value[0] == "yes"
            and any(w in _YES_WORDS for w in rest.split())
        ):
            return "unsure", "clear"  # "no not prednisone but medrol yes"
    if value == "no" and leading_no:
        clauses = [c for seg in _segments(text) for c in _clauses(_norm(seg))]
        for clause in clauses[1:]:
            said = _clause_value(clause)
            if said and said[0] == "yes" and said[1] == "clear" and _FIRST_HAND.match(clause):
                return "unsure", "clear"  # "no, my rheumatologist did"
    return found


# "I don't actually know", "he never actually said": "actually" after a verb or a negation
# is an adverb inside the sentence, not the person taking back what they said.
_ADVERB_SPOT = re.compile(
    r"(n't|nt|\b(not|n t|never|do|did|does|is|was|am|are|have|has|had|i|he|she|it|they|we|"
    r"just))\s*$"
)


# A clause about the person or their doctor (not "but my sister did").
_FIRST_HAND = re.compile(
    r"^(i|we|my (doctor|dermatologist|rheumatologist|specialist|derm|rheum|gp|physician)|"
    r"the (doctor|dermatologist|rheumatologist|specialist|derm|rheum|gp|physician)|a (doctor|"
    r"dermatologist|rheumatologist|specialist|derm|rheum|gp|physician)|they)\b"
)


def _surface(text: str, entity: Mapping[str, Any]) -> str:
    start, end = entity.get("start"), entity.get("end")
    if isinstance(start, int) and isinstance(end, int):
        return text[start:end]
    return str(entity.get("value", ""))


def _start(entity: Mapping[str, Any]) -> int:
    start = entity.get("start")
    return start if isinstance(start, int) else 0


def criterion_duration(criterion: eligibility.Criterion) -> tuple[str, int] | None:
    rule = criterion.duration
    return (rule[0], rule[1]) if rule else None


# --- corrections -----------------------------------------------------------------------------


def _topic_of(norm: str, candidates: Sequence[eligibility.Criterion]) -> str | None:
    """The question the text names, by its longest topic words ("my prednisone dose changed"
    names the medicines-stayed-the-same one, not the steroid one)."""
    best: tuple[int, str] | None = None
    for criterion in candidates:
        topics = [str(t).lower() for t in criterion.reading.get("topic", ())]
        if criterion.kind == "age":
            topics = ["age", "how old"]
        for t in topics:
            if re.search(rf"\b{re.escape(t)}", norm) and (best is None or len(t) > best[0]):
                best = (len(t), criterion.id)
    return best[1] if best else None


_AGE_CLAIM = re.compile(
    rf"\b(i am|my age is|age is|age should be|age s|i turned|i will be)\s+"
    rf"(?:actually |really |only |just |now )?"
    rf"(\d{{1,3}}|{WORD_NUMBER})\b|"
    r"\b(\d{1,3}) not (\d{1,3})\b|\b(\d{1,3}),? not (\d{1,3})\b",
    re.IGNORECASE,
)


_AGE_TYPO = re.compile(r"\b(typo|by mistake|mistyped|(my )?(real|actual|correct|right) age)\b")


def _age_fixed(norm: str, answered: Mapping[str, Value]) -> Reading | None:
    """An age said again with the wrong one named or called a typo, at any later question:
    "I'm 56 not 25", "my real age is 41, the 25 was a typo"."""
    age_id = next((c.id for c in eligibility.filled_by("age")), None)
    old = answered.get(age_id) if age_id is not None else None
    claim = _AGE_CLAIM.search(norm)
    if age_id is None or not isinstance(old, int) or not claim:
        return None
    named_old = re.search(rf"\b{old}\b", norm[claim.end() :] + " " + norm[: claim.start()])
    # "I'm 66, not 58", "I put 58 but I just had a birthday": an age given before is named
    said_before = re.search(
        r"\b\d{1,3},? not \d{1,3}\b|\bi (put|said|typed|wrote|entered|gave) \d{1,3}\b", norm
    )
    if not named_old and not said_before and not _AGE_TYPO.search(norm):
        return None
    years = parse_number(next(g for g in claim.groups()[1:] if g))
    if years is None or int(years) == old or not answers.MIN_AGE <= years <= answers.MAX_AGE:
        return None
    criterion = next(c for c in eligibility.load_criteria() if c.id == age_id)
    sure: Sure = "inferred" if _fails_and_ends(criterion, int(years)) else "clear"
    return Reading("correction", int(years), sure, target=age_id)


def _moved_by_content(
    norm: str, target: str | None, earlier: Sequence[eligibility.Criterion]
) -> str | None:
    """A correction that names its question loosely ("about the cream question", "the
    medicine one") or not at all, whose words say what a neighbouring question asks ("I
    don't want to stop", "a new pill next month"): that neighbour (criteria data: a
    question's ``fix_cues`` patterns, and ``near``, the questions it may be mistaken for)."""
    for criterion in earlier:
        cues = criterion.reading.get("fix_cues")
        if not cues or criterion.id == target:
            continue
        if target is not None and target not in criterion.reading.get("near", ()):
            continue
        if _cues(tuple(str(p) for p in cues)).search(norm):
            return criterion.id
    return None


_EXCEPT = r"\b(besides|other than|except( for)?|apart from|aside from)"


def _correction(
    reply: Reply,
    asking: eligibility.Criterion | None,
    answered: Mapping[str, Value],
    last: str | None,
) -> Reading | None:
    text = reply.text
    norm = _norm(text)
    explicit = _EXPLICIT_FIX.search(norm)
    soft = _SOFT_FIX.search(norm)
    fixed_age = _age_fixed(norm, answered) if asking is None or asking.kind != "age" else None
    if fixed_age is not None:
        return fixed_age
    if not explicit and not soft:
        return None
    criteria = eligibility.load_criteria()
    by_id = {c.id: c for c in criteria}
    earlier = [c for c in criteria if c.id in answered and (asking is None or c.id != asking.id)]
    if not earlier:
        return None
    # An age said again ("actually I'm 52, not 25"), away from the age question.
    age_id = next((c.id for c in eligibility.filled_by("age")), None)
    if age_id is not None and age_id in answered and (asking is None or asking.id != age_id):
        claim = _AGE_CLAIM.search(norm)
        pregnancy_answer = (
            asking is not None
            and asking.reading.get("cannot_be_pregnant")
            and not explicit
            and not re.search(r"\b\d{1,3},? not \d{1,3}\b", norm)
        )
        if claim and not pregnancy_answer:  # "no, I'm 60" answers "could you become pregnant?"
            number = next(g for g in claim.groups()[1:] if g)
            years = parse_number(number)
            if years is not None and answers.MIN_AGE <= years <= answers.MAX_AGE:
                sure: Sure = "inferred" if _fails_and_ends(by_id[age_id], int(years)) else "clear"
                return Reading("correction", int(years), sure, target=age_id)
    marker = explicit or soft
    rest = norm[marker.end() :].strip() if marker else norm
    target: str | None = None
    if _BACK_REF.search(norm):
        target = last
    # "never been on anything besides prednisone": what is excepted names no question
    named_norm = re.sub(_EXCEPT + r" \w+", " ", norm)
    if target is None:
        ref = _TOPIC_REF.search(named_norm)
        if ref:
            target = _topic_of(ref.group(2), earlier)
    if target is None:
        named = _topic_of(named_norm, earlier)
        if named is not None:
            target = named
    if target is None:
        # a medicine an earlier question asked about: "actually I've never taken methotrexate"
        roles = _medicine_roles(negated=True)
        for entity in reply.entities:
            role = str(entity.get("role"))
            before = _norm(text[: _start(entity)]) if entity.get("start") is not None else ""
            if re.search(_EXCEPT + "$", before):
                continue  # "never been on anything besides prednisone": not about prednisone
            if entity.get("entity") == "medication" and _confident(entity) and role in roles:
                if roles[role] in answered and (asking is None or roles[role] != asking.id):
                    target = roles[role]
                    break
    moved = _moved_by_content(norm, target, earlier)
    if moved is not None:
        target = moved
    if target is None and explicit:
        target = last
    if target is None or target not in by_id or target not in answered:
        return None
    about = asking is not None and asking.reading.get("about_medicines")
    named_question = re.search(r"\b(question|one)\b", norm)
    if not explicit and about and not _NEVER.search(norm) and not named_question:
        # "sorry, I have not used steroid creams in 3 months" answers the washout question; a
        # medicine named there is what it asks about, not a change to an earlier answer
        # (unlike "actually I've never used a steroid cream").
        if by_id[target].reading.get("medicines") or by_id[target].reading.get("negated_medicines"):
            return None
    cleaned = _FIX_TALK.sub(" ", _BACK_REF.sub(" ", rest))
    cleaned = re.sub(r"\b(for|to|on|about) the \w+( one| question)?\b", " ", cleaned).strip()
    # Only the mentions in what is left: "I clicked yes on the steroid pills question, I never
    # took any" is about never, not about the pills the question named.
    kept = [e for e in reply.entities if _norm(_surface(reply.text, e)) in cleaned]
    value = _answer(by_id[target], cleaned, kept, reply) if cleaned else None
    undo = re.match(r"^(no|nope|nah) (?=(i|she|he|we|they|my|it)\b)", cleaned)
    if undo and value is not None:
        # "wait no, I did have a biopsy": the no takes back the old answer
        later = _answer(by_id[target], cleaned[undo.end() :], kept, reply)
        if later is not None and later[0] != value[0]:
            value = later
    if value is None and marker is not None:
        # "the cream did help, I misread the last one": the new value came first.
        before = _FIX_TALK.sub(" ", _SOFT_FIX.sub(" ", norm[: marker.start()])).strip()
        if before:
            value = _answer(by_id[target], before, reply.entities, reply)
        if value is None:  # "the last one should be no": the marker holds the value
            own = _FIX_TALK.sub(" ", marker.group(0)).strip() or marker.group(0)
            value = _answer(by_id[target], own, reply.entities, reply)
    roles_of_target = [
        *by_id[target].reading.get("medicines", ()),
        *by_id[target].reading.get("negated_medicines", ()),
    ]
    if value is None and roles_of_target:
        statuses = _mentions(reply.entities, roles_of_target)
        if statuses:
            value = ("no" if all(s == "never" for s in statuses) else "yes"), "clear"
    if value is None:
        return None
    if value[0] not in by_id[target].replies and not isinstance(value[0], int):
        return None
    how: Sure = "inferred" if _fails_and_ends(by_id[target], value[0]) else value[1]
    return Reading("correction", value[0], how, target=target)


# --- other facts in the same reply ----------------------------------------------------------


def _other_facts(
    text: str,
    asking: str | None,
    answered: Mapping[str, Value],
    entities: Sequence[Mapping[str, Any]],
) -> dict[str, Value]:
    """Answers to later questions that a reply gives on the way ("52 and yes I was diagnosed
    in 2021", "yes, and the rash is still there now"): a clause that a question's ``also_when``
    words name (criteria.yml) is read as a reply to that question. Only a clear yes or no (or
    "does not apply") is kept; the prescreen records it and skips that question."""
    criteria = [c for c in eligibility.load_criteria() if c.reading.get("also_when")]
    wanted = [c for c in criteria if c.id != asking and c.id not in answered]
    cues = {c.id: _cues(tuple(str(p) for p in c.reading.get("also_when", ()))) for c in wanted}
    whole = _norm(text)
    wanted = [c for c in wanted if cues[c.id].search(whole)]  # most replies: none, done
    if not wanted:
        return {}
    clauses = [
        c
        for segment in _segments(text)
        if not _is_question(segment)
        for c in re.split(r"\b(?:and|but|plus|also|so)\b", _norm(segment))
        if c.strip()
    ]
    # whole sentences too, for a fact an "and" splits ("I still use clobetasol and it barely
    # helps", "rash on my eyelids and knuckles right now"); clauses are tried first
    sentences = [
        _norm(s) for s in re.split(r"[.!?\n]+", text) if s.strip() and not s.strip().endswith("?")
    ]
    found: dict[str, Value] = {}
    for criterion in wanted:
        for clause in [*clauses, *sentences]:
            if not cues[criterion.id].search(clause):
                continue
            value = _answer_yes_no(criterion, clause, entities)
            if value is None:
                continue
            if value[0] in ("yes", "no", "not_applicable"):
                found[criterion.id] = value[0]
            break  # a not sure one is not kept, and not read again in longer words
    return found


@functools.cache
def _cues(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return _rx(*patterns)


# --- beside the main reading: another person's facts, and the question asked ---------------

# A clause whose subject is someone else ("my sister was on prednisone for her DM") beside one
# about the person ("I haven't been"): only the person's own clause answers for them.
_OTHER_SUBJECT = re.compile(rf"^(and |but |while |whereas )?(my ({_REL})|she|he)\b")
_OWN_SUBJECT = re.compile(r"\b(i|me|myself|mine)\b")
_NOT_ME = re.compile(r"^(but )?(not|never) (me|myself|for me)$")
_CLAUSE_SPLIT = re.compile(r"\b(?:but|while|whereas|though|although)\b")


def _part(reply: Reply, part: str) -> Reply:
    """Part of a reply, with only the mentions inside it (their offsets moved to match)."""
    at = reply.text.find(part)
    if at < 0:  # rebuilt text: mentions matched by their words, offsets dropped
        kept = [
            {k: v for k, v in e.items() if k not in ("start", "end")}
            for e in reply.entities
            if _norm(_surface(reply.text, e)) in _norm(part)
        ]
        return replace(reply, text=part, entities=kept)
    inside = []
    for e in reply.entities:
        start, end = e.get("start"), e.get("end")
        if isinstance(start, int) and isinstance(end, int):
            if at <= start and end <= at + len(part):
                inside.append({**e, "start": start - at, "end": end - at})
        elif _norm(str(e.get("value", ""))) in _norm(part):
            inside.append(dict(e))
    return replace(reply, text=part, entities=inside)


def _own_part(reply: Reply, norm: str) -> Reply | None:
    """The reply without the clauses about another person, when it also speaks of the person
    themselves; None when it does not do both (then the whole reply is read as it is)."""
    if reply.for_someone_else or not _NAMES_OTHER.search(norm):
        return None
    parts = [
        p.strip()
        for segment in _segments(reply.text)
        for p in _CLAUSE_SPLIT.split(_norm(segment))
        if p and p.strip()
    ]
    other = [p for p in parts if _OTHER_SUBJECT.match(p) and not _OWN_SUBJECT.search(p)]
    own = [p for p in parts if p not in other]
    if not other or not own or not any(_OWN_SUBJECT.search(p) for p in own):
        return None
    return _part(reply, ", ".join("no" if _NOT_ME.match(p) else p for p in own))


# After a correction, a new sentence "And yes ..." / "Yes to this one" answers the question
# being asked too: "I put my age wrong, I'm 63. And yes I can stop them".
_AND_ANSWER = re.compile(
    r"^(and |also |plus |so |but |oh )*(yes|yeah|yep|yup|no|nope|nah|not sure)\b"
    r"|\b(to|for|on) this (one|question)\b|\bthis one too\b"
)


def _split_trailing_answer(text: str) -> tuple[str, str] | None:
    """A reply's head and its last sentences, when those start with a plain answer word."""
    segments = _segments(text)
    for i in range(1, len(segments)):
        if not re.search(r"[.!?\n]\s*$", segments[i - 1]):
            continue  # a new sentence, not "wait, the rash, yes I have it" (the fix's value)
        if _AND_ANSWER.search(_norm(segments[i])) and not _is_question(segments[i]):
            head = "".join(segments[:i]).strip()
            tail = "".join(segments[i:]).strip()
            if head and tail:
                return head, tail
    return None


def _answer_in(
    reply: Reply, criterion: eligibility.Criterion, text: str, other: bool = False
) -> Value | None:
    """A clear answer to ``criterion`` in part of a reply (its own mentions only), or None."""
    values: list[Value] = []
    for segment in _segments(text):
        seg_norm = _norm(segment)
        if not seg_norm or _is_question(segment) or _FOR_OTHER.search(seg_norm):
            continue
        part = replace(_part(reply, segment), for_someone_else=other or reply.for_someone_else)
        found = _answer(criterion, part.text, part.entities, part)
        if found is not None and (criterion.takes_number or criterion.accepts(found[0])):
            values.append(found[0])
    if not values or len(set(values)) > 1:
        return None
    return values[0]


def _after_other(reply: Reply, criterion: eligibility.Criterion | None) -> dict[str, Value]:
    """ "This is for my husband. He's on methotrexate": what follows the switch answers the
    question being asked, about that person."""
    if criterion is None:
        return {}
    segments = _segments(reply.text)
    at = next((i for i, s in enumerate(segments) if _FOR_OTHER.search(_norm(s))), None)
    if at is None or at + 1 >= len(segments):
        return {}
    value = _answer_in(reply, criterion, "".join(segments[at + 1 :]), other=True)
    return {} if value is None else {criterion.id: value}


# --- the whole reply -------------------------------------------------------------------------


def _relation(norm: str) -> str | None:
    m = re.search(rf"\b(my|her|his|for) ({_REL})\b", norm)
    return RELATIONS[m.group(2)] if m else None


def _read_who(norm: str) -> Reading | None:
    helped = re.search(
        r"\b(helping|helps|help) me\b|\bi am the patient\b|\b(typing|writing) (this )?for me\b"
        r"|\b(these|they|the answers) are (all )?(my own|my|mine)\b|\bmy (own )?answers\b",
        norm,
    )
    if not _OTHER_WHO.search(norm):
        m = re.search(r"\b(?:for )?(my|her|his) (\w+)\b", norm)  # "for my husbnad", "my dauter"
        close = difflib.get_close_matches(m.group(2), list(RELATIONS), 1, 0.8) if m else []
        if m and close:
            norm = norm.replace(m.group(2), close[0])
    self_too = re.search(r"(?<!\bnot )\b(about|for) me\b|\bit is me\b", norm)
    if _OTHER_WHO.search(norm) and not self_too:
        if helped:
            return Reading("answer", "self", "clear", target=WHO)  # "my daughter is helping me"
        return Reading("answer", "someone_else", "clear", target=WHO, relation=_relation(norm))
    if _SELF_WHO.search(norm):
        return Reading("answer", "self", "clear", target=WHO)
    words = norm.split()
    if words and difflib.get_close_matches(words[-1], ["myself", "me", "self"], n=1, cutoff=0.7):
        return Reading("answer", "self", "inferred", target=WHO)
    return None


# A bare call for attention or "what", not a question about the study: asked again.
_PHATIC = re.compile(r"^(hello|hi|hey|helo|hellooo*|anyone there|what|wut|wat|huh|eh)$")


def read(
    reply: Reply,
    asking: str | None,
    answered: Mapping[str, Value] | None = None,
    last: str | None = None,
) -> Reading:
    """Read one reply to the question ``asking`` (a criterion id, ``WHO``, or None).

    ``answered`` are the answers so far and ``last`` the question answered just before, so a
    correction ("I meant no", "actually I'm 52") knows what it corrects.
    """
    answered = dict(answered or {})
    text = reply.text or ""
    if reply.intent == "safety_resume":
        return Reading("safety_resume")
    criterion = next((c for c in eligibility.load_criteria() if c.id == asking), None)
    pressed = " ".join(text.lower().split())
    offered = {" ".join(b.lower().split()) for b in reply.buttons}
    if pressed in offered and pressed in BUTTON_VALUES:
        value = BUTTON_VALUES[pressed]
        if criterion is not None and value == "not_applicable":
            value = criterion.reading.get("cannot_be_pregnant", value)
        return Reading("answer", value, "button", target=asking)
    norm = _norm(text)
    if not norm:
        return Reading("unclear")
    if _RESTART.search(norm):
        return Reading("restart")
    if _WITHDRAW.search(norm):
        return Reading("withdraw")
    plan = criterion is not None and criterion.reading.get("stop_plan")
    if _STOP.match(norm) or (_PAUSE.search(norm) and not (plan and _CAN_STOP.search(norm))):
        return Reading("stop")
    if asking == WHO:
        who = _read_who(norm)
        if who is not None:
            also = {**facts_from_entities(reply.entities), **_other_facts(text, WHO, answered, ())}
            stated = re.search(
                r"\b(i am|he is|she is|they are|he s|she s|hes|shes|he's|she's|age|aged) "
                r"(\d{1,3})\b",
                norm,
            )
            if not stated and who.value == "self":  # "myself. 64, diagnosed in 2017"
                stated = next(
                    (
                        m
                        for seg in _segments(text)[1:]
                        if (m := re.fullmatch(r"()(\d{2,3})", _norm(seg))) is not None
                    ),
                    None,
                )
            if "age" not in also and stated and "age" not in answered:
                years = int(stated.group(2))
                if CHILD_AGE <= years <= answers.MAX_AGE:
                    also["age"] = years  # "my son. he is 22"
            return Reading(
                who.kind, who.value, who.sure, who.target, also, who.someone_else, who.relation
            )
    elif _FOR_OTHER.search(norm):
        also = _after_other(reply, criterion)
        return Reading("someone_else", also=also, someone_else=True, relation=_relation(norm))
    elif (_FOR_SELF.search(norm) or _condition().for_self.search(norm)) and not (
        criterion is not None
        and (not_able := _not_able(criterion.id)) is not None
        and not_able.search(norm)
    ):
        # "I'm the patient" undoes a wrong switch, but "my wife could, but I'm the patient and
        # I'm a guy" answers "could you become pregnant?"
        return Reading("self")
    if _WHY.search(norm):
        return Reading("why")
    third = bool(_THIRD_PERSON.search(norm)) and (
        not _FIRST_PERSON.search(norm) or bool(_NAMES_OTHER.search(norm))
    )

    # the pregnancy question's own "I can't get pregnant" wins over a correction
    back_fix = _EXPLICIT_FIX.search(norm) and _BACK_REF.search(norm)
    if criterion is not None and criterion.reading.get("cannot_be_pregnant") == "not_applicable":
        not_able = _not_able(criterion.id)
        if not_able is not None and not_able.search(norm) and not back_fix:
            return Reading("answer", "not_applicable", "clear", target=asking, someone_else=third)
    split = _split_trailing_answer(text) if criterion is not None else None
    if split is not None and criterion is not None:
        head, tail = split
        roles = _medicine_roles(negated=True)
        # "No methotrexate or anything." names another question's medicine: still the fix
        elsewhere = any(
            roles.get(str(e.get("role"))) not in (None, criterion.id)
            for e in _part(reply, tail).entities
            if e.get("entity") == "medication"
        )
        fixed = None if elsewhere else _correction(_part(reply, head), criterion, answered, last)
        now = _answer_in(reply, criterion, tail) if fixed is not None else None
        if fixed is not None and fixed.target != criterion.id:
            also = {**fixed.also, **({criterion.id: now} if now is not None else {})}
            return replace(fixed, also=also)
    fixed = _correction(reply, criterion, answered, last)
    if fixed is not None:
        return fixed
    own = _own_part(reply, norm) if criterion is not None else None
    if own is not None and criterion is not None:
        found = _answer(criterion, own.text, own.entities, own)
        if found is not None and criterion.accepts(found[0]):
            value, sure = found
            if _fails_and_ends(criterion, value):
                sure = "inferred"
            return Reading("answer", value, sure, target=asking)
    if criterion is not None:
        found = _answer(criterion, text, reply.entities, reply)
        if found is not None and (criterion.takes_number or criterion.accepts(found[0])):
            value, sure = found
            if criterion.kind == "age" and isinstance(value, int) and third:
                sure = "clear"
            if _fails_and_ends(criterion, value):
                sure = "inferred"  # typed, and it would end the prescreen: confirmed first
            facts = {
                **_other_facts(text, asking, answered, reply.entities),
                **facts_from_entities(reply.entities),
            }
            also = {
                key: fact
                for key, fact in facts.items()
                if key != criterion.id and key not in answered
            }
            return Reading("answer", value, sure, target=asking, also=also, someone_else=third)
        if criterion.kind == "age" and answers.implausible_age(text):
            return Reading("unclear", IMPLAUSIBLE_AGE)
    if _PHATIC.match(norm):
        return Reading("unclear", someone_else=third)  # "hello?", "what": nothing asked yet
    if any(_is_question(s) or s.strip().endswith("?") for s in _segments(text)):
        return Reading("question")
    if reply.intent == "why_ask":
        return Reading("why")
    if reply.intent == "stop_prescreen":
        return Reading("stop")
    if reply.intent == "restart_prescreen":
        return Reading("restart")
    return Reading("unclear", someone_else=third)
