"""`config` and `secrets`: thin wrappers over gitorch.config and gitorch.secrets (`doctor`
and `migrate` are registered from here; they live in cli/doctor_cmd.py, cli/migrate_cmd.py)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from gitorch.errors import EXIT_FAILED, UsageError

if TYPE_CHECKING:
    from gitorch.repo import Repo

config_app = typer.Typer(help="Read and write settings (user, repo, local git config).",
                         no_args_is_help=True)
secrets_app = typer.Typer(help="Secrets a plan needs: check, store and test them.",
                          no_args_is_help=True)

_JSON = typer.Option(False, "--json", help="Machine-readable output.")


def _level(user: bool, repo: bool, local: bool, default: str | None = "git") -> str | None:
    chosen = [name for name, on in (("user", user), ("repo", repo), ("git", local)) if on]
    if len(chosen) > 1:
        raise UsageError("choose one of --user, --repo, --local")
    return chosen[0] if chosen else default


def _repo_or_none() -> Repo | None:
    from gitorch.errors import NotARepoError
    from gitorch.repo import find_repo

    try:
        return find_repo()
    except NotARepoError:
        return None


# --- config ---------------------------------------------------------------------------

@config_app.command("get")
def config_get(
    key: str = typer.Argument(..., metavar="KEY", help="Setting name, e.g. state_branch."),
    user: bool = typer.Option(False, "--user", help="Only the user config file."),
    repo_level: bool = typer.Option(False, "--repo", help="Only config.toml on the state branch."),
    local: bool = typer.Option(False, "--local", help="Only git config orch.*."),
    as_json: bool = _JSON,
) -> None:
    """Print one setting's value (its effective value unless a level is given)."""
    from gitorch import config
    from gitorch.cli.output import emit_json, say
    from gitorch.errors import CheckFailed

    repo = _repo_or_none()
    level = _level(user, repo_level, local, default=None)
    if level is None:
        value = config.explain(repo, None)[config.canonical_key(key)]
    else:
        found = config.level_value(repo, key, level)
        if found is None:
            raise CheckFailed(f"{config.canonical_key(key)} is not set in the {level} config")
        value = found
    if as_json:
        emit_json({"key": value.key, "value": value.value, "level": value.level,
                   "source": value.source})
    else:
        say(config.format_value(value.value))


# A negative number is a value to validate (and refuse with the documented message), not an option.
@config_app.command("set", context_settings={"ignore_unknown_options": True})
def config_set(
    key: str = typer.Argument(..., metavar="KEY", help="Setting name."),
    value: str = typer.Argument(..., metavar="VALUE", help="New value (booleans: true/false)."),
    user: bool = typer.Option(False, "--user", help="Write the user config file."),
    repo_level: bool = typer.Option(False, "--repo", help="Write config.toml on the state branch "
                                    "(shared by every clone through sync)."),
    local: bool = typer.Option(False, "--local", help="Write git config orch.* (the default)."),
    as_json: bool = _JSON,
) -> None:
    """Set a setting at one level (default: local git config)."""
    from gitorch import config
    from gitorch.cli.output import emit_json, say

    level = _level(user, repo_level, local) or "git"
    done = config.set_value(_repo_or_none(), key, value, level)
    if as_json:
        emit_json({"key": done.key, "value": done.value, "level": done.level, "source": done.source})
    else:
        say(f"{done.render()}")


@config_app.command("unset")
def config_unset(
    key: str | None = typer.Argument(None, metavar="KEY", help="Setting name."),
    user: bool = typer.Option(False, "--user", help="The user config file."),
    repo_level: bool = typer.Option(False, "--repo", help="config.toml on the state branch."),
    local: bool = typer.Option(False, "--local", help="git config orch.* (the default)."),
    everything: bool = typer.Option(False, "--all", help="With --repo and no KEY: remove the "
                                    "whole repo config, even one that does not parse."),
    as_json: bool = _JSON,
) -> None:
    """Remove a setting from one level."""
    from gitorch import config
    from gitorch.cli.output import emit_json, say

    level = _level(user, repo_level, local) or "git"
    if everything:
        if level != "repo" or key is not None:
            raise UsageError("--all goes with --repo and no KEY: git orch config unset --repo --all")
        removed = config.unset_repo_config(_repo_or_none())
        if as_json:
            emit_json({"key": None, "level": level, "removed": removed})
        else:
            say("repo config removed" if removed else "there was no repo config")
        return
    if key is None:
        raise UsageError("missing KEY: git orch config unset KEY [--user|--repo|--local]")
    removed = config.unset_value(_repo_or_none(), key, level)
    name = config.canonical_key(key)
    if as_json:
        emit_json({"key": name, "level": level, "removed": removed})
    else:
        say(f"{name}: removed from the {level} config" if removed
            else f"{name}: was not set in the {level} config")


@config_app.command("show")
def config_show(
    effective: bool = typer.Option(False, "--effective", help="Every value, defaults included."),
    as_json: bool = _JSON,
) -> None:
    """Print settings with the source of each value."""
    from gitorch import config
    from gitorch.cli.output import emit_json, say

    values = config.explain(_repo_or_none(), None)
    shown = [v for v in values.values() if effective or v.level != "default"]
    if as_json:
        emit_json([{"key": v.key, "value": v.value, "level": v.level, "source": v.source}
                   for v in shown])
        return
    say("Configuration (showing effective values):" if effective
        else "Configuration (values set outside the defaults; --effective shows all):")
    say()
    for v in shown:
        say(f"  {v.render()}")
    if not shown:
        say("  (nothing set: every value is its default)")


# --- secrets --------------------------------------------------------------------------

@secrets_app.command("doctor")
def secrets_doctor(
    file: str = typer.Option(None, "--file", "-f", help="Plan file (default: orchestrator.yml)."),
    as_json: bool = _JSON,
) -> None:
    """List each secret the plan requires as present or missing, with its source (never its value)."""
    from gitorch.cli.output import emit_json, say
    from gitorch.repo import find_repo
    from gitorch.secrets.checks import doctor

    found = doctor(find_repo(), file)
    missing = [s for s in found if not s.present]
    if as_json:
        emit_json({"ok": not missing, "secrets": [s.to_json() for s in found]})
    else:
        if not found:
            say("the plan declares no secrets")
        for s in found:
            used = ", ".join(s.used_by)
            origin = s.where if s.where.startswith(f"{s.source} ") else f"{s.source} {s.where}"
            state = f"present (from: {origin})" if s.present else s.where  # `env X`, not `env env X`
            say(f"{'ok' if s.present else 'MISSING'}  {s.name}  [{used}]  {state}")
    if missing:
        raise typer.Exit(EXIT_FAILED)


@secrets_app.command("set")
def secrets_set(
    name: str = typer.Argument(..., metavar="NAME", help="Secret name (becomes an environment variable)."),
    user: bool = typer.Option(False, "--user", help="Store for every repository of this user."),
    repo_level: bool = typer.Option(False, "--repo", help="Store for this repository (default)."),
    as_json: bool = _JSON,
) -> None:
    """Store a secret; the value is read from stdin (or a hidden prompt), never from arguments."""
    from gitorch.cli.output import emit_json, say
    from gitorch.secrets.store import check_name, store_set

    check_name(name)
    scope = "user" if user else "repo"
    if user and repo_level:
        raise UsageError("choose one of --user, --repo")
    if sys.stdin is not None and sys.stdin.isatty():
        value = typer.prompt(f"value of {name}", hide_input=True)
    else:
        value = sys.stdin.read() if sys.stdin is not None else ""
        # `echo VALUE | …` adds one newline that is not part of the secret.
        if value.endswith("\r\n"):
            value = value[:-2]
        elif value.endswith("\n"):
            value = value[:-1]
    if not value.strip():  # blank is a mistake (an empty variable, a stray newline), not a secret
        raise UsageError(f"no value given for {name} on stdin" if not value
                         else f"the value given for {name} is only whitespace")
    from gitorch.repo import find_repo

    repo = _repo_or_none() if scope == "user" else find_repo()
    where = store_set(repo, name, value, scope)
    if as_json:
        emit_json({"name": name, "scope": scope, "where": where})
    else:
        say(f"{name}: stored in the {scope} store ({where})")


@secrets_app.command("unset")
def secrets_unset(
    name: str = typer.Argument(..., metavar="NAME", help="Secret name."),
    user: bool = typer.Option(False, "--user", help="The user store."),
    as_json: bool = _JSON,
) -> None:
    """Remove a secret from the repo store (or --user store)."""
    from gitorch.cli.output import emit_json, say
    from gitorch.secrets.store import store_unset

    scope = "user" if user else "repo"
    removed = store_unset(_repo_or_none(), name, scope)
    if as_json:
        emit_json({"name": name, "scope": scope, "removed": removed})
    else:
        say(f"{name}: removed from the {scope} store" if removed
            else f"{name}: not in the {scope} store")


@secrets_app.command("test")
def secrets_test(
    name: str = typer.Argument(..., metavar="NAME", help="Secret name."),
    file: str = typer.Option(None, "--file", "-f", help="Plan file (default: orchestrator.yml)."),
    as_json: bool = _JSON,
) -> None:
    """Check a secret is set and, when the plan gives a probe command, that the probe passes."""
    from gitorch.cli.output import emit_json, say
    from gitorch.repo import find_repo
    from gitorch.secrets.checks import test

    result = test(find_repo(), name, file)
    if as_json:
        emit_json(result.to_json())
    elif not result.present:
        say(f"MISSING  {name}: `git orch secrets set {name}` or export {name}")
    elif result.probe is None:
        say(f"ok  {name}: present (from: {result.source}); the plan gives no probe")
    else:
        verdict = "ok" if result.ok else "FAILED"
        say(f"{verdict}  {name}: probe `{result.probe}` exited {result.exit_code}")
        if result.output.strip() and not result.ok:
            say(result.output.rstrip())
    if not result.ok:
        raise typer.Exit(EXIT_FAILED)


def register(app: typer.Typer) -> None:
    """Add this group's commands to the root app."""
    app.add_typer(config_app, name="config")
    app.add_typer(secrets_app, name="secrets")
    from gitorch.cli import doctor_cmd, migrate_cmd  # each has its own module (issue 13 item 10)

    doctor_cmd.register(app)
    migrate_cmd.register(app)
