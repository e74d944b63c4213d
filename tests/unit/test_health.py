"""The health probe answers for a working database and for a broken one, without raising."""

from __future__ import annotations

from core.settings import Settings
from core.store.databases import HEAD_REVISION
from core.store.health import health
from core.store.store import Store


def test_healthy_store(store: Store) -> None:
    ok, detail = health(store)
    assert ok
    assert detail["database"] == "ok"
    assert detail["schema"] == HEAD_REVISION


def test_broken_database_is_reported_not_raised(settings: Settings) -> None:
    store = Store.open(settings)
    db = settings.data_dir / "ushadow.db"
    store.engine.dispose()
    db.write_bytes(b"this is not a database")
    ok, detail = health(store)
    assert not ok
    assert detail["database"] == "unreachable"
    store.close()
