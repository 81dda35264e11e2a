"""The user config file's path: gitorch tells platformdirs' answer itself where it is plain
(Linux, an absolute $XDG_CONFIG_HOME or $HOME) and asks platformdirs for anything else."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest

from gitorch.config.files import _plain_xdg_config_dir, user_config_path

PLAIN = [
    {"HOME": "/home/ada"},
    {"HOME": "/home/ada/"},
    {"HOME": "/"},
    {"HOME": "/home/ada", "XDG_CONFIG_HOME": ""},
    {"HOME": "/home/ada", "XDG_CONFIG_HOME": "/srv/conf"},
    {"HOME": "/home/ada", "XDG_CONFIG_HOME": "/srv/conf/"},
    {"XDG_CONFIG_HOME": "/srv/conf"},
]
ASKED = [
    {"HOME": "/home/ada", "XDG_CONFIG_HOME": "conf"},
    {"HOME": "/home/ada", "XDG_CONFIG_HOME": "  "},
    {"HOME": "home/ada"},
    {},
    {"HOME": "/home/ada", "ANDROID_DATA": "/data", "ANDROID_ROOT": "/system"},
]


def _env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for name in ("HOME", "XDG_CONFIG_HOME", "ANDROID_DATA", "ANDROID_ROOT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


@pytest.mark.skipif(sys.platform != "linux", reason="the plain answer is Linux's")
@pytest.mark.parametrize("env", PLAIN, ids=repr)
def test_plain_cases_are_told_as_platformdirs_tells_them(monkeypatch: pytest.MonkeyPatch,
                                                         env: dict[str, str]) -> None:
    _env(monkeypatch, env)
    told = _plain_xdg_config_dir()
    assert told is not None
    assert told == platformdirs.user_config_dir("gitorch")
    assert user_config_path() == Path(platformdirs.user_config_dir("gitorch")) / "config.toml"


@pytest.mark.parametrize("env", ASKED, ids=repr)
def test_everything_else_is_platformdirs_answer(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    _env(monkeypatch, env)
    assert _plain_xdg_config_dir() is None
    assert user_config_path() == Path(platformdirs.user_config_dir("gitorch")) / "config.toml"


@pytest.mark.skipif(sys.platform != "linux", reason="the plain answer is Linux's")
def test_reading_the_user_config_does_not_import_platformdirs(tmp_path: Path) -> None:
    conf = tmp_path / "conf" / "gitorch"
    conf.mkdir(parents=True)
    (conf / "config.toml").write_text('backend = "cli"\n')
    code = ("import sys; from gitorch.config.files import read_user_config; "
            "path, values = read_user_config(); "
            "print(path, sorted(values), 'platformdirs' in sys.modules, 'tempfile' in sys.modules)")
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "conf"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.split() == [str(conf / "config.toml"), "['backend']", "False", "False"]
