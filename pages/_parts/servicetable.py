"""The Services page's registry table: its columns, its filters, and picking a row.

What the table holds and how it filters is ``core.views.services``; this only draws it.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core.compose.registry import Registry, RegistryEntry
from core.views.services import file_choices, filter_entries, registry_table
from pages._ui.status import ERROR_CELL_CSS

SELECTED, TABLE = "services_selected", "services_table"

REGISTRY_CONFIG = {
    "id": st.column_config.TextColumn("Service id", help="<file-stem>:<service>, as the CLI takes it"),
    "file": st.column_config.TextColumn("File"),
    "image": st.column_config.TextColumn("Image"),
    "ports": st.column_config.ListColumn("Ports", help="container ports; host:container where published"),
    "infra": st.column_config.CheckboxColumn("Infra", help="infrastructure (a database, a queue…)"),
    "infra_type": st.column_config.TextColumn("Type", help="what the infrastructure catalog recognises"),
    "required": st.column_config.ListColumn("Required variables", help="variables without a value yet"),
    "warnings": st.column_config.NumberColumn("Warnings", format="%d"),
    "error": st.column_config.TextColumn("Error", help="why this file or service cannot be read"),
}


def filtered(registry: Registry) -> list[RegistryEntry]:
    search_col, file_col, infra_col = st.columns([3, 2, 1], vertical_alignment="bottom")
    search = search_col.text_input(
        "Search", key="services_search", placeholder="id, image, name, tag…", icon=":material/search:"
    )
    files = file_choices(registry.entries)
    file = file_col.selectbox("File", files, index=None, key="services_file", placeholder="All files")
    infra_only = infra_col.toggle("Infra only", key="services_infra")
    shown = filter_entries(registry.entries, search=search, file=file, infra_only=infra_only)
    # a line between the filters and the table: the table's toolbar (drawn above it on hover)
    # would lie over the "Infra only" switch otherwise
    st.caption(f"Showing {len(shown)} of {len(registry.entries)} services.")
    return shown


def _picker(ids: list[str]) -> Callable[[], None]:
    def pick() -> None:
        rows = st.session_state[TABLE]["selection"]["rows"]
        if rows:
            st.session_state[SELECTED] = ids[rows[0]]

    return pick


def registry_view(registry: Registry, entries: list[RegistryEntry]) -> None:
    if not entries:
        st.info("No service matches the filters.", icon=":material/filter_alt_off:")
        return
    ids = [e.service_id for e in entries]
    chosen = st.session_state.get(SELECTED)
    st.dataframe(
        registry_table(entries).style.map(lambda v: ERROR_CELL_CSS if v else "", subset=["error"]),
        column_config=REGISTRY_CONFIG,
        hide_index=True,
        width="stretch",
        placeholder="",
        key=TABLE,
        on_select=_picker(ids),
        selection_mode="single-row",
        selection_default={"selection": {"rows": [ids.index(chosen)]}} if chosen in ids else None,
    )
