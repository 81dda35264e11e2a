"""The edit step: an agent command changes the work tree, gitorch verifies the change.

`edit` drives the loop (prompt, agent, patch, the task's own commands and checks, again
with the failing evidence), `patch` turns a work tree into trees and diffs, `prompt`
writes what the agent reads, `mcp_server` serves the agent-facing commands over MCP.
"""
