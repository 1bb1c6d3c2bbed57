"""The corpus is generated once per session; each clip is analysed at most once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reelq.analysis.base import LocalContext
from reelq.analysis.video import analyze
from reelq.testing.corpus import CorpusClip, build_corpus


@dataclass
class Analysed:
    clip: CorpusClip
    result: dict[str, Any]
    artifacts: Path
    progress: list[float]


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CorpusClip]:
    return build_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="session")
def analysed(
    corpus: dict[str, CorpusClip], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Analysed]:
    cache: dict[str, Analysed] = {}

    def get(key: str) -> Analysed:
        if key not in cache:
            artifacts = tmp_path_factory.mktemp(f"artifacts-{key}")
            ctx = LocalContext(artifacts=artifacts, job_id=f"job-{key}")
            result = analyze(corpus[key].path, ctx)
            cache[key] = Analysed(corpus[key], result, artifacts, ctx.reported)
        return cache[key]

    return get
