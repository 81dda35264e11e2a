#!/usr/bin/env bash
# The demo behind `make demo`: a throwaway git repository holding the bundled example
# project (examples/project) and the example plans, on which gitorch validates the plans
# and draws the main plan's DAG. Needs `git orch` on PATH (make demo puts .venv/bin there).
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

if [[ -n "${DEMO_KEEP:-}" ]]; then
  step "kept: $work"
fi
