"""The `git orch` command line: thin typer commands that parse, call the domain, render."""
