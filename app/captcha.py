"""The portal's own captcha (no outside service, R-APP-2): a 4-character image whose answer waits, hashed, for one
check. Each form has its own `purpose`, so that the registration and the objection images never use up each other.

Still kept in the signed session cookie; issue 10 moves the answer server-side.
"""
import hashlib
import hmac
import secrets

from flask import current_app, session

# No 0/O, 1/I/L: a captcha should test for a person, not for eyesight.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 4


def session_key(purpose: str) -> str:
    return f"captcha_digest:{purpose}"


def digest(answer: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, answer.strip().upper().encode(), hashlib.sha256).hexdigest()


def new_image(purpose: str) -> bytes:
    """A fresh captcha PNG for this form; its answer is kept (hashed) in the session for one check."""
    from captcha.image import ImageCaptcha

    answer = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    session[session_key(purpose)] = digest(answer)
    return ImageCaptcha(width=160, height=60).generate(answer).getvalue()


def matches(purpose: str, answer: str) -> bool:
    """One try per image: the stored answer is consumed whatever the outcome."""
    expected = session.pop(session_key(purpose), None)
    return bool(expected and answer) and hmac.compare_digest(expected, digest(answer))
