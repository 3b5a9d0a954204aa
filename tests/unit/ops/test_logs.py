"""Log set-up: the text line format and one JSON object per line."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

import pytest

from roomcast.ops.logs import JsonFormatter, setup_logging


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_text_lines(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("info", "text")
    logging.getLogger("roomcast.test").info("connection %s open", "abc")
    logging.getLogger("roomcast.test").debug("not shown at INFO")
    line = capsys.readouterr().err
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO roomcast\.test: connection abc open\n", line
    )


def test_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("WARNING", "json")
    log = logging.getLogger("roomcast.test")
    log.info("below the level")
    log.warning('a "quoted" line\nwith a break')
    (line,) = capsys.readouterr().err.splitlines()
    entry = json.loads(line)
    assert entry.keys() == {"time", "level", "logger", "message"}
    assert (entry["level"], entry["logger"]) == ("WARNING", "roomcast.test")
    assert entry["message"] == 'a "quoted" line\nwith a break'
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entry["time"])


def test_json_carries_the_exception(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("INFO", "json")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("roomcast.test").exception("command failed")
    (line,) = capsys.readouterr().err.splitlines()
    entry = json.loads(line)
    assert entry["message"] == "command failed"
    assert entry["exception"].startswith("Traceback (most recent call last):")
    assert entry["exception"].endswith("RuntimeError: boom")


def test_setup_replaces_earlier_handlers(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("INFO", "text")
    setup_logging("INFO", "json")
    logging.getLogger("x").info("once")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["message"] == "once"
    assert isinstance(logging.getLogger().handlers[0].formatter, JsonFormatter)


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown level"):
        setup_logging("loud", "text")
