"""Only the installed command is declared here; everything else is in pyproject.toml.

On POSIX the command is bin/git-orch, a plain script whose `#!python` line the installer
points at the environment's interpreter: pip's generated console-script wrapper imports `re`
at every start (with enum and functools, ~25 M instructions, a fifth of `git orch ws
snapshot`'s process). On Windows pip makes git-orch.exe, and only for an entry point: there
the command is the entry point `gitorch.cli.entry:main`, the same function the script calls.

So a wheel suits the family of systems it was built on (both are `py3-none-any`): `pip
install .`, `pip install -e .` and pipx build on the machine itself and get it right; a
wheel built on Linux and installed on Windows would have no git-orch.exe (install from the
sdist there, or use orch.pyz). tests/zipapp/test_install.py installs both ways for real.
"""

import sys

from setuptools import setup

if sys.platform == "win32":
    setup(entry_points={"console_scripts": ["git-orch = gitorch.cli.entry:main"]})
else:
    setup(scripts=["bin/git-orch"])
