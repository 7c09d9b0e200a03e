"""bot.staff.users: adding users and checking passwords."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bot.staff import users as staff
from bot.store.handoff import migrate
from bot.store.schema import staff_users


@pytest.fixture
def engine(sqlite_url: str) -> sa.engine.Engine:
    made = sa.create_engine(sqlite_url, future=True)
    migrate(made)
    return made


def test_add_and_verify(engine: sa.engine.Engine) -> None:
    staff.add_user(engine, " Carol ", "a long enough password")
    assert staff.verify(engine, "carol", "a long enough password")
    assert staff.verify(engine, "CAROL", "a long enough password")
    assert not staff.verify(engine, "carol", "a long enough passwore")
    assert not staff.verify(engine, "dave", "a long enough password")
    assert not staff.verify(engine, "carol", "")
    with engine.connect() as connection:
        stored = connection.execute(sa.select(staff_users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and "a long enough password" not in stored


def test_rejects_bad_input(engine: sa.engine.Engine) -> None:
    staff.add_user(engine, "erin", "a long enough password")
    for name, password in (
        ("erin", "another long password"),
        ("", "a long enough password"),
        ("bad name", "a long enough password"),
        ("frank", "short"),
    ):
        with pytest.raises(staff.StaffError):
            staff.add_user(engine, name, password)


def test_main_add_user(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    answers = iter(["a long enough password", "a long enough password"])
    monkeypatch.setattr(staff.getpass, "getpass", lambda prompt: next(answers))
    assert staff.main_add_user("grace") == 0
    mismatched = iter(["a long enough password", "different"])
    monkeypatch.setattr(staff.getpass, "getpass", lambda prompt: next(mismatched))
    assert staff.main_add_user("heidi") == 1
    engine = sa.create_engine(sqlite_url, future=True)
    assert staff.verify(engine, "grace", "a long enough password")
    assert not staff.verify(engine, "heidi", "a long enough password")
    engine.dispose()
