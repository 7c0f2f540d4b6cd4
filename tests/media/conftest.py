"""The generated media corpus, built once per run into a temporary folder."""
import pytest

from tests.media.corpus import PHOTO_CASES, VIDEO_CASES, build


@pytest.fixture(scope="session")
def photo_corpus(tmp_path_factory):
    return build(PHOTO_CASES, tmp_path_factory.mktemp("photos"))


@pytest.fixture(scope="session")
def video_corpus(tmp_path_factory):
    return build(VIDEO_CASES, tmp_path_factory.mktemp("videos"))
