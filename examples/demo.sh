#!/usr/bin/env bash
# The demo behind `make demo`: a throwaway git repository holding the bundled example
# project (examples/project) and the example plans. gitorch validates the plans, draws the
# DAG, runs the release plan up to its `deploy` gate, takes an approval from a second
# process, resumes, and reports; then shows where the state lives (the orch/state branch
# and the orch notes). Needs `git orch` on PATH (make demo puts .venv/bin there).
# DEMO_KEEP=1 keeps the temporary repository and prints where it is.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/gitorch-demo.XXXXXX")"
if [[ -z "${DEMO_KEEP:-}" ]]; then
  trap 'rm -rf "$work"' EXIT
fi

step() { printf '\n== %s\n' "$*"; }

step "a demo repository in $work"
cp -R "$here/project/." "$work/"
cp "$here"/orchestrator.yml "$here"/minimal.yml "$here"/release.yml "$work/"
cp -R "$here/tasks" "$work/tasks"
cd "$work"
git init -q -b main
git -c user.name=gitorch-demo -c user.email=demo@example.invalid add -A
git -c user.name=gitorch-demo -c user.email=demo@example.invalid commit -q -m "textstats: example project and plans"
git log --oneline -1

step "git orch plan validate   (orchestrator.yml, found at the repository root)"
git orch plan validate

step "git orch plan validate --file release.yml   (includes tasks/*.yml)"
git orch plan validate --file release.yml
git orch plan validate --file minimal.yml

step "git orch plan graph   (Mermaid)"
git orch plan graph

step "a broken plan is refused with every problem located (exit 2)"
cat > broken.yml <<'YAML'
version: 1
tasks:
  - id: A
    dependencies: [B]
  - id: B
    dependencies: [A, C]
    acceptance: ["Tests passed: python -m pytest"]
  - id: my task
YAML
status=0
git orch plan validate --file broken.yml 2>&1 || status=$?
echo "(exit $status)"
if [[ $status -ne 2 ]]; then
  echo "expected the broken plan to be refused with exit 2" >&2
  exit 1
fi
rm broken.yml

# `expect CODE CMD…`: run CMD, show its exit code, stop the demo if it is not CODE.
expect() {
  local want=$1 got=0
  shift
  "$@" || got=$?
  echo "(exit $got)"
  if [[ $got -ne $want ]]; then
    echo "expected exit $want from: $*" >&2
    exit 1
  fi
}

step "git orch run --file release.yml --dry-run   (what would run; nothing runs)"
git orch run --file release.yml --dry-run | head -n 12
echo "…"

step "git orch run --file release.yml --keep-going -j2 --no-build   (stops at the deploy gate: exit 3)"
# --no-build: BLD-001 builds the zipapp already (the release build would redo it)
expect 3 git orch run --file release.yml --keep-going -j2 --no-build

step "git orch status   (each task's state; the gate and the manual task that wait)"
git orch status

step "git orch next   (what an agent should pick up)"
git orch next
git orch context DOC-003

step "the manual task DOC-003 is done by hand: docs/api.md"
mkdir -p docs
printf '# textstats API\n\n`textstats.counts.top_words(text, n)`\n' > docs/api.md

step "git orch approve deploy --by release-manager   (from a second process)"
( git orch approve deploy --by release-manager )

step "git orch resume   (re-checks DOC-003, deploys, then waits at the tag gate: exit 3)"
expect 3 git orch resume --no-build

step "git orch approve tag && git orch resume   (the rest runs; completed tasks are not re-run)"
git orch approve tag --by release-manager
expect 0 git orch resume --no-build

step "git orch report --out REPORT.md --junit junit.xml"
git orch report --out REPORT.md --junit junit.xml
sed -n '1,16p' REPORT.md
echo "…"

step "git orch run --file release.yml   (again: every task unchanged, so skipped)"
expect 0 git orch run --file release.yml --no-build

step "git orch explain EXC-001   (after editing one of its input files)"
echo "# edited" >> textstats/errors.py
git orch explain EXC-001
git checkout -q textstats/errors.py

step "where the state is: git log --oneline orch/state"
git log --oneline orch/state | head -n 12
git ls-tree --name-only orch/state

step "the verified commit carries the result: git log --notes=orch -1"
git log --notes=orch -1 | cat

step "the dashboard on the state branch: git show orch/state:TASKS.md"
git show orch/state:TASKS.md | head -n 20
echo "…"

step "the work tree holds only what the tasks made (git status --short)"
git status --short

if [[ -n "${DEMO_KEEP:-}" ]]; then
  step "kept: $work"
fi
