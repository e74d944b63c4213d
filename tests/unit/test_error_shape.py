"""The shape of an error as a person sees it, pinned: on the dashboard (``pages/_ui/errors.show_error`` and
the catch-all around every page) and on the command line (one line on stderr, non-zero exit).
"""

from __future__ import annotations

import json
import logging

import pytest
from streamlit.testing.v1 import AppTest

from core.cli import main
from core.errors import NotFound
from core.settings import Settings
from pages._ui.errors import error_markdown
from pages._ui.text import code, md


def _core_error_with_hint() -> None:
    from core.errors import NotFound
    from pages._ui.errors import show_error

    show_error(
        NotFound("no cluster with id or name 'prod_eu'", hint="`ushadow-ops clusters list` shows them")
    )


def _core_error_without_hint() -> None:
    from core.errors import Unreachable
    from pages._ui.errors import show_error

    show_error(Unreachable("connection refused by https://127.0.0.1:1"))


def _unexpected_error() -> None:
    from pages._ui.errors import error_boundary

    def deep_inside() -> None:
        raise KeyError("spec.ports[0]")

    with error_boundary():
        deep_inside()


def _control_flow_passes() -> None:
    import streamlit as st

    from pages._ui.errors import error_boundary

    with error_boundary():
        st.markdown("before stop")
        st.stop()
    st.markdown("after stop")


def run(script: object) -> AppTest:
    at = AppTest.from_function(script, default_timeout=30).run()  # type: ignore[arg-type]
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_core_error_is_title_message_and_what_to_try() -> None:
    at = run(_core_error_with_hint)
    assert [e.value for e in at.error] == [
        "**Not found:** no cluster with id or name 'prod\\_eu'\n\n"
        "**What to try:** `ushadow-ops clusters list` shows them"
    ]


def test_core_error_without_hint_has_no_what_to_try() -> None:
    at = run(_core_error_without_hint)
    assert [e.value for e in at.error] == [
        "**Cluster unreachable:** connection refused by `https://127.0.0.1:1`"  # code: not a link
    ]


def test_unexpected_error_shows_its_type_not_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="ushadow"):
        at = run(_unexpected_error)
    [shown] = [e.value for e in at.error]
    assert shown.startswith("**Unexpected error (KeyError)**: 'spec.ports\\[0\\]'")
    assert "What to try" in shown
    assert "Traceback" not in shown and "deep_inside" not in shown
    # ... while the log has the whole story
    [record] = [r for r in caplog.records if r.name == "ushadow.dashboard"]
    assert record.exc_info is not None and record.exc_info[0] is KeyError
    assert "deep_inside" in caplog.text


def test_stop_and_rerun_are_not_errors() -> None:
    at = run(_control_flow_passes)
    assert [m.value for m in at.markdown] == ["before stop"]
    assert not at.error


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("two\nlines", "two lines"),
        ("x" * 400, "x" * 299 + "…"),
        ("", None),
    ],
)
def test_unexpected_messages_are_one_short_line(message: str, shown: str | None) -> None:
    body = error_markdown(RuntimeError(message))
    first = body.split("\n\n")[0]
    if shown is None:
        assert first == "**Unexpected error (RuntimeError)**"
    else:
        assert first == f"**Unexpected error (RuntimeError)**: {shown}"


def test_markdown_in_a_message_stays_literal() -> None:
    body = error_markdown(NotFound("no service *db* <b>x</b> for $5 [link](http://e)"))
    assert body == "**Not found:** no service \\*db\\* \\<b\\>x\\</b\\> for \\$5 \\[link\\](`http://e`)"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain words", "plain words"),
        ("a_b *c*", "a\\_b \\*c\\*"),
        ("$5 and ~x~", "\\$5 and \\~x\\~"),
        ("run `kubectl get <x>` now", "run `kubectl get <x>` now"),  # code stays code
        ("odd ` tick", "odd ` tick"),
        # a server URL is code, not a link Streamlit's markdown would make clickable
        ("cannot reach https://10.0.0.7:6443.", "cannot reach `https://10.0.0.7:6443`."),
        ("see www.example.com/x_y or (http://h/a)", "see `www.example.com/x_y` or (`http://h/a`)"),
        ("run `curl https://h` now", "run `curl https://h` now"),
    ],
)
def test_md_keeps_text_literal(text: str, shown: str) -> None:
    assert md(text) == shown


@pytest.mark.parametrize(
    ("text", "shown"),
    [("kind-my_cluster", "`kind-my_cluster`"), ("a`b", "`a'b`"), ("x" * 100, "`" + "x" * 79 + "…`")],
)
def test_code_is_one_safe_span(text: str, shown: str) -> None:
    assert code(text) == shown


# -- the command line ------------------------------------------------------------------------------


def test_cli_error_is_one_line_on_stderr(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["clusters", "remove", "nope"])
    out, err = capsys.readouterr()
    assert code == NotFound.exit_code != 0
    assert out == ""
    assert err == "error: no cluster with id or name 'nope' (`ushadow-ops clusters list` shows them)\n"


def test_cli_settings_error_has_the_same_shape(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("USHADOW_REQUEST_TIMEOUT", "soon")
    code = main(["clusters", "list", "--json"])
    out, err = capsys.readouterr()
    assert code == 2
    # with --json, stdout is still exactly one JSON document: the error
    assert json.loads(out) == {
        "error": {
            "type": "Invalid input",
            "message": "USHADOW_REQUEST_TIMEOUT must be a number of seconds, not 'soon'",
            "hint": "set it to e.g. 5",
        }
    }
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("error: USHADOW_REQUEST_TIMEOUT must be a number of seconds, not 'soon' (")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["clusters", "add"], "the following arguments are required: --kubeconfig"),  # NAME is optional
        (["nope"], "invalid choice: 'nope'"),
        (["scale", "c", "svc", "three"], "invalid int value: 'three'"),
    ],
)
def test_cli_usage_errors_are_one_line_too(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith("error: ushadow-ops")
    assert expected in line
    assert "--help" in line


@pytest.mark.parametrize("argv", [["scale", "c", "--json"], ["--json", "nope"]])
def test_cli_usage_errors_with_json_are_one_json_document(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    error = json.loads(captured.out)["error"]
    assert error["type"] == "Invalid input" and error["message"].startswith("ushadow-ops")
    assert "--help" in error["hint"]
    assert len(captured.err.splitlines()) == 1
