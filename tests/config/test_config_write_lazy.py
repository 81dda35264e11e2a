"""Reading settings loads nothing of changing them (config/__init__: config.write and
gitorch.atomic load on first use of the four writing functions, as `git orch config` uses them)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
import gitorch.config as config
from gitorch.config import Settings, settings
print("gitorch.config.write" in sys.modules, "gitorch.atomic" in sys.modules)
from gitorch.config import set_value
from gitorch.config import write
print(set_value is write.set_value, config.level_value is write.level_value,
      config.unset_value is write.unset_value, config.unset_repo_config is write.unset_repo_config)
try:
    config.no_such_name
except AttributeError as exc:
    print(exc)
print(sorted(set(config.__all__) - set(dir(config))))
"""


def test_the_writing_functions_load_on_first_use() -> None:
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "False False", "True True True True", "module 'gitorch.config' has no attribute 'no_such_name'", "[]"]
