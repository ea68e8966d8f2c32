"""Thread-safe emulator state: records, issued tokens, the request log and fault rules."""

from __future__ import annotations

import collections
import copy
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from common import jwt_like


@dataclass
class Config:
    host: str = "127.0.0.1"
    port: int = 0
    tls_cert: str | None = None
    tls_key: str | None = None
    fixtures: str | None = None
    generate: int | None = None
    page_delay_ms: int = 0
    token_lifetime: int | None = None  # None: PingOne 3600 s, SailPoint 749 s
    gzip: str = "auto"
    tokens: tuple[str, ...] = ()
    client_id: str = "test-client"
    client_secret: str = "test-secret"
    pingone_auth_method: str = "any"  # any | basic | post
    te_page_size: int = 100
    sail_max_offset: int = 10000
    entra_rate_limit: bool = False  # enforce Graph reporting's 5 requests per 10 s per tenant
    rate_limit: int = 0  # --rate-limit: API requests admitted per rolling second, all providers (0: off)
    now_ns: int | None = None  # fixed clock for ThousandEyes windows
    verbose: bool = False


@dataclass
class IssuedToken:
    provider: str
    expires_at: float


class State:
    """Everything mutable, behind one lock. Record lists and records are never mutated in
    place (adding records replaces the list), so a handler can keep using what it read and
    reset() can share the initial records."""

    def __init__(self, config: Config, initial: dict[str, list[dict[str, Any]]]):
        self.config = config
        self.lock = threading.RLock()
        self._initial = initial
        self.stop = threading.Event()  # set on shutdown; wakes stalled responses
        self.reset()

    # ---------------------------------------------------------------- data

    def reset(self) -> None:
        with self.lock:
            self._records = dict(self._initial)
            self._version = getattr(self, "_version", 0) + 1
            self._cache: dict[tuple[Any, ...], Any] = {}
            self._tokens: dict[str, IssuedToken] = {}
            self.requests: list[dict[str, Any]] = []
            self.faults: list[Any] = []
            self.rate_windows: dict[Any, Any] = {}  # request times behind enforced rate limits
            # /_emulator/stats: API requests received, 429s sent by --rate-limit, the most admitted in
            # any rolling second; `admitted` holds the arrival times (monotonic) of the last second's.
            self.request_count = 0
            self.rate_limited = 0
            self.max_per_second = 0
            self.admitted: collections.deque[float] = collections.deque()

    def records(self, provider: str) -> list[dict[str, Any]]:
        with self.lock:
            return self._records[provider]

    def add_records(self, provider: str, records: list[dict[str, Any]]) -> None:
        with self.lock:
            self._records[provider] = self._records[provider] + copy.deepcopy(records)
            self._version += 1
            self._cache.clear()

    def cached(self, key: tuple[Any, ...], build: Callable[[list[dict[str, Any]]], Any],
               provider: str) -> Any:
        """build(records) memoised per data version; keeps the newest few results."""
        with self.lock:
            full_key = (self._version, provider) + key
            if full_key not in self._cache:
                if len(self._cache) >= 16:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[full_key] = build(self._records[provider])
            return self._cache[full_key]

    # ---------------------------------------------------------------- clock and tokens

    def now_ns(self) -> int:
        return self.config.now_ns if self.config.now_ns is not None else time.time_ns()

    def issue_token(self, provider: str, lifetime: int, claims: dict[str, Any]) -> str:
        token = jwt_like({**claims, "jti": secrets.token_hex(8),
                          "exp": int(time.time()) + lifetime})
        with self.lock:
            self._tokens[token] = IssuedToken(provider, time.monotonic() + lifetime)
        return token

    def token_status(self, token: str | None, provider: str) -> str:
        """'ok', 'missing', 'expired' or 'invalid' for a bearer token used on provider."""
        if not token:
            return "missing"
        if token in self.config.tokens:
            return "ok"
        with self.lock:
            issued = self._tokens.get(token)
        if issued is None or issued.provider != provider:
            return "invalid"
        return "ok" if time.monotonic() < issued.expires_at else "expired"

    def expire_tokens(self) -> int:
        with self.lock:
            for issued in self._tokens.values():
                issued.expires_at = 0.0
            return len(self._tokens)

    # ---------------------------------------------------------------- request log

    def log_request(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.requests.append(entry)
            self.request_count += 1

    def take_requests(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.requests)

    def clear_requests(self) -> None:
        with self.lock:
            self.requests = []

    # ---------------------------------------------------------------- --rate-limit and stats

    def admit(self, entry: dict[str, Any] | None = None) -> bool:
        """Counts an API request arriving now against the rolling one-second window of
        --rate-limit N: True when it is admitted (fewer than N admitted in the last second, or no
        limit), False when it is to be answered 429. A refused request does not count against the
        window (a sliding log of admitted requests), so a client that waits Retry-After: 1 is
        always admitted; it is marked rate_limited in its request-log entry."""
        now = time.monotonic()
        with self.lock:
            window = self.admitted
            while window and window[0] <= now - 1.0:
                window.popleft()
            limit = self.config.rate_limit
            if limit and len(window) >= limit:
                self.rate_limited += 1
                if entry is not None:
                    entry["rate_limited"] = True  # the key exists: no resize under a reader's json.dumps
                return False
            window.append(now)
            self.max_per_second = max(self.max_per_second, len(window))
            return True

    def stats(self) -> dict[str, int]:
        with self.lock:
            return {"requests": self.request_count, "rate_limited": self.rate_limited,
                    "max_per_second": self.max_per_second}
