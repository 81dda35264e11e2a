"""gitorch/digests: the same digests as hashlib's, from CPython's own hashes for small input
and from hashlib's (OpenSSL) for large input."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest

from gitorch import digests

SIZES = [0, 1, 63, 64, 1000, digests.SMALL, digests.SMALL + 1, 3 * digests.SMALL]


@pytest.mark.parametrize("size", SIZES)
def test_digests_are_hashlibs(size: int) -> None:
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    assert digests.sha1(data).hexdigest() == hashlib.sha1(data).hexdigest()
    assert digests.sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()
    assert digests.sha256(data).digest() == hashlib.sha256(data).digest()
    # fed in parts, the whole size told first
    h1, h256 = digests.sha1(data[:10], size=size), digests.sha256(data[:10], size=size)
    h1.update(data[10:])
    h256.update(data[10:])
    assert h1.hexdigest() == hashlib.sha1(data).hexdigest()
    assert h256.hexdigest() == hashlib.sha256(data).hexdigest()


def test_small_input_loads_no_openssl_and_large_input_does() -> None:
    probe = ("import sys; from gitorch import digests; digests.sha1(b'x' * 1000).hexdigest(); "
             "digests.sha256(b'y').hexdigest(); print('_hashlib' in sys.modules, 'hashlib' in sys.modules); "
             "digests.sha1(b'z', size=digests.SMALL + 1).hexdigest(); print('hashlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False", "True"]


def test_once_openssl_is_loaded_it_hashes_small_input_too() -> None:
    probe = ("import sys; from gitorch import digests; a = digests.sha1(b'x'); b = digests.sha256(b'x'); "
             "import hashlib; c = digests.sha1(b'x'); d = digests.sha256(b'x'); "
             "print(type(a).__module__, type(b).__module__, type(c).__module__, type(d).__module__, "
             "a.hexdigest() == c.hexdigest(), b.hexdigest() == d.hexdigest())")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["_sha1", "_sha256", "_hashlib", "_hashlib", "True", "True"]
