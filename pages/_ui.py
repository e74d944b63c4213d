"""What every page shares: settings and the store, the one place errors are drawn, status badges.

Pages only draw and call ``core``. Anything that goes wrong reaches a person through
:func:`show_error` (a ``core`` error as what happened and what to try; anything else as its type
and a short message, with the full trace in the log), never as a traceback.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st
from streamlit.errors import FragmentHandledException
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from core.access import OPERATOR, VIEWER, Policy, verified_email
from core.clusters.registering import validate_namespace
from core.errors import InvalidInput, UshadowError
from core.settings import SETTINGS, Settings
from core.store.records import Cluster
from core.store.store import Store

log = logging.getLogger("ushadow.dashboard")

PAGES_DIR = Path(__file__).resolve().parent

T = TypeVar("T")

# st.stop(), st.rerun() and st.switch_page() work by raising these; an error boundary lets them pass.
CONTROL_FLOW: tuple[type[BaseException], ...] = (ScriptControlException, FragmentHandledException)

# status -> (Material icon, badge colour, text colour); "unauthorized" covers 401 and 403.
# Icons and colours rather than emoji: they render the same in every browser and screenshot.
STATUS_STYLES: dict[str, tuple[str, str, str]] = {
    "connected": (":material/check_circle:", "green", "#15803d"),
    "unreachable": (":material/cloud_off:", "orange", "#c2410c"),
    "unauthorized": (":material/lock:", "red", "#b91c1c"),
    "error": (":material/error:", "red", "#b91c1c"),
}
UNKNOWN_STATUS = (":material/help:", "gray", "#6b7280")

_MARKDOWN_SPECIAL = re.compile(r"([\\*_\[\]<>$~|#])")
_CODE_SPAN = re.compile(r"(`[^`\n]+`)")


def page_file(name: str) -> str:
    """The absolute path of page ``name`` (for ``st.Page`` and ``st.page_link``).

    Absolute, so pages resolve the same whichever script Streamlit treats as the main one.
    """
    return str(PAGES_DIR / f"{name}.py")


def setup_logging() -> None:
    """Send the dashboard's own log (errors with their traces) to stderr, once per process."""
    root = logging.getLogger("ushadow")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)


def md(text: str) -> str:
    """``text`` shown literally inside Streamlit markdown (no emphasis, links, LaTeX or HTML).

    Backtick code spans stay code: hints write commands that way.
    """
    parts = _CODE_SPAN.split(text)
    return "".join(p if i % 2 else _MARKDOWN_SPECIAL.sub(r"\\\1", p) for i, p in enumerate(parts))


def code(text: str, limit: int = 80) -> str:
    """``text`` as inline code (one line, shortened, no backticks to break out of it)."""
    inner = _one_line(text.replace("`", "'"), limit)
    return f"`{inner}`"


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_markdown(exc: BaseException) -> str:
    """The body :func:`show_error` draws for ``exc`` (kept separate so its shape can be pinned)."""
    if isinstance(exc, UshadowError):
        body = f"**{md(exc.title)}:** {md(exc.message)}"
        if exc.hint:
            body += f"\n\n**What to try:** {md(exc.hint)}"
        return body
    message = _one_line(str(exc))
    body = f"**Unexpected error ({md(type(exc).__name__)})**"
    if message:
        body += f": {md(message)}"
    return (
        body + "\n\n**What to try:** reload the page and try again. The full details are in the "
        "dashboard's log; include them if you report this."
    )


def _log_error(exc: BaseException) -> None:
    """Expected errors as one line; unexpected ones with their trace."""
    if isinstance(exc, UshadowError):
        log.info("%s: %s", exc.title, exc.message)
    else:
        log.error("unexpected error in the dashboard", exc_info=exc)


def show_error(exc: BaseException) -> None:
    """THE place an exception becomes what a person sees. Unexpected ones are logged with their trace."""
    _log_error(exc)
    icon = ":material/error:" if isinstance(exc, UshadowError) else ":material/bug_report:"
    st.error(error_markdown(exc), icon=icon)


@contextmanager
def error_boundary() -> Iterator[None]:
    """Show any exception from the block with :func:`show_error`; Streamlit's control flow passes."""
    try:
        yield
    except CONTROL_FLOW:
        raise
    except Exception as exc:
        show_error(exc)


def run_action(label: str, action: Callable[[], T]) -> T | None:
    """Run ``action`` under a spinner; on failure draw the error and return None."""
    with st.spinner(label):
        try:
            return action()
        except CONTROL_FLOW:
            raise
        except Exception as exc:
            show_error(exc)
            return None


def run_with_progress(label: str, total: int, action: Callable[[Callable[[str], None]], T]) -> T | None:
    """Run ``action(step)`` with a progress bar advanced by each ``step(text)``; errors as above."""
    bar = st.progress(0.0, text=label)
    done = 0

    def step(text: str) -> None:
        nonlocal done
        done += 1
        bar.progress(min(done / max(total, 1), 1.0), text=f"{label} {done}/{total}: {text}")

    try:
        return action(step)
    except CONTROL_FLOW:
        raise
    except Exception as exc:
        show_error(exc)
        return None
    finally:
        bar.empty()


# -- settings, secrets and the store -----------------------------------------------------------


def _secrets() -> dict[str, Any]:
    """``.streamlit/secrets.toml`` as a dict; empty when there is none."""
    try:
        if not st.secrets.load_if_toml_exists():
            return {}
        return dict(st.secrets.to_dict())
    except FileNotFoundError:
        return {}
    except Exception as exc:  # a malformed secrets.toml
        raise InvalidInput(
            f"cannot read .streamlit/secrets.toml: {_one_line(str(exc), 200)}",
            hint="fix the TOML syntax of the secrets file, or remove it",
        ) from exc


def secret_overrides() -> dict[str, str]:
    """The USHADOW_* settings given in secrets (top level), which win over the environment."""
    return {k: str(v) for k, v in _secrets().items() if k in SETTINGS and not isinstance(v, dict)}


@st.cache_resource(show_spinner=False)
def get_settings() -> Settings:
    """Settings from secrets over the environment, read once per process."""
    return Settings.load(secret_overrides())


def _close_store(store: Store) -> None:
    store.close()


@st.cache_resource(show_spinner="Opening the database…", on_release=_close_store)
def _open_store(database_url: str, data_dir: str, _settings: Settings) -> Store:
    return Store.open(_settings)


def get_store() -> Store:
    """The one store of this process (migrated on first use), keyed on where the data lives."""
    settings = get_settings()
    return _open_store(settings.database_url, str(settings.data_dir), settings)


def auth_configured() -> bool:
    """Whether ``[auth]`` (OIDC for ``st.login``) is set up in secrets."""
    section = _secrets().get("auth")
    return isinstance(section, dict) and bool(section)


def logged_in_user() -> str | None:
    """Who is using the dashboard (their verified email), when they logged in with ``st.login``."""
    if not auth_configured() or not st.user.get("is_logged_in", False):
        return None
    return verified_email(st.user)


def policy() -> Policy:
    settings = get_settings()
    return Policy.from_settings(
        auth_enabled=auth_configured(), allow=settings.auth_allow, readonly=settings.auth_readonly
    )


def current_role() -> str | None:
    return policy().role_for(logged_in_user())


def actor_for(action: str) -> str:
    """Who does ``action`` (for the audit trail); raises PermissionDenied for a read-only user."""
    return policy().require(logged_in_user(), action)


def can_change() -> bool:
    return current_role() == OPERATOR


def auth_gate() -> None:
    """With ``[auth]`` configured, every page needs a signed-in, allowed user (``st.login``)."""
    if not auth_configured():
        return
    if not st.user.get("is_logged_in", False):
        st.title("ushadow ops")
        st.info("Sign in to use this dashboard.", icon=":material/lock:")
        if st.button("Sign in", type="primary", key="auth_login"):
            st.login()
        st.stop()
    if logged_in_user() is None:
        st.title("ushadow ops")
        st.error(
            "Your sign-in did not give a verified email address, so this dashboard cannot tell who you are."
        )
        st.caption(
            "Access is granted by verified email only: ask the identity provider's admin to release the "
            "`email` and `email_verified` claims, or sign in with another account."
        )
        if st.button("Sign out", key="auth_logout_unverified"):
            st.logout()
        st.stop()
    if current_role() is None:
        st.error(f"{md(str(logged_in_user() or 'This account'))} may not use this dashboard.")
        st.caption("Ask an admin to add you to USHADOW_AUTH_ALLOW.")
        if st.button("Sign out", key="auth_logout_denied"):
            st.logout()
        st.stop()
    with st.sidebar:
        role = "read-only" if current_role() == VIEWER else "operator"
        st.caption(f"Signed in as {md(str(logged_in_user()))} ({role})")
        if st.button("Sign out", key="auth_logout"):
            st.logout()


def server_address() -> str:
    """Where the dashboard listens ('127.0.0.1' unless configured otherwise)."""
    address = st.get_option("server.address")
    return str(address) if address else "every interface"


# -- pickers shared by the Deploy and Workloads pages --------------------------------------------


def require_clusters(store: Store, message: str = "No clusters yet: add one first.") -> list[Cluster]:
    """The registered clusters; with none, say what to do (with a link) and stop the page."""
    clusters = store.list_clusters()
    if not clusters:
        st.info(message, icon=":material/info:")
        st.page_link(page_file("clusters"), label="Clusters", icon=":material/lan:")
        st.stop()
    return clusters


def pick_cluster(clusters: list[Cluster], *, key: str) -> Cluster:
    """A cluster selectbox kept in ``?cluster=`` (a link naming a removed cluster says so)."""
    by_id = {c.cluster_id: c for c in clusters}
    ids = list(by_id)
    wanted = st.query_params.get("cluster")
    if wanted and wanted not in by_id:
        st.warning(f"The link names a cluster that is not registered (any more): {code(wanted)}.")
    chosen = st.selectbox(
        "Cluster",
        ids,
        index=ids.index(wanted) if wanted in by_id else 0,
        format_func=lambda cid: f"{by_id[cid].name} · {by_id[cid].status}",
        key=key,
    )
    st.query_params["cluster"] = chosen
    return by_id[chosen]


def pick_namespace(cluster: Cluster, *, key: str, help: str | None = None) -> str:
    """A namespace input kept in ``?namespace=``, validated (an invalid name stops the page)."""
    typed = st.text_input(
        "Namespace",
        value=st.query_params.get("namespace") or cluster.namespace,
        key=f"{key}_{cluster.cluster_id}",
        help=help,
    )
    try:
        namespace = validate_namespace(typed)
    except InvalidInput as exc:
        show_error(exc)
        st.stop()
    st.query_params["namespace"] = namespace
    return namespace


# -- status ------------------------------------------------------------------------------------


def status_label(status: str) -> str:
    """``'● connected'``: what a table's status cell holds (coloured by :func:`status_css`)."""
    return f"● {status}"


def status_css(label: object) -> str:
    """CSS for a status cell (``Styler.map``): the status's colour, bold."""
    status = str(label).removeprefix("● ")
    return f"color: {STATUS_STYLES.get(status, UNKNOWN_STATUS)[2]}; font-weight: 600"


def status_badge(status: str) -> None:
    icon, colour, _css = STATUS_STYLES.get(status, UNKNOWN_STATUS)
    st.badge(status, color=colour, icon=icon)  # type: ignore[arg-type]


def flash(key: str, kind: str, text: str) -> None:
    """Leave a message for the next run of the page (shown once by :func:`show_flashes`)."""
    st.session_state.setdefault(key, []).append((kind, text))


def flash_error(key: str, exc: BaseException) -> None:
    """Leave ``exc`` for the next run of the page, drawn as :func:`show_error` draws it."""
    _log_error(exc)
    flash(key, "error", error_markdown(exc))


FLASH_KINDS = {
    "success": (st.success, ":material/check_circle:"),
    "warning": (st.warning, ":material/warning:"),
    "error": (st.error, ":material/error:"),
}


def show_flashes(key: str) -> None:
    for kind, text in st.session_state.pop(key, []):
        draw, icon = FLASH_KINDS.get(kind, (st.info, ":material/info:"))
        draw(text, icon=icon)


# -- navigation ----------------------------------------------------------------------------------


def leave_legacy_pages_mode() -> None:
    """Make sure this app runs as a ``st.navigation`` app, even on a server's first run.

    Streamlit treats a ``pages/`` folder beside the main script as an old-style multipage app
    (every file a page, ``dashboard.py`` and ``_ui.py`` included, run without our frame) until
    ``st.navigation`` is called once. Our pages live in ``pages/`` because they are a package, so
    when a server's first run hits a page link directly, switch the mode and run the frame again.
    """
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None or not PagesManager.uses_pages_directory:
        return
    PagesManager.uses_pages_directory = False
    st.rerun()


# Every page imports this module, and the first import in a process happens in its first run,
# which is the only time the old mode can be in force.
leave_legacy_pages_mode()
