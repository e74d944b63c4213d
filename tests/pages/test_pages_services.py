"""The Services page under ``AppTest``: the registry table (broken entries included), a service's
manifests by link and by widget, the variables and namespace inputs, the downloads, and that no
secret value from a compose file ever reaches the browser or a download.

Registries: tests/fixtures/services_page/ (written for this page) and the repo's demo compose/.
"""

from __future__ import annotations

import base64
import io
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import streamlit.testing.v1.app_test as app_test_module
import yaml
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from core.secrets.sensitivity import MASK
from core.settings import Settings
from tests.support import paths
from tests.support.pagekit import open_page as open_services_page
from tests.support.pagekit import plain

ROOT = paths.REPO
FIXTURES = paths.FIXTURES / "services_page"
REGISTRY = FIXTURES / "registry"

# Values in tests/fixtures/services_page/registry/shop-compose.yaml that must never be shown.
SECRETS = ["sk-svcpage-DEFAULT-0123456789abcdef", "pw-in-url-5150"]
IDS = [
    "broken-compose:*",
    "data-compose:postgres",
    "shop-compose:api",
    "shop-compose:worker",
    "shop-compose:mongo",
    "tools-compose:good",
    "tools-compose:bad",
]


@pytest.fixture
def registry(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("USHADOW_COMPOSE_DIR", str(REGISTRY))
    return REGISTRY


Downloads = Callable[[AppTest, str], bytes]


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> Downloads:
    """What a download button would hand the browser: AppTest keeps download data in a media
    storage it makes per run and then drops; this keeps a reference to it (nothing is faked)."""
    storages: list[MemoryMediaFileStorage] = []

    class Kept(MemoryMediaFileStorage):
        def __init__(self, media_endpoint: str) -> None:
            super().__init__(media_endpoint)
            storages.append(self)

    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", Kept)

    def data(at: AppTest, key: str) -> bytes:
        [button] = [b for b in at.get("download_button") if b.proto.id.endswith(f"-{key}")]
        return storages[-1].get_file(button.proto.url.rsplit("/", 1)[1]).content

    return data


def open_page(**query: str) -> AppTest:
    return open_services_page("services", **query)


def errors(at: AppTest) -> list[str]:
    return [plain(e.value) for e in at.error]


def codes(at: AppTest) -> str:
    return "\n".join(c.value for c in at.code)


def table_ids(at: AppTest) -> list[str]:
    return list(at.dataframe[0].value["id"])


def wire_bytes(node: object) -> bytes:
    """Everything a browser would receive for ``node`` and below (protobuf bytes)."""
    proto = getattr(node, "proto", None)
    data = proto.SerializeToString() if proto is not None else b""
    for child in getattr(node, "children", {}).values():
        data += wire_bytes(child)
    return data


def secret_forms(value: str) -> list[bytes]:
    return [value.encode(), base64.b64encode(value.encode())]


def zip_texts(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


# -- the registry ---------------------------------------------------------------------------------


def test_the_table_lists_every_service_and_the_broken_ones(registry: Path) -> None:
    at = open_page()
    assert not at.exception
    assert [t.value for t in at.title] == ["Services"]
    assert not at.error, errors(at)  # nothing selected: broken entries are rows, not page errors
    table = at.dataframe[0].value.set_index("id")
    assert list(table.index) == IDS
    assert "not valid YAML" in table.loc["broken-compose:*", "error"]
    assert "invalid host port 'eighty'" in table.loc["tools-compose:bad", "error"]
    assert table.loc["tools-compose:good", "error"] == ""
    assert table.loc["shop-compose:api", "image"] == "ghcr.io/example/shop-api:2.0.0"
    assert list(table.loc["shop-compose:api", "ports"]) == ["8080:8080/tcp"]
    assert list(table.loc["shop-compose:api", "required"]) == ["STRIPE_TOKEN"]
    assert table.loc["shop-compose:api", "file"] == "registry/shop-compose.yaml"
    assert bool(table.loc["shop-compose:mongo", "infra"]) is True
    assert table.loc["shop-compose:mongo", "infra_type"] == "mongo"
    assert bool(table.loc["tools-compose:good", "infra"]) is False
    assert "service" not in at.query_params
    assert any("7 services, 2 infrastructure, 2 cannot be read" in c.value for c in at.caption)


@pytest.mark.parametrize(
    ("widget", "value", "expected"),
    [
        ("text_input", "mongo", ["shop-compose:mongo"]),
        ("text_input", "shop api", ["shop-compose:api"]),  # the display name, word by word
        ("text_input", "nginx", ["tools-compose:good"]),  # the image
        ("toggle", True, ["data-compose:postgres", "shop-compose:mongo"]),
        ("selectbox", "registry/tools-compose.yaml", ["tools-compose:good", "tools-compose:bad"]),
    ],
)
def test_filters(registry: Path, widget: str, value: object, expected: list[str]) -> None:
    at = open_page()
    keys = {"text_input": "services_search", "toggle": "services_infra", "selectbox": "services_file"}
    getattr(at, widget)(key=keys[widget]).set_value(value).run()
    assert not at.exception
    assert table_ids(at) == expected


def test_a_filter_that_matches_nothing_says_so(registry: Path) -> None:
    at = open_page()
    at.text_input(key="services_search").set_value("no-such-thing").run()
    assert not at.dataframe
    assert any("No service matches" in i.value for i in at.info)


def test_a_missing_folder_is_a_warning_and_an_empty_page_says_what_to_do(settings: Settings) -> None:
    at = open_page()  # the settings fixture points USHADOW_COMPOSE_DIR at a folder that does not exist
    assert not at.exception
    assert not at.error
    assert any("does not exist" in plain(w.value) and "USHADOW_COMPOSE_DIR" in w.value for w in at.warning)
    assert any("No compose files" in i.value for i in at.info)
    assert not at.get("download_button")


def test_a_new_file_shows_up_and_reload_reads_again(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = settings.data_dir.parent / "compose"
    folder.mkdir()
    shutil.copy(REGISTRY / "tools-compose.yaml", folder)
    monkeypatch.setenv("USHADOW_COMPOSE_DIR", str(folder))
    at = open_page()
    assert table_ids(at) == ["tools-compose:good", "tools-compose:bad"]
    (folder / "more-compose.yaml").write_text("services:\n  extra:\n    image: busybox:1.37\n")
    at.run()  # the cache is keyed on the folder's files and their mtimes
    assert table_ids(at) == ["more-compose:extra", "tools-compose:good", "tools-compose:bad"]
    at.button(key="services_reload").click().run()
    assert not at.exception
    assert table_ids(at) == ["more-compose:extra", "tools-compose:good", "tools-compose:bad"]


# -- one service -----------------------------------------------------------------------------------


def test_a_link_opens_a_service_with_its_manifests(registry: Path, downloads: Downloads) -> None:
    at = open_page(service="shop-compose:api")
    assert not at.exception
    assert not at.error, errors(at)
    assert at.selectbox(key="services_selected").value == "shop-compose:api"
    assert [s.value for s in at.subheader][:1] == ["Shop API"]
    text = " ".join(plain(m.value) for m in at.markdown)
    assert "Takes orders and asks an LLM for product descriptions" in text
    assert "**Requires:** `llm`, `mongo` · **Provides:** `shop-api`" in text
    assert "**required, without a value:** `STRIPE_TOKEN`" in text
    assert any("required variables have no value: STRIPE_TOKEN" in plain(w.value) for w in at.warning)

    yaml_text = codes(at)
    assert "kind: Deployment" in yaml_text and "kind: Service" in yaml_text
    assert "image: ghcr.io/example/shop-api:2.0.0" in yaml_text
    assert "namespace: shop" in yaml_text  # the file's x-ushadow namespace
    assert f"OPENAI_API_KEY: '{MASK}'" in yaml_text and f"DATABASE_URL: '{MASK}'" in yaml_text
    assert "- $(OPENAI_API_KEY)" in yaml_text  # the key on the command line is read from the Secret
    assert "LOG_LEVEL: info" in yaml_text  # non-secret values are shown as they are
    assert [t.label for t in at.tabs] == [
        "ConfigMap api-config",
        "Secret api-secrets",
        "Service api",
        "NetworkPolicy api",  # who may reach it: the compose networks it shares
        "Deployment api",
    ]
    download = downloads(at, "services_download_yaml").decode()
    assert list(yaml.safe_load_all(download)) == [yaml.safe_load(c.value) for c in at.code]
    assert at.query_params["service"] == "shop-compose:api"


def test_choosing_in_the_selectbox_puts_the_service_in_the_url(registry: Path) -> None:
    at = open_page()
    assert not at.code
    at.selectbox(key="services_selected").set_value("shop-compose:mongo").run()
    assert not at.exception
    assert at.query_params["service"] == "shop-compose:mongo"
    assert "image: mongo:8.0" in codes(at)
    at.selectbox(key="services_selected").set_value(None).run()
    assert "service" not in at.query_params
    assert not at.code


def test_a_changed_link_wins_over_the_earlier_choice(registry: Path) -> None:
    at = open_page(service="shop-compose:api")
    at.query_params["service"] = "tools-compose:good"
    at.run()
    assert at.selectbox(key="services_selected").value == "tools-compose:good"
    assert "image: nginx:1.27" in codes(at)


def test_variables_and_namespace_change_the_preview(registry: Path) -> None:
    typed = "tok-typed-by-hand-31337"
    at = open_page(service="shop-compose:api")
    at.text_area(key="services_env").set_value(
        f"# comment\nSTRIPE_TOKEN={typed}\n\nLOG_LEVEL=debug\nexport SHOP_VERSION=3.1.4\n"
    )
    at.text_input(key="services_namespace").set_value("shop-staging").run()
    assert not at.exception
    assert not at.error, errors(at)
    yaml_text = codes(at)
    assert "namespace: shop-staging" in yaml_text and "namespace: shop\n" not in yaml_text
    assert "LOG_LEVEL: debug" in yaml_text
    assert "image: ghcr.io/example/shop-api:3.1.4" in yaml_text
    assert f"STRIPE_TOKEN: '{MASK}'" in yaml_text and typed not in yaml_text
    assert not any("required variables" in w.value for w in at.warning)
    assert list(at.dataframe[0].value.set_index("id").loc["shop-compose:api", "required"]) == []
    assert at.query_params["namespace"] == "shop-staging"
    # the inputs outlive a moment with no service selected (the bundle uses the variables too)
    at.selectbox(key="services_selected").set_value(None).run()
    at.selectbox(key="services_selected").set_value("shop-compose:api").run()
    assert at.text_input(key="services_namespace").value == "shop-staging"
    assert "LOG_LEVEL: debug" in codes(at)


def test_a_namespace_in_the_link_is_used(registry: Path) -> None:
    at = open_page(service="tools-compose:good", namespace="edge")
    assert at.text_input(key="services_namespace").value == "edge"
    assert "namespace: edge" in codes(at)


def test_an_invalid_namespace_says_what_to_try(registry: Path) -> None:
    at = open_page(service="tools-compose:good")
    at.text_input(key="services_namespace").set_value("Not_Valid").run()
    assert not at.exception
    [message] = errors(at)
    assert "Invalid input" in message and "'Not_Valid' is not a valid Kubernetes name" in message
    assert "What to try" in message


def test_a_bad_variable_line_is_named_by_number_never_echoed(registry: Path) -> None:
    at = open_page(service="shop-compose:api")
    at.text_area(key="services_env").set_value("LOG_LEVEL=debug\nOPENAI_API_KEY sk-typed-999999\n9X=1").run()
    assert not at.exception
    problems = errors(at)
    assert len(problems) == 2
    assert (
        "line 2 has no `=`" in problems[0] and "**What to try:** write one KEY=VALUE per line" in problems[0]
    )
    assert "line 3: the name before `=` is not a variable name" in problems[1]
    assert not any("sk-typed-999999" in m for m in problems)
    assert "LOG_LEVEL: debug" in codes(at)  # the good lines still apply


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        ("shop-compose:worker", ["Not convertible", "has `build:` but no `image:`", "What to try", "push"]),
        ("broken-compose:*", ["Invalid input", "not valid YAML", "What to try", "fix the compose file"]),
        ("tools-compose:bad", ["Invalid input", "invalid host port 'eighty'", "What to try"]),
        ("shop-compose:apx", ["Not found", "no compose service 'shop-compose:apx'", "did you mean"]),
    ],
)
def test_what_cannot_be_shown_is_an_error_with_what_to_try(
    registry: Path, service: str, expected: list[str]
) -> None:
    at = open_page(service=service)
    assert not at.exception
    [message] = errors(at)
    for part in expected:
        assert part in message
    assert not at.code
    assert table_ids(at) == IDS  # the rest of the registry still shows


# -- secrets ---------------------------------------------------------------------------------------


def test_no_secret_value_reaches_the_browser_or_a_download(registry: Path, downloads: Downloads) -> None:
    at = open_page(service="shop-compose:api")
    assert not at.exception
    wire = wire_bytes(at._tree) + repr(at.session_state.to_dict()).encode()
    assert b"ghcr.io/example/shop-api:2.0.0" in wire  # the search does see what the page shows
    assert b"kind: Secret" in wire
    service_yaml = downloads(at, "services_download_yaml")
    bundle = zip_texts(downloads(at, "services_download_bundle"))
    everything = [wire, service_yaml, *(text.encode() for text in bundle.values())]
    for secret in SECRETS:
        for form in secret_forms(secret):
            assert not any(form in blob for blob in everything), (secret, form)


def test_the_bundle_zip_has_every_convertible_service_and_no_secret_values(
    registry: Path, downloads: Downloads
) -> None:
    at = open_page()
    assert not at.error, errors(at)
    files = zip_texts(downloads(at, "services_download_bundle"))
    assert {
        "k8s/kustomization.yaml",
        "k8s/namespace.yaml",
        "k8s/configmap.yaml",
        "k8s/secret.yaml",
        "k8s/base/shop/api.yaml",
        "k8s/infra/shop/mongo.yaml",
        "k8s/base/ushadow/good.yaml",
        "k8s/secrets/shop/api-secrets.env.example",
        "k8s/tweaks/README.md",
    } <= set(files)
    assert (
        "OPENAI_API_KEY=\nDATABASE_URL=\nSTRIPE_TOKEN=\n" in files["k8s/secrets/shop/api-secrets.env.example"]
    )
    assert "k8s/secrets/shop/api-secrets.env" not in files  # yours to make: no Secret with empty values
    assert "- $(OPENAI_API_KEY)" in files["k8s/base/shop/api.yaml"]
    for name, text in files.items():
        for secret in SECRETS:
            assert secret not in text, name
    assert any("base/shop/api.yaml" in plain(w.value) and "$(VAR)" in w.value for w in at.warning)
    [left_out] = [e for e in at.expander if e.label.startswith("Left out of the bundle")]
    assert left_out.label == "Left out of the bundle (3)"
    assert "shop-compose:worker" in left_out.markdown[0].value


def test_the_bundle_can_put_every_service_in_one_namespace(registry: Path, downloads: Downloads) -> None:
    at = open_page()
    at.text_input(key="services_bundle_namespace").set_value("staging").run()
    assert not at.error, errors(at)
    files = zip_texts(downloads(at, "services_download_bundle"))
    assert {"k8s/base/staging/api.yaml", "k8s/infra/staging/mongo.yaml", "k8s/base/staging/good.yaml"} <= set(
        files
    )
    assert not any(name.startswith(("k8s/base/shop/", "k8s/base/ushadow/")) for name in files)
    at.text_input(key="services_bundle_namespace").set_value("Not_Valid").run()
    assert any("not a valid Kubernetes namespace name" in e for e in errors(at))


def test_a_well_known_default_password_is_masked_in_its_secret_and_breaks_nothing_else(
    registry: Path, downloads: Downloads
) -> None:
    """POSTGRES_PASSWORD=postgres also names the image, the command and the user: hunting it down
    outside the Secret would rename the service and break the image for no protection."""
    at = open_page(service="data-compose:postgres")
    assert not at.error, errors(at)
    yaml_text = codes(at)
    assert f"POSTGRES_PASSWORD: '{MASK}'" in yaml_text
    assert "image: postgres:17" in yaml_text and "name: postgres\n" in yaml_text
    assert "- postgres\n" in yaml_text and "POSTGRES_USER: postgres" in yaml_text
    files = zip_texts(downloads(at, "services_download_bundle"))
    assert "image: postgres:17" in files["k8s/infra/ushadow/postgres.yaml"]
    assert "POSTGRES_USER: postgres" in files["k8s/configmap.yaml"]
    assert not any("postgres.yaml" in w.value for w in at.warning)


def test_secret_variables_typed_in_stay_out_of_the_bundle(registry: Path, downloads: Downloads) -> None:
    typed = "sk-typed-into-the-box-424242424242"
    at = open_page(service="shop-compose:api")
    at.text_area(key="services_env").set_value(f"OPENAI_API_KEY={typed}").run()
    assert not at.exception
    assert typed not in codes(at)
    files = zip_texts(downloads(at, "services_download_bundle"))
    assert not any(typed in text for text in files.values())
    assert any("With 1 variable(s)" in c.value for c in at.caption)


def test_two_services_with_one_name_are_a_bundle_conflict(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USHADOW_COMPOSE_DIR", str(FIXTURES / "conflict"))
    at = open_page(service="a-compose:web")
    assert not at.exception
    [message] = errors(at)
    assert "Conflict" in message and "would both be named 'web'" in message
    assert "What to try" in message
    assert table_ids(at) == ["a-compose:web", "b-compose:web"]
    assert "image: nginx:1.27" in codes(at)  # one service alone still compiles
    assert [b.proto.id.rsplit("-", 1)[-1] for b in at.get("download_button")] == ["services_download_yaml"]


# -- the repo's demo registry ----------------------------------------------------------------------


def test_the_demo_registry(settings: Settings, monkeypatch: pytest.MonkeyPatch, downloads: Downloads) -> None:
    monkeypatch.setenv("USHADOW_COMPOSE_DIR", str(ROOT / "compose"))
    at = open_page(service="notes-compose:notes-api")
    assert not at.exception
    assert not at.error, errors(at)
    table = at.dataframe[0].value.set_index("id")
    assert set(table.index) == {
        "infra-compose:mongo",
        "infra-compose:redis",
        "infra-compose:qdrant",
        "notes-compose:notes-api",
        "notes-compose:notes-web",
    }
    assert list(table.loc["notes-compose:notes-api", "required"]) == ["OPENAI_API_KEY"]
    assert table.loc[table["infra"], :].index.tolist() == [
        "infra-compose:mongo",
        "infra-compose:redis",
        "infra-compose:qdrant",
    ]
    assert "Notes API" in [s.value for s in at.subheader]
    assert "image: ghcr.io/ushadow-io/demo-notes-api:1.2.0" in codes(at)
    assert "namespace: ushadow" in codes(at)
    keys = sorted(b.proto.id.rsplit("-", 1)[-1] for b in at.get("download_button"))
    assert keys == ["services_download_bundle", "services_download_yaml"]
    files = zip_texts(downloads(at, "services_download_bundle"))
    assert {"k8s/infra/ushadow/mongo.yaml", "k8s/base/ushadow/notes-api.yaml"} <= set(files)


def test_secrets_on_command_lines_are_read_from_the_secret_never_shown(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, downloads: Downloads
) -> None:
    """tests/fixtures/compiler/secrets.yml: a password only on a command line and in a CMD probe."""
    monkeypatch.setenv("USHADOW_COMPOSE_DIR", str(ROOT / "tests" / "fixtures" / "compiler"))
    password = "rEd1s-only-in-command-8812"
    at = open_page(service="secrets:keyed-cache")
    assert not at.exception
    assert not at.error, errors(at)
    yaml_text = codes(at)
    assert "- $(REDIS_PASSWORD)" in yaml_text and "${REDIS_PASSWORD}" in yaml_text
    assert f"REDIS_PASSWORD: '{MASK}'" in yaml_text
    wire = wire_bytes(at._tree) + repr(at.session_state.to_dict()).encode()
    bundle = zip_texts(downloads(at, "services_download_bundle"))
    blobs = [wire, downloads(at, "services_download_yaml"), *(t.encode() for t in bundle.values())]
    for form in secret_forms(password):
        assert not any(form in blob for blob in blobs)
    assert "REDIS_PASSWORD=\n" in bundle["k8s/secrets/ushadow/keyed-cache-secrets.env.example"]
    assert any(
        "infra/ushadow/keyed-cache.yaml" in plain(w.value) and "REDIS_PASSWORD" in w.value for w in at.warning
    )
