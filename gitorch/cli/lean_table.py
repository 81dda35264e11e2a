# ruff: noqa: E501
"""The options of the hot commands, derived from the typer app: generated, do not edit.

Regenerate with `python -m gitorch.cli.lean_derive` after changing a hot command's options;
tests/test_cli_lean.py fails while this differs from the typer app.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

TABLE: dict[str, Any] = {
    "root": {
        'callback': 'gitorch.cli.app:root',
        'context_settings': {'help_option_names': ['-h', '--help']},
        'params': (
            {'name': 'version', 'kind': 'option', 'opts': ('--version',), 'type': {'name': 'boolean'}, 'flag': True, 'default': False, 'eager': True, 'callback': True},
            {'name': 'show_completion', 'kind': 'option', 'opts': ('--show-completion',), 'type': {'name': 'boolean'}, 'flag': True, 'default': False, 'expose_value': False, 'eager': True, 'callback': True},
            {'name': 'install_completion', 'kind': 'option', 'opts': ('--install-completion',), 'type': {'name': 'boolean'}, 'flag': True, 'default': False, 'expose_value': False, 'eager': True, 'callback': True},
        ),
    },
    "groups": {
        ('plan',): {
            'callback': None,
            'context_settings': {},
            'params': (
            ),
        },
        ('ws',): {
            'callback': 'gitorch.cli.ws_ephemeral_cmd:_before_any',
            'context_settings': {},
            'params': (
            ),
        },
    },
    "commands": {
        ('run',): {
            'context_settings': {},
            'interspersed': True,
            'ignore_unknown_options': False,
            'extra_args': False,
            'params': (
                {'name': 'file', 'kind': 'option', 'opts': ('--file', '-f'), 'type': {'name': 'str'}},
                {'name': 'task', 'kind': 'option', 'opts': ('--task', '-t'), 'type': {'name': 'str'}, 'multiple': True, 'default': ()},
                {'name': 'all_tasks', 'kind': 'option', 'opts': ('--all',), 'type': {'name': 'boolean'}, 'flag': True, 'default': False},
                {'name': 'dry_run', 'kind': 'option', 'opts': ('--dry-run',), 'type': {'name': 'boolean'}, 'flag': True, 'default': False},
                {'name': 'resume', 'kind': 'option', 'opts': ('--resume',), 'type': {'name': 'boolean'}, 'flag': True, 'default': False},
                {'name': 'jobs', 'kind': 'option', 'opts': ('--jobs', '-j'), 'type': {'name': 'int range', 'clamp': False, 'max': None, 'max_open': False, 'min': 1, 'min_open': False}},
                {'name': 'keep_going', 'kind': 'option', 'opts': ('--keep-going', '-k'), 'type': {'name': 'boolean'}, 'flag': True, 'default': False},
                {'name': 'no_build', 'kind': 'option', 'opts': ('--no-build',), 'type': {'name': 'boolean'}, 'flag': True, 'default': False},
                {'name': 'force', 'kind': 'option', 'opts': ('--force',), 'type': {'name': 'boolean'}, 'flag': True, 'default': False},
                {'name': 'dashboard', 'kind': 'option', 'opts': ('--dashboard',), 'type': {'name': 'boolean'}, 'flag': True, 'default': False},
                {'name': 'only', 'kind': 'option', 'opts': ('--only',), 'type': {'name': 'boolean'}, 'flag': True, 'default': False},
                {'name': 'claim', 'kind': 'option', 'opts': ('--claim',), 'type': {'name': 'boolean'}, 'flag': True, 'default': False},
                {'name': 'remote', 'kind': 'option', 'opts': ('--remote',), 'type': {'name': 'str'}, 'default': 'origin'},
                {'name': 'as_json', 'kind': 'option', 'opts': ('--json',), 'type': {'name': 'boolean'}, 'flag': True, 'default': False},
            ),
        },
        ('status',): {
            'context_settings': {},
            'interspersed': True,
            'ignore_unknown_options': False,
            'extra_args': False,
            'params': (
                {'name': 'file', 'kind': 'option', 'opts': ('--file', '-f'), 'type': {'name': 'str'}},
                {'name': 'as_json', 'kind': 'option', 'opts': ('--json',), 'type': {'name': 'boolean'}, 'flag': True, 'default': False},
            ),
        },
        ('next',): {
            'context_settings': {},
            'interspersed': True,
            'ignore_unknown_options': False,
            'extra_args': False,
            'params': (
                {'name': 'file', 'kind': 'option', 'opts': ('--file', '-f'), 'type': {'name': 'str'}},
                {'name': 'claim', 'kind': 'option', 'opts': ('--claim',), 'type': {'name': 'boolean'}, 'flag': True, 'default': False},
                {'name': 'remote', 'kind': 'option', 'opts': ('--remote',), 'type': {'name': 'str'}, 'default': 'origin'},
                {'name': 'ttl', 'kind': 'option', 'opts': ('--ttl',), 'type': {'name': 'float'}, 'default': 900.0},
                {'name': 'limit', 'kind': 'option', 'opts': ('--limit',), 'type': {'name': 'int range', 'clamp': False, 'max': None, 'max_open': False, 'min': 0, 'min_open': False}, 'default': 10},
                {'name': 'as_json', 'kind': 'option', 'opts': ('--json',), 'type': {'name': 'boolean'}, 'flag': True, 'default': False},
            ),
        },
        ('explain',): {
            'context_settings': {},
            'interspersed': True,
            'ignore_unknown_options': False,
            'extra_args': False,
            'params': (
                {'name': 'task', 'kind': 'argument', 'opts': ('task',), 'type': {'name': 'str'}, 'required': True},
                {'name': 'file', 'kind': 'option', 'opts': ('--file', '-f'), 'type': {'name': 'str'}},
                {'name': 'as_json', 'kind': 'option', 'opts': ('--json',), 'type': {'name': 'boolean'}, 'flag': True, 'default': False},
            ),
        },
        ('plan', 'validate'): {
            'context_settings': {},
            'interspersed': True,
            'ignore_unknown_options': False,
            'extra_args': False,
            'params': (
                {'name': 'file', 'kind': 'option', 'opts': ('--file', '-f'), 'type': {'name': 'path', 'allow_dash': False, 'dir_okay': True, 'exists': False, 'file_okay': True, 'readable': True, 'resolve_path': False, 'type': None, 'writable': False}},
                {'name': 'as_json', 'kind': 'option', 'opts': ('--json',), 'type': {'name': 'boolean'}, 'flag': True, 'default': False},
            ),
        },
        ('ws', 'snapshot'): {
            'context_settings': {},
            'interspersed': True,
            'ignore_unknown_options': False,
            'extra_args': False,
            'params': (
                {'name': 'root', 'kind': 'option', 'opts': ('--root',), 'type': {'name': 'path', 'allow_dash': False, 'dir_okay': True, 'exists': False, 'file_okay': True, 'readable': True, 'resolve_path': False, 'type': 'str', 'writable': False}},
                {'name': 'out', 'kind': 'option', 'opts': ('--out',), 'type': {'name': 'path', 'allow_dash': False, 'dir_okay': True, 'exists': False, 'file_okay': True, 'readable': True, 'resolve_path': False, 'type': 'str', 'writable': False}},
                {'name': 'as_json', 'kind': 'option', 'opts': ('--json',), 'type': {'name': 'boolean'}, 'flag': True, 'default': False},
            ),
        },
    },
}
