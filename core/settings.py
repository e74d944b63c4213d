"""Settings, read from the environment (and, for the dashboard, ``.streamlit/secrets.toml``).

Every setting is listed in ``SETTINGS`` with its meaning and default; the README's settings
table is checked against it by a test, so the two cannot drift apart.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import InvalidInput

SETTINGS: dict[str, tuple[str, str]] = {
    "USHADOW_DATA_DIR": (
        "where the database, key file and saved manifests live",
        "~/.local/share/ushadow-ops",
    ),
    "USHADOW_DATABASE_URL": ("SQLAlchemy URL", "SQLite file `ushadow.db` in the data dir"),
    "USHADOW_SECRET_KEY": (
        "key that encrypts stored credentials (a Fernet key, or any passphrase)",
        "a generated key file `secret.key` (mode 0600) in the data dir",
    ),
    "USHADOW_COMPOSE_DIR": ("compose registry folder(s), `:`-separated", "`./compose`"),
    "USHADOW_PUBLIC_URL": ("base URL of the dashboard, for shareable links", "`http://localhost:8501`"),
    "USHADOW_REQUEST_TIMEOUT": ("seconds for one Kubernetes API request", "`5`"),
    "USHADOW_EXEC_ALLOWLIST": (
        "`:`-separated programs a kubeconfig `exec` credential plugin may run: bare names (looked up in "
        "`PATH`) or absolute paths, matched by resolved real path (e.g. `aws:gke-gcloud-auth-plugin`)",
        "empty: every `exec`/`auth-provider` user is refused",
    ),
    "USHADOW_SSH_ALLOWLIST": (
        "`:`-separated `[user@]host[:port]` a Docker host's `ssh://` URL may name (runs the `ssh` program)",
        "empty: every `ssh://` Docker host is refused",
    ),
    "USHADOW_K8S_BIN_DIR": (
        "folder with ready-made `kube-apiserver`, `kube-controller-manager`, `kube-scheduler`, `etcd`, `kwok`",
        "built once with Go into `~/.cache/ushadow-ops/bin/<version>/`",
    ),
    "USHADOW_LOCAL_REAL_NODE": (
        "`1` makes `local-cluster up` also start a real node (as `--real-node` does)",
        "`0`: fake nodes only",
    ),
    "USHADOW_AUTH_ALLOW": (
        "with `[auth]` configured: who may sign in, comma-separated emails or `@domain`s",
        "empty: anyone the identity provider signs in",
    ),
    "USHADOW_AUTH_READONLY": (
        "with `[auth]` configured: emails or `@domain`s that may view but not change anything",
        "empty",
    ),
    "USHADOW_SCAN_CONCURRENCY": (
        "how many clusters or namespaces are scanned at once (connection checks, which only wait on the "
        "network, run 4 times as many: at least 4, at most 64)",
        "`8`",
    ),
    "USHADOW_API_CORS_ORIGINS": (
        "origins (e.g. `https://ops.example.com`), comma-separated, whose web pages may call the HTTP API",
        "empty: no cross-origin calls",
    ),
    "USHADOW_API_FAILURE_LIMIT": (
        "failed API token checks one client may make per minute before it gets HTTP 429",
        "`20`",
    ),
    "USHADOW_SCAN_RETENTION": (
        "which stored scans `scans prune` keeps: comma-separated tiers `KEEP[:AGE]`, youngest first, "
        "`KEEP` one of `all`, `hourly`, `daily`, `weekly` (the newest scan per hour/day/week and target), "
        "`AGE` like `36h`, `30d`, `8w`; the last tier may have no age (forever), else older scans go. "
        "The newest scan of each target is always kept; `all` keeps everything",
        "`all:30d,daily`: every scan for 30 days, then one per day per target",
    ),
    "USHADOW_NOTIFY_URL": (
        "a URL that a scan which found a change POSTs a JSON summary to (target, diff lines, link; "
        "no secret values); a failing webhook is a warning, never a failed scan",
        "empty: no notification",
    ),
}


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    if value is None or str(value).strip() == "":
        return None
    return str(value).strip()


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str | None
    compose_dirs: tuple[Path, ...]
    public_url: str
    request_timeout: float
    exec_allowlist: frozenset[str] = field(default_factory=frozenset)
    k8s_bin_dir: Path | None = None
    local_real_node: bool = False
    scan_concurrency: int = 8
    auth_allow: str = ""
    auth_readonly: str = ""
    public_url_set: bool = False
    ssh_allowlist: frozenset[str] = field(default_factory=frozenset)
    """Whether USHADOW_PUBLIC_URL was given; if not, the dashboard links to the address it was reached at."""
    api_cors_origins: tuple[str, ...] = ()
    api_failure_limit: int = 20
    scan_retention: str = ""  # parsed where it is used (core.store.retention); empty: the default
    notify_url: str = ""

    @classmethod
    def load(cls, overrides: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``overrides`` (e.g. Streamlit secrets) over the process environment."""
        env: dict[str, str] = dict(os.environ)
        if overrides:
            env.update({k: str(v) for k, v in overrides.items() if k in SETTINGS})
        data_dir = Path(_get(env, "USHADOW_DATA_DIR") or "~/.local/share/ushadow-ops").expanduser()
        database_url = _get(env, "USHADOW_DATABASE_URL") or f"sqlite:///{data_dir / 'ushadow.db'}"
        compose = _get(env, "USHADOW_COMPOSE_DIR") or "./compose"
        timeout_raw = _get(env, "USHADOW_REQUEST_TIMEOUT") or "5"
        try:
            timeout = float(timeout_raw)
        except ValueError as exc:
            raise InvalidInput(
                f"USHADOW_REQUEST_TIMEOUT must be a number of seconds, not {timeout_raw!r}",
                hint="set it to e.g. 5",
            ) from exc
        if not 0 < timeout <= 600:
            raise InvalidInput("USHADOW_REQUEST_TIMEOUT must be between 0 and 600 seconds")
        concurrency_raw = _get(env, "USHADOW_SCAN_CONCURRENCY") or "8"
        if not concurrency_raw.isdigit() or int(concurrency_raw) < 1:
            raise InvalidInput(
                f"USHADOW_SCAN_CONCURRENCY must be a positive whole number, not {concurrency_raw!r}"
            )
        failures_raw = _get(env, "USHADOW_API_FAILURE_LIMIT") or "20"
        if not failures_raw.isdigit() or int(failures_raw) < 1:
            raise InvalidInput(
                f"USHADOW_API_FAILURE_LIMIT must be a positive whole number, not {failures_raw!r}"
            )
        origins = _get(env, "USHADOW_API_CORS_ORIGINS") or ""
        allow = _get(env, "USHADOW_EXEC_ALLOWLIST") or ""
        bin_dir = _get(env, "USHADOW_K8S_BIN_DIR")
        real_node = (_get(env, "USHADOW_LOCAL_REAL_NODE") or "0").lower()
        if real_node not in ("0", "1", "true", "false", "yes", "no"):
            raise InvalidInput(
                f"USHADOW_LOCAL_REAL_NODE must be 1 or 0, not {real_node!r}", hint="set it to 1 or 0"
            )
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            secret_key=_get(env, "USHADOW_SECRET_KEY"),
            compose_dirs=tuple(Path(p).expanduser() for p in compose.split(":") if p),
            public_url=(_get(env, "USHADOW_PUBLIC_URL") or "http://localhost:8501").rstrip("/"),
            request_timeout=timeout,
            exec_allowlist=frozenset(c for c in allow.split(":") if c),
            k8s_bin_dir=Path(bin_dir).expanduser() if bin_dir else None,
            local_real_node=real_node in ("1", "true", "yes"),
            scan_concurrency=int(concurrency_raw),
            auth_allow=_get(env, "USHADOW_AUTH_ALLOW") or "",
            auth_readonly=_get(env, "USHADOW_AUTH_READONLY") or "",
            public_url_set=_get(env, "USHADOW_PUBLIC_URL") is not None,
            api_cors_origins=tuple(o.strip().rstrip("/") for o in origins.split(",") if o.strip()),
            api_failure_limit=int(failures_raw),
            scan_retention=_get(env, "USHADOW_SCAN_RETENTION") or "",
            notify_url=_get(env, "USHADOW_NOTIFY_URL") or "",
            ssh_allowlist=frozenset(h for h in (_get(env, "USHADOW_SSH_ALLOWLIST") or "").split(":") if h),
        )


NO_SIGN_IN_ACTOR = "local"  # the actor recorded when the dashboard runs without sign-in
CLI_ACTOR_PREFIX = "cli:"  # the command line records ``cli:<OS user>`` (it has no sign-in)


def cli_actor() -> str:
    """Who a command-line action is recorded as: ``cli:<the OS user running it>``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER: still say it was the CLI
        user = "unknown user"
    return f"{CLI_ACTOR_PREFIX}{user}"


def who(actor: str | None) -> str:
    """The person a record names, written one way on every page and in the CLI: ``local`` (the
    dashboard without sign-in) reads ``someone (no sign-in)``, ``cli:alice`` reads ``alice (command
    line)``; a record naming no one reads ``unknown``."""
    if actor is None or not actor.strip():
        return "unknown"
    if actor.startswith(CLI_ACTOR_PREFIX):
        return f"{actor.removeprefix(CLI_ACTOR_PREFIX) or 'someone'} (command line)"
    return "someone (no sign-in)" if actor == NO_SIGN_IN_ACTOR else actor
