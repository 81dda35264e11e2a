"""The plan's DAG on the CI engines users already have: export, results as refs, collect.

`export` writes a GitHub Actions workflow or a GitLab CI file with one job per task (or per
chain of tasks in large plans); each job pushes its result as its own ref
(`refs/orch/results/<run>/<job>`), and `collect` folds them into the state branch.
"""
