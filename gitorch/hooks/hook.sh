#!/bin/sh
case $#:$3 in 3:0) [ -x "$0.legacy" ] && exec "$0.legacy" "$@"; exit 0 ;; esac
# gitorch-hook 9
# A file checkout (post-checkout's flag 0), or one that keeps HEAD (`git checkout -b`), changes
# nothing to observe: said first, before anything else runs (post-checkout alone gets three
# arguments, also as git's config-based hook); a kept hook still runs, with its exit status.
# The file checkout is the first line, one `case` (no `[` and no comment to read before it):
# 240 K instructions of dash against 222 K for an `exit 0` hook (274 K as an `if [ ... ]`).
if [ $# = 3 ] && [ "$1" = "$2" ]; then
    [ -x "$0.legacy" ] && exec "$0.legacy" "$@"
    exit 0
fi
# Installed by `git orch hooks install` as post-checkout, post-merge and post-rewrite (or, on
# git >= 2.54, as the command of the config-based hook gitorch-observe for all three);
# `git orch hooks uninstall` removes it and puts back the hook that was here before.
# It observes and tells: it never runs a plan's commands and never fails the git command.
# Switch it off with GITORCH_HOOKS=0 or `git config orch.hooks false`.

# start templated
GITORCH_PYTHON=''
GITORCH_PATH=''
GITORCH_PYZ=''
# end templated

hook=${0##*/}
hook=${hook%%.*}  # also when run as another tool's `<hook>.legacy`
case $hook in
post-checkout | post-merge | post-rewrite | pre-commit) ;;
*)  # git's config-based hooks (hook.gitorch-observe.command) run one script for all three:
    # post-checkout gets three arguments, post-rewrite `amend` or `rebase`, post-merge a flag
    if [ $# -ge 3 ]; then
        hook=post-checkout
    elif [ "${1-}" = amend ] || [ "${1-}" = rebase ]; then
        hook=post-rewrite
    elif [ $# -eq 0 ]; then
        hook=pre-commit
    else
        hook=post-merge
    fi
    ;;
esac
status=0

# The hook that was here before gitorch's runs first, with the same arguments and stdin,
# and its exit status stays the hook's status, as before gitorch was installed.
if [ -x "$0.legacy" ]; then
    "$0.legacy" "$@"
    status=$?
fi

case ${GITORCH_HOOKS-} in 0 | [Ff][Aa][Ll][Ss][Ee] | [Nn][Oo] | [Oo][Ff][Ff]) exit "$status" ;; esac
# pre-commit refuses a commit whose staged manifests hold an active workspace link (precommit.py);
# without a manifest that `ws apply` edits in place, or with GITORCH_ALLOW_LINKS=1, it has nothing to do.
if [ "$hook" = pre-commit ]; then
    [ "$status" = 0 ] || exit "$status"
    case ${GITORCH_ALLOW_LINKS-} in 1 | [Tt][Rr][Uu][Ee] | [Yy][Ee][Ss]) exit 0 ;; esac
    [ -e pyproject.toml ] || [ -e package.json ] || [ -e mix.exs ] || [ -e Cargo.toml ] || [ -e go.mod ] || exit 0
    if [ -x "$GITORCH_PYTHON" ]; then
        GITORCH_ZIPAPP=$GITORCH_PYZ "$GITORCH_PYTHON" -I -S -c '
import sys
sys.path.append(sys.argv[1]) if sys.argv[1] else None
try:
    from gitorch.hooks.precommit import main
except ImportError:
    sys.exit(3)
sys.exit(main())' "$GITORCH_PATH" </dev/null
        status=$?
        [ "$status" = 3 ] || exit "$status"
    fi
    command -v git-orch >/dev/null 2>&1 && exec git orch observe --trigger pre-commit </dev/null
    echo "orch: gitorch is gone, so its pre-commit hook checks nothing (git orch hooks uninstall)" >&2
    exit 0
fi
# A rebase checks out its base first (post-checkout), then replays the commits on its todo
# list and reports them (post-rewrite): tell once, at the end. A rebase with nothing to
# replay (a fast-forward) runs no post-rewrite, so its checkout is observed as any other.
if [ "$hook" = post-checkout ]; then
    gitdir=${GIT_DIR:-.git}
    if [ -f "$gitdir" ]; then  # a linked worktree: `gitdir: PATH`
        read -r gitdir <"$gitdir" || gitdir=
        gitdir=${gitdir#gitdir: }
    fi
    if [ -n "$gitdir" ] && [ -s "$gitdir/rebase-merge/git-rebase-todo" ]; then
        exit "$status"
    fi
fi
# Nothing to observe without a state branch (nothing recorded, no watch.json) and without a
# workspace.toml: say so without starting Python, when the files git keeps tell for sure (git
# runs hooks at the work tree's root; a linked worktree, GIT_DIR or reftable: ask Python).
has_ref() {
    case $1 in refs/*) ref=$1 ;; *) ref=refs/heads/$1 ;; esac
    [ -e ".git/$ref" ] || { [ -e .git/packed-refs ] && grep -q -F -e " $ref" .git/packed-refs 2>/dev/null; }
}
config_read=
if [ ! -e workspace.toml ] && [ -z "${GIT_DIR-}" ] && [ -d .git ] && [ ! -e .git/reftable ] &&
    ! has_ref "${GITORCH_STATE_BRANCH:-orch/state}"; then
    [ -n "${GITORCH_STATE_BRANCH-}" ] && exit "$status"  # the environment wins over git config
    # orch.stateBranch may name another branch: one git call reads both settings (in lower
    # case). Where the branch exists, Python reads them itself, mostly without git.
    off= branch=
    while read -r key value; do
        case $key in
        orch.hooks) case $value in [Ff][Aa][Ll][Ss][Ee] | [Nn][Oo] | [Oo][Ff][Ff] | 0) off=1 ;; *) off= ;; esac ;;
        orch.statebranch) branch=$value ;;
        esac
    done <<EOF
$(git config --get-regexp '^orch\.(hooks|statebranch)$' 2>/dev/null)
EOF
    { [ -n "$off" ] || [ -z "$branch" ] || ! has_ref "$branch"; } && exit "$status"
    GITORCH_STATE_BRANCH=$branch
    export GITORCH_STATE_BRANCH
    config_read=1
fi

# A checkout to a commit not seen since the state branch last moved needs one `git diff-tree`
# from the commit the tasks passed at (watchindex.py), which the kept index's first line
# names (indexcache.py): start it now, beside the interpreter's start, and pipe it to Python,
# which takes it only for exactly these two commits and only when it ends with the mark
# printed after git succeeded. Not when the answer for this HEAD is kept (stalecache.py).
diff_from=
if [ "$hook" = post-checkout ] && [ -z "${GIT_DIR-}" ] && [ -d .git ] && [ -f .git/orch/hook-index ]; then
    kept= ref= from= blob= rest= at= seen=
    read -r kept ref from blob rest 2>/dev/null <.git/orch/hook-index || :
    case $ref in refs/*) [ -f ".git/$ref" ] && { read -r at 2>/dev/null <".git/$ref" || :; } ;; esac
    [ -f ".git/orch/hook-stale/${2-}" ] && { read -r seen 2>/dev/null <".git/orch/hook-stale/$2" || :; }
    case $from${2-} in *[!0-9a-f]*) from= ;; esac
    if [ -n "$from" ] && [ -n "$kept" ] && [ "$from" != "${2-}" ] && [ "$at" = "$kept" ] &&
        [ "$seen" != "gitorch-hook-stale 3 $blob" ]; then
        diff_from=$from
    fi
fi

# The interpreter gitorch was installed with, told where gitorch is (-I -S: no site, no user
# paths, nothing from the work tree on sys.path); then `git orch` on PATH; then one line.
# GITORCH_HOOK_CONFIG_READ tells Python the git config above was read (no second call).
# main() prints, flushes and records (the journal is closed) and never raises but on a broken
# install; exit_now (os._exit, without importing os) then skips the interpreter's teardown
# (2-3 ms of freeing what it read).
python_hook() {
    GITORCH_HOOK_CONFIG_READ=$config_read GITORCH_ZIPAPP=$GITORCH_PYZ "$GITORCH_PYTHON" -I -S -c '
import sys
sys.path.append(sys.argv[1]) if sys.argv[1] else None
from gitorch.hooks.run import main
main(sys.argv[2:])
try:
    from gitorch.hooks.gitfiles import exit_now
except ImportError:
    from os import _exit as exit_now
exit_now(0)' "$GITORCH_PATH" "$hook" "$@" 2>/dev/null
}
python_observe() {
    if [ -n "$diff_from" ]; then
        { git diff-tree -r -z --raw --no-abbrev --no-renames "$diff_from" "$2" && printf gitorch-diff-ok; } 2>/dev/null |
            { GITORCH_HOOK_DIFF="$diff_from $2"; export GITORCH_HOOK_DIFF; python_hook "$@"; }
    else
        python_hook "$@" </dev/null
    fi
}
if [ -x "$GITORCH_PYTHON" ] && python_observe "$@"; then
    :
elif [ -n "$GITORCH_PYZ" ] && [ -f "$GITORCH_PYZ" ] && [ -x "$GITORCH_PYTHON" ] &&
    "$GITORCH_PYTHON" "$GITORCH_PYZ" observe --trigger "$hook" </dev/null 2>/dev/null; then
    :  # installed from orch.pyz whose extracted cache was removed: the archive extracts it again
elif command -v git-orch >/dev/null 2>&1 && git orch observe --trigger "$hook" </dev/null 2>/dev/null; then
    :
else
    echo "orch: gitorch is gone, so its $hook hook observes nothing (git orch hooks uninstall, or GITORCH_HOOKS=0)" >&2
fi
exit "$status"
