def run(app, *args):
    return app.test_cli_runner().invoke(args=["media", "check", *map(str, args)])


def test_prints_one_line_per_file_and_fails_when_any_is_refused(app, photo_corpus):
    good, grey = photo_corpus["white_jpeg"], photo_corpus["grey_background"]
    result = run(app, "--photo", good, grey)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"OK  {good}", f"REFUSED  {grey}: 照片背景偏灰，不是白色：请在白色背景前、光线充足处重新拍摄，或更换为白底一寸照后重新上传"]


def test_exits_0_when_all_pass(app, video_corpus):
    result = run(app, "--video", video_corpus["h264_moov_at_end"], video_corpus["h264_faststart"])
    assert result.exit_code == 0, result.output
    assert [line.split()[0] for line in result.output.splitlines()] == ["OK", "OK"]


def test_without_a_flag_the_suffix_picks_the_rule_and_the_content_decides(app, photo_corpus, video_corpus):
    result = run(app, photo_corpus["white_png"], video_corpus["h264_aac"], photo_corpus["renamed_gif"])
    assert result.exit_code == 1
    assert result.output.splitlines()[:2] == [f"OK  {photo_corpus['white_png']}", f"OK  {video_corpus['h264_aac']}"]
    assert "JPG 或 PNG" in result.output.splitlines()[2]


def test_a_photo_checked_as_a_video_is_refused(app, photo_corpus):
    result = run(app, "--video", photo_corpus["white_jpeg"])
    assert result.exit_code == 1 and "不是 MP4 视频" in result.output


def test_a_missing_file_is_a_usage_error(app, tmp_path):
    result = run(app, tmp_path / "nothing.mp4")
    assert result.exit_code == 2


def test_a_silent_video_passes_with_its_warning_and_a_muted_one_is_refused(app, video_corpus):
    silent, mute, small = video_corpus["h264_silent_audio"], video_corpus["h264_no_audio"], video_corpus["h264_320x240"]
    result = run(app, "--video", silent, mute, small)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"OK  {silent}"
    assert lines[1].startswith("  WARNING: 视频的声音全程几乎听不到")
    assert lines[2].startswith(f"REFUSED  {mute}: 视频没有声音") and "请录制带声音的视频" in lines[2]
    assert lines[3].startswith(f"REFUSED  {small}: 视频画面太小（320×240）")
