"""gitorch/standins: modules imported with stand-ins for standard-library modules they import
for little, each answering as the real module, which later imports get."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import sys
import gitorch.repo  # imports pathlib with urllib.parse, ntpath and fnmatch stood in for
urllib = sys.modules.get('urllib', sys)
print('urllib.parse' in sys.modules, 'ipaddress' in sys.modules, 'parse' in vars(urllib),
      'ntpath' in sys.modules, 'fnmatch' in sys.modules)
from pathlib import Path, PurePosixPath, PureWindowsPath
print(Path('/tmp/a b%/ü').as_uri(), PureWindowsPath('c:/x y').as_uri())
w = PureWindowsPath('C:/Users/Me/a.TXT')
print(w.parts, w.drive, w.match('*.txt'), w == PureWindowsPath('c:/users/me/A.txt'), w.is_reserved())
print(PurePosixPath('a/b.py').match('*.py'), sorted(p.name for p in Path(sys.argv[1]).glob('*.py'))[:2])
import ntpath, fnmatch
print(type(ntpath).__name__, type(fnmatch).__name__, ntpath.join('a', 'b'), fnmatch.fnmatch('x.py', '*.py'))
import urllib.parse
print(urllib.parse.urlsplit('https://h/p').netloc, type(urllib.parse).__name__)
"""
USUAL = PROBE.replace("import gitorch.repo", "import pathlib")


def _lines(code: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def test_pathlib_without_urllib_answers_as_with_it() -> None:
    lean, usual = _lines(PROBE), _lines(USUAL)
    assert lean[0] == "False False False False False" and usual[0] == "True True True True True"
    assert lean[1:] == usual[1:]
    assert lean[1] == "file:///tmp/a%20b%25/%C3%BC file:///c:/x%20y" and lean[-1] == "h module"
    assert lean[2] == r"('C:\\', 'Users', 'Me', 'a.TXT') C: True True False"
    assert lean[3].startswith("True ['") and lean[4] == r"module module a\b True"


def test_a_stand_in_gives_its_attributes_then_the_real_modules() -> None:
    code = """
import sys
from gitorch.standins import StandIn, import_with, real
# a module that imports another at its top, imported with a stand-in for it
sys.modules.pop('colorsys', None)
stand_in = StandIn('colorsys', rgb_to_hsv=lambda *a: 'given')
import_with('json', {'colorsys': stand_in, 'decimal': None})
print('colorsys' in sys.modules, hasattr(stand_in, '__path__'))
print(stand_in.rgb_to_hsv(1, 0, 0), stand_in.hls_to_rgb(0, 0.5, 1))  # given; the real one's
print(type(sys.modules['colorsys']).__name__, real('colorsys') is sys.modules['colorsys'])
try:
    import_with('no_such_module_here', {'colorsys': StandIn('colorsys')})
except ImportError:
    print('ImportError', type(sys.modules['colorsys']).__name__)
"""
    assert _lines(code) == ["False False", "given (1.0, 0.0, 0.0)", "module True", "ImportError module"]


SUBPROCESS_PROBE = r"""
import sys
if sys.argv[1] == "lean":
    from gitorch.standins import import_subprocess
    import_subprocess()
import subprocess
print("locale" in sys.modules, "re" in sys.modules, "signal" in sys.modules)
print(subprocess._text_encoding())  # a text-mode pipe's encoding: locale.getencoding()
out = subprocess.run(["printf", "caf\\303\\251"], capture_output=True, text=True, errors="replace").stdout
print(ascii(out))
import locale  # the real module, imported as usual afterwards
print(type(locale).__name__, callable(locale.setlocale), locale.getencoding())
sleeper = subprocess.Popen(["sleep", "30"])
sleeper.terminate()  # signal.SIGTERM: the real module's, through the stand-in
print(sleeper.wait(), str(subprocess.CalledProcessError(-9, "x")))
import signal
print(type(signal).__name__, signal.SIGTERM == 15)
"""


def test_subprocess_without_locale_answers_as_with_it() -> None:
    """gitcmd imports subprocess with stand-ins for locale and signal (standins.import_subprocess):
    none of locale, re, signal loads, text mode decodes with the same encoding, in the C locale
    too, a process is ended and reported by the same signal, and later imports get the real
    modules."""
    for env in ({"LC_ALL": "C.UTF-8"}, {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"},
                {"LC_ALL": "C", "PYTHONUTF8": "1"}):
        def probe(way: str, env: dict[str, str] = env) -> list[str]:
            proc = subprocess.run([sys.executable, "-c", SUBPROCESS_PROBE, way], capture_output=True,
                                  text=True, timeout=60, env={**os.environ, **env})
            assert proc.returncode == 0, proc.stderr
            return proc.stdout.splitlines()

        lean, usual = probe("lean"), probe("usual")
        assert lean[0] == "False False False" and usual[0] == "True True True"
        assert lean[1:] == usual[1:] and lean[3].startswith("module True "), (env, lean, usual)
        assert lean[4:] == ["-15 Command 'x' died with <Signals.SIGKILL: 9>.", "module True"]
