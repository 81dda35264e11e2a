"""gitorch's git hooks: the sh template, its installer, and the fast observation they start.

The hook process imports only the standard library and `gitorch.gitcmd` (see observe.py);
keep this file empty of imports so `import gitorch.hooks.run` stays cheap.
"""
