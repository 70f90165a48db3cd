"""Is the Hugging Face Hub reachable? One short probe per process, asked before a name goes to a Hub loader.

A model or dataset name that is neither local nor cached ends up in huggingface_hub / datasets, which retry a
dead network for a minute or more before failing with a message that does not say what was looked for. The
loaders ask `hub_status()` first: with HF_HUB_OFFLINE=1 it answers at once, otherwise it sends one HEAD
request to HF_ENDPOINT (default https://huggingface.co), gives it `probe_timeout()` seconds (3 unless
EMBEDDING_HUB_TIMEOUT says otherwise) and remembers the answer for the rest of the process.

Only a network that does not answer counts as unreachable: any HTTP status, or a TLS error (a proxy or a
private CA the Hub libraries may be configured for), counts as reachable and the loaders keep their own
behaviour. Standard library only: no torch, no httpx, nothing slow to import.
"""

from __future__ import annotations

import os
import re
import ssl
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ENDPOINT = "https://huggingface.co"
DEFAULT_TIMEOUT_S = 3.0
TIMEOUT_ENV = "EMBEDDING_HUB_TIMEOUT"
TRUE_VALUES = ("1", "true", "yes", "on")
# huggingface_hub's rule for repo ids: `name` or `namespace/name`, letters, digits, `-`, `_`, `.`.
REPO_ID = re.compile(r"^(?:[\w\-.]+/)?[\w\-.]+$")


@dataclass(frozen=True)
class HubStatus:
    reachable: bool
    endpoint: str
    reason: str = ""  # why it is not reachable, for the error message

    def describe(self) -> str:
        """'the Hub (https://huggingface.co) is unreachable (<reason>)' or '... is reachable'."""
        state = "reachable" if self.reachable else f"unreachable ({self.reason})"
        return f"the Hugging Face Hub ({self.endpoint}) is {state}"


_answers: dict[str, HubStatus] = {}
_lock = threading.Lock()


def endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def offline_flag(*, datasets: bool = False) -> str | None:
    """The environment setting that turns Hub access off ('HF_HUB_OFFLINE=1'), or None.

    For datasets, HF_DATASETS_OFFLINE decides when it is set (as in datasets.config), else HF_HUB_OFFLINE.
    """
    name = (
        "HF_DATASETS_OFFLINE" if datasets and os.environ.get("HF_DATASETS_OFFLINE") is not None else "HF_HUB_OFFLINE"
    )
    value = os.environ.get(name, "")
    return f"{name}={value}" if value.strip().lower() in TRUE_VALUES else None


def probe_timeout() -> float:
    try:
        value = float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT_S))
    except ValueError:
        return DEFAULT_TIMEOUT_S
    return value if value > 0 else DEFAULT_TIMEOUT_S


def hub_status(*, datasets: bool = False) -> HubStatus:
    """Whether the Hub answers: the offline flag, else one probe per endpoint per process (cached)."""
    url = endpoint()
    flag = offline_flag(datasets=datasets)
    if flag:
        return HubStatus(False, url, f"{flag}: Hub access is off")
    with _lock:
        if url not in _answers:
            _answers[url] = _probe(url, probe_timeout())
        return _answers[url]


def forget() -> None:
    """Drop the remembered answers (tests; a long-lived process whose network came back)."""
    with _lock:
        _answers.clear()


def _probe(url: str, timeout: float) -> HubStatus:
    """HEAD `url` in a daemon thread joined with `timeout`, so that a hanging DNS lookup cannot stall us."""
    result: list[HubStatus] = []

    def ask() -> None:
        try:
            request = urllib.request.Request(url, method="HEAD", headers={"User-Agent": "embedding-hub-probe"})
            with urllib.request.urlopen(request, timeout=timeout):
                pass
            result.append(HubStatus(True, url))
        except urllib.error.HTTPError:  # the server answered: reachable, whatever the status
            result.append(HubStatus(True, url))
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, ssl.SSLError):  # something answered; let the Hub libraries decide
                result.append(HubStatus(True, url))
            else:
                result.append(HubStatus(False, url, _reason(reason)))
        except ssl.SSLError:
            result.append(HubStatus(True, url))
        except (OSError, ValueError) as exc:  # timeouts, refused connections, a malformed HF_ENDPOINT
            result.append(HubStatus(False, url, _reason(exc)))

    thread = threading.Thread(target=ask, name="embedding-hub-probe", daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    if result:
        return result[0]
    return HubStatus(False, url, f"no answer within {timeout:g} s; on a slow link raise {TIMEOUT_ENV}")


def _reason(exc: object) -> str:
    if isinstance(exc, TimeoutError) or type(exc).__name__ == "timeout":
        return f"no answer within {probe_timeout():g} s; on a slow link raise {TIMEOUT_ENV}"
    text = str(exc).strip() or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if not text.startswith(type(exc).__name__) else text


def looks_like_repo_id(name: str) -> bool:
    """`org/name` or `name` as the Hub spells ids (not a path: no leading ./ ~ /, at most one slash)."""
    return bool(REPO_ID.match(name)) and not name.startswith((".", "-")) and ".." not in name and "--" not in name


def hub_cache_dir() -> Path:
    """huggingface_hub's cache folder (HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub)."""
    from huggingface_hub import constants  # light: constants only, no HTTP client

    return Path(os.environ.get("HF_HUB_CACHE") or constants.HF_HUB_CACHE).expanduser()


def cached_snapshot(repo_id: str, repo_type: str = "model", cache_dir: str | Path | None = None) -> Path | None:
    """The cached snapshot of `repo_id` at refs/main, read straight from the cache layout (no Hub import)."""
    if not looks_like_repo_id(repo_id):
        return None
    try:
        root = Path(cache_dir).expanduser() if cache_dir else hub_cache_dir()
        folder = root / f"{repo_type}s--{repo_id.replace('/', '--')}"
        ref = folder / "refs" / "main"
        if ref.is_file():
            snapshot = folder / "snapshots" / ref.read_text().strip()
            return snapshot if snapshot.is_dir() else None
    except (OSError, ValueError):
        return None
    return None
