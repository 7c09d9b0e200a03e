"""The medical-advice router (bot/nlu/advice_router.py) without the rest of the pipeline: a
question about one's own treatment wins over the topic the selector forced, and leaves no
equal reading behind for the fallback to call ambiguous."""

from __future__ import annotations

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.advice_router import MedicalAdviceRouter


def test_own_treatment_wins_and_the_forced_topic_leaves_the_ranking() -> None:
    message = Message(
        data={TEXT: "what dose of prednisone is right for me, and is there a placebo"}
    )
    message.set(INTENT, {"name": "faq", "confidence": 1.0})
    message.set(
        INTENT_RANKING_KEY,
        [{"name": "faq", "confidence": 1.0}, {"name": "greet", "confidence": 0.01}],
    )
    MedicalAdviceRouter().process([message])
    assert message.get(INTENT)["name"] == "medical_advice"
    names = [r["name"] for r in message.get(INTENT_RANKING_KEY)]
    assert names == ["medical_advice", "greet"]
