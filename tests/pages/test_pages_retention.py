"""The Scan page with retention: a reference scan's link opens its whole result with "nothing
changed", and a link to a pruned scan is one clear error that says so (real SQLite, AppTest)."""

from __future__ import annotations

from datetime import UTC, datetime

from core.settings import Settings
from core.store.retention import parse_retention
from core.store.store import Store
from tests.pages.test_pages_scan import add_row, has_table, postgres, redis, save
from tests.support.pagekit import open_page, plain


def test_a_reference_scan_opens_whole_and_a_pruned_one_says_it_was_pruned(
    settings: Settings, store: Store
) -> None:
    cluster = add_row(store)
    changed = save(store, cluster, [redis()], minute=0)
    base = save(store, cluster, [redis(), postgres()], minute=15)
    reference = save(store, cluster, [redis(), postgres()], minute=30)
    assert {s.scan_id: s.same_as for s in store.list_scan_summaries()}[reference.scan_id] == base.scan_id

    at = open_page("scan", scan=reference.scan_id)
    assert not at.exception and not at.error
    assert has_table(at, "connection string")
    assert any(c.value.startswith("Nothing changed since [the previous scan]") for c in at.caption)

    report = store.prune_scans(parse_retention("all:1d,daily"), now=datetime(2026, 3, 1, tzinfo=UTC))
    assert {v.scan_id for v in report.pruned} == {changed.scan_id, base.scan_id}
    at = open_page("scan", scan=base.scan_id)
    assert not at.exception
    assert len(at.error) == 1, [e.value for e in at.error]
    message = plain(at.error[0].value)
    assert "was pruned by retention" in message and reference.scan_id in message
    assert "USHADOW_SCAN_RETENTION" in message
    at = open_page("scan", scan=reference.scan_id)  # its match rows moved to it: still whole
    assert not at.exception and not at.error and has_table(at, "connection string")
