"""The run engine: scheduler (ready set, -j), runner (one task), checks, gates, inputs."""
