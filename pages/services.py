"""Services: the compose registry, one service's Kubernetes manifests, and the whole bundle as a ZIP.

What the CLI's ``services list``, ``render`` and ``bundle`` do, on one page. The selected service
and the namespace are in the URL (``?service=<id>&namespace=<ns>``), so a link reopens the view.
Secret values are never drawn or offered for download: Secrets go through ``redact`` (masked), the
bundle carries empty secret templates, and a compose ``command`` that interpolates an API key
reads it as ``$(VAR)`` from the Secret (the compiler does that, see ``core.secrets.secretrefs``). Values
typed into the Variables box are hunted down once more here (``core.secrets.sensitivity.conceal``).
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import streamlit as st
import yaml

from core.clusters.registering import validate_namespace
from core.compose.keyvalues import parse_lines
from core.compose.registry import Registry, RegistryEntry, load_registry
from core.conventions import DEFAULT_NAMESPACE
from core.errors import InvalidInput, NotFound
from core.manifests.bundles import plan_bundle, refs_of_registry, zip_bundle
from core.manifests.compiler import compile_service
from core.manifests.yamldocs import to_yaml
from core.secrets.masking import conceal, distinctive, env_refs, scrub_text, secret_values
from core.secrets.sensitivity import MASK, is_sensitive
from core.views.services import (
    inline_code,
    plain_text,
    registry_counts,
    service_label,
    word_list,
    yaml_file_name,
)
from core.views.urlstate import NAMESPACE, SERVICE
from pages._parts.servicetable import SELECTED, filtered, registry_view
from pages._ui.errors import CONTROL_FLOW, show_error
from pages._ui.inputs import show_env_problems
from pages._ui.resources import get_settings
from pages._ui.text import md
from pages._ui.urls import read_param, write_params

PAGE = "services"
SHOWN = "services_shown"  # the ?service= the selection follows
ENV, NS_BOX = "services_env", "services_namespace"


# -- the registry, cached on its folders' contents ------------------------------------------------


def registry_stamp(dirs: tuple[str, ...]) -> tuple[Any, ...]:
    """What changes when a registry file (or a ``.env`` beside it) is added, removed or edited."""
    stamp: list[Any] = []
    for folder in dirs:
        try:
            files = sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in Path(folder).iterdir())
            stamp.append((folder, tuple(files)))
        except OSError:
            stamp.append((folder, None))
    return tuple(stamp)


@st.cache_data(show_spinner="Reading the compose registry…", max_entries=16)
def cached_registry(
    dirs: tuple[str, ...], stamp: tuple[Any, ...], env: tuple[tuple[str, str], ...]
) -> Registry:
    """The registry; ``stamp`` (see :func:`registry_stamp`) is only part of the cache key."""
    return load_registry([Path(d) for d in dirs], env=dict(env))


def _load(dirs: tuple[str, ...], env: tuple[tuple[str, str], ...]) -> Registry:
    return cached_registry(dirs, registry_stamp(dirs), env)


@st.cache_data(show_spinner="Compiling the bundle…", max_entries=8)
def cached_bundle(
    dirs: tuple[str, ...], stamp: tuple[Any, ...], env: tuple[tuple[str, str], ...], namespace: str = ""
) -> dict[str, Any]:
    """The whole registry as a kustomize ZIP (plain data: cached values must pickle); ``namespace``
    puts every service there (``bundle -n``), empty keeps each file's own."""
    registry = cached_registry(dirs, stamp, env)
    refs, broken = refs_of_registry(registry)
    plan = plan_bundle(refs, broken=broken, namespace=namespace or "ushadow", force_namespace=bool(namespace))
    hide = {value for name, value in env if is_sensitive(name, value) and distinctive(value)}
    for entry in registry.entries:
        if entry.spec:
            hide |= secret_values(entry.spec.environment)
            hide |= {v for v in entry.spec.secret_variables.values() if distinctive(v)}
    owners = {s["file"]: registry.get(s["service_id"]) for s in plan.services}
    concealed: list[str] = list(plan.concealed)
    for rel, text in plan.files.items():
        if not any(value in text for value in hide):
            continue
        if rel.endswith(".yaml"):
            owner = owners.get(rel)
            own = env_refs(owner.spec.environment) if owner and owner.spec else {}
            docs = [d for d in yaml.safe_load_all(text) if d is not None]
            fixed = conceal(docs, hide, own)
            if fixed == docs:  # the value is only part of a name or label
                continue
            plan.files[rel] = to_yaml(fixed)
        else:
            plan.files[rel] = scrub_text(text, hide)
        concealed.append(rel)
    return {
        "zip": zip_bundle(plan),
        "services": len(plan.services),
        "skipped": dict(plan.skipped),
        "warnings": [w for w in plan.warnings if not any(w.startswith(f"{rel}:") for rel in plan.concealed)],
        "concealed": list(dict.fromkeys(concealed)),
        "by_reference": {s["file"]: s["secret_references"] for s in plan.services if s["secret_references"]},
    }


# -- the selection (the table itself: pages/_parts/servicetable.py) ------------------------------


def follow_link(registry: Registry, wanted: str | None) -> None:
    """A ``?service=`` that changed (a link opened, back or forward) becomes the selection."""
    ids = {e.service_id for e in registry.entries}
    if wanted != st.session_state.get(SHOWN):
        st.session_state[SHOWN] = wanted
        if wanted in ids:
            st.session_state[SELECTED] = wanted
    if st.session_state.get(SELECTED) not in ids:
        st.session_state.pop(SELECTED, None)


def selected_entry(registry: Registry, wanted: str | None) -> RegistryEntry | None:
    """The service selectbox (the table's selection sets it too); the choice goes into the URL."""
    by_id = {e.service_id: e for e in registry.entries}
    if wanted and wanted not in by_id:
        try:
            registry.get(wanted)
        except NotFound as exc:
            show_error(exc)

    chosen = st.selectbox(
        "Service",
        list(by_id),
        index=None,
        key=SELECTED,
        format_func=lambda sid: service_label(by_id[sid]),
        placeholder="Choose a service (or select a row in the table)",
    )
    if chosen is not None:
        write_params(PAGE, service=chosen)
        st.session_state[SHOWN] = chosen
    elif wanted in by_id:
        write_params(PAGE, service=None)
        st.session_state[SHOWN] = None
    return by_id[chosen] if chosen is not None else None


# -- one service ------------------------------------------------------------------------------------


def metadata(entry: RegistryEntry) -> None:
    meta = entry.meta
    st.subheader(plain_text(meta.display_name or entry.service))  # compose metadata: never Markdown
    st.caption(f"{inline_code(entry.service_id)} from {inline_code(entry.file)}")
    if meta.description:
        st.markdown(plain_text(meta.description, limit=2000))
    facts = [f"**Requires:** {word_list(meta.requires)}", f"**Provides:** {word_list(meta.provides)}"]
    if meta.tags:
        facts.append(f"**Tags:** {word_list(meta.tags)}")
    if entry.infra:
        facts.append(f"**Infrastructure:** {md(entry.infra_type or 'yes')}")
    if entry.profiles:
        facts.append(f"**Compose profiles:** {word_list(entry.profiles)}")
    st.markdown(" · ".join(facts))


def settings_inputs(entry: RegistryEntry, problems: list[str]) -> str:
    """The variables editor and the namespace; returns the namespace to compile for."""
    spec = entry.spec
    if spec is not None and spec.variables:
        required = f"; **required, without a value:** {word_list(spec.required_variables)}"
        st.markdown(
            f"**Variables it reads:** {word_list(spec.variables)}"
            + (required if spec.required_variables else "")
        )
    example = [f"{v}=" for v in (spec.required_variables if spec else [])] or ["LOG_LEVEL=debug"]
    left, right = st.columns([3, 1])
    left.text_area(
        "Variables (KEY=VALUE, one a line)",
        key=ENV,
        height=100,
        placeholder="\n".join(example),
        help="Values for `${VAR}` in the compose files, as `--env` gives them to the CLI. They apply to "
        "every preview and to the bundle download, and are not saved.",
    )
    show_env_problems("Variables", problems)
    default = entry.meta.namespace or DEFAULT_NAMESPACE
    typed = right.text_input(
        "Namespace",
        key=NS_BOX,
        placeholder=default,
        help=f"empty: {default} (the file's x-ushadow namespace)",
    )
    write_params(PAGE, namespace=typed.strip() or None)
    return typed.strip() or default


def service_panel(
    registry: Registry, entry: RegistryEntry, overrides: Mapping[str, str], problems: list[str]
) -> None:
    metadata(entry)
    project = registry.projects.get(entry.file)
    if entry.spec is None or project is None or entry.service not in project.services:
        show_error(
            InvalidInput(
                f"{entry.service_id} cannot be read: {entry.error or 'unknown error'}",
                hint="fix the compose file and press Reload; the rest of the registry is not affected",
            )
        )
        return
    namespace = settings_inputs(entry, problems)
    try:
        compiled = compile_service(
            entry.spec, project=project, namespace=namespace, service_id=entry.service_id
        )
    except CONTROL_FLOW:
        raise
    except Exception as exc:
        show_error(exc)
        for warning in entry.warnings:
            st.warning(md(warning), icon=":material/warning:")
        return
    hide = secret_values(entry.spec.environment, compiled.objects)
    hide |= {value for name, value in overrides.items() if is_sensitive(name, value) and distinctive(value)}
    objects = conceal(compiled.redacted(), hide, env_refs(entry.spec.environment))
    hide |= compiled.hidden()
    warnings = [scrub_text(w, hide) for w in compiled.warnings]
    if warnings:
        st.warning("\n".join(f"- {md(w)}" for w in warnings), icon=":material/warning:")
    if compiled.notes:
        with st.expander(f"Notes ({len(compiled.notes)})", icon=":material/info:"):
            st.markdown("\n".join(f"- {md(scrub_text(n, hide))}" for n in compiled.notes))
    st.markdown(
        f"**Manifests:** {compiled.kind} {inline_code(compiled.name)} in namespace {inline_code(compiled.namespace)}"
    )
    if any(o["kind"] == "Secret" for o in objects):
        st.caption(f"Secret values are masked ({MASK}); `ushadow-ops deploy` writes the real ones.")
    text = to_yaml(objects)
    st.download_button(
        "Download this service's YAML",
        text,
        file_name=yaml_file_name(entry.service_id),
        mime="application/yaml",
        key="services_download_yaml",
        on_click="ignore",
        icon=":material/download:",
    )
    tabs = st.tabs([f"{o['kind']} {o['metadata']['name']}" for o in objects])
    for tab, obj in zip(tabs, objects, strict=True):
        tab.code(to_yaml([obj]), language="yaml")


# -- the bundle -----------------------------------------------------------------------------------


def bundle_section(dirs: tuple[str, ...], env: tuple[tuple[str, str], ...]) -> None:
    st.subheader("Bundle")
    st.caption(
        "Every service as a kustomize tree (`kubectl apply -k`), as `ushadow-ops bundle` writes it. "
        "It holds no secret values: each Secret is read from a git-ignored `secrets/<ns>/<name>.env` "
        "that you make from the `.env.example` beside it (`kubectl apply -k` fails until it exists). "
        "Advice for production is in `tweaks/README.md`."
    )
    typed = st.text_input(
        "Bundle namespace",
        key="services_bundle_namespace",
        placeholder="each file's own",
        help="put every service in this namespace (`ushadow-ops bundle -n`); empty: each compose "
        "file's x-ushadow namespace, else ushadow",
    ).strip()
    try:
        namespace = validate_namespace(typed) if typed else ""
        bundle = cached_bundle(dirs, registry_stamp(dirs), env, namespace)
    except CONTROL_FLOW:
        raise
    except Exception as exc:
        show_error(exc)
        return
    st.download_button(
        f"Download the bundle ({bundle['services']} services, ZIP)",
        bundle["zip"],
        file_name=f"ushadow-bundle-{namespace}.zip" if namespace else "ushadow-bundle.zip",
        mime="application/zip",
        key="services_download_bundle",
        on_click="ignore",
        icon=":material/folder_zip:",
        type="primary",
    )
    if env:
        st.caption(f"With {len(env)} variable(s) from the Variables box.")
    for rel, names in bundle["by_reference"].items():
        st.warning(
            f"{inline_code(rel)}: a secret value is passed outside the environment (a command line, a "
            f"healthcheck). It is read as `$(VAR)` ({word_list(names)}) from the Secret in the bundle "
            "instead: fill it in with the others.",
            icon=":material/key:",
        )
    for rel in bundle["concealed"]:
        st.warning(
            f"{inline_code(rel)}: a secret value was found outside its Secret. It reads `$(VAR)` from the "
            "Secret in the bundle instead, or is masked: check that file.",
            icon=":material/key:",
        )
    for warning in bundle["warnings"]:
        st.caption(md(warning))
    if bundle["skipped"]:
        with st.expander(f"Left out of the bundle ({len(bundle['skipped'])})", icon=":material/block:"):
            lines = [
                f"- {inline_code(sid)}: {md(why.removeprefix(f'{sid}: '))}"
                for sid, why in bundle["skipped"].items()
            ]
            st.markdown("\n".join(lines))


# -- the page -------------------------------------------------------------------------------------


st.title("Services")
st.caption(
    "The compose registry: every service of the compose files in `USHADOW_COMPOSE_DIR`, and the "
    "Kubernetes manifests compiled from them. Secret values are always masked here."
)
for key in (ENV, NS_BOX):  # keep the inputs while no service (so no input) is shown
    if key in st.session_state:
        st.session_state[key] = st.session_state[key]
if NS_BOX not in st.session_state and (linked := read_param(PAGE, NAMESPACE)):
    st.session_state[NS_BOX] = linked

settings = get_settings()
dirs = tuple(str(d) for d in settings.compose_dirs)
overrides, problems = parse_lines(st.session_state.get(ENV) or "")
env = tuple(sorted(overrides.items()))

where, reload = st.columns([5, 1], vertical_alignment="center")
where.caption("Registry folders: " + ", ".join(inline_code(d) for d in dirs))
if reload.button("Reload", key="services_reload", icon=":material/refresh:", help="read the files again"):
    cached_registry.clear()
    cached_bundle.clear()

try:
    registry = _load(dirs, env)
except CONTROL_FLOW:
    raise
except Exception as exc:
    show_error(exc)
    st.stop()
for warning in registry.warnings:
    st.warning(
        f"{md(warning)}: set `USHADOW_COMPOSE_DIR` to your compose folder(s).", icon=":material/folder_off:"
    )
if not registry.entries:
    st.info(
        "No compose files (`*.yml`, `*.yaml`) in the registry folders yet: add some, then press Reload.",
        icon=":material/info:",
    )
    st.stop()

st.caption(registry_counts(registry.entries))
wanted = read_param(PAGE, SERVICE)
follow_link(registry, wanted)
registry_view(registry, filtered(registry))
entry = selected_entry(registry, wanted)
if entry is not None:
    with st.container(border=True):
        service_panel(registry, entry, overrides, problems)
bundle_section(dirs, env)
