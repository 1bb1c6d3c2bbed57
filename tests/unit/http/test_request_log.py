"""The request log line cannot be split or forged by what a client puts in the URL path."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi.testclient import TestClient

from reelq.app import create_app
from reelq.logs import TextFormatter

from support import fast_settings


class Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_cr_lf_tab_in_the_path_stay_inside_one_log_line(tmp_path: Path) -> None:
    forged = "2026-12-02T06:00:00.000Z\tERROR\tadmin.token_leaked\tuser:root\r"
    keep = Keep()
    with TestClient(create_app(fast_settings(tmp_path / "data", embedded_worker=False))) as c:
        logging.getLogger("reelq.http").addHandler(keep)
        try:
            r = c.get("/api/nope%0A2026-12-02T06:00:00.000Z%09ERROR%09admin.token_leaked%09user:root%0D")
        finally:
            logging.getLogger("reelq.http").removeHandler(keep)
    assert r.status_code == 404
    records = [rec for rec in keep.records if rec.getMessage() == "http.request"]
    assert records
    line = TextFormatter().format(records[-1])
    assert "\n" not in line and "\r" not in line and "\t" not in line, line
    assert "admin.token_leaked" in line  # the value is kept, quoted
    assert forged not in line
