"""``ushadow-ops services list``, ``render`` and ``bundle`` through the real CLI entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from core.cli import main
from core.naming import is_dns1035_label, is_port_name
from core.secrets.sensitivity import MASK
from tests.support import paths
from tests.support.clirun import run, run_json
from tests.support.kustomize import fill_secrets

FIXTURES = paths.FIXTURES / "compiler"
KUBECTL = str(Path(sys.executable).parent / "kubectl")


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USHADOW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("USHADOW_COMPOSE_DIR", str(FIXTURES))
    for name in ("API_KEY", "DB_PASSWORD", "NGINX_TAG", "REGISTRY"):
        monkeypatch.delenv(name, raising=False)


# -- services list ------------------------------------------------------------------------------


def test_services_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    entries = run_json(capsys, "services", "list")
    by_id = {e["id"]: e for e in entries}
    assert {"tricky:Web_Frontend", "tricky:db", "storage:api", "runtime:inference"} <= set(by_id)
    web = by_id["tricky:Web_Frontend"]
    for key in ("id", "file", "image", "ports", "infra", "required_variables", "warnings", "error"):
        assert key in web
    assert web["image"] == "docker.io/library/nginx:1.27"
    assert "8080:80/tcp" in web["ports"] and "3000/tcp" in web["ports"]
    assert web["namespace"] == "tricky"
    assert by_id["tricky:db"]["infra"] is True  # the catalog recognises postgres
    assert by_id["tricky:builder"]["image"] is None


def test_services_list_infra_only(capsys: pytest.CaptureFixture[str]) -> None:
    entries = run_json(capsys, "services", "list", "--infra")
    assert entries and all(e["infra"] for e in entries)
    assert "tricky:Web_Frontend" not in {e["id"] for e in entries}


def test_services_list_registry_flag_overrides_the_setting(capsys: pytest.CaptureFixture[str]) -> None:
    entries = run_json(capsys, "services", "list", "--registry", str(paths.FIXTURES / "compose" / "platform"))
    by_id = {e["id"]: e for e in entries}
    assert "journal-compose:journal-web" in by_id and "tricky:db" not in by_id
    assert (
        by_id["platform.infra:redis"]["infra"] is True
        and by_id["journal-compose:journal-api"]["infra"] is False
    )
    assert by_id["stack:worker"]["image"] == "ghcr.io/example/worker:3.1.0"  # from an included file
    broken = [e for e in entries if e["error"]]
    assert [e["id"] for e in broken] == ["legacy:*"] and "include" in broken[0]["error"]


def test_services_list_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "services", "list")
    assert code == 0
    assert out.splitlines()[0].split()[:3] == ["ID", "IMAGE", "PORTS"]
    assert "storage:cache" in out


def test_missing_registry_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "services", "list", "--registry", str(tmp_path / "nope"))
    assert code == 3 and out == ""
    assert err.startswith("error: registry folder") and len(err.strip().splitlines()) == 1


# -- render -------------------------------------------------------------------------------------


def test_render_prints_valid_masked_yaml(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "render", "tricky:Web_Frontend")
    assert code == 0, err
    docs = [d for d in yaml.safe_load_all(out) if d]
    kinds = [d["kind"] for d in docs]
    # the Secret is a comment naming its keys: a placeholder a server accepts never reaches one
    assert kinds == ["ConfigMap", "Service", "NetworkPolicy", "Deployment"]
    assert "# Secret web-frontend-secrets (namespace tricky) is not printed" in out
    assert "keys: API_KEY, DATABASE_URL." in out and MASK not in out
    assert all(d["metadata"]["namespace"] == "tricky" for d in docs)  # the file's x-ushadow namespace
    assert "dev-key" not in out and "app:secret@" not in out
    config = docs[0]["data"]
    assert (
        config["KEYCLOAK_URL"] == "http://keycloak:8080" and config["PASSPORT_URL"] == "http://passport.local"
    )
    assert config["GREETING"] == "cost: $5"
    service = docs[1]
    assert docs[2]["spec"]["policyTypes"] == ["Ingress"]  # compose networks (test_semantics)
    assert is_dns1035_label(service["metadata"]["name"]) and service["metadata"]["name"] == "web-frontend"
    names = [p["name"] for p in service["spec"]["ports"]]
    assert len(names) == len(set(names)) and all(is_port_name(n) for n in names)
    ports = {(p["port"], p["protocol"]) for p in service["spec"]["ports"]}
    assert {
        (80, "TCP"),
        (443, "TCP"),
        (53, "UDP"),
        (53, "TCP"),
        (9000, "TCP"),
        (9002, "TCP"),
        (3000, "TCP"),
    } <= ports
    assert (8080, "TCP") not in ports  # host ports are not Service ports
    container = docs[3]["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["exec"]["command"][:2] == ["sh", "-c"]
    assert container["startupProbe"]["failureThreshold"] == 4 + 4  # 20s start period at 5s, then 4 retries
    assert "warning:" in err or "note:" in err


def test_render_json(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "render", "storage:indexer", "-n", "demo")
    assert data["service_id"] == "storage:indexer" and data["namespace"] == "demo"
    assert data["kind"] == "Deployment"  # its volume is shared with storage:api
    assert any("S3_SECRET_ACCESS_KEY" in w for w in data["warnings"])
    secret = next(o for o in data["objects"] if o["kind"] == "Secret")
    assert set(secret["stringData"].values()) == {MASK}
    assert "AKIAABCDEFGHIJKLMNOP" not in json.dumps(data)


def test_render_env_overrides_interpolation(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(
        capsys, "render", "tricky:Web_Frontend", "--env", "NGINX_TAG=1.26", "--env", "API_KEY=from-cli=x"
    )
    deployment = next(o for o in data["objects"] if o["kind"] == "Deployment")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "docker.io/library/nginx:1.26"
    assert "from-cli" not in json.dumps(data)


def test_render_out_writes_one_file_per_object(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "rendered"
    code, stdout, err = run(capsys, "render", "storage:cache", "--out", str(out))
    assert code == 0, err
    files = sorted(p.name for p in out.glob("*.yaml"))
    # no ports: headless, portless
    assert files == ["01-service-cache.yaml", "02-networkpolicy-cache.yaml", "03-statefulset-cache.yaml"]
    assert "03-statefulset-cache.yaml" in stdout
    again = run_json(capsys, "render", "storage:cache", "--out", str(out))
    assert again["written"] == []


def test_render_out_never_overwrites_a_foreign_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "rendered"
    out.mkdir()
    (out / "01-service-cache.yaml").write_text("# mine\n")
    code, _, err = run(capsys, "render", "storage:cache", "--out", str(out))
    assert code == 4 and "not written by ushadow-ops" in err
    assert (out / "01-service-cache.yaml").read_text() == "# mine\n"


def test_render_out_is_a_kustomize_folder_without_secret_objects(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "rendered"
    assert (
        run(capsys, "render", "runtime:vpn", "--out", str(out), "--env", "TS_AUTHKEY=tskey-real-1234")[0] == 0
    )
    every = {p.relative_to(out).as_posix(): p.read_text() for p in out.rglob("*") if p.is_file()}
    text = "".join(every.values())
    assert "tskey-real-1234" not in text and MASK not in text  # no value, and no placeholder either
    assert "kind: Secret\n" not in text
    # what `kubectl apply -f DIR` reads: the objects only (no ledger, no kustomization)
    read_by_f = sorted(p.name for p in out.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
    assert read_by_f == [
        "01-configmap-vpn-config.yaml",
        "02-service-vpn.yaml",
        "03-networkpolicy-vpn.yaml",
        "04-deployment-vpn.yaml",
    ]
    assert set(every) == {
        *read_by_f,
        "Kustomization",
        ".ushadow/render.json",
        "secrets/.gitignore",
        "secrets/vpn-secrets.env.example",
    }
    # no .env with empty values: kustomize fails naming it until the operator makes it
    assert "TS_AUTHKEY=\n" in every["secrets/vpn-secrets.env.example"]
    failed = subprocess.run([KUBECTL, "kustomize", str(out)], capture_output=True, text=True, timeout=120)
    assert failed.returncode != 0 and "vpn-secrets.env" in failed.stderr
    (out / "secrets" / "vpn-secrets.env").write_text("TS_AUTHKEY=tskey-mine\n")
    assert run(capsys, "render", "runtime:vpn", "--out", str(out))[0] == 0  # never overwritten
    assert (out / "secrets" / "vpn-secrets.env").read_text() == "TS_AUTHKEY=tskey-mine\n"
    built = subprocess.run([KUBECTL, "kustomize", str(out)], capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    kinds = [d["kind"] for d in yaml.safe_load_all(built.stdout) if d]
    assert sorted(kinds) == ["ConfigMap", "Deployment", "NetworkPolicy", "Secret", "Service"]


def test_render_out_moves_the_old_ledger_out_of_kubectls_way(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "rendered"
    assert run(capsys, "render", "storage:cache", "--out", str(out))[0] == 0
    (out / ".ushadow" / "render.json").rename(out / ".ushadow-render.json")  # as an earlier version left it
    assert run(capsys, "render", "storage:cache", "--out", str(out))[0] == 0
    assert not (out / ".ushadow-render.json").exists() and (out / ".ushadow" / "render.json").is_file()


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["render", "tricky:nope"], 3, "no compose service 'tricky:nope'"),
        (["render", "tricky:builder"], 6, "build"),
        (["render", "tricky:db", "--env", "NOEQUALS"], 2, "KEY=VALUE"),
        (["render", "tricky:db", "-n", "Bad_NS"], 2, "namespace"),
    ],
)
def test_render_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], code: int, message: str
) -> None:
    got, out, err = run(capsys, *argv)
    assert got == code and out == ""
    assert err.startswith("error: ") and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    "bad", ["sk-live-typed-0000", "9sk-live-typed-0000=x", "OPENAI API KEY=sk-live-typed-0000"]
)
def test_a_bad_env_names_its_position_never_its_text(capsys: pytest.CaptureFixture[str], bad: str) -> None:
    """The one KEY=VALUE rule (core.compose.keyvalues): a mistyped --env may hold a secret value."""
    got, out, err = run(capsys, "render", "tricky:db", "--env", "A=1", "--env", bad)
    assert got == 2 and out == ""
    assert "--env number 2 is not KEY=VALUE" in err
    assert "sk-live" not in err


def test_env_values_read_by_the_one_rule(capsys: pytest.CaptureFixture[str]) -> None:
    got, out, err = run(capsys, "render", "tricky:Web_Frontend", "--env", 'NGINX_TAG="1.26"')
    assert got == 0, err
    assert "nginx:1.26" in out


REQUIRED = """
services:
  web:
    image: "nginx:${NGINX_TAG:?pick the nginx release}"
    environment:
      GREETING: ${GREETING}
"""


def test_an_unmet_required_variable_stops_render_as_in_compose(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "required.yaml").write_text(REQUIRED)
    registry = ["--registry", str(tmp_path)]
    code, out, err = run(capsys, "render", "required:web", *registry)
    assert code == 2 and out == ""
    assert "required variable NGINX_TAG is missing a value: pick the nginx release" in err
    assert "--env NGINX_TAG=VALUE" in err
    # a plain ${GREETING} with no value is an empty string and a warning, as in compose
    code, out, err = run(capsys, "render", "required:web", *registry, "--env", "NGINX_TAG=1.27")
    assert code == 0 and "image: nginx:1.27" in out and "GREETING" in err
    # a bundle keeps it (secret values are filled in its secrets/ files) and says what is missing
    doc = run_json(capsys, "bundle", *registry, "--out", str(tmp_path / "k8s"))
    assert [s["service_id"] for s in doc["services"]] == ["required:web"]
    assert any("pick the nginx release" in w for w in doc["warnings"])


def test_render_not_found_suggests_ids(capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = run(capsys, "render", "db")
    assert "tricky:db" in err


# -- bundle -------------------------------------------------------------------------------------


def test_bundle_writes_a_tree_kustomize_builds(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "k8s"
    data = run_json(capsys, "bundle", "--out", str(out))
    assert data["to_fill"] and not (out / data["to_fill"][0]).exists()
    fill_secrets(out, data["to_fill"])
    assert "tricky:builder" in data["skipped"]
    assert {s["namespace"] for s in data["services"]} == {"tricky", "ushadow"}
    for rel in ("kustomization.yaml", "namespace.yaml", "configmap.yaml", "secret.yaml", "tweaks/README.md"):
        assert (out / rel).is_file()
    built = subprocess.run([KUBECTL, "kustomize", str(out)], capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    text = "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert "dev-key" not in text and "tskey-placeholder" not in text
    code, stdout, _ = run(capsys, "bundle", "--out", str(out))
    assert code == 0 and "0 files written" in stdout and "kubectl apply -k" in stdout


def test_bundle_with_one_namespace(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = run_json(capsys, "bundle", "--out", str(tmp_path / "k8s"), "-n", "staging")
    assert {s["namespace"] for s in data["services"]} == {"staging"}


def test_bundle_requires_out(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["bundle"])
    assert exc.value.code == 2


def test_console_script(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "ushadow-ops"
    done = subprocess.run(
        [str(script), "render", "storage:cache", "--registry", str(FIXTURES), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "USHADOW_DATA_DIR": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["kind"] == "StatefulSet"


def test_services_list_prints_each_error_whole_below_the_table(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "ok.yaml").write_text("services:\n  web:\n    image: nginx:1.27\n")
    (tmp_path / "bad.yaml").write_text("services:\n  web:\n    image: [nginx\n")
    assert main(["services", "list", "--registry", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    (line,) = [x for x in out.splitlines() if x.startswith("error in bad:")]
    assert "not valid YAML" in line and "…" not in line and len(line) > 80
