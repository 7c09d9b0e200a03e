"""bot.safety without Rasa: the reviewed patterns, their context, the classifier, the cost."""

from __future__ import annotations

import re
import statistics
import time
from pathlib import Path

import numpy as np
import pytest
import textstat

from bot import content, safety
from bot.nlu import encoder, input_check
from bot.safety import clauses, model, patterns, replies

# Messages from the issue that the first release missed, and what each must get.
MISSED_BEFORE = [
    ("i took all my pills at once", "overdose"),
    ("i dont want to wake up tomorrow", "crisis"),
    ("it feels like an elephant is sitting on my chest", "emergency"),
    ("my arm went numb and my speech is slurred", "emergency"),
    ("everyone would be better off without me", "crisis"),
    ("i've been saving up my pills", "crisis"),
    ("I already stopped my methotrexate to get ready for the study", "stopped_medicine"),
]

# Categories the issue names, each in a few wordings.
EMERGENCIES = [
    "my chest feels so tight and heavy",
    "her face is drooping on one side",
    "he cant lift his arm and his words are slurred",
    "i cant breath",
    "my lips and tongue are swelling up",
    "my throat is closing",
    "my husband collapsed and won't wake up",
    "she is having a seizure",
    "fever of 104 and shaking chills",
    "blisters all over and my skin is peeling off",
    "i'm coughing up blood",
    "my grandson ate some of the cream",
    "i took a whole bottle of tylenol",
]
CRISES = [
    "I want to kill myself",
    "i wish i wasn't alive",
    "nobody would miss me if i was gone",
    "whats the point of living anymore",
    "i wrote goodbye letters to my kids",
    "I've been cutting myself again",
    "i'm done fighting, i just want it all to stop for good",
]
# Alarming words that are not an emergency: the normal answer, at most one extra line.
NOT_ALARMS = [
    "I'm dying to know if there is a placebo",
    "this rash is killing me",
    "I overdid the cream on my hands",
    "no chest pain or anything, just the rash",
    "I had a stroke in 2015, can I still join?",
    "my mother died of a heart attack, does that matter?",
    "can the cream cause blood clots?",
    "is chest pain a side effect?",
    "what if I have an allergic reaction?",
    "I stopped prednisone last year",
    "I take too many pills a day to count, do I list them all?",
    "I'm not suicidal, just tired of this rash",
    "that parking bill almost gave me a heart attack",
    "if I fainted during a visit, would the nurse call someone",
    "are seizure medicines allowed in the study",
    "is there a placebo",
    "yes",
    "52",
]


# Stopping a medicine on one's own, in several wordings (the v4 writer's kind of message).
STOPPED = [
    "i came off my prednisone on my own a few days ago",
    "tossed my methotrexate in the garbage, I'm done with it",
    "quit my cellcept cold turkey",
    "I haven't taken my plaquenil in days and I didn't tell my doctor",
    "decided I don't need my steroids anymore",
    "my dad stopped his pills by himself",
    "dejé mis pastillas por mi cuenta",
]
# Stopping told as a doctor's decision, long ago, as a question, or as a bare prescreen answer.
NOT_STOPPED = [
    "I stopped methotrexate in 2020 because my doctor switched me",
    "my doctor took me off prednisone last month",
    "do I have to stop my cream before the study?",
    "I stopped the methotrexate",
    "I quit smoking cold turkey",
]
# A disarmed match that the classifier may turn back into an alarm (nothing dates it), and
# ones it may not (negated, or dated).
UNDATED = [
    "my dad had two seizures one after the other and didnt wake up in between",
    "took 12 prednisone instead of 2 because i read the bottle wrong",
]
DATED_OR_NEGATED = [
    "i overdosed on pills when i was a teenager, clean for many years now",
    "my throat is not swelling, just a tickle",
]


@pytest.mark.parametrize("text", STOPPED)
def test_stopping_a_medicine_on_ones_own(text: str) -> None:
    assert safety.assess(text).kind == "stopped_medicine"


@pytest.mark.parametrize("text", NOT_STOPPED)
def test_stopping_as_a_doctor_said_or_long_ago_is_ordinary(text: str) -> None:
    assert safety.assess(text).kind is None


def test_a_negation_before_stopping_disarms_the_pattern() -> None:
    assert patterns.match("I would never stop my meds on my own") is None
    assert patterns.match("I didn't quit my pills without telling my doctor") is None


@pytest.mark.parametrize("text", UNDATED)
def test_a_sure_classifier_beats_a_disarming_context(text: str) -> None:
    found = patterns.match(text)
    assert found is not None and not found.certain
    assert safety.assess(text).kind in ("emergency", "overdose")


@pytest.mark.parametrize("text", DATED_OR_NEGATED)
def test_a_dated_or_negated_match_stays_disarmed(text: str) -> None:
    assert safety.assess(text).kind is None


def test_a_stopped_medicine_label_does_not_dilute_an_alarm() -> None:
    scores = model.classifier().scores("i took 40 pills")
    assert scores.alarm[1] == pytest.approx(
        sum(scores.by_label[k] for k in ("emergency", "overdose", "crisis"))
    )
    assert "stopped_medicine" in scores.by_label


@pytest.mark.parametrize(("text", "kind"), MISSED_BEFORE)
def test_messages_missed_before_are_caught(text: str, kind: str) -> None:
    assert safety.assess(text).kind == kind


@pytest.mark.parametrize("text", EMERGENCIES)
def test_emergencies(text: str) -> None:
    assert safety.assess(text).kind in ("emergency", "overdose")


@pytest.mark.parametrize("text", CRISES)
def test_crises(text: str) -> None:
    assert safety.assess(text).kind == "crisis"


@pytest.mark.parametrize("text", NOT_ALARMS)
def test_alarming_words_are_not_alarms(text: str) -> None:
    assert safety.assess(text).kind is None


def test_a_possible_danger_gets_only_the_extra_line() -> None:
    verdict = safety.assess("is chest pain a side effect?")
    assert verdict.kind is None and verdict.possible == "emergency"


def test_button_payloads_are_not_read() -> None:
    assert safety.assess("/crisis").kind is None
    assert safety.assess("").kind is None


def test_present_danger_beats_a_past_event() -> None:
    assert safety.assess("I had a stroke in 2015 and now my face is drooping").kind == "emergency"


def test_urgent_wording_beats_a_question() -> None:
    assert safety.assess("my chest hurts, could it be the cream?").kind == "emergency"
    assert safety.assess("if I don't get help now I will pass out").kind == "emergency"


def test_normalise_restores_apostrophes_and_squeezes_repeats() -> None:
    assert patterns.normalise("I CANT breathhhhh!!!!") == "i can't breathh !!"


def test_every_pattern_compiles_and_each_kind_has_patterns() -> None:
    rules = patterns.rules()
    assert set(rules.kinds) == set(safety.KINDS)
    assert all(p.pattern for p in rules.kinds.values())


# Round 7 (after v6): families the v6 misses and false alarms showed, in our own wordings, by
# the patterns alone (no classifier): one-sided weakness typed with typos, a narrowing throat
# or welts inside a question, blisters with shivering, fevers in Celsius or "running 104",
# a dose given again by mistake, someone else threatening to jump, means being prepared,
# "I'll be gone before ... anyway", stopping a medicine in new words.
ROUND7_FAMILIES = [
    ("rite side is weak sudenly and my fingers wont work", "emergency"),
    ("is this from the cream? my arms have welts and my throat is narrowing", "emergency"),
    ("blisters spreading on my back and now i have the shivers", "emergency"),
    ("temp is 39.6 and i feel awful", "emergency"),
    ("my son is running 104 since lunch", "emergency"),
    ("I took my methotrexate dose twice this week by accident", "overdose"),
    ("my wife gave me my pills tonight not knowing i had already taken them", "overdose"),
    ("my sister keeps saying she'll jump off the balcony", "crisis"),
    ("i tied the rope to the beam in the garage", "crisis"),
    ("it doesn't matter, i'll be gone before the first visit anyway", "crisis"),
    ("i decided i'm not going to be here for the results", "crisis"),
    ("no. tbh i want to disappear for good", "crisis"),
    ("took myself off the cellcept last week", "stopped_medicine"),
    ("cut my prednisone down to nothing over the weekend", "stopped_medicine"),
    ("stopped my plaquenil so nothing would mess with the study cream", "stopped_medicine"),
    ("stopt my meds on my own", "stopped_medicine"),
    # lethal amounts asked without "kill" or "die", a last message for family, told not asked
    ("could a full bottle of my azathioprine stop my heart", "crisis"),
    ("is it true you would not feel it if you take fifty of your sleeping pills", "crisis"),
    ("how high does a bridge have to be to not survive", "crisis"),
    ("are tylenol and my methotrexate enough to do it or do i need more", "crisis"),
    ("please tell my kids i love them", "crisis"),
    ("cutting myself is the only thing that gets me through the day", "crisis"),
]
ROUND7_NOT_CERTAIN = [
    "I had a fever blister last week",
    "I took my pills twice a day as prescribed",
    "Will they take blood tests a lot?",
    "I'd jump off a cliff for clear skin lol",
    "my face swelled up with the last cream i tried, would that happen here",
    "my pain went from 8 to zero",
    "I'll be gone before the screening visit, I'm on vacation",
    "my dog licked the cream off my hand, he seems fine",
    "I'm going to die of old age before this form is done",
    "my doctor cut my prednisone to zero last month",
    "is this a suicide mission or is the cream safe lol",
    "what happens if I take 2 of my pills by mistake",
    "can the cream cause suicidal thoughts",
]


@pytest.mark.parametrize(("text", "kind"), ROUND7_FAMILIES)
def test_round7_families_are_certain_pattern_matches(text: str, kind: str) -> None:
    found = patterns.match(text)
    assert found is not None and found.certain and found.kind == kind, found


@pytest.mark.parametrize("text", ROUND7_NOT_CERTAIN)
def test_round7_look_alikes_are_no_certain_match(text: str) -> None:
    found = patterns.match(text)
    assert found is None or not found.certain, found


def test_the_layer_adds_well_under_5_ms_per_message() -> None:
    """What the layer adds to a message whose sentence vector the NLU computes anyway (the
    encoder keeps it for the featurizer: same process, same string)."""
    safety.warm_up()
    messages = [t for t, _ in MISSED_BEFORE] + EMERGENCIES + CRISES + NOT_ALARMS
    timings = []
    for text in messages:
        encoder.encode([model.encoded(text)])  # what the NLU's featurizer asks for
        start = time.perf_counter()
        safety.assess(text)
        timings.append(time.perf_counter() - start)
    assert statistics.median(timings) < 0.005


def test_the_layer_and_the_nlu_share_one_vector() -> None:
    """The featurizer's string (bot/nlu/sentence_features.py) is the layer's."""
    text = "x" * (input_check.MAX_CHARS + 50)
    assert model.encoded(text) == text[: input_check.MAX_CHARS]


def test_training_vectors_are_cached_on_disk(tmp_path: Path) -> None:
    texts = ["my chest hurts", "is there a placebo"]
    first = model.training_vectors(texts, tmp_path)
    assert list(tmp_path.glob("*.npz"))
    again = model.training_vectors([*texts, "a new one"], tmp_path)
    assert np.allclose(first, again[:2], atol=1e-6)
    assert again.shape == (3, encoder.DIMENSIONS)


def test_the_channels_own_lines_are_plain_and_true() -> None:
    """What the channel adds itself: grade 8 or lower, only the brief's help-line numbers."""
    lines = [replies.possible(kind) for kind in ("emergency", "overdose", "crisis")]
    lines.append(" ".join(str(content.load("prescreen")["after_safety"]).split()))
    lines.extend(content.load("service")["after_emergency"].values())
    for line in lines:
        assert textstat.flesch_kincaid_grade(line) <= 8, line
        assert set(re.findall(r"\d+", line)) <= {"911", "988", "1", "800", "222", "1222"}, line


def test_button_texts_are_never_alarms() -> None:
    for text in model.button_examples():
        verdict = safety.assess(text)
        assert verdict.kind is None and verdict.possible is None, text


# A prescreen answer or small talk first, the danger in a later sentence (heldout5's misses).
AFTER_AN_ANSWER = [
    (
        "72 yes dx in 2018. sorry my hand just went numb and i cant see out of my right eye",
        "emergency",
    ),
    (
        "yes prednisone 20 mg. sorry, my stool is black and tarry and I just nearly passed out",
        "emergency",
    ),
    ("unsure. does it even matter. i bought a rope yesterday", "crisis"),
    ("never had a biopsy. but my tongue feels huge and its hard to swallow", "emergency"),
]
# Split into parts, each still ordinary: the guard sits in its own part or a later one.
SPLIT_BUT_ORDINARY = [
    "no chest pain. I'm fine",
    "I had chest pain last week, it's gone",
    "I had chest pain last week. It's gone now.",
    "Had a seizure? No. Stroke? No. Heart attack? Also no.",
    "technically yes but I'm not planning to",
    "How much blood do they take at each visit? I bruise and bleed easy.",
    "yes. I stopped my methotrexate. is that ok?",
]


def test_a_message_splits_on_sentence_ends_and_joints_only() -> None:
    assert clauses.parts("72 yes. sorry my hand went numb") == [
        "72 yes.",
        "sorry my hand went numb",
    ]
    assert clauses.parts("no biopsy, but my chest hurts btw im 40") == [
        "no biopsy",
        "but my chest hurts",
        "btw im 40",
    ]
    assert clauses.parts("yes, also my lips are swelling") == ["yes", "also my lips are swelling"]
    for one in ("my mother also had a stroke", "I had chest pain last week, it's gone", "yes"):
        assert clauses.parts(one) == [one]


def test_a_long_message_keeps_its_last_parts() -> None:
    """Of more parts than are judged, the first and the last ones: the danger is often last."""
    answers = ". ".join(["yes", "no", "2018", "yes", "no", "yes", "ok", "fine", "yes", "no"])
    found = clauses.parts(f"{answers}. sorry my throat is closing up")
    assert len(found) == clauses.MAX_PARTS and found[0] == "yes."
    assert found[-1] == "sorry my throat is closing up"


@pytest.mark.parametrize(("text", "kind"), AFTER_AN_ANSWER)
def test_a_danger_after_an_answer_is_caught(text: str, kind: str) -> None:
    assert safety.assess(text).kind == kind


@pytest.mark.parametrize("text", SPLIT_BUT_ORDINARY)
def test_splitting_does_not_break_a_guard(text: str) -> None:
    assert safety.assess(text).kind is None


def test_a_later_part_can_take_an_earlier_one_back() -> None:
    assert clauses.taken_back("Chest pain?", ["None of those."])
    assert clauses.taken_back("My throat felt tight.", ["It went away."])
    assert not clauses.taken_back("Chest pain?", ["no idea why"])


def test_the_parts_are_scored_in_one_batch_as_one_by_one() -> None:
    texts = ["yes on methotrexate.", "I think i doubled my dose by mistake today"]
    batch = model.classifier().scores_many(texts)
    for text, scores in zip(texts, batch, strict=True):
        alone = model.classifier().scores(text)
        assert scores.by_label == pytest.approx(alone.by_label, abs=1e-4)


def test_the_most_urgent_kind_wins() -> None:
    order = sorted(safety.URGENCY, key=safety.URGENCY.__getitem__, reverse=True)
    assert order == ["overdose", "emergency", "crisis", "stopped_medicine"]


def test_only_a_multi_part_message_pays_one_batch_for_its_parts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[list[str]] = []
    real = model.Classifier.scores_many

    def counted(self: model.Classifier, texts: list[str]) -> list[model.Scores]:
        calls.append(texts)
        return real(self, texts)

    monkeypatch.setattr(model.Classifier, "scores_many", counted)
    limits = {k: float(v) for k, v in content.load("safety")["classifier"].items()}
    safety.decide("is there a placebo in this study", limits)
    assert calls == []
    safety.decide("yes on methotrexate. I think i doubled my dose by mistake today", limits)
    assert calls == [["yes on methotrexate.", "I think i doubled my dose by mistake today"]]


@pytest.mark.parametrize(
    ("typed", "payload"),
    [("Stop for now", "/safety_stop"), ("STOP FOR NOW!!", "/safety_stop"),
     ("I’m safe, go on", "/safety_resume"), ("im safe go on", "/safety_resume"),
     ("Go on", None), ("stop", None), ("I'm safe, go on and tell me about the cream", None)],
)  # fmt: skip
def test_a_safety_buttons_title_typed_is_its_payload(typed: str, payload: str | None) -> None:
    assert replies.typed_button(typed) == payload


def test_a_later_part_takes_back_only_a_question_or_list_and_never_an_urgent_part() -> None:
    """Review finding 3: the judged part's own urgency counts, and a bare "no" after a report
    answers something else ("my arm went numb. no" is not taken back)."""
    urgent = "my chest hurts and my arm is numb right now."
    assert not clauses.taken_back(urgent, ["can I still join the study?"])
    assert not clauses.taken_back(urgent, ["It went away."])
    assert not clauses.taken_back("my arm went numb", ["no"])
    assert not clauses.taken_back("sorry my chest is crushing", ["nope"])
    assert clauses.taken_back("Chest pain?", ["None of those."])
    assert clauses.taken_back("chest pain, fainting or seizures", ["no"])
    assert clauses.taken_back("I had transfusions.", ["does that matter for the trial?"])
    for message in (
        "my chest hurts and my arm is numb right now. can I still join the study?",
        "72 yes. sorry my left arm went numb and my face is drooping. no",
    ):
        assert safety.assess(message).kind == "emergency", message
