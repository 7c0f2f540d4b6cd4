"""The portal's own captcha (no outside service, R-APP-2): a 4-character image whose answer waits on the server
(app/ephemeral.py: Redis or the database) for one check within CAPTCHA_TTL_SECONDS. The browser's cookie holds only a
random id of the image, so a solved image cannot be sent again: its answer is gone from the server after one check.
Each form has its own `purpose`, so that the registration, objection and sign-in images never use up each other.
"""
import hmac
import secrets

from flask import current_app, session

from app import ephemeral

# No 0/O, 1/I/L: a captcha should test for a person, not for eyesight.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 4


def session_key(purpose: str) -> str:
    return f"captcha_id:{purpose}"


def _store_key(purpose: str, captcha_id: str) -> str:
    return f"captcha:{purpose}:{captcha_id}"


def new_image(purpose: str) -> bytes:
    """A fresh captcha PNG for this form; the image before it (if any) can no longer be answered."""
    from captcha.image import ImageCaptcha

    store = ephemeral.store()
    previous = session.get(session_key(purpose))
    if previous:
        store.delete(_store_key(purpose, previous))
    answer = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    captcha_id = secrets.token_urlsafe(16)
    store.put(_store_key(purpose, captcha_id), answer, current_app.config.get("CAPTCHA_TTL_SECONDS", 300))
    session[session_key(purpose)] = captcha_id
    return ImageCaptcha(width=160, height=60).generate(answer).getvalue()


def matches(purpose: str, answer: str) -> bool:
    """One try per image: the stored answer is consumed whatever the outcome, and a replayed cookie finds none."""
    captcha_id = session.pop(session_key(purpose), None)
    if not captcha_id:
        return False
    expected = ephemeral.store().take(_store_key(purpose, captcha_id))
    given = (answer or "").strip().upper()
    return bool(expected and given) and hmac.compare_digest(expected.encode(), given.encode())


def stored_answer(purpose: str, captcha_id: str) -> str | None:
    """What image `captcha_id` shows, read from the server-side store without using it up: the tests' way to type
    a captcha as a person would (the cookie only ever holds the id)."""
    return ephemeral.store().get(_store_key(purpose, captcha_id))
