"""Every file the tool writes: inside its folder (never through a symbolic link out of it), whole, and secret-free.

A run dir or an export folder is the user's; a link planted in it (`runs/r/loss.png -> ~/.bashrc`) must not make
`embedding report` or `embedding train` overwrite or append to the file it points at. So:

- a whole file is written to a temporary file in its own folder and renamed over the target (`os.replace` never
  follows a link: readers see the old file or the new one, never half of one);
- a link where a file or folder of ours is expected is refused (UserError, exit 2, naming the link and its target)
  rather than silently replaced: somebody put it there, and the user should know;
- an appended log is opened with O_NOFOLLOW (the kernel refuses a link at the last step of the path);
- the folders between the given `root` (the run dir, the export folder) and the file are checked too: a planted
  `runs/r/evaluation -> /elsewhere` would otherwise carry `results.json` outside.

Secrets: `redact` replaces the values of secret-looking keys (hub tokens, passwords) by *** and remembers them;
every text written here has the remembered values replaced by *** as well, so a token copied into a message, a
model card or a cached statistic never reaches a file. Bottom layer: no imports from the rest of the package
besides errors.py.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from .errors import UserError

# "token", "hub_token", "HF_TOKEN", not "max_tokens" / "include_num_input_tokens_seen" / "tokenizer": their values
# (counts, "all") are settings, and a remembered "all" would be scrubbed from every report.
SECRET_KEYS = re.compile(r"token(?!s|izer)|secret|password|api_key", re.IGNORECASE)
MIN_SECRET = 4  # shorter values are not scrubbed from free text: "***" for every "ab" would garble a report
_SECRETS: set[str] = set()
_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read once: mkstemp creates 0600 files, ours get the permissions open() would have given


def redact(value: Any) -> Any:
    """`value` (a config mapping, a statistics record) with secrets as ***; the secrets are remembered for `scrub`.

    Only text is a secret: flags and numbers under such names (`execution.token_ids: true`, `max_tokens: 512`)
    stay readable."""
    if isinstance(value, dict):
        clean = {}
        for key, item in value.items():
            if SECRET_KEYS.search(str(key)) and isinstance(item, str) and item:
                remember_secret(item)
                clean[key] = "***"
            else:
                clean[key] = redact(item)
        return clean
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    return value


def remember_secret(value: str) -> None:
    """From now on `value` is written as *** by every writer here (a token read from the environment, say)."""
    if value != "***" and len(value) >= MIN_SECRET:
        _SECRETS.add(value)


def scrub(text: str) -> str:
    """`text` with every remembered secret replaced by ***, longest first (a secret inside another one)."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def refuse_link(path: Path) -> None:
    """UserError (exit 2) if `path` is a symbolic link: the tool writes its own files, never through a link."""
    if os.path.islink(path):
        raise UserError(
            f"{path} is a symbolic link (to {os.readlink(path)}); the tool never writes through a link, which "
            "could overwrite a file outside the folder: remove the link (or move the folder aside) and run again"
        )


def check_path(path: Path, root: Path | None = None) -> None:
    """Refuse a link at `path` and at every folder between `root` (itself not checked: the user chose it) and it.

    Without `root` only `path` itself is checked.
    """
    path = Path(path)
    refuse_link(path)
    if root is None:
        return
    root = Path(root)
    try:
        inner = path.parent.relative_to(root)
    except ValueError:
        raise ValueError(f"{path} is not inside {root}") from None
    current = root
    for part in inner.parts:
        current = current / part
        refuse_link(current)


def make_dir(path: Path, root: Path | None = None) -> Path:
    """Create folder `path` (and its parents below `root`), refusing a link at it or on the way; returns it."""
    path = Path(path)
    check_path(path, root)
    path.mkdir(parents=True, exist_ok=True)
    check_path(path, root)  # a link planted between the look and the mkdir
    return path


def write_bytes(path: Path, data: bytes, root: Path | None = None) -> Path:
    """Write `data` to `path` whole: a temporary file beside it, then renamed over it. Returns `path`."""
    path = Path(path)
    check_path(path, root)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o666 & ~_UMASK)
            handle.write(data)
        refuse_link(path)
        os.replace(tmp, path)  # replaces a link itself, never its target
    except BaseException:
        with _ignored():
            os.unlink(tmp)
        raise
    return path


def write_text(path: Path, text: str, root: Path | None = None) -> Path:
    """`write_bytes` of `text` (UTF-8) with the remembered secrets as ***."""
    return write_bytes(path, scrub(text).encode("utf-8"), root)


def write_json(path: Path, value: Any, root: Path | None = None, **dumps: Any) -> Path:
    """`value` redacted, as JSON (indent 2 unless given, a final newline), written whole."""
    dumps.setdefault("indent", 2)
    return write_text(path, json.dumps(redact(value), **dumps) + "\n", root)


def open_append(path: Path, root: Path | None = None) -> IO[str]:
    """`path` opened to append text (created if missing), refusing a link: O_NOFOLLOW, checked by the kernel.

    The caller writes through `scrub` (or `append_text`), and closes the handle.
    """
    path = Path(path)
    check_path(path, root)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o666)
    except OSError as exc:
        if os.path.islink(path):  # ELOOP: planted between the look and the open
            refuse_link(path)
        raise exc
    return os.fdopen(fd, "a", encoding="utf-8")


def append_text(path: Path, text: str, root: Path | None = None) -> None:
    """Append `text` (secrets as ***) to `path`, refusing a link; one write, flushed at close."""
    with open_append(path, root) as handle:
        handle.write(scrub(text))


def append_json_line(path: Path, record: Any, root: Path | None = None, **dumps: Any) -> None:
    """One JSON object (redacted) as one line of a .jsonl file."""
    append_text(path, json.dumps(redact(record), **dumps) + "\n", root)


def links_in(folder: Path) -> list[Path]:
    """The symbolic links directly in `folder` (none if it does not exist), sorted: what a new run must not use."""
    try:
        return sorted(entry for entry in Path(folder).iterdir() if entry.is_symlink())
    except (FileNotFoundError, NotADirectoryError):
        return []


@contextmanager
def _ignored() -> Iterator[None]:
    try:
        yield
    except OSError:
        pass
