#!/usr/bin/env python3
"""A fake agent that is a real program: it reads its prompt and edits files.

Behaviour is chosen by the FAKE_AGENT environment variable:
- learner: first attempt writes a wrong answer; once the prompt shows the failing check's
  evidence ("The previous attempt failed"), it writes the right one;
- stubborn: always writes the wrong answer;
- trespasser: writes the right answer and also edits a forbidden file.
The prompt is the file named by argv[1], or stdin when no argument is given.
"""

import os
import pathlib
import sys

prompt = pathlib.Path(sys.argv[1]).read_text() if len(sys.argv) > 1 else sys.stdin.read()
log = pathlib.Path(os.environ["FAKE_AGENT_LOG"]) if os.environ.get("FAKE_AGENT_LOG") else None
if log is not None:
    with log.open("a") as fh:
        fh.write(prompt + "\n=====\n")
mode = os.environ.get("FAKE_AGENT", "learner")
right = "def answer():\n    return 42\n"
wrong = "def answer():\n    return 41\n"
retry = "The previous attempt failed" in prompt
target = pathlib.Path("src/answer.py")
target.parent.mkdir(exist_ok=True)
if mode == "learner":
    target.write_text(right if retry else wrong)
elif mode == "stubborn":
    target.write_text(wrong)
elif mode == "trespasser":
    target.write_text(right)
    pathlib.Path("LOCKED.txt").write_text("changed by the agent\n")
print(f"fake agent ({mode}) attempt done; retry={retry}")
