"""Every page's URL state: the one place that builds and reads the dashboard's query parameters.

Everything a link must reproduce is in the URL, under six names (:data:`PARAMS`):

- ``cluster``: a registered cluster, by id or by name (the page resolves it through the store);
- ``namespace``: a Kubernetes namespace;
- ``service``: a registry service id (``<file-stem>:<service>``, Services and Deploy) or a
  workload's name (Workloads);
- ``scan``: a stored scan's id (``secrets.token_urlsafe``, see ``core.naming.new_id``);
- ``tab``: the open tab, as :func:`tab_slug` writes a tab's label;
- ``label``: cluster labels to filter by (``env=prod team=shop``, Fleet).

:data:`PAGE_PARAMS` says which page keeps which. Reading (:func:`read_state`) validates each value
and reports a malformed one as an ``InvalidInput`` (the value is then ignored); building
(:func:`page_params`, :func:`page_path`) keeps only the page's own parameters, in its order. The
Scan page holds one of two things: the stored scan on show (its cluster is implied, so the address
bar *is* the shareable link), or, before there is a result, the cluster being scanned.

A shared link is ``<USHADOW_PUBLIC_URL>/<page>?<params>`` (:func:`scan_link`); links inside the
dashboard are relative (:func:`page_path`), so they work whatever the public URL says. Pure: no
Streamlit here (``pages/_ui/urls.py`` reads and writes ``st.query_params`` with these functions).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

from core.errors import InvalidInput
from core.naming import is_dns_label

CLUSTER, NAMESPACE, SERVICE, SCAN, TAB = "cluster", "namespace", "service", "scan", "tab"
LABEL = "label"
PARAMS = (CLUSTER, NAMESPACE, SERVICE, SCAN, TAB, LABEL)
# the pages' URL paths (dashboard.py registers them) and the parameters each keeps, in order
PAGE_PARAMS: dict[str, tuple[str, ...]] = {
    "home": (),
    "clusters": (CLUSTER,),
    "scan": (SCAN, CLUSTER),
    "services": (SERVICE, NAMESPACE),
    "deploy": (CLUSTER, NAMESPACE, SERVICE),
    "workloads": (CLUSTER, NAMESPACE, SERVICE, TAB),
    "fleet": (LABEL, SERVICE),
    "tokens": (),
}
SCAN_PAGE = "scan"
SCAN_PAGE_PARAMS = PAGE_PARAMS[SCAN_PAGE]
SCAN_ID_MIN, SCAN_ID_MAX = 16, 64
SERVICE_MAX = 253
LABEL_MAX = 512
_SCAN_ID = re.compile(r"^[A-Za-z0-9_-]+$")
# a cluster's name (core.clusters.registering.NAME_RE) or its id (core.naming.new_id)
_CLUSTER_REF = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,62}$")
_TAB = re.compile(r"[^a-z0-9]+")
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class PageState:
    """A page's parameters as read from its URL (None: not given, or malformed)."""

    cluster: str | None = None
    namespace: str | None = None
    service: str | None = None
    scan: str | None = None
    tab: str | None = None
    label: str | None = None


# -- reading: one parser per parameter -------------------------------------------------------------


def _shown(text: str) -> str:
    """At most a short prefix of what was given: a link is not echoed whole."""
    return text if len(text) <= 40 else text[:40] + "..."


def _given(value: str | None, what: str, hint: str) -> str:
    if value is None or not str(value).strip():
        raise InvalidInput(f"no {what} given", hint=hint)
    return str(value).strip()


def parse_scan_id(value: str | None) -> str:
    """A well-formed scan id from a query parameter or a command-line argument.

    Raises ``InvalidInput`` for a missing, empty or malformed value (the message never echoes more
    than a short prefix of what was given).
    """
    text = _given(value, "scan id", f"open a shared link, or add ?{SCAN}=<scan id> to the URL")
    hint = "copy the whole link again; `ushadow-ops scans list` shows the stored scan ids"
    if not _SCAN_ID.match(text):
        raise InvalidInput(
            f"scan id {_shown(text)!r} is malformed: only letters, digits, '-' and '_' are allowed",
            hint=hint,
        )
    if not SCAN_ID_MIN <= len(text) <= SCAN_ID_MAX:
        raise InvalidInput(
            f"scan id {_shown(text)!r} is malformed: it has {len(text)} characters, "
            f"a scan id has {SCAN_ID_MIN} to {SCAN_ID_MAX}",
            hint=hint,
        )
    return text


def parse_cluster_ref(value: str | None) -> str:
    """A cluster's id or name, well formed (whether it is registered is the store's to say)."""
    text = _given(value, "cluster", f"add ?{CLUSTER}=<cluster name or id> to the URL")
    if not _CLUSTER_REF.match(text):
        raise InvalidInput(
            f"cluster {_shown(text)!r} in the link is neither a cluster name nor a cluster id",
            hint="`ushadow-ops clusters list` shows the names and ids; the Clusters page lists them",
        )
    return text


def parse_namespace(value: str | None) -> str:
    """A valid Kubernetes namespace name (a DNS-1123 label)."""
    text = _given(value, "namespace", f"add ?{NAMESPACE}=<namespace> to the URL")
    if not is_dns_label(text):
        raise InvalidInput(
            f"namespace {_shown(text)!r} is not a valid Kubernetes namespace name",
            hint="lowercase letters, digits and '-', at most 63 characters",
        )
    return text


def parse_service(value: str | None) -> str:
    """A registry service id or a workload name: one line of printable text, not too long."""
    text = _given(value, "service", f"add ?{SERVICE}=<service id> to the URL")
    if len(text) > SERVICE_MAX or not text.isprintable():
        raise InvalidInput(
            f"service {_shown(text)!r} in the link is malformed",
            hint="a service id reads `<file-stem>:<service>`; `ushadow-ops services list` shows them",
        )
    return text


def parse_labels(value: str | None) -> str:
    """Cluster labels to filter by: ``key=value`` pairs (spaces or commas between), one line."""
    text = _given(value, "cluster labels", f"add ?{LABEL}=<key>=<value> to the URL")
    if len(text) > LABEL_MAX or not text.isprintable():
        raise InvalidInput(
            f"cluster labels {_shown(text)!r} in the link are malformed",
            hint="write them as key=value pairs, e.g. env=prod team=shop",
        )
    return text


def tab_slug(label: str) -> str:
    """How a tab's label is written in the URL: ``Run a command`` -> ``run-a-command``."""
    return _TAB.sub("-", label.lower()).strip("-")


def parse_tab(value: str | None, tabs: Sequence[str]) -> str:
    """One of ``tabs`` (labels), given as its :func:`tab_slug` (any case); the label comes back."""
    text = _given(value, "tab", "pick a tab on the page")
    by_slug = {tab_slug(t): t for t in tabs}
    found = by_slug.get(tab_slug(text))
    if found is None:
        raise InvalidInput(
            f"tab {_shown(text)!r} in the link is not one of this page's tabs",
            hint=f"one of: {', '.join(by_slug) or 'none'}",
        )
    return found


def read_state(
    page: str, params: Mapping[str, str], *, tabs: Sequence[str] = ()
) -> tuple[PageState, list[InvalidInput]]:
    """The page's own parameters from ``params``, each validated; a malformed one is left out
    (None) and its problem returned, so the page can say what is wrong with the link and go on.
    """
    parsers = {
        CLUSTER: parse_cluster_ref,
        NAMESPACE: parse_namespace,
        SERVICE: parse_service,
        SCAN: parse_scan_id,
        TAB: lambda value: parse_tab(value, tabs),
        LABEL: parse_labels,
    }
    values: dict[str, str] = {}
    problems: list[InvalidInput] = []
    for name in PAGE_PARAMS[page]:
        raw = params.get(name)
        if raw is None:
            continue
        try:
            values[name] = parsers[name](raw)
        except InvalidInput as exc:
            problems.append(exc)
    return PageState(**values), problems


# -- building -------------------------------------------------------------------------------------


def page_params(page: str, **values: str | None) -> dict[str, str]:
    """The query parameters of ``page`` for ``values`` (``cluster=``, ``namespace=``…): only the
    page's own, in its order, empty ones left out; a scan id is checked, a tab written as its slug.
    On the Scan page a stored scan's id stands alone (it implies its cluster).
    """
    unknown = set(values) - set(PARAMS)
    if unknown:
        raise ValueError(f"not a page parameter: {', '.join(sorted(unknown))}")
    given = {k: str(v).strip() for k, v in values.items() if v is not None and str(v).strip()}
    if SCAN in given:
        given[SCAN] = parse_scan_id(given[SCAN])
        if page == SCAN_PAGE:
            given = {SCAN: given[SCAN]}
    if TAB in given:
        given[TAB] = tab_slug(given[TAB])
    return {name: given[name] for name in PAGE_PARAMS[page] if name in given}


def page_path(page: str, **values: str | None) -> str:
    """``page`` relative to the dashboard, with its parameters (``scan?scan=<id>``)."""
    params = page_params(page, **values)
    return f"{quote(page)}?{urlencode(params)}" if params else quote(page)


def scan_page_params(*, scan_id: str | None = None, cluster_id: str | None = None) -> dict[str, str]:
    """The Scan page's query parameters: a stored scan's id alone, else the cluster, else nothing."""
    return page_params(SCAN_PAGE, scan=scan_id, cluster=cluster_id)


def scan_path(scan_id: str) -> str:
    """A stored scan's link relative to the dashboard (``scan?scan=<id>``), for links inside it."""
    return page_path(SCAN_PAGE, scan=parse_scan_id(scan_id))


def cluster_scan_path(cluster_id: str) -> str:
    """The Scan page for one cluster, relative to the dashboard (``scan?cluster=<id>``)."""
    return page_path(SCAN_PAGE, cluster=cluster_id)


def public_base(public_url: str, *, configured: bool, seen_at: str | None) -> str:
    """The base URL links are written with: ``USHADOW_PUBLIC_URL`` when it is set; otherwise the
    address the browser reached this page at (``seen_at``, without the page's own path segment), so
    a dashboard served on another port or behind a proxy links to itself; else ``public_url``."""
    if configured or not seen_at:
        return public_url
    try:
        parts = urlsplit(seen_at.strip())
    except ValueError:
        return public_url
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.netloc:
        return public_url
    prefix = parts.path.rsplit("/", 1)[0] if "/" in parts.path else ""
    return f"{parts.scheme}://{parts.netloc}{prefix}".rstrip("/")


def scan_link(public_url: str, scan_id: str) -> str:
    """The URL that reopens a stored scan on the dashboard's Scan page."""
    base = public_url.strip().rstrip("/")
    return f"{base}/{scan_path(scan_id)}"


# -- where a link points ----------------------------------------------------------------------------


def origin(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of an absolute http(s) URL, loopback names as one host; else None."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return scheme, "localhost" if host in _LOOPBACK else host, port or _DEFAULT_PORTS[scheme]


def elsewhere(link: str, seen_at: str | None) -> bool:
    """Whether ``link`` points at another address than the one a browser reached the dashboard at
    (``seen_at``); False when either is unknown. Says when USHADOW_PUBLIC_URL needs setting."""
    here, there = origin(seen_at or ""), origin(link)
    return here is not None and there is not None and here != there
