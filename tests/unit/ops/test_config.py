"""Settings precedence and validation: flags > environment > TOML file > defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from roomcast.ops.config import ConfigError, Settings, load


def test_defaults() -> None:
    settings = load({}, environ={})
    assert settings == Settings()
    assert (settings.host, settings.port, settings.db) == ("127.0.0.1", 8000, "data/roomcast.db")


def test_precedence(tmp_path: Path) -> None:
    toml = tmp_path / "roomcast.toml"
    toml.write_text('port = 9001\nhistory_on_join = 10\ndb = "from-file.db"\nhost = "0.0.0.0"\n')
    environ = {"ROOMCAST_PORT": "9002", "ROOMCAST_HISTORY_ON_JOIN": "20"}
    settings = load({"port": 9003, "host": None}, config_file=str(toml), environ=environ)
    assert settings.port == 9003  # flag beats environment and file
    assert settings.history_on_join == 20  # environment beats file
    assert settings.db == "from-file.db"  # file beats default
    assert settings.host == "0.0.0.0"  # a flag left unset does not override


def test_config_file_from_environment_and_roomcast_table(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text("[roomcast]\nping_interval = 5\n")
    assert load({}, environ={"ROOMCAST_CONFIG": str(toml)}).ping_interval == 5.0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("port = 'x'", "port must be a number"),
        ("nonsense = 1", "unknown setting(s) nonsense"),
        ("port = ", "not valid TOML"),
        ("port = 70000", "port must be 0-65535"),
        ("log_format = 'xml'", "log_format must be text or json"),
    ],
)
def test_bad_file_values_are_named(tmp_path: Path, content: str, message: str) -> None:
    toml = tmp_path / "bad.toml"
    toml.write_text(content)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load({}, config_file=str(toml), environ={})


def test_bad_environment_value_is_named() -> None:
    with pytest.raises(ConfigError, match="ROOMCAST_PING_INTERVAL: ping_interval must be a number"):
        load({}, environ={"ROOMCAST_PING_INTERVAL": "soon"})


def test_missing_file() -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load({}, config_file="/nonexistent/roomcast.toml", environ={})


def test_the_notification_webhook_settings() -> None:
    assert (Settings().notify_webhook_url, Settings().notify_delay) == ("", 60.0)
    environ = {
        "ROOMCAST_NOTIFY_WEBHOOK_URL": "https://hooks.example/roomcast?t=1",
        "ROOMCAST_NOTIFY_WEBHOOK_SECRET": "0123456789abcdef",
        "ROOMCAST_NOTIFY_DELAY": "0.5",
    }
    settings = load({}, environ=environ)
    assert settings.notify_webhook_url == "https://hooks.example/roomcast?t=1"
    assert (settings.notify_webhook_secret, settings.notify_delay) == ("0123456789abcdef", 0.5)
    assert load({"notify_delay": 0}, environ={}).notify_delay == 0


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"notify_webhook_url": "ftp://hooks.example/x"}, "must be an http:// or https:// URL"),
        ({"notify_webhook_url": "hooks.example/x"}, "must be an http:// or https:// URL"),
        ({"notify_webhook_url": "http:///x"}, "must be an http:// or https:// URL"),
        ({"notify_webhook_url": "http://[::1/x"}, "must be an http:// or https:// URL"),
        ({"notify_webhook_url": "http://h:99999/x"}, "must be an http:// or https:// URL"),
        ({"notify_webhook_url": "http://h/x"}, "needs a notify_webhook_secret of at least 16"),
        ({"notify_delay": -1}, "notify_delay must not be negative"),
    ],
)
def test_bad_notification_settings_are_refused(values: dict[str, object], message: str) -> None:
    if "notify_webhook_url" in values and "needs" not in message:
        values = {**values, "notify_webhook_secret": "0123456789abcdef"}
    with pytest.raises(ConfigError, match=message):
        load(values, environ={})


def test_the_broker_timeout_and_the_queue_bounds() -> None:
    assert (Settings().broker_timeout, Settings().store_queue_bytes) == (5.0, 64 * 1024 * 1024)
    assert Settings().broker_queue_bytes == 64 * 1024 * 1024
    assert load({}, environ={"ROOMCAST_BROKER_TIMEOUT": "2"}).broker_timeout == 2.0
    assert load({"store_queue_bytes": "2097152"}, environ={}).store_queue_bytes == 2097152
    with pytest.raises(ConfigError, match=r"broker_timeout must be 0\.5-300 seconds"):
        load({"broker_timeout": 0.1}, environ={})
    with pytest.raises(ConfigError, match="store_queue_bytes must be at least 1048576"):
        load({"store_queue_bytes": 1000}, environ={})
    with pytest.raises(ConfigError, match="broker_queue_bytes must be at least 1048576"):
        load({"broker_queue_bytes": 0}, environ={})


def test_the_store_timeout() -> None:
    assert Settings().store_timeout == 5.0
    assert load({}, environ={"ROOMCAST_STORE_TIMEOUT": "1.5"}).store_timeout == 1.5
    with pytest.raises(ConfigError, match=r"store_timeout must be 0\.5-300 seconds"):
        load({"store_timeout": 0}, environ={})


@pytest.mark.parametrize("bad", [-1, 601, float("nan")])
def test_a_shutdown_timeout_out_of_range_is_refused(bad: float) -> None:
    with pytest.raises(ConfigError, match=r"shutdown_timeout must be 0-600 seconds"):
        load({"shutdown_timeout": bad}, environ={})
