from reelq.testing import make_clip, run_analyzer


def test_a_clip_has_a_palette_and_a_swatch(tmp_path):
    clip = make_clip(tmp_path / "clip.mp4", seconds=2.0)
    run = run_analyzer(clip, "colors")  # in a child process, with limits, as a worker runs it
    assert run.error is None, run.detail
    palette = run.result["palette"]
    assert len(palette) == 4 and abs(sum(c["share"] for c in palette) - 1.0) < 0.01
    assert all(c["hex"].startswith("#") and len(c["hex"]) == 7 for c in palette)
    assert run.progress[-1] == 1.0
    assert run.artifact_names == ["palette.png"]


def test_a_file_that_is_not_a_video_fails_with_a_sentence(tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    run = run_analyzer(text, "colors")
    assert run.result is None
    assert run.error.code == "unreadable_media"
    assert run.error.message == "This file could not be read as a video."
