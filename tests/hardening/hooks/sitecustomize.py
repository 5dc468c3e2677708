"""Fault injection for the hardening tests; active only with ``HARDENING_HOOK`` set.

Put this folder first on ``PYTHONPATH``: every Python process of a ``pgxannot run``
(Snakemake and its jobs) imports it at start-up.

HARDENING_HOOK values (``HARDENING_MARKER`` is a file touched when the hook fires):

* ``pause:calling`` - inside star-allele calling, touch the marker and sleep (the test
  then SIGKILLs the whole run);
* ``pause:write:NAME`` - at the report file NAME, write half of it to the temporary file the
  real writer uses, touch the marker and sleep;
* ``fail-replace:NAME`` - moving the report file NAME into place fails with ENOSPC (disk full);
* ``no-network`` - any socket connect() to a non-UNIX address raises (offline check);
* ``fail-patient:SAMPLE`` - assembling the report of SAMPLE inside the annotation job raises
  a PgxannotError (a per-patient failure only a job can see), once per marker: when
  ``HARDENING_MARKER`` is set and exists, the hook no longer fires.
"""

from __future__ import annotations

import os

HOOK = os.environ.get("HARDENING_HOOK", "")


def _fire_and_sleep() -> None:
    import time

    marker = os.environ.get("HARDENING_MARKER")
    if marker:
        with open(marker, "w") as fh:
            fh.write(str(os.getpid()))
    time.sleep(120)
    os._exit(99)  # never reached when the test kills the run


def _install() -> None:
    if HOOK == "pause:calling":
        import pgxannot.pgx as pgx

        real = pgx.call_samples

        def call_samples(*args, **kwargs):
            _fire_and_sleep()
            return real(*args, **kwargs)

        pgx.call_samples = call_samples
    elif HOOK.startswith("pause:write:"):
        import tempfile

        import pgxannot.report.io as rio

        target = HOOK.rsplit(":", 1)[1]
        real = rio.write_atomic

        def write_atomic(path, text, *args, **kwargs):
            if "reports" in str(path) and os.path.basename(path) == target:
                    folder = os.path.dirname(os.path.abspath(path))
                    fd, _ = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
                    os.write(fd, text[: len(text) // 2].encode("utf-8"))
                    os.close(fd)
                    _fire_and_sleep()
            return real(path, text, *args, **kwargs)

        rio.write_atomic = write_atomic
        real_add = rio.StagedFiles.add  # how an annotation job writes its reports

        def add(self, path, text):
            if "reports" in str(path) and os.path.basename(path) == target:
                folder = os.path.dirname(os.path.abspath(path))
                os.makedirs(folder, exist_ok=True)
                fd, _ = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
                os.write(fd, text[: len(text) // 2].encode("utf-8"))
                os.close(fd)
                _fire_and_sleep()
            return real_add(self, path, text)

        rio.StagedFiles.add = add
    elif HOOK.startswith("fail-replace:"):
        import errno

        target = HOOK.rsplit(":", 1)[1]
        real_replace = os.replace

        def replace(src, dst, *args, **kwargs):
            if "reports" in str(dst) and os.path.basename(dst) == target:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real_replace(src, dst, *args, **kwargs)

        os.replace = replace
    elif HOOK.startswith("fail-patient:"):
        import pgxannot.pipeline as pipeline
        from pgxannot.errors import InputFileError

        target = HOOK.split(":", 1)[1]
        real_render = pipeline._Chunk.render

        def render(self, r, genes, risk):
            if r.sample == target:
                raise InputFileError("injected per-patient failure", path="hardening-hook",
                                     hint="nothing to fix: a test injected it")
            return real_render(self, r, genes, risk)

        pipeline._Chunk.render = render
    elif HOOK == "no-network":
        import socket

        real_connect = socket.socket.connect
        real_connect_ex = socket.socket.connect_ex

        def _check(sock) -> None:
            if sock.family != socket.AF_UNIX:
                raise OSError(101, "network blocked by the hardening test (no patient data may leave)")

        def connect(self, address):
            _check(self)
            return real_connect(self, address)

        def connect_ex(self, address):
            _check(self)
            return real_connect_ex(self, address)

        real_getaddrinfo = socket.getaddrinfo

        def getaddrinfo(host, *args, **kwargs):
            if host not in (None, "localhost", "127.0.0.1", "::1"):
                raise socket.gaierror(socket.EAI_NONAME, f"name lookup of {host!r} blocked by the hardening test")
            return real_getaddrinfo(host, *args, **kwargs)

        socket.socket.connect = connect
        socket.socket.connect_ex = connect_ex
        socket.getaddrinfo = getaddrinfo


if HOOK:
    _install()
