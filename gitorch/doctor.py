"""`git orch doctor`: everything that can stop gitorch working here, each with a fix.

Findings have a severity: `ok`, `info` (worth knowing, nothing to do), `warning` and
`error` (both are problems: the command exits 1). Checks never change anything.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitorch.gitcmd import git
from gitorch.words import plural

if TYPE_CHECKING:
    from gitorch.context import Context
    from gitorch.store.state import StateStore

SEVERITIES = ("ok", "info", "warning", "error")
MIN_GIT = (2, 25)
MIN_FREE_BYTES = 100 * 1024 * 1024


@dataclass
class DoctorFinding:
    """One result of a check."""

    check: str
    severity: str  # ok | info | warning | error
    message: str
    fix: str | None = None

    @property
    def problem(self) -> bool:
        return self.severity in ("warning", "error")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# --- checks ------------------------------------------------------------------------------

def check_git(ctx: Context) -> list[DoctorFinding]:
    """The git version and the backend gitorch will use."""
    repo = ctx.repo
    out: list[DoctorFinding] = []
    text = git(["--version"], repo.cwd).stdout.decode().strip()
    m = re.search(r"(\d+)\.(\d+)", text)
    version = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    if version < MIN_GIT:
        out.append(DoctorFinding("git", "error", f"{text} is older than {MIN_GIT[0]}.{MIN_GIT[1]}",
                                 "install a newer git"))
    else:
        out.append(DoctorFinding("git", "ok", text))
    out.append(_check_backend(ctx))
    return out


def _check_backend(ctx: Context) -> DoctorFinding:
    """The backend store/select.py chooses here, opened as a store would open it."""
    from gitorch.errors import ConfigError
    from gitorch.store.select import choose, open_backend

    repo = ctx.repo
    try:
        wanted = choose(ctx.settings.backend)
    except ConfigError as exc:  # the config check names the problem
        why = f"not checked: the settings do not read ({exc})".split("\n")[0]
        return DoctorFinding("backend", "info", why)
    try:
        backend, got = open_backend(str(repo.git_dir), wanted, str(repo.common_dir / "orch"))
    except ConfigError as exc:
        return DoctorFinding("backend", "error", str(exc), exc.hint)
    backend.close()
    if got.name == "pygit2":
        import pygit2

        version = f"pygit2 {pygit2.__version__} (libgit2 {pygit2.LIBGIT2_VERSION})"
        return DoctorFinding("backend", "ok", version)
    if wanted.name == "pygit2":  # "auto" fell back: the git CLI works; the broken install is worth knowing
        return DoctorFinding("backend", "warning", f"{got.reason.removeprefix('auto: ')}; using the git "
                             "command line instead",
                             "reinstall pygit2, or `git orch config set backend cli` to say so")
    return DoctorFinding("backend", "ok", f"git command line ({wanted.reason})")


def check_config(ctx: Context) -> list[DoctorFinding]:
    """Every config level parses and names known keys with the right types."""
    repo = ctx.repo
    from gitorch.config import explain
    from gitorch.errors import ConfigError

    try:
        values = explain(repo, dict(ctx.overrides) or None)
    except ConfigError as exc:
        return [DoctorFinding("config", "error", str(exc).split("\n")[0],
                              exc.hint or "fix the file or key named; `git orch config show` checks again")]
    changed = sum(v.level != "default" for v in values.values())
    values_set = f"{changed} value{'s' if changed != 1 else ''}"
    return [DoctorFinding("config", "ok", f"config reads cleanly ({values_set} set outside the defaults)")]


def check_state_branch(ctx: Context) -> list[DoctorFinding]:
    """The state branch exists, can be read, and was written by a schema this gitorch knows."""
    from gitorch.errors import OrchError

    branch = ctx.settings.state_branch
    try:
        store = ctx.store
        if not store.exists():
            return [DoctorFinding("state", "info", f"no state branch {branch} yet",
                                  "`git orch init` creates it (any run does too)")]
        tip = store.tip()
        version = _schema_version(store)
        # Reading every event checks the format marker and each segment.
        count = len(store.events())
        problems = list(store.problems)
    except OrchError as exc:
        return [DoctorFinding("state", "error", f"state branch {branch} cannot be read: {exc.message}",
                              exc.hint or "`git orch sync` from a clone with good state, or "
                              "`git orch import` an export")]
    from gitorch.store.layout import READS_SCHEMA

    short = (tip or "")[:12]
    if version is not None and version > READS_SCHEMA:
        return [DoctorFinding("state", "error", f"state branch {branch} ({short}) has schema version "
                              f"{version}, newer than this gitorch ({READS_SCHEMA})",
                              "upgrade gitorch; it refuses to rewrite newer state")]
    shown = f"schema version {version}" if version is not None else "no schema record"
    found = [DoctorFinding("state", "ok", f"state branch {branch} at {short}, {shown}, "
                                      f"{plural(count, 'event')}")]
    if problems:
        found.append(DoctorFinding("state", "warning", f"{len(problems)} unreadable records skipped: "
                                   + "; ".join(problems[:3]) + ("; …" if len(problems) > 3 else ""),
                                   "`git orch sync` from a clone with good state; the rest is intact"))
    return found


def _schema_version(store: StateStore) -> int | None:
    """The schema version in the branch's format marker (None when there is none to read)."""
    import msgspec

    from gitorch.store.layout import MARKER, Marker

    data = store.read(MARKER)
    if data is None:
        return None
    try:
        return msgspec.json.decode(data, type=Marker).schema_version
    except msgspec.DecodeError:  # reading the events names the broken marker
        return None


def check_locks(ctx: Context) -> list[DoctorFinding]:
    """Locks under `<scratch>/locks`: held (by whom) or left by a process that died."""
    repo = ctx.repo
    from gitorch.store.locks import funlock, read_holder, try_flock

    locks = repo.common_dir / "orch" / "locks"
    if not locks.is_dir():
        return [DoctorFinding("locks", "ok", "no locks")]
    out: list[DoctorFinding] = []
    for path in sorted(locks.glob("*.lock")):
        holder = read_holder(path)
        try:
            with open(path, "rb") as fh:
                busy = not try_flock(fh)
                if not busy:
                    funlock(fh)
        except OSError:
            continue
        name = path.stem
        who = holder.describe() if holder else "an unknown process"
        alive = holder.alive() if holder else False
        if busy or (holder and alive):
            out.append(DoctorFinding("locks", "info", f"lock {name} is held by {who}",
                                     f"wait for it to finish; it blocks other writers of {name}"))
        elif holder:
            state = "on another host" if alive is None else "by a process that is gone"
            out.append(DoctorFinding("locks", "warning", f"stale lock {name}: left {state}, {who}",
                                     f"nothing holds it now and the next writer takes it over; "
                                     f"to clear the record: truncate {path}"))
    return out or [DoctorFinding("locks", "ok", "no lock held")]


def check_hooks(ctx: Context) -> list[DoctorFinding]:
    """gitorch's observation hooks: installed, current, and any earlier hook still chained."""
    repo = ctx.repo
    from gitorch.hooks.status import hooks_status

    st = hooks_status(repo)
    if st["mechanism"] in ("config", "call") or st["state"] == "bypassed":
        level = {"installed": "ok", "disabled": "info"}.get(st["state"], "warning")
        return [DoctorFinding("hooks", level, f"drift hooks {st['state']}: {st['detail']}")]
    directory = st["dir"]
    hooks: list[dict[str, Any]] = list(st["hooks"])  # type: ignore[call-overload]
    ours = [h for h in hooks if h["state"] in ("installed", "outdated")]
    if not ours:
        return [DoctorFinding("hooks", "info", f"drift hooks not installed in {directory}",
                              "`git orch hooks install` for a one-line drift notice after checkouts")]
    out: list[DoctorFinding] = []
    if not st["enabled"]:
        out.append(DoctorFinding("hooks", "info", f"hooks installed but switched off by {st['disabled_by']}",
                                 "unset it to get drift notices again"))
    missing = [h["hook"] for h in hooks if h["state"] in ("absent", "other")]
    if missing:
        other = [h["hook"] for h in hooks if h["state"] == "other"]
        detail = f" ({', '.join(other)} belong to something else)" if other else ""
        out.append(DoctorFinding("hooks", "warning", f"hooks {', '.join(missing)} are not gitorch's{detail}",
                                 "`git orch hooks install` (it keeps and chains existing hooks)"))
    outdated = [h["hook"] for h in hooks if h["state"] == "outdated"]
    if outdated:
        out.append(DoctorFinding("hooks", "warning",
                                 f"hooks {', '.join(outdated)} come from an older gitorch",
                                 "`git orch hooks install` upgrades them"))
    for h in ours:
        at = Path(h["at"] or h["path"])
        if not os.access(at, os.X_OK):
            out.append(DoctorFinding("hooks", "warning", f"{at} is not executable, so git skips it",
                                     f"chmod +x {at}"))
        kept = h.get("legacy")
        if kept and Path(kept).exists() and not os.access(kept, os.X_OK):
            out.append(DoctorFinding("hooks", "warning", f"chained hook {kept} is not executable, so it "
                                     "is not run", f"chmod +x {kept}"))
        if h.get("python") and h.get("python_found") is False:
            out.append(DoctorFinding("hooks", "info", f"{h['hook']} records {h['python']}, which is gone; "
                                     "it falls back to git-orch on PATH",
                                     "`git orch hooks install` records the current interpreter"))
    chained = [h["hook"] for h in ours if h.get("legacy")]
    if not out:
        note = f"; chained: {', '.join(chained)}" if chained else ""
        out.append(DoctorFinding("hooks", "ok", f"drift hooks installed in {directory}{note}"))
    return out


def check_legacy(ctx: Context) -> list[DoctorFinding]:
    """Legacy state (the seed's files) beside the state branch."""
    repo = ctx.repo
    from gitorch.migrate import status

    st = status(repo)
    if not st.legacy_files and not st.symlinks:
        return [DoctorFinding("legacy", "ok", "no legacy state files")]
    out: list[DoctorFinding] = []
    if st.symlinks:
        out.append(DoctorFinding("legacy", "warning", "symlinked legacy paths (never followed): "
                                 + ", ".join(st.symlinks), "replace them with the files they point to, "
                                 "or remove them"))
    if st.migration is None:
        out.append(DoctorFinding("legacy", "warning", f"legacy state not migrated: {len(st.legacy_files)} "
                                 "files (" + ", ".join(st.legacy_files[:4])
                                 + (", …" if len(st.legacy_files) > 4 else "") + ")",
                                 "`git orch migrate --dry-run`, then `git orch migrate`"))
    elif st.changed:
        out.append(DoctorFinding("legacy", "warning", "legacy files changed since migration "
                                 f"{st.migration}: " + ", ".join(st.changed),
                                 "`git orch migrate --prefer legacy` imports them, `--prefer state` keeps "
                                 "the state branch as it is"))
    else:
        out.append(DoctorFinding("legacy", "info", f"legacy files still present, already migrated "
                                 f"({st.migration})", "`git orch migrate --remove-legacy` removes them"))
    out += [DoctorFinding("legacy", "info", f"left alone by migrate: {note}") for note in st.notes]
    return out


def check_secrets(ctx: Context) -> list[DoctorFinding]:
    """Every secret the plan requires is set somewhere."""
    from gitorch.errors import OrchError
    from gitorch.secrets.checks import doctor

    try:
        found = doctor(ctx.repo, ctx.file)
    except OrchError as exc:
        return [DoctorFinding("secrets", "warning", f"cannot read the plan's secrets: {exc.message}",
                              "`git orch plan validate`")]
    if not found:
        return [DoctorFinding("secrets", "ok", "the plan requires no secrets")]
    out = [DoctorFinding("secrets", "error", f"secret {s.name} is missing (used by {', '.join(s.used_by)})",
                         f"`git orch secrets set {s.name}` (value on stdin) or export {s.name}")
           for s in found if not s.present]
    return out or [DoctorFinding("secrets", "ok", f"all {len(found)} required secrets present")]


def check_ephemeral(ctx: Context) -> list[DoctorFinding]:
    """An ephemeral machine with state that exists only here."""
    repo = ctx.repo
    from gitorch.ephemeral import detect

    where = detect()
    if where is None:
        return [DoctorFinding("ephemeral", "ok", "not an ephemeral environment")]
    branch = ctx.settings.state_branch
    tip = git(["rev-parse", "--verify", "-q", f"refs/heads/{branch}"], repo.cwd, check=False)
    if tip.returncode != 0:
        return [DoctorFinding("ephemeral", "info", f"ephemeral environment ({where}); no state yet")]
    local = tip.stdout.decode().strip()
    # Either git's remote-tracking branch or the one `init --portable` fetch refspecs fill.
    remotes = git(["for-each-ref", "--format=%(objectname) %(refname)", f"refs/remotes/*/{branch}",
                   "refs/orch/remotes/*/state"], repo.cwd, check=False).stdout.decode().split("\n")
    pushed = False
    for line in remotes:
        if not line.strip():
            continue
        oid = line.split()[0]
        merged = git(["merge-base", "--is-ancestor", local, oid], repo.cwd, check=False)
        if merged.returncode == 0:
            pushed = True
    if pushed:
        return [DoctorFinding("ephemeral", "ok", f"ephemeral environment ({where}); state is pushed")]
    return [DoctorFinding("ephemeral", "warning",
                          f"ephemeral environment ({where}) and state branch {branch} is not pushed: "
                          "it would be lost with this machine",
                          "`git orch sync` to push it, or `git orch export -o state.tar.gz` to keep a copy")]


def check_disk(ctx: Context) -> list[DoctorFinding]:
    repo = ctx.repo
    usage = shutil.disk_usage(repo.common_dir)
    free_mb = usage.free // (1024 * 1024)
    if usage.free < MIN_FREE_BYTES:
        return [DoctorFinding("disk", "warning", f"only {free_mb} MB free where the git directory is",
                              "free some space: writes to the state branch may fail")]
    return [DoctorFinding("disk", "ok", f"{free_mb} MB free")]


def check_permissions(ctx: Context) -> list[DoctorFinding]:
    """`<git dir>/orch` (locks, journal, secrets) is ours, writable, and not open to others."""
    repo = ctx.repo
    scratch = repo.common_dir / "orch"
    if not scratch.exists():
        return [DoctorFinding("permissions", "ok", f"{scratch} not created yet")]
    out: list[DoctorFinding] = []
    st = scratch.stat()
    if not os.access(scratch, os.W_OK | os.X_OK):
        out.append(DoctorFinding("permissions", "error", f"{scratch} is not writable by this user",
                                 f"chown/chmod u+rwx {scratch}"))
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        out.append(DoctorFinding("permissions", "warning", f"{scratch} belongs to uid {st.st_uid}, not you",
                                 f"chown -R $(id -u) {scratch}"))
    if st.st_mode & stat.S_IWOTH:
        out.append(DoctorFinding("permissions", "warning", f"{scratch} is writable by everyone",
                                 f"chmod o-w {scratch}"))
    secrets = scratch / "secrets"
    if secrets.is_dir():
        loose = [p.name for p in secrets.iterdir()
                 if p.is_file() and p.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO)]
        if loose:
            out.append(DoctorFinding("permissions", "error", "secret files readable by others: "
                                     + ", ".join(sorted(loose)), f"chmod 600 {secrets}/*"))
    return out or [DoctorFinding("permissions", "ok", f"{scratch} is private and writable")]


CHECKS: tuple[Callable[[Context], list[DoctorFinding]], ...] = (
    check_config, check_git, check_state_branch, check_locks, check_hooks, check_legacy, check_ephemeral,
    check_disk, check_permissions,
)


def diagnose(ctx: Context) -> list[DoctorFinding]:
    """Run every check; a check that crashes becomes an error finding rather than a traceback."""
    from gitorch.errors import ConfigError, OrchError

    findings: list[DoctorFinding] = []
    runs: list[tuple[str, Callable[[], list[DoctorFinding]]]] = [
        (fn.__name__.removeprefix("check_"), lambda fn=fn: fn(ctx)) for fn in CHECKS  # type: ignore[misc]
    ]
    runs.insert(6, ("secrets", lambda: check_secrets(ctx)))
    for name, run in runs:
        try:
            findings.extend(run())
        except ConfigError as exc:
            if any(f.check == "config" and f.problem for f in findings):
                # Said once by the config check: later checks only say what they skipped.
                findings.append(DoctorFinding(name, "info", "skipped: it needs the config, which does "
                                              "not read (see the config finding)"))
            else:
                findings.append(DoctorFinding(name, "error", exc.message, exc.hint))
        except OrchError as exc:
            findings.append(DoctorFinding(name, "error", exc.message, exc.hint))
        except Exception as exc:  # a broken check must not hide the others
            findings.append(DoctorFinding(name, "error", f"check failed: {type(exc).__name__}: {exc}",
                                          "please report this"))
    return findings


def healthy(findings: list[DoctorFinding]) -> bool:
    return not any(f.problem for f in findings)
