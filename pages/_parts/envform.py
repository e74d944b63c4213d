"""The Deploy page's environment form: one input per variable the service asks for, prefilled
from the compose defaults and the scan (a cluster's namespace or a Docker host)."""

import streamlit as st

from core.compose.registry import RegistryEntry
from core.deploy.plans import form_rows
from core.store.scans import ScanResult
from pages._ui.inputs import env_box

SOURCE_TEXT = {
    "default": "compose default",
    "scan": "found by the scan",
    "typed": "typed here",
    "missing": "required: fill it in",
    "unset": "not set",
}


def environment_form(
    entry: RegistryEntry, scan: ScanResult | None, namespace: str, key: str
) -> dict[str, str]:
    """One input per variable, prefilled; returns what was typed (values that differ from the prefill)."""
    prefill = form_rows(entry, namespace=namespace, scan=scan)
    typed: dict[str, str] = {}
    if not prefill:
        st.caption("This service asks for no variables.")
    columns = st.columns(2)
    for index, row in enumerate(prefill):
        start = row.value or ""
        label = f"{row.name} *" if row.required else row.name
        value = columns[index % 2].text_input(
            label,
            value=start,
            key=f"deploy_env_{key}_{row.name}",
            type="password" if row.sensitive else "default",
            help=f"{SOURCE_TEXT[row.source]}" + (f": {row.note}" if row.note else ""),
        )
        if value != start:
            typed[row.name] = value
    extra, _problems = env_box(
        "More environment (KEY=VALUE per line)",
        key=f"deploy_env_{key}_extra",
        name="More environment",
        height=80,
        help="added to the container's environment",
    )
    return typed | extra
