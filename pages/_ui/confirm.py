"""Type-the-name confirmation, for what cannot be undone (removing a cluster, undeploying).

A button opens the confirmation for one subject (:func:`asked_to_confirm`); inside it the person
types the subject's name and confirms (:func:`name_confirmed`), or cancels, which closes it. The
widgets of a confirmation are keyed ``<prefix>_start``, ``_name``, ``_confirm`` and ``_cancel``.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator


def _open_key(prefix: str) -> str:
    return f"{prefix}_open"


def asked_to_confirm(
    prefix: str,
    label: str,
    subject: str,
    where: DeltaGenerator | None = None,
    icon: str = ":material/delete:",
) -> bool:
    """The button that opens the confirmation (drawn in ``where``); whether it is open for ``subject``."""
    if (where or st).button(label, key=f"{prefix}_start", icon=icon):
        st.session_state[_open_key(prefix)] = subject
    return st.session_state.get(_open_key(prefix)) == subject


def close_confirmation(prefix: str) -> None:
    st.session_state.pop(_open_key(prefix), None)


def name_confirmed(prefix: str, name: str, *, warning: str, prompt: str, button: str, mismatch: str) -> bool:
    """The warning, the name box and the two buttons; True once ``name`` was typed and confirmed.

    A wrong name draws ``mismatch`` and stays open; Cancel closes the confirmation and reruns.
    """
    st.warning(warning, icon=":material/delete_forever:")
    typed = st.text_input(prompt, key=f"{prefix}_name")
    yes, no = st.columns(2)
    confirmed = yes.button(button, key=f"{prefix}_confirm", type="primary")
    if no.button("Cancel", key=f"{prefix}_cancel"):
        close_confirmation(prefix)
        st.rerun()
    if not confirmed:
        return False
    if typed.strip() != name:
        st.error(mismatch)
        return False
    return True
