"""app/storage.py: files follow the transaction — no orphan after a failed save, no loss before a commit."""
import io

import pytest

from app import storage
from app.extensions import db


def test_a_new_file_is_removed_when_the_transaction_rolls_back():
    name = storage.store_bytes(b"data", "photo", "jpg")
    assert storage.path_of(name).exists()
    db.session.rollback()
    assert not storage.path_of(name).exists()


def test_a_replaced_file_goes_only_after_the_commit():
    old = storage.store_bytes(b"old", "photo", "jpg")
    db.session.commit()
    storage.discard_after_commit(old)
    assert storage.path_of(old).exists()  # the row still names it until the commit
    db.session.commit()
    assert not storage.path_of(old).exists()


def test_a_failed_commit_keeps_the_old_file_and_drops_the_new(app):
    old = storage.store_bytes(b"old", "photo", "jpg")
    db.session.commit()
    new = storage.store_bytes(b"new", "photo", "jpg")
    storage.discard_after_commit(old)
    db.session.rollback()
    assert storage.path_of(old).exists() and not storage.path_of(new).exists()


def test_spool_refuses_more_than_the_limit_and_leaves_nothing():
    before = set((storage.root() / "tmp").glob("*")) if (storage.root() / "tmp").exists() else set()
    with pytest.raises(storage.TooLarge):
        storage.spool(io.BytesIO(b"x" * 3000), limit=2048)
    assert set((storage.root() / "tmp").glob("*")) == before


@pytest.mark.parametrize("name", ["../etc/passwd", "/etc/passwd", "nodir", ""])
def test_only_our_own_names_resolve(name):
    with pytest.raises(ValueError):
        storage.path_of(name)
