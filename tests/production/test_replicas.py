"""The production profile over HTTP through nginx: 2 Rasa and 2 action server replicas sharing
PostgreSQL (conversations, handoffs) and Redis (lock store), round-robin without stickiness.

Which replica took a message is read from nginx's X-Upstream header (and its access log), so
the alternation is observed, not assumed.
"""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from bot.ops.production import ProductionConfig, ProductionStack
from bot.ops.stack import http_ok
from bot.store.handoff import HandoffStore
from tests.at_rest import EMAIL, NAME, QUESTION, full_prescreen_with_a_question, secrets_to_find
from tests.conftest import POSTGRES_URL, widget_session
from tests.production.conftest import Reply, access_log, send

pytestmark = pytest.mark.production

ELIGIBLE = ["52", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "No"]


def new_sender() -> str:
    return f"prod-{uuid.uuid4().hex[:12]}"


def served_by(reply: Reply) -> str:
    """The replica that answered (the last one nginx tried)."""
    return reply.upstream.split(",")[-1].strip()


def events(engine: sa.engine.Engine, sender: str) -> list[tuple[str, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("select type_name, action_name from events where sender_id = :s order by id"),
            {"s": sender},
        ).all()
    return [(str(t), a) for t, a in rows]


def assert_tracker_consistent(engine: sa.engine.Engine, sender: str, user_turns: int) -> None:
    """Every patient message is stored once, after the bot went back to listening, and is
    followed by at least one bot message: nothing lost, doubled or interleaved."""
    stored = events(engine, sender)
    user_at = [i for i, (kind, _) in enumerate(stored) if kind == "user"]
    assert len(user_at) == user_turns, stored
    for n, i in enumerate(user_at):
        before = [e for e in stored[:i] if e[0] == "action"]
        assert before and before[-1][1] == "action_listen", (n, stored)
        end = user_at[n + 1] if n + 1 < len(user_at) else len(stored)
        assert any(kind == "bot" for kind, _ in stored[i:end]), (n, stored)
    assert stored[-1] == ("action", "action_listen"), stored[-3:]


def test_turns_alternate_between_replicas_and_keep_state(
    prod: ProductionStack, engine: sa.engine.Engine
) -> None:
    sender = new_sender()
    script = [
        ("can I join the study?", "2 minutes"),
        ("Yes, let's start", "How old are you?"),
        ("52", "Question 2 of"),
        ("yes", "Question 3 of"),
        ("is there a placebo?", "Question 3 of"),
        ("yes", "Question 4 of"),
    ]
    upstreams = []
    for text, expected in script:
        reply = send(prod.url, sender, text)
        assert expected in reply.text, (text, reply.text)
        upstreams.append(reply.upstream)
    # Round-robin, no stickiness: each turn went to the other replica than the one before,
    # and the next replica still knew where the conversation was (PostgreSQL tracker store).
    assert set(upstreams) == set(prod.rasa_addresses), upstreams
    assert all(a != b for a, b in zip(upstreams, upstreams[1:], strict=False)), upstreams
    assert_tracker_consistent(engine, sender, len(script))


def test_the_911_reminder_comes_from_the_other_replica(prod: ProductionStack) -> None:
    """Review finding 1: the post-911 reminders are kept in Redis, so the follow-up that
    reaches the other Rasa replica still gets "call 911 now" first (bot/safety/follow_up.py)."""
    sender = new_sender()
    first, second = (f"http://{address}" for address in prod.rasa_addresses[:2])
    assert send(first, sender, "my lips and tongue are swelling up").text.startswith("Call 911")
    reply = send(second, sender, "i dont want to go to the ER, can i just wait")
    assert reply.messages[0]["text"].startswith("If you still have the problem you told me")
    assert len(reply.messages) > 1  # then its normal reply


def test_full_prescreen_across_replicas_makes_exactly_one_handoff(
    prod: ProductionStack, prod_config: ProductionConfig
) -> None:
    sender = new_sender()
    log_before = len(access_log(prod))
    replies = [send(prod.url, sender, "can I join the study?")]
    replies.append(send(prod.url, sender, "Yes, let's start"))
    for answer in ELIGIBLE:
        replies.append(send(prod.url, sender, answer))
    assert "may be a good fit" in replies[-1].text
    replies.append(send(prod.url, sender, "Yes, share my answers"))
    assert "contact you" in replies[-1].text
    replies.append(send(prod.url, sender, "Jane Test"))
    replies.append(send(prod.url, sender, "jane@example.com"))
    done = send(prod.url, sender, "weekday mornings")
    # A repeated last message (double click, retry) must not make a second handoff.
    send(prod.url, sender, "weekday mornings")
    assert {served_by(r) for r in [*replies, done]} == set(prod.rasa_addresses)

    store = HandoffStore(prod_config.database_url, channels=[])
    try:
        record = store.get(sender)
        assert record is not None and record["reference"] in done.text
        assert record["outcome"] == "likely_eligible"
        assert record["contact"]["email"] == "jane@example.com"
        assert store.count(sender) == 1
    finally:
        store.engine.dispose()
    # The Rasa replicas called both action server replicas, through nginx.
    action_calls = [line for line in access_log(prod)[log_before:] if " /webhook " in line]
    used = {line.split("upstream=")[1].split()[0] for line in action_calls}
    assert used == set(prod.action_addresses), action_calls


def test_twenty_concurrent_conversations_are_not_mixed_up(
    prod: ProductionStack, engine: sa.engine.Engine
) -> None:
    """20 conversations at once across both replicas; each also sends two messages at the same
    moment, which the Redis lock store must process one after the other."""
    script = [
        ("can I join the study?", "2 minutes"),
        ("Yes, let's start", "How old are you?"),
        ("52", "Question 2 of"),
        ("yes", "Question 3 of"),
        ("is there a placebo?", "no placebo"),
        ("yes", "Question 4 of"),
    ]
    together = [("is there a placebo?", "no placebo"), ("why do you ask?", "Question 4 of")]

    def conversation(_: int) -> tuple[str, set[str]]:
        sender = new_sender()
        seen = set()
        for text, expected in script:
            reply = send(prod.url, sender, text)
            assert expected in reply.text, (sender, text, reply.text)
            seen.add(served_by(reply))
        with ThreadPoolExecutor(2) as pair:
            replies = list(pair.map(lambda t: send(prod.url, sender, t[0]), together))
        for (text, expected), reply in zip(together, replies, strict=True):
            assert expected in reply.text, (sender, text, reply.text)
            # Both are answered while the prescreen waits on question 4.
            assert "Question 4 of" in reply.messages[-1]["text"], (sender, text, reply.text)
        return sender, seen

    started = time.monotonic()
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(conversation, range(20)))
    elapsed = time.monotonic() - started
    assert len({sender for sender, _ in results}) == 20
    assert set().union(*(seen for _, seen in results)) == set(prod.rasa_addresses)
    for sender, _ in results:
        assert_tracker_consistent(engine, sender, len(script) + len(together))
    print(f"20 conversations x {len(script) + len(together)} messages in {elapsed:.1f}s")


def test_a_message_waits_while_another_replica_holds_the_conversation_lock(
    prod: ProductionStack, prod_config: ProductionConfig
) -> None:
    """The lock is in Redis, shared by all replicas: hold it here, and no replica answers."""
    from rasa.core.lock_store import RedisLockStore

    env = prod_config.lock_store_env()
    locks = RedisLockStore(
        host=env["LOCK_STORE_HOST"],
        port=int(env["LOCK_STORE_PORT"]),
        db=int(env["LOCK_STORE_DB"]),
        key_prefix=env["LOCK_STORE_KEY_PREFIX"],
    )
    sender = new_sender()
    ticket = locks.issue_ticket(sender, lock_lifetime=60)
    replies: list[Reply] = []
    worker = threading.Thread(
        target=lambda: replies.append(send(prod.url, sender, "is there a placebo?"))
    )
    worker.start()
    try:
        worker.join(timeout=4)
        assert worker.is_alive() and not replies, "a replica answered without the lock"
    finally:
        locks.cleanup(sender, ticket)
    worker.join(timeout=30)
    assert replies and "no placebo" in replies[0].text.lower()


def test_killed_rasa_replica_the_conversation_goes_on_through_the_other(
    prod: ProductionStack,
) -> None:
    sender = new_sender()
    assert "2 minutes" in send(prod.url, sender, "can I join the study?").text
    assert "How old are you?" in send(prod.url, sender, "Yes, let's start").text
    victim = "Rasa server 1"
    dead, survivor = prod.rasa_addresses
    prod.kill(victim)
    try:
        after = []
        for text, expected in [
            ("52", "Question 2 of"),
            ("yes", "Question 3 of"),
            ("yes", "Question 4 of"),
            ("yes", "Question 5 of"),
        ]:
            reply = send(prod.url, sender, text)
            assert expected in reply.text, (text, reply.text)
            after.append(reply)
        assert all(served_by(reply) == survivor for reply in after), after
        # nginx did try the dead replica, failed to connect, and passed the message on.
        assert any(dead in reply.upstream for reply in after), [r.upstream for r in after]
    finally:
        # Bring it back, as a supervisor would, and check that nginx uses it again.
        assert prod.restart_exited(min_interval=0) == [victim]
        health = prod.service(victim).health_url
        deadline = time.monotonic() + prod.settings.startup_timeout
        while not http_ok(health):
            assert time.monotonic() < deadline, "restarted replica not ready"
            time.sleep(0.5)
    deadline = time.monotonic() + 60
    other = new_sender()
    while True:
        reply = send(prod.url, other, "is there a placebo?")
        assert "no placebo" in reply.text.lower()
        if served_by(reply) == dead:
            break
        assert time.monotonic() < deadline, "nginx never went back to the restarted replica"
        time.sleep(1)


async def test_socketio_widget_channel_works_through_nginx(prod: ProductionStack) -> None:
    """The website widget connects with the websocket transport only: the connection stays on
    one replica (no sticky sessions needed) and nginx passes the upgrade through."""
    async with widget_session(prod.url) as chat:
        first = (await chat.say("can I join the study?", quiet=0))[0]
        assert "2 minutes" in str(first.get("text", ""))
    # The same conversation goes on over REST, on whichever replica nginx picks.
    assert "How old are you?" in send(prod.url, chat.session["session_id"], "Yes, let's start").text


def test_web_app_is_served_through_the_same_nginx(prod: ProductionStack) -> None:
    import urllib.request

    with urllib.request.urlopen(f"{prod.url}/healthz", timeout=10) as response:
        assert response.status == 200
        assert response.headers["X-Upstream"] == f"{prod.settings.host}:{prod.settings.web_port}"


def test_raw_postgres_dump_holds_no_patient_text(
    prod: ProductionStack, prod_config: ProductionConfig
) -> None:
    """After a question and a full prescreen through nginx, a raw pg_dump of the production
    schema (conversations and handoffs) holds none of the patient's name, email, phone,
    answers or question; the store still reads them back, decrypted."""
    sender = new_sender()
    asked, shared = full_prescreen_with_a_question(
        lambda text: send(prod.url, sender, text).messages
    )
    store = HandoffStore(prod_config.database_url, channels=[])
    try:
        records = store.all_for(sender)
    finally:
        store.engine.dispose()
    assert [r["kind"] for r in records] == ["question", "prescreen"]
    assert records[0]["reference"] in asked and records[1]["reference"] in shared
    assert records[0]["questions"] == [QUESTION] and records[1]["contact"]["name"] == NAME
    assert records[1]["contact"]["email"] == EMAIL
    schema = unquote(prod_config.database_url).split("search_path=")[1].split("&")[0]
    dump = subprocess.run(
        ["pg_dump", "--no-owner", "--schema", schema, POSTGRES_URL],
        capture_output=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    assert sender.encode() in dump and b"COPY " + schema.encode() + b".events" in dump
    leaked = [s for s in secrets_to_find() if s in dump]
    assert not leaked, leaked
