"""Fleet: one saved plan applied on two machines over ssh (two real sshd on 127.0.0.1),
one of which fails its preconditions."""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gitorch.workspace import fleet as F

from .fixtures import tree_digest
from .test_effective import NPM, small_workspace

SSHD = shutil.which("sshd") or next((p for p in ("/usr/sbin/sshd",) if os.path.exists(p)), None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _keygen(path: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path.with_suffix(".pub").read_text().strip()


def _start(keys: Path, n: int, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    config = keys / f"sshd_config{n}"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {keys / 'host'}\n"
        f"AuthorizedKeysFile {keys / 'authorized_keys'}\nPidFile {keys / f'sshd{n}.pid'}\n"
        "StrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "PermitRootLogin prohibit-password\n"
        "SetEnv " + " ".join(f"{k}={v}" for k, v in env.items()) + "\n")
    assert SSHD is not None
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            if proc.poll() is not None:
                pytest.skip(f"sshd could not start: {proc.stderr.read().decode() if proc.stderr else ''}")
            time.sleep(0.05)
    proc.kill()
    pytest.skip("sshd did not listen within 10 s")


@pytest.fixture
def two_hosts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Two sshd on loopback with a generated host key; ssh is told that key and a client key."""
    if SSHD is None or shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        pytest.skip("openssh-server (sshd) is not installed: apt-get install openssh-server")
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege separation folder
    keys = tmp_path / "keys"
    keys.mkdir()
    host_pub = _keygen(keys / "host")
    (keys / "authorized_keys").write_text(_keygen(keys / "client") + "\n")
    # The sessions see the test's hermetic home and their own cache (orch.pyz is copied there).
    env = {k: os.environ[k] for k in ("HOME", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM")}
    started = [_start(keys, n, {**env, "GITORCH_CACHE_DIR": str(tmp_path / f"cache{n}")}) for n in (1, 2)]
    ports = [port for _, port in started]
    (keys / "known_hosts").write_text("".join(f"[127.0.0.1]:{p} {host_pub}\n" for p in ports))
    (keys / "ssh_config").write_text(
        f"Host *\n  User {getpass.getuser()}\n  IdentityFile {keys / 'client'}\n  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {keys / 'known_hosts'}\n  StrictHostKeyChecking yes\n"
        "  ConnectTimeout 10\n")
    monkeypatch.setenv(F.SSH_ENV, f"ssh -F {keys / 'ssh_config'}")
    yield ports
    for proc, _ in started:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.slow
def test_fleet_apply_on_two_hosts_one_failing(tmp_path: Path, two_hosts: list[int], shared_pyz: Path,
                                              cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    local = tmp_path / "local"
    hub = small_workspace(local, NPM, [("npmapp", "npmlib")])
    machines = [tmp_path / "m1", tmp_path / "m2"]
    for m in machines:  # the same workspace, checked out on each machine
        shutil.copytree(local, m, symlinks=True)
    (machines[1] / "npmapp/notes.txt").write_text("uncommitted work\n")  # m2's precondition fails
    before = tree_digest(machines[1])
    monkeypatch.chdir(hub)
    assert cli("ws", "plan", "--out", str(tmp_path / "plan.json")).exit_code == 0
    urls = [f"ssh://127.0.0.1:{port}{m / 'hub'}" for port, m in zip(two_hosts, machines, strict=True)]
    (tmp_path / "hosts.txt").write_text(f"# the second machine\n{urls[1]}\n")
    result = cli("ws", "apply", str(tmp_path / "plan.json"), "--remote", urls[0],
                 "--fleet", str(tmp_path / "hosts.txt"), "-j", "2", "--pyz", str(shared_pyz))
    out = result.output
    assert result.exit_code == 1, out
    h1, h2 = (f"127.0.0.1:{p}" for p in two_hosts)
    assert f"[{h1}] copied orch.pyz to {tmp_path / 'cache1'}/fleet" in out
    assert f"[{h1}] plan plan-" in out and ": committed (1 operation(s))" in out
    assert f"[{h2}] " in out and "repo npmapp has uncommitted changes (notes.txt)" in out
    rows = {line.split()[0]: line.split()[1] for line in out.splitlines()[-3:] if line.startswith("127.")}
    assert rows == {h1: "ok", h2: "FAILED"}
    assert out.splitlines()[-2].endswith("repo npmapp has uncommitted changes (notes.txt); commit or "
                                         "stash them, or use --force")
    assert f"the plan failed on 1 of 2 host(s): {h2}" in out
    assert '"npmlib": "file:../npmlib"' in (machines[0] / "npmapp/package.json").read_text()
    assert tree_digest(machines[1]) == before  # nothing moved where the preconditions failed
    assert (local / "npmapp/package.json").read_text() == NPM["npmapp"]["package.json"]  # nor here


def test_a_plan_is_rerooted_or_refused() -> None:
    from gitorch.workspace.model import Link
    from gitorch.workspace.plan import WorkspacePlan, plan_id

    plan = WorkspacePlan(id="", action="attach", root="/a/hub",
                         current={"repos": {"hub": {"path": "/a/hub"}, "lib": {"path": "/a/lib"}}},
                         links=[Link(repo="app", dep="lib", provider="lib", ecosystem="npm",
                                     file="package.json", path="file:../lib")])
    moved = F.reroot(plan, "/srv/ws/hub")
    assert (moved.root, moved.current["repos"]["lib"]["path"]) == ("/srv/ws/hub", "/srv/ws/lib")
    assert moved.id == plan_id(moved) != plan_id(plan)
    pep508 = WorkspacePlan(id="", action="attach", root="/a/hub", current=plan.current,
                           links=[Link(repo="app", dep="lib", provider="lib", ecosystem="python",
                                       file="pyproject.toml", path="file:///a/lib")])
    with pytest.raises(Exception, match="cannot be re-rooted to /srv/ws/hub: it embeds a local path"):
        F.reroot(pep508, "/srv/ws/hub")


def test_fleet_input_is_checked(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="expected ssh://"):
        F.parse_host("127.0.0.1:/srv/ws")
    with pytest.raises(Exception, match="no passwords"):
        F.parse_host("ssh://me:secret@host/srv/ws")
    fleet = tmp_path / "hosts.txt"
    fleet.write_text("# the fleet\nssh://a@h1:2222/srv/ws\n\nssh://h2/srv/ws\n")
    assert [(h.name, h.path) for h in F.read_fleet(fleet)] == [("a@h1:2222", "/srv/ws"), ("h2", "/srv/ws")]
