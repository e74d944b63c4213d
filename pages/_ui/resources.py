"""Settings (``.streamlit/secrets.toml`` over the environment) and the one store of the process."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.errors import InvalidInput
from core.settings import SETTINGS, Settings
from core.store.store import Store
from pages._ui.text import one_line


def secrets() -> dict[str, Any]:
    """``.streamlit/secrets.toml`` as a dict; empty when there is none."""
    try:
        if not st.secrets.load_if_toml_exists():
            return {}
        return dict(st.secrets.to_dict())
    except FileNotFoundError:
        return {}
    except Exception as exc:  # a malformed secrets.toml
        raise InvalidInput(
            f"cannot read .streamlit/secrets.toml: {one_line(str(exc), 200)}",
            hint="fix the TOML syntax of the secrets file, or remove it",
        ) from exc


def secret_overrides() -> dict[str, str]:
    """The USHADOW_* settings given in secrets (top level), which win over the environment."""
    return {k: str(v) for k, v in secrets().items() if k in SETTINGS and not isinstance(v, dict)}


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
