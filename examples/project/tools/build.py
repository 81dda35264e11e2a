"""Build dist/textstats.pyz, a zipapp of the textstats package (stdlib only)."""

import shutil
import sys
import tempfile
import zipapp
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    out = ROOT / "dist" / "textstats.pyz"
    out.parent.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(ROOT / "textstats", Path(tmp) / "textstats",
                        ignore=shutil.ignore_patterns("__pycache__"))
        zipapp.create_archive(tmp, out, interpreter="/usr/bin/env python3", main="textstats.cli:main")
    print(f"built {out.relative_to(ROOT)} ({out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
