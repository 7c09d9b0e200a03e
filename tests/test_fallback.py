"""bot.faq.menu: which topics to offer for an unclear message (plain Python, no Rasa)."""

from bot import content
from bot.faq import menu as fallback


def _parse(intents: list[tuple[str, float]], faq: list[tuple[str, float]]) -> dict:
    return {
        "intent": {"name": "nlu_fallback", "confidence": 0.5},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in intents],
        "response_selector": {
            "faq": {"ranking": [{"intent_response_key": k, "confidence": c} for k, c in faq]}
        },
    }


def test_offers_best_faq_topics_and_intents_in_order() -> None:
    parse = _parse(
        [("nlu_fallback", 0.5), ("faq", 0.45), ("talk_to_person", 0.3), ("greet", 0.2)],
        [("faq/placebo", 0.8), ("faq/safety", 0.3), ("faq/biopsy", 0.1)],
    )
    assert fallback.candidate_topics(parse) == ["faq/placebo", "talk_to_person", "faq/safety"]


def test_never_offers_small_talk_or_fallback() -> None:
    parse = _parse([("greet", 0.4), ("nlu_fallback", 0.4), ("deny", 0.2)], [])
    assert fallback.candidate_topics(parse) == []


def test_limit_and_labels() -> None:
    parse = _parse([("faq", 0.9)], [("faq/placebo", 0.5), ("faq/age", 0.3), ("faq/dates", 0.2)])
    topics = fallback.candidate_topics(parse, limit=2)
    assert topics == ["faq/placebo", "faq/age"]
    assert fallback.label("faq/placebo") == content.topic_labels()["faq/placebo"]


def test_empty_parse_data() -> None:
    assert fallback.candidate_topics({}) == []


def test_unlikely_guesses_are_not_offered() -> None:
    parse = _parse([("faq", 0.3), ("talk_to_person", 0.05)], [("faq/placebo", 0.2)])
    assert fallback.candidate_topics(parse) == []
