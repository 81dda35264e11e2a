"""The root command: version, help, unknown commands, as a user runs them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gitorch import __version__


def test_version_through_git(orch, repo) -> None:
    proc = orch("--version")
    assert proc.returncode == 0
    assert proc.stdout.startswith(f"gitorch {__version__} (backend: ")


def test_python_dash_m(repo) -> None:
    proc = subprocess.run([sys.executable, "-m", "gitorch", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and __version__ in proc.stdout


def test_help_lists_groups(cli) -> None:
    result = cli("--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_unknown_command_is_usage_error(orch, repo) -> None:
    proc = orch("no-such-command")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "No such command" in proc.stderr


def test_reader_closing_the_pipe_is_not_an_error(repo) -> None:
    """`git orch events --json | head -1`: the reader leaves early; exit quietly, no traceback."""
    from gitorch.config import open_store
    from gitorch.events import Generic

    with open_store() as store:
        store.append([Generic(kind="pad", data={"text": "x" * 2000}) for _ in range(200)])
    proc = subprocess.Popen(["git", "orch", "events", "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(100)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait() == 0, err
    assert "Traceback" not in err and "internal error" not in err


def test_reader_closing_a_socket_is_not_an_error(repo) -> None:
    """The same with stdout a socket (a Node parent's stdio is a socketpair): its peer gone
    is the reader leaving too, not an internal error."""
    import socket

    from gitorch.config import open_store
    from gitorch.events import Generic

    with open_store() as store:
        store.append([Generic(kind="pad", data={"text": "x" * 2000}) for _ in range(200)])
    for args in (["events"], ["events", "--json"]):
        ours, theirs = socket.socketpair()
        ours.close()  # gone before anything is written
        proc = subprocess.run(["git", "orch", *args], stdout=theirs, stderr=subprocess.PIPE, text=True)
        theirs.close()
        assert proc.returncode == 0, proc.stderr
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr


def test_version_names_the_backend(orch, repo) -> None:
    assert "(backend: cli)" in orch("--version", env={"GITORCH_BACKEND": "cli"}).stdout
    assert "(backend: pygit2" in orch("--version", env={"GITORCH_BACKEND": "pygit2"}).stdout


def test_git_orch_help_opens_the_man_page(orch, repo, man_from_source) -> None:
    """git turns `git orch --help` into `man git-orch`: the page ships with gitorch (read from
    the source tree here: an editable install has no data files)."""
    proc = orch("--help", env=man_from_source)
    assert proc.returncode == 0, proc.stderr
    assert "git-orch" in proc.stdout and "EXIT STATUS" in proc.stdout


# --- the program's own name ---------------------------------------------------------------

PLAN = "version: 1\nproject: {name: demo}\ntasks:\n  - id: a\n    commands: {x: 'true'}\n"


@pytest.fixture
def planned(repo: Path) -> Path:
    (repo / "orchestrator.yml").write_text(PLAN)
    return repo


def test_python_dash_m_names_itself(planned) -> None:
    """`python -m gitorch` says so in its usage line and in its hints."""
    proc = subprocess.run([sys.executable, "-m", "gitorch", "resume"], capture_output=True, text=True)
    assert proc.returncode != 0
    assert f"`{sys.executable} -m gitorch run`" in proc.stderr
    assert "git orch" not in proc.stderr
    usage = subprocess.run([sys.executable, "-m", "gitorch", "status", "--bogus"], capture_output=True,
                           text=True)
    assert f"Usage: {sys.executable} -m gitorch status" in usage.stderr


def test_git_orch_names_itself(orch, planned) -> None:
    proc = orch("resume")
    assert "`git orch run`" in proc.stderr


def test_invocation_ignores_an_inherited_zipapp_variable(planned) -> None:
    """A task of a zipapp run that calls the installed gitorch inherits GITORCH_ZIPAPP; the
    installed gitorch still names itself `git orch`."""
    proc = subprocess.run(["git", "orch", "resume"], capture_output=True, text=True,
                          env={**os.environ, "GITORCH_ZIPAPP": "/somewhere/orch.pyz"})
    assert "`git orch run`" in proc.stderr
    check = subprocess.run(["git", "orch", "self-check"], capture_output=True, text=True,
                           env={**os.environ, "GITORCH_ZIPAPP": "/somewhere/orch.pyz"})
    assert "mode: installed" in check.stdout


# --- completion ---------------------------------------------------------------------------

def _script(shell: str) -> str:
    proc = subprocess.run(["git", "orch", "--show-completion"], capture_output=True, text=True,
                          env={**os.environ, "SHELL": f"/bin/{shell}"})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_bash_completes_git_orch_and_git_dash_orch(repo, tmp_path: Path) -> None:
    script = tmp_path / "c.bash"
    script.write_text(_script("bash"))
    probe = (
        f"source {script}\n"
        "COMP_WORDS=(git orch sta); COMP_CWORD=2; _git_orch; echo \"${COMPREPLY[*]}\"\n"
        "COMP_WORDS=(git -C . orch plan va); COMP_CWORD=5; _git_orch; echo \"${COMPREPLY[*]}\"\n"
        "COMP_WORDS=(git-orch run --jo); COMP_CWORD=2; _git_orch_direct; echo \"${COMPREPLY[*]}\"\n"
    )
    proc = subprocess.run(["bash", "-c", probe], capture_output=True, text=True)
    assert proc.stdout.splitlines() == ["status state", "validate", "--jobs"], proc.stderr


@pytest.mark.skipif(shutil.which("fish") is None, reason="no fish on this machine")
def test_fish_completes_git_orch(repo, tmp_path: Path) -> None:
    script = tmp_path / "c.fish"
    script.write_text(_script("fish"))
    proc = subprocess.run(["fish", "-c", f"source {script}; complete -C 'git orch sta'; "
                           "complete -C 'git-orch plan va'"], capture_output=True, text=True)
    words = [line.split("\t")[0] for line in proc.stdout.splitlines()]
    assert words == ["state", "status", "validate"], proc.stderr


def test_zsh_script_and_answers(repo, tmp_path: Path) -> None:
    text = _script("zsh")
    assert text.startswith("#compdef git-orch") and "_git-orch()" in text
    if shutil.which("zsh"):
        script = tmp_path / "_git-orch"
        script.write_text(text)
        assert subprocess.run(["zsh", "-n", str(script)]).returncode == 0
    proc = subprocess.run(["git-orch"], capture_output=True, text=True, env={
        **os.environ, "_GIT_ORCH_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "git-orch plan va"})
    assert '"validate"' in proc.stdout and "graph" not in proc.stdout


def test_install_completion_writes_where_the_shell_reads(repo, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    for shell, path in (("bash", ".bash_completions/git-orch.sh"), ("zsh", ".zfunc/_git-orch"),
                        ("fish", ".config/fish/conf.d/git-orch.fish")):
        for _ in range(2):  # twice: the rc line is added once
            proc = subprocess.run(["git", "orch", "--install-completion"], capture_output=True, text=True,
                                  env={**env, "SHELL": f"/usr/bin/{shell}"})
            assert proc.returncode == 0, proc.stderr
        assert (home / path).read_text() == _script(shell)
    assert (home / ".bashrc").read_text().count("git-orch.sh") == 1
    assert "fpath+=~/.zfunc" in (home / ".zshrc").read_text()


def test_unknown_shell_is_one_clear_error(orch, repo) -> None:
    proc = orch("--show-completion", env={"SHELL": "/bin/tcsh"})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "tcsh" in proc.stderr and "SHELL=bash" in proc.stderr


def test_ordinary_commands_do_not_load_completion(repo) -> None:
    code = ("import sys\nfrom gitorch.cli.app import main\ntry:\n    main(['--version'])\n"
            "except SystemExit:\n    pass\nprint('gitorch.cli.completion' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip().splitlines()[-1] == "False", proc.stdout + proc.stderr


# --- help ---------------------------------------------------------------------------------

def _all_help(cli) -> dict[str, str]:
    from gitorch.cli.app import app

    out = {"": cli("--help").output}
    for info in app.registered_commands:
        name = info.name or info.callback.__name__.replace("_", "-")
        out[name] = cli(name, "--help").output
    for group in app.registered_groups:
        text = cli(group.name, "--help").output
        out[group.name] = text
        for line in text.split("Commands:", 1)[-1].splitlines():
            if line.startswith("  ") and not line.startswith("   "):
                sub = line.split()[0]
                out[f"{group.name} {sub}"] = cli(group.name, sub, "--help").output
    return out


def test_help_summaries_are_whole_and_metavars_are_words(cli) -> None:
    import re

    helps = _all_help(cli)
    assert len(helps) > 30
    for name, text in helps.items():
        listing = text.split("Commands:", 1)[1] if "Commands:" in text else ""
        assert "..." not in listing.replace("[ARGS]...", ""), (name, listing)
        assert not re.search(r"-[a-z-]+ <[a-z ]+>|\{[a-zA-Z_]+\}", text), (name, text)
    assert "-j, --jobs N" in helps["run"] and "-t, --task ID" in helps["run"]
    assert "-f, --file PATH" in helps["run"]
    assert "Usage: git orch approve [OPTIONS] GATE" in " ".join(helps["approve"].split())


def test_a_broken_pipe_inside_is_an_internal_error_not_the_reader_leaving(tmp_path: Path) -> None:
    """A BrokenPipeError from a pipe to git (one killed mid-request), with stdout open: the
    run's failure is reported (exit 70), not taken for `| head` leaving (it exited 0)."""
    from tests.engine.helpers import orch_with_site, plan_repo

    repo = plan_repo(tmp_path / "repo", {"README.md": "x\n"}, [{"id": "a", "commands": {"t": "true"}}])
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import gitorch.engine.finish as _f\n"
        "def publish(d):\n    raise BrokenPipeError(32, 'Broken pipe')\n"
        "_f.publish = publish\n")
    proc = orch_with_site(repo, "run", site=site)
    assert proc.returncode == 70, proc.stdout + proc.stderr
    assert "internal error: BrokenPipeError" in proc.stderr
    assert "Traceback" not in proc.stderr
