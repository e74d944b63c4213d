"""The kustomize bundle: its layout, kustomize builds it, no secret values, and it never clobbers."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from core.compose.loading import load_project
from core.compose.model import ComposeProject, Port, ServiceSpec, UshadowMeta, Volume
from core.errors import Conflict, InvalidInput
from core.manifests.bundles import LEDGER, ServiceRef, plan_bundle, refs_of, write_bundle, zip_bundle
from core.manifests.filewriting import write_files
from tests.support import paths
from tests.support.kustomize import KUBECTL, all_text, apply_server_dry_run, fill_secrets, kustomize

FIXTURES = paths.FIXTURES / "compiler"
PLATFORM = paths.FIXTURES / "compose" / "platform"  # a realistic registry of many files
# The development defaults of the platform's secrets, and the content of its compose secret file.
PLATFORM_SECRETS = (
    "pl4tform-pg-dev-pw",
    "k3ycl0ak-admin-dev-pw",
    "gr4ph-dev-pw",
    "j0urnal-session-dev-secret",
    "sh4re-t0ken-from-file-2291",
)

SECRET_VALUES = ("s3cr3t-api-key", "hunter2", "tok-abcdef")


def app_project(
    *, extra: dict[str, ServiceSpec] | None = None, namespace: str | None = None
) -> ComposeProject:
    services = {
        "web": ServiceSpec(
            name="web",
            image="nginx:1.27",
            ports=[Port(target=80, published="8080")],
            environment={"MODE": "prod", "API_KEY": "s3cr3t-api-key", "DB_URL": "postgres://u:hunter2@db/x"},
        ),
        "worker": ServiceSpec(
            name="worker",
            image="busybox:1.37",
            command=["sleep", "infinity"],
            environment={"JOB_TOKEN": "tok-abcdef"},
            volumes=[Volume(type="volume", source="shared", target="/shared")],
        ),
        "indexer": ServiceSpec(
            name="indexer",
            image="busybox:1.37",
            volumes=[Volume(type="volume", source="shared", target="/data")],
        ),
        "builder": ServiceSpec(name="builder", build={"context": "."}),
    }
    services.update(extra or {})
    meta = UshadowMeta(namespace=namespace)
    return ComposeProject(path="/compose/app.yml", name="app", services=services, meta=meta)


def infra_project() -> ComposeProject:
    db = ServiceSpec(
        name="db",
        image="postgres:16",
        ports=[Port(target=5432)],
        environment={"POSTGRES_PASSWORD": "hunter2"},
        volumes=[Volume(type="volume", source="db_data", target="/var/lib/postgresql/data")],
    )
    return ComposeProject(path="/compose/docker-compose.infra.yml", name="infra", services={"db": db})


def test_bundle_layout_and_kustomize_build(tmp_path: Path) -> None:
    out = tmp_path / "k8s"
    result = write_bundle([app_project(), infra_project()], out, namespace="ushadow")
    for rel in ("kustomization.yaml", "namespace.yaml", "configmap.yaml", "secret.yaml", "tweaks/README.md"):
        assert (out / rel).is_file(), rel
    assert (out / "infra" / "ushadow" / "db.yaml").is_file()
    assert (out / "base" / "ushadow" / "web.yaml").is_file()
    assert (out / "infra" / "kustomization.yaml").is_file() and (
        out / "base" / "kustomization.yaml"
    ).is_file()
    assert (
        result.skipped == {"app:builder": result.skipped["app:builder"]}
        and "build" in result.skipped["app:builder"]
    )
    fill_secrets(out, result.to_fill)
    built = kustomize(out)
    kinds = sorted((d["kind"], d["metadata"]["name"]) for d in built)  # type: ignore[index]
    assert ("Namespace", "ushadow") in kinds
    assert ("StatefulSet", "db") in kinds and ("Deployment", "web") in kinds
    assert ("Secret", "web-secrets") in kinds and ("Secret", "db-secrets") in kinds
    assert ("ConfigMap", "web-config") in kinds
    assert [k for k in kinds if k[0] == "PersistentVolumeClaim"] == [("PersistentVolumeClaim", "shared")]
    readme = (out / "tweaks" / "README.md").read_text()
    for topic in ("StatefulSet", "Ingress", "NetworkPolic", "limits", "External Secrets", "storageClassName"):
        assert topic in readme
    assert "app:builder" in readme


def test_no_secret_value_is_ever_written(tmp_path: Path) -> None:
    out = tmp_path / "k8s"
    write_bundle([app_project(), infra_project()], out)
    text = all_text(out)
    for value in SECRET_VALUES:
        assert value not in text
    example = (out / "secrets" / "ushadow" / "web-secrets.env.example").read_text()
    assert "API_KEY=\n" in example and "DB_URL=\n" in example
    assert "secrets/ushadow/web-secrets.env" in (out / "secret.yaml").read_text()
    assert "*" in (out / "secrets" / ".gitignore").read_text()
    # the environment's non-secret values are written in full
    assert "MODE: prod" in (out / "configmap.yaml").read_text()


def test_filled_secret_values_reach_the_build_and_survive_a_rerun(tmp_path: Path) -> None:
    out = tmp_path / "k8s"
    fill_secrets(out, write_bundle([app_project()], out).to_fill)
    env_file = out / "secrets" / "ushadow" / "web-secrets.env"
    env_file.write_text("API_KEY=from-operator\nDB_URL=postgres://u:pw@db/x\n")
    second = write_bundle([app_project()], out)
    assert env_file.read_text().startswith("API_KEY=from-operator")
    assert second.files.written == [] and second.files.seeded == []
    secret = next(
        d for d in kustomize(out) if d["kind"] == "Secret" and d["metadata"]["name"] == "web-secrets"
    )  # type: ignore[index]
    assert secret["data"]["API_KEY"] == "ZnJvbS1vcGVyYXRvcg=="  # type: ignore[index]


def test_kustomize_fails_naming_the_unfilled_secret_file_until_it_is_made(tmp_path: Path) -> None:
    """No Secret with empty values: the .env the generator reads is the operator's to make."""
    out = tmp_path / "k8s"
    result = write_bundle([app_project(), infra_project()], out)
    env_file = out / "secrets" / "ushadow" / "db-secrets.env"
    assert "secrets/ushadow/db-secrets.env" in result.to_fill and not env_file.exists()
    assert "POSTGRES_PASSWORD=\n" in env_file.with_name("db-secrets.env.example").read_text()
    failed = subprocess.run([KUBECTL, "kustomize", str(out)], capture_output=True, text=True, timeout=120)
    assert failed.returncode != 0 and any(rel in failed.stderr for rel in result.to_fill), failed.stderr
    fill_secrets(out, result.to_fill, value="from-operator")
    built = kustomize(out)
    secret = next(d for d in built if d["kind"] == "Secret" and d["metadata"]["name"] == "db-secrets")  # type: ignore[index]
    assert secret["data"]["POSTGRES_PASSWORD"] == "ZnJvbS1vcGVyYXRvcg=="  # type: ignore[index]
    again = write_bundle([app_project(), infra_project()], out)  # a filled file is never overwritten
    assert again.to_fill == [] and env_file.read_text() == "POSTGRES_PASSWORD=from-operator\n"


def test_missing_keys_in_a_filled_env_file_are_reported(tmp_path: Path) -> None:
    out = tmp_path / "k8s"
    write_bundle([app_project()], out)
    (out / "secrets" / "ushadow" / "web-secrets.env").write_text("API_KEY=x\n")
    result = write_bundle([app_project()], out)
    assert any("DB_URL" in w for w in result.warnings)


def test_rerun_is_idempotent_and_prunes_only_its_own_stale_files(tmp_path: Path) -> None:
    out = tmp_path / "k8s"
    out.mkdir()
    (out / "NOTES.md").write_text("mine")
    (out / "overlay").mkdir()
    (out / "overlay" / "kustomization.yaml").write_text("resources: [..]\n")
    first = write_bundle([app_project(), infra_project()], out)
    assert first.files.written
    again = write_bundle([app_project(), infra_project()], out)
    assert again.files.written == [] and again.files.removed == []
    (out / "secrets" / "ushadow" / "db-secrets.env").write_text("POSTGRES_PASSWORD=x\n")  # the operator's
    # drop the infra file: its files go, the user's stay
    third = write_bundle([app_project()], out)
    assert "infra/ushadow/db.yaml" in third.files.removed
    assert not (out / "infra" / "ushadow" / "db.yaml").exists()
    assert not (out / "infra" / "ushadow").exists()  # a folder we created and emptied
    assert (out / "NOTES.md").read_text() == "mine"
    assert (out / "overlay" / "kustomization.yaml").exists()
    assert (out / "secrets" / "ushadow" / "db-secrets.env").exists()  # the operator's files are never removed
    ledger = json.loads((out / LEDGER).read_text())
    assert "infra/ushadow/db.yaml" not in ledger["files"]
    assert "NOTES.md" not in ledger["files"]


def test_refuses_to_overwrite_a_file_it_did_not_write(tmp_path: Path) -> None:
    out = tmp_path / "k8s"
    out.mkdir()
    (out / "kustomization.yaml").write_text("# hand-written\n")
    with pytest.raises(Conflict, match="not written by ushadow-ops"):
        write_bundle([app_project()], out)
    assert sorted(p.name for p in out.iterdir()) == ["kustomization.yaml"]  # nothing else written
    assert (out / "kustomization.yaml").read_text() == "# hand-written\n"


def test_refuses_to_overwrite_a_file_edited_by_hand(tmp_path: Path) -> None:
    out = tmp_path / "k8s"
    write_bundle([app_project()], out)
    (out / "base" / "ushadow" / "web.yaml").write_text("# my edit\n")
    with pytest.raises(Conflict, match="changed by hand"):
        write_bundle([app_project(extra={"more": ServiceSpec(name="more", image="busybox:1.37")})], out)
    assert (out / "base" / "ushadow" / "web.yaml").read_text() == "# my edit\n"


def test_a_stale_file_edited_by_hand_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "k8s"
    write_bundle([app_project(), infra_project()], out)
    (out / "infra" / "ushadow" / "db.yaml").write_text("# keep me\n")
    result = write_bundle([app_project()], out)
    assert result.files.kept == ["infra/ushadow/db.yaml"]
    assert (out / "infra" / "ushadow" / "db.yaml").read_text() == "# keep me\n"


def test_same_name_in_one_namespace_is_a_conflict(tmp_path: Path) -> None:
    other = ComposeProject(
        path="/compose/other.yml", name="other", services={"web": ServiceSpec(name="web", image="httpd:2")}
    )
    with pytest.raises(Conflict, match="web"):
        write_bundle([app_project(), other], tmp_path / "k8s")
    assert not (tmp_path / "k8s").exists()


def test_file_namespaces_are_kept_unless_forced(tmp_path: Path) -> None:
    other = ComposeProject(
        path="/compose/other.yml",
        name="other",
        services={"web": ServiceSpec(name="web", image="httpd:2")},
        meta=UshadowMeta(namespace="other"),
    )
    out = tmp_path / "k8s"
    result = write_bundle([app_project(), other], out)
    fill_secrets(out, result.to_fill)
    assert {s["namespace"] for s in result.services} == {"ushadow", "other"}
    names = {(d["kind"], d["metadata"]["name"], d["metadata"].get("namespace")) for d in kustomize(out)}  # type: ignore[index, union-attr]
    assert ("Namespace", "other", None) in names and ("Deployment", "web", "other") in names
    with pytest.raises(Conflict):
        write_bundle([app_project(), other], tmp_path / "forced", namespace="one", force_namespace=True)


def test_refs_mark_infra_files_and_named_services() -> None:
    refs = refs_of([app_project(), infra_project()], infra=["app:worker"])
    infra = {(r.project.name, r.service) for r in refs if r.infra}
    assert infra == {("infra", "db"), ("app", "worker")}


def test_service_refs_are_accepted(tmp_path: Path) -> None:
    result = write_bundle([ServiceRef(app_project(), "web", infra=True)], tmp_path / "k8s")
    assert [s["file"] for s in result.services] == ["infra/ushadow/web.yaml"]


def test_corrupt_ledger_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "k8s"
    out.mkdir()
    (out / LEDGER).write_text("{not json")
    with pytest.raises(InvalidInput):
        write_bundle([app_project()], out)


def test_write_files_refuses_paths_outside(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        write_files(tmp_path, {"../escape.yaml": "x"}, ledger=LEDGER)
    with pytest.raises(InvalidInput):
        write_files(tmp_path, {"/abs.yaml": "x"}, ledger=LEDGER)


def test_write_files_without_prune_keeps_earlier_files(tmp_path: Path) -> None:
    write_files(tmp_path, {"a.yaml": "a"}, ledger=".l.json", prune=False)
    result = write_files(tmp_path, {"b.yaml": "b"}, ledger=".l.json", prune=False)
    assert (tmp_path / "a.yaml").exists() and result.written == ["b.yaml"]
    write_files(tmp_path, {"a.yaml": "a2"}, ledger=".l.json", prune=False)  # still ours: may overwrite
    assert (tmp_path / "a.yaml").read_text() == "a2"


def test_bundle_of_a_realistic_registry_builds(tmp_path: Path) -> None:
    projects = [load_project(p, strict=False) for p in sorted(PLATFORM.glob("*.y*ml"))]
    out = tmp_path / "k8s"
    result = write_bundle(projects, out, profiles=["*"])  # mongo and redis have the profile infra
    ids = {s["service_id"] for s in result.services}
    assert {
        "platform.infra:mongo",
        "journal-compose:journal-web",
        "stack:worker",
        "share-compose:share",
    } <= ids
    assert list(result.skipped) == ["gateway:gateway"]  # build only
    infra = {s["service_id"] for s in result.services if s["infra"]}
    assert {"platform.infra:redis", "platform.infra:keycloak"} <= infra and "share-compose:share" not in infra
    assert "secrets/share/share-token/share_token" in result.to_fill
    assert not (out / "secrets" / "share" / "share-token" / "share_token").exists()  # made by the operator
    fill_secrets(out, result.to_fill)
    built = kustomize(out)
    namespaces = {d["metadata"]["name"] for d in built if d["kind"] == "Namespace"}  # type: ignore[index]
    assert namespaces == {"ushadow", "journal", "speech", "share"}
    secrets = {d["metadata"]["name"] for d in built if d["kind"] == "Secret"}  # type: ignore[index]
    assert {"postgres-secrets", "keycloak-secrets", "journal-api-secrets", "share-token"} <= secrets
    text = all_text(out)
    for value in PLATFORM_SECRETS:
        assert value not in text


def test_bundle_of_the_fixtures_builds(tmp_path: Path) -> None:
    projects = [load_project(p, strict=False) for p in sorted(FIXTURES.glob("*.yml"))]
    out = tmp_path / "k8s"
    fill_secrets(out, write_bundle(projects, out).to_fill)
    assert kustomize(out)
    assert "dev-key" not in all_text(out) and ":secret@" not in all_text(out)


@pytest.mark.cluster
def test_the_api_server_accepts_the_bundle(tmp_path: Path, admin_kubeconfig: str, namespace: str) -> None:
    """A realistic registry and the compiler fixtures, all forced into the test's namespace."""
    files = [*sorted(PLATFORM.glob("*.y*ml")), *sorted(FIXTURES.glob("*.yml"))]
    projects = [load_project(p, strict=False) for p in files]
    out = tmp_path / "k8s"
    result = write_bundle(projects, out, namespace=namespace, force_namespace=True, profiles=["*"])
    fill_secrets(out, result.to_fill)
    applied = apply_server_dry_run(admin_kubeconfig, out)
    assert "deployment.apps/journal-web created (server dry run)" in applied
    assert "statefulset.apps/mongo created (server dry run)" in applied
    assert "secret/share-token created (server dry run)" in applied


def test_a_bundle_without_environment_or_infra_still_builds(tmp_path: Path) -> None:
    plain = ComposeProject(
        path="/compose/plain.yml", name="plain", services={"w": ServiceSpec(name="w", image="nginx")}
    )
    out = tmp_path / "k8s"
    write_bundle([plain], out)
    assert "generators" not in (out / "kustomization.yaml").read_text()
    assert [d["kind"] for d in kustomize(out)] == ["Namespace", "Service", "Deployment", "NetworkPolicy"]


def test_zip_bundle_holds_files_and_secret_examples_only() -> None:
    plan = plan_bundle(refs_of([app_project()]))
    with zipfile.ZipFile(io.BytesIO(zip_bundle(plan))) as archive:
        names = set(archive.namelist())
        assert {
            "k8s/kustomization.yaml",
            "k8s/secret.yaml",
            "k8s/secrets/ushadow/web-secrets.env.example",
        } <= names
        assert "k8s/secrets/ushadow/web-secrets.env" not in names  # no Secret with empty values
        text = "".join(archive.read(n).decode() for n in names)
    for value in SECRET_VALUES:
        assert value not in text


def test_a_secret_value_that_slipped_into_a_file_is_masked_and_named() -> None:
    """Defence in depth: the compiler keeps secret values off command lines, out of ConfigMaps
    and labels, but a working directory is copied as written; the bundle still never carries it."""
    key = "sk-slipped-0123456789abcdef"
    leaky = ServiceSpec(
        name="leaky", image="nginx:1.27", environment={"API_KEY": key}, working_dir=f"/srv/started with {key}"
    )
    plan = plan_bundle(refs_of([app_project(extra={"leaky": leaky})]))
    assert plan.concealed == ["base/ushadow/leaky.yaml"]
    assert any(w.startswith("base/ushadow/leaky.yaml: a secret value was found") for w in plan.warnings)
    with zipfile.ZipFile(io.BytesIO(zip_bundle(plan))) as archive:
        text = "".join(archive.read(n).decode() for n in archive.namelist())
    assert key not in text and "started with ********" in text


def test_services_name_the_variables_read_by_reference() -> None:
    worker = ServiceSpec(
        name="worker",
        image="busybox:1.37",
        command=["run", "--token", "tok-abcdef"],  # the value of JOB_TOKEN, written out
        environment={"JOB_TOKEN": "tok-abcdef"},
    )
    plan = plan_bundle(refs_of([app_project(extra={"worker": worker})]))
    services = {s["service_id"]: s for s in plan.services}
    assert services["app:worker"]["secret_references"] == ["JOB_TOKEN"]
    assert services["app:web"]["secret_references"] == []
    assert "- $(JOB_TOKEN)" in plan.files["base/ushadow/worker.yaml"]
    assert not plan.concealed
