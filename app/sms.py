"""The SMS gateway the notifications use (app/notifications.py): anything with `send(phone, text)`, named in the
config by its import path, SMS_BACKEND = "app.sms:LoggingSms" (the default: it only writes the log). A provider the
city office contracts is one more class here or in its own package, e.g. SMS_BACKEND = "xxzx_sms:Provider", built
with the app's config. An empty SMS_BACKEND sends no SMS at all."""
import importlib
import logging
from typing import Protocol

from app.masking import mask_phone

logger = logging.getLogger(__name__)


class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> None:
        """Send text to phone (a mainland mobile number); raise on failure (the caller logs it and goes on)."""


class LoggingSms:
    """Writes each SMS to the log (the phone masked) instead of sending it: the default until a provider exists."""

    def __init__(self, config=None):
        self.config = config

    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", mask_phone(phone), text)


def load(path: str | None, config=None) -> SmsGateway | None:
    """The gateway named by "module:Class" (None for an empty path); the class gets the app's config."""
    if not path:
        return None
    module_name, _, class_name = path.partition(":")
    if not class_name:
        raise ValueError(f"SMS_BACKEND must be 'module:Class', not {path!r}")
    gateway = getattr(importlib.import_module(module_name), class_name)
    return gateway(config)
