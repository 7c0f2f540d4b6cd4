import av
import pytest
from pymediainfo import MediaInfo

from app.media.video import VIDEO_MAX_BYTES, check_video
from tests.media.corpus import VIDEO_CASES, boxes, clip


@pytest.mark.parametrize("case", VIDEO_CASES, ids=lambda case: case.name)
def test_corpus_video_is_classified_as_expected(case, video_corpus):
    verdict = check_video(video_corpus[case.name])
    assert verdict.ok is case.ok, verdict.message
    if case.ok:
        assert verdict.message == ""
        assert (verdict.container, verdict.video_codec) == ("MPEG-4", "AVC")
        assert verdict.duration_seconds <= 300
        assert bool(verdict.warning) is case.warns, verdict.audio_dbfs
    else:
        assert verdict.warning == ""
    for word in case.mentions:
        assert word in (verdict.message if not case.ok else verdict.warning)


def test_a_valid_clip_reports_what_was_probed(video_corpus):
    verdict = check_video(video_corpus["h264_aac"])
    assert verdict.ok
    assert (verdict.container, verdict.brand, verdict.video_codec) == ("MPEG-4", "isom", "AVC")
    assert (verdict.width, verdict.height) == (640, 360)
    assert verdict.audio_dbfs == pytest.approx(-18, abs=1.5)  # the clip's tone, measured
    assert verdict.duration_seconds == pytest.approx(1.0, abs=0.1)


def test_the_size_limit_is_the_file_size_on_disk(video_corpus):
    assert video_corpus["h264_exactly_50mib"].stat().st_size == VIDEO_MAX_BYTES
    assert video_corpus["over_50mib"].stat().st_size == VIDEO_MAX_BYTES + 1
    assert "50.1 MB" in check_video(video_corpus["over_50mib"]).message


def test_either_probe_alone_would_accept_a_damaged_file(video_corpus):
    """Why video.py asks both MediaInfo and PyAV (a premise: if a library upgrade changes it, revisit video.py)."""
    cut_at_media = MediaInfo.parse(str(video_corpus["truncated_faststart_at_mdat"]))
    assert cut_at_media.general_tracks[0].istruncated != "Yes" and cut_at_media.video_tracks
    with av.open(str(video_corpus["renamed_jpeg"])) as renamed:  # opens, as an image "video" stream
        assert renamed.streams.video
    with av.open(str(video_corpus["truncated_faststart"])) as truncated:  # opens, its streams listed in full
        assert truncated.streams.video and truncated.streams.audio


@pytest.mark.parametrize("movflags", [None, "faststart"], ids=["moov_at_end", "faststart"])
def test_every_truncation_of_a_clip_is_refused(movflags, tmp_path):
    """Cut around every top-level box boundary and at a stride through the rest: no prefix passes."""
    source = tmp_path / "whole.mp4"
    clip(source, movflags=movflags)
    data = source.read_bytes()
    cuts = set(range(1, len(data), 61))
    for _, offset, _ in boxes(data):
        cuts.update(range(max(1, offset - 2), min(len(data), offset + 10)))
    cut = tmp_path / "cut.mp4"
    accepted = []
    for length in sorted(cuts):
        cut.write_bytes(data[:length])
        if check_video(cut).ok:
            accepted.append(length)
    assert check_video(source).ok
    assert accepted == []
