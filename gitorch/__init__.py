"""gitorch: `git orch`, plans of work as a task DAG with all state kept inside git."""

__version__ = "0.1.0"
