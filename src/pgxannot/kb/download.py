"""HTTP downloads of knowledge-base releases with ``requests``.

One function, :func:`fetch`, downloads one URL into a file with

- connect/read timeouts and a bounded number of retries with exponential back-off
  (timeouts, 5xx, 408/429, truncated bodies); 4xx answers fail at once;
- resumption with HTTP ``Range`` (guarded by ``If-Range`` with the ETag or
  Last-Modified of the first answer, so a file that changed on the server restarts
  from zero instead of being spliced);
- redirects followed by hand, each hop checked: only ``https`` (or ``http`` when the
  caller allows plain http for a local mirror), never a downgrade from https;
- a plain-text progress line on stderr, rate-limited;
- the sha256 and md5 of what arrived.

A host that cannot be reached at all (DNS failure, connection refused, no network)
fails at once, without retries: pgxannot is offline by default and must say so
quickly. Requests carry no patient data: only knowledge-base URLs, no query
strings built from inputs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

import requests

from pgxannot import __version__
from pgxannot.errors import DownloadError
from pgxannot.files import read_json_or

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
RETRY_CODES = frozenset({408, 425, 429, 500, 502, 503, 504})
CHUNK = 1 << 16


@dataclass(frozen=True)
class FetchPolicy:
    """How patient a download is. Tests pass short timeouts and back-off."""

    connect_timeout: float = 15.0
    read_timeout: float = 60.0
    retries: int = 4  # attempts after the first
    backoff: float = 2.0  # seconds before the first retry; doubles each time
    max_redirects: int = 5
    allow_http: bool = False
    progress: bool = True
    progress_interval: float = 1.0  # seconds between progress lines
    user_agent: str = field(default_factory=lambda: f"pgxannot/{_version()} (knowledge-base update)")


@dataclass(frozen=True)
class Fetched:
    """A completed download."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    path: Path
    size: int
    sha256: str
    md5: str
    last_modified: str | None = None
    etag: str | None = None


def _version() -> str:
    return str(__version__)


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc or url


def check_scheme(url: str, *, allow_http: bool, previous: str | None = None) -> None:
    """Refuse anything but https (http only when allowed, never after https)."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == "https":
        return
    if scheme == "http":
        if previous is not None and urlsplit(previous).scheme.lower() == "https":
            raise DownloadError(f"refusing a redirect from https to plain http ({host_of(url)})",
                                hint="the server downgraded the connection; use another mirror")
        if allow_http:
            return
        raise DownloadError(f"refusing plain-http URL {url}",
                            hint="use https, or pass --insecure-http for a trusted local mirror")
    what = "a redirect to" if previous is not None else "the URL"
    raise DownloadError(f"refusing {what} scheme '{scheme or '(none)'}:' ({url})",
                        hint="knowledge bases are downloaded over https only")


class Progress:
    """Rate-limited plain-text progress on a stream (stderr by default)."""

    def __init__(self, label: str, total: int | None, *, stream: IO[str] | None = None,
                 interval: float = 1.0, enabled: bool = True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.label = label
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.enabled = enabled
        self.clock = clock
        self.start = clock()
        self.last = float("-inf")
        self.done = 0
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def update(self, done: int, *, final: bool = False) -> None:
        self.done = done
        if not self.enabled:
            return
        now = self.clock()
        if not final and now - self.last < self.interval:
            return
        self.last = now
        self.stream.write(("\r" if self.tty else "") + self.line(now) + ("\n" if final or not self.tty else ""))
        self.stream.flush()

    def line(self, now: float | None = None) -> str:
        now = self.clock() if now is None else now
        elapsed = max(now - self.start, 1e-6)
        rate = self.done / elapsed
        if self.total:
            pct = min(100.0, 100.0 * self.done / self.total)
            width = 24
            filled = int(width * pct / 100)
            bar = "#" * filled + "-" * (width - filled)
            return (f"{self.label} [{bar}] {pct:5.1f}% {_mb(self.done)}/{_mb(self.total)} MB "
                    f"{_mb(rate)} MB/s")
        return f"{self.label} {_mb(self.done)} MB {_mb(rate)} MB/s"


def _mb(n: float) -> str:
    return f"{n / 1e6:.1f}"


class _Retry(Exception):
    """A transient failure: try again (possibly resuming)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _state_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".state.json")


def _read_state(dest: Path, url: str) -> dict[str, Any]:
    state = read_json_or(_state_path(dest), {})
    return state if isinstance(state, dict) and state.get("url") == url else {}


def _write_state(dest: Path, state: dict[str, Any]) -> None:
    _state_path(dest).write_text(json.dumps(state), encoding="utf-8")


def fetch(url: str, dest: Path, *, policy: FetchPolicy | None = None,
          session: requests.Session | None = None, label: str | None = None,
          stream: IO[str] | None = None) -> Fetched:
    """Download ``url`` to ``dest`` (via ``dest.part``), resuming and retrying.

    A partial file from an earlier interrupted attempt (same URL, with an ETag or
    Last-Modified recorded) is resumed; otherwise the download starts from zero.
    Raises :class:`DownloadError` with a one-line message on failure; the partial
    file is kept only when a later run could resume it.
    """
    policy = policy or FetchPolicy()
    check_scheme(url, allow_http=policy.allow_http)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    own_session = session is None
    sess = session or requests.Session()
    sess.trust_env = False  # no proxy/netrc credentials picked up implicitly
    label = label or dest.name
    state = _read_state(dest, url) if part.exists() else {}
    if part.exists() and not (state.get("etag") or state.get("last_modified")):
        part.unlink()  # cannot prove the partial file is the same release: restart
    last_reason = ""
    try:
        for attempt in range(policy.retries + 1):
            if attempt:
                time.sleep(policy.backoff * 2 ** (attempt - 1))
            try:
                final_url = _attempt(sess, url, part, dest, state, policy, label, stream)
            except _Retry as exc:
                last_reason = exc.reason
                continue
            part.replace(dest)
            _state_path(dest).unlink(missing_ok=True)
            sha, md5, size = file_digests(dest)
            return Fetched(url=url, final_url=final_url, path=dest, size=size, sha256=sha, md5=md5,
                           last_modified=state.get("last_modified"), etag=state.get("etag"))
    finally:
        if own_session:
            sess.close()
    raise DownloadError(f"download of {url} failed after {policy.retries + 1} attempts "
                        f"({last_reason})", hint="try again later or use --url with a mirror")


def _attempt(sess: requests.Session, url: str, part: Path, dest: Path, state: dict[str, Any],
             policy: FetchPolicy, label: str, stream: IO[str] | None) -> str:
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": policy.user_agent, "Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
        validator = state.get("etag") or state.get("last_modified")
        if validator:
            headers["If-Range"] = validator
    resp = _get_following(sess, url, headers, policy)
    with resp:
        status = resp.status_code
        if status in RETRY_CODES:
            raise _Retry(f"HTTP {status} {resp.reason or ''}".strip() + f" from {host_of(resp.url)}")
        if status == 416 and have:
            part.unlink(missing_ok=True)  # our partial file is not a prefix of theirs: restart
            raise _Retry("HTTP 416 on resume")
        if status not in (200, 206):
            raise DownloadError(f"HTTP {status} {resp.reason or ''}".strip() + f" for {resp.url}",
                                hint="check the URL (pgxannot kb update SOURCE --url URL)")
        append = False
        if status == 206 and have:
            start = _content_range_start(resp.headers.get("Content-Range", ""))
            if start != have:
                part.unlink(missing_ok=True)
                raise _Retry(f"server resumed at byte {start}, expected {have}")
            append = True
        if not append:
            have = 0
        expected_len = resp.headers.get("Content-Length")
        expected = int(expected_len) if expected_len and expected_len.isdigit() else None
        total = have + expected if expected is not None else None
        new_state = {"url": url, "etag": resp.headers.get("ETag"),
                     "last_modified": resp.headers.get("Last-Modified")}
        if not append:
            state.clear()
        state.update(new_state)
        if new_state["etag"] or new_state["last_modified"]:
            _write_state(dest, new_state)
        # read to EOF and compare with Content-Length ourselves: urllib3's own check would
        # discard the bytes of a cut body that a resumed download can keep
        if hasattr(resp.raw, "enforce_content_length"):
            resp.raw.enforce_content_length = False
        prog = Progress(label, total, stream=stream, interval=policy.progress_interval,
                        enabled=policy.progress)
        received = 0
        try:
            with part.open("ab" if append else "wb") as fh:
                for chunk in resp.iter_content(CHUNK):
                    fh.write(chunk)
                    received += len(chunk)
                    prog.update(have + received)
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError,
                requests.exceptions.Timeout) as exc:
            raise _Retry(f"connection broke after {have + received} bytes ({_short(exc)})") from None
        if expected is not None and received < expected:
            raise _Retry(f"truncated: {have + received} of {total} bytes")
        prog.update(have + received, final=True)
        return resp.url


def _content_range_start(value: str) -> int | None:
    # "bytes 100-199/200"
    try:
        return int(value.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return None


def _get_following(sess: requests.Session, url: str, headers: dict[str, str],
                   policy: FetchPolicy) -> requests.Response:
    """GET with redirects followed by hand so every hop's scheme is checked."""
    current = url
    for _ in range(policy.max_redirects + 1):
        try:
            resp = sess.get(current, headers=headers, stream=True, allow_redirects=False,
                            timeout=(policy.connect_timeout, policy.read_timeout))
        except requests.exceptions.ConnectTimeout:
            raise DownloadError(f"cannot reach {host_of(current)} (connection timed out)",
                                hint="check the network connection") from None
        except requests.exceptions.ReadTimeout:
            raise _Retry(f"no answer from {host_of(current)} within "
                         f"{policy.read_timeout:g} s") from None
        except requests.exceptions.SSLError as exc:
            raise DownloadError(f"TLS failure with {host_of(current)} ({_short(exc)})",
                                hint="check the system certificates or use another mirror") from None
        except requests.exceptions.ConnectionError as exc:
            raise DownloadError(f"cannot reach {host_of(current)} ({_short(exc)})",
                                hint="check the network connection") from None
        if resp.status_code not in REDIRECT_CODES:
            return resp
        location = resp.headers.get("Location")
        resp.close()
        if not location:
            raise DownloadError(f"HTTP {resp.status_code} without a Location from {host_of(current)}")
        nxt = urljoin(current, location)
        check_scheme(nxt, allow_http=policy.allow_http, previous=current)
        current = nxt
    raise DownloadError(f"more than {policy.max_redirects} redirects from {url}")


def _short(exc: BaseException) -> str:
    """The innermost reason of a requests/urllib3 error, in one short line."""
    text = str(exc)
    for marker in ("Errno", "Name or service not known", "Connection refused", "timed out",
                   "IncompleteRead", "Network is unreachable"):
        idx = text.find(marker)
        if idx >= 0:
            text = text[max(0, idx - 1):]
            break
    text = " ".join(text.replace("'", "").replace('"', "").split())
    return text.rstrip(")")[:120]


def file_digests(path: Path) -> tuple[str, str, int]:
    """sha256, md5 (hex) and size of a file."""
    sha = hashlib.sha256()
    md5 = hashlib.md5(usedforsecurity=False)
    size = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            sha.update(block)
            md5.update(block)
            size += len(block)
    return sha.hexdigest(), md5.hexdigest(), size


def fetch_text(url: str, dest: Path, *, policy: FetchPolicy | None = None,
               session: requests.Session | None = None, missing_ok: bool = False) -> str | None:
    """A small text resource (checksum file, API page); None on 404 when ``missing_ok``."""
    policy = policy or FetchPolicy()
    quiet = dataclasses.replace(policy, progress=False)
    try:
        got = fetch(url, dest, policy=quiet, session=session)
    except DownloadError as exc:
        if missing_ok and exc.message.startswith(("HTTP 404", "HTTP 410")):
            return None
        raise
    return got.path.read_text(encoding="utf-8")


def remove_partial(dest: Path) -> None:
    """Forget a partial download (after content verification failed)."""
    for p in (dest, dest.with_name(dest.name + ".part"), _state_path(dest)):
        if p.exists():
            os.unlink(p)
