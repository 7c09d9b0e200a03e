"""The answers file (bot/faq/lookup.py) and the medical-advice recogniser (bot/nlu/advice.py),
without Rasa."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot import content
from bot.faq import lookup as faq
from bot.nlu import advice

ROOT = Path(__file__).resolve().parents[1]


def _nlu_topic_keys() -> set[str]:
    keys = set()
    for path in (ROOT / "data" / "nlu").rglob("*.yml"):
        for block in yaml.safe_load(path.read_text()).get("nlu") or []:
            intent = str(block.get("intent") or "")
            if intent.startswith(("faq/", "ask_team/")):
                keys.add(intent)
    return keys


def test_every_topic_the_nlu_can_choose_has_an_answer_and_a_label() -> None:
    answers, labels = faq.load(), content.topic_labels()
    keys = _nlu_topic_keys()
    assert len(keys) >= 35
    assert not keys - set(answers), "topics without an answer"
    assert not keys - set(labels), "topics without a button label"
    assert not {k for k in answers if "/" in k} - keys, "answers no topic leads to"


def test_every_topic_has_at_least_40_training_examples() -> None:
    counts: dict[str, int] = {}
    for path in (ROOT / "data" / "nlu").rglob("*.yml"):
        for block in yaml.safe_load(path.read_text()).get("nlu") or []:
            intent = str(block.get("intent") or "")
            if intent.startswith(("faq/", "ask_team/")):
                lines = [x for x in str(block["examples"]).splitlines() if x.strip()]
                counts[intent] = counts.get(intent, 0) + len(lines)
    thin = {k: n for k, n in counts.items() if n < 40}
    assert not thin, thin


def test_topic_names_say_what_a_patient_asks_not_this_trials_drug() -> None:
    drug_words = re.compile(r"ruxolitinib|opzelura|dermatomyositis|cleveland", re.I)
    assert not [k for k in _nlu_topic_keys() if drug_words.search(k)]


def test_team_questions_offer_to_reach_the_study_team() -> None:
    for key, answer in faq.load().items():
        if faq.is_team_question(key):
            assert "study team can answer" in answer["text"], key
            assert [b["payload"] for b in answer["buttons"]] == ["/talk_to_person", "/deny"]


def test_an_unknown_topic_has_no_made_up_answer() -> None:
    assert faq.answer("faq/no_such_topic") is None


def test_an_edited_answer_is_live_without_retraining(tmp_path: Path) -> None:
    # Another answers file is another trial folder (review 6: no ANSWERS_FILE override).
    folder = tmp_path / "trial"
    shutil.copytree(content.folder(), folder)
    copy = folder / "answers.yml"
    before_folder = content.use(folder)
    try:
        assert faq.answers_file() == copy
        before = faq.answer("faq/placebo")
        assert before and before["text"].startswith("No, there is no placebo")
        copy.write_text(copy.read_text().replace("No, there is no placebo.", "No placebo at all."))
        # A later modification time, even on file systems with coarse time stamps.
        stat = copy.stat()
        os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        after = faq.answer("faq/placebo")
        assert after and after["text"].startswith("No placebo at all.")
    finally:
        content.use(before_folder)


ADVICE = [
    "should i stop taking my plaquenil, it makes me nauseous",
    "is my rash dermatomyositis or lupus",
    "can I use my sister's Opzelura",
    "should I lower my prednisone dose",
    "what should i put on my rash tonight",
    "do i have dermatomyositis or is it something else",
    "is it ok to double my methotrexate this week",
    "can I stop my cellcept, I hate the side effects",
    "my cheeks are hot and red today, is this a flare",
    "is that swelling from my prednisone or from the dm",
    "what dose of methotrexate should i take",
    "how much prednisone should she be on",
    "i'm thinking of stopping all my pills once i get in, good idea?",
    "my skin changed, is it still dm or something different",
    # fifth FAQ round: someone else's medicine by name, "hers", past tense, going up on a dose
    "my sister has opzelura left over, can i use hers",
    "can i take my husbands prednisone",
    "my neighbor has opzelura, could I borrow some",
    "would it be ok if i skipped my methotrexate this week",
    "should i go up on my plaquenil",
    "im thinking of cutting my methotrexate in half",
    "does my rash look like lupus or dm to you",
    "my rash is purple on my eyelids, is that dm or lupus",
]
NOT_ADVICE = [
    "do I need to stop my medicines to join",
    "should i stop my methotrexate before joining the study?",
    "can i stop the study if i want",
    "is it ok to use the cream on my face",
    "should i be worried about side effects",
    "is there a placebo",
    "should I sign up",
    "what is dermatomyositis",
    "how much cream should i use",
    "what dose of the cream is used in the study",
    "will the cream work on a dm flare",
    "is this any different from the immune drugs i take",
    "What's the exact address I should put in my GPS?",
    "can i use my daughters phone for the prescreen",
]


@pytest.mark.parametrize("text", ADVICE)
def test_own_treatment_questions_are_advice(text: str) -> None:
    assert advice.asks_for_advice(text)


@pytest.mark.parametrize("text", NOT_ADVICE)
def test_questions_about_the_study_are_not_advice(text: str) -> None:
    assert not advice.asks_for_advice(text)
