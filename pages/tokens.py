"""API tokens (operators only): the tokens that may call the HTTP API (``/api/v1``,
``/api/kubernetes``), creating one (shown once), and revoking one. The same as
``ushadow-ops tokens create|list|revoke``; only each token's SHA-256 is stored.
"""

import pandas as pd
import streamlit as st

from core.errors import UshadowError
from core.settings import who
from pages._ui.auth import actor_for, can_change
from pages._ui.errors import show_error
from pages._ui.resources import get_settings, get_store
from pages._ui.text import code, md

st.title("API tokens")
st.caption(
    "Tokens for scripts, CI pipelines and the original web frontend calling this server's HTTP API "
    "(`Authorization: Bearer <token>`). A viewer token reads; an operator token also deploys and "
    "changes. Changes made with a token are in the audit trail as `token:NAME`."
)
if not can_change():
    st.info("Managing API tokens is for operators.", icon=":material/lock:")
    st.stop()

store = get_store()
tokens = store.tokens.list()
if tokens:
    st.dataframe(
        pd.DataFrame([t.to_json() for t in tokens])[
            ["name", "role", "state", "prefix", "created_at", "expires_at", "last_used_at", "created_by"]
        ].assign(created_by=lambda t: t["created_by"].map(who)),
        hide_index=True,
        width="stretch",
        key="tokens_table",
    )
else:
    st.info("No API tokens yet.", icon=":material/key:")

st.subheader("Create a token")
with st.form("tokens_create_form", clear_on_submit=True):
    left, middle, right = st.columns(3)
    name = left.text_input("Name", placeholder="ci", key="tokens_name")
    role = middle.selectbox("Role", ["viewer", "operator"], key="tokens_role")
    days = right.number_input("Expires in days (0: never)", 0, 3650, 90, key="tokens_days")
    create = st.form_submit_button("Create token", icon=":material/add:")
if create:
    try:
        token, secret = store.tokens.create(
            name.strip(), role=role, expires_in_days=float(days) or None, actor=actor_for("create API tokens")
        )
    except UshadowError as exc:
        show_error(exc)
    else:
        st.success(f"Created {md(token.role)} token {code(token.name)}. Copy it now: it is not shown again.")
        st.code(secret, language=None)
        base = get_settings().public_url
        st.caption("Try it:")
        st.code(f'curl -H "Authorization: Bearer {secret}" {base}/api/v1/clusters', language="bash")

active = [t.name for t in tokens if t.state() == "active"]
if active:
    st.subheader("Revoke a token")
    chosen = st.selectbox("Token", active, key="tokens_revoke_name")
    if st.button("Revoke", key="tokens_revoke", icon=":material/block:"):
        try:
            store.tokens.revoke(chosen, actor=actor_for("revoke API tokens"))
        except UshadowError as exc:
            show_error(exc)
        else:
            st.success(f"Revoked {code(chosen)}: it stops working at once.")
            st.rerun()
