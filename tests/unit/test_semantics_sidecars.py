"""Issue 12: ``network_mode: service:X`` makes the service a second container of X's pod
(``core.manifests.sidecars``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from core.compose.loading import load_project
from core.compose.model import Healthcheck, Port, Volume
from core.errors import NotConvertible
from core.manifests.bundles import plan_bundle, refs_of
from core.manifests.compiler import compile_project
from tests.unit.test_semantics import build, find, pod, project_of, svc, warned

VPN = svc(
    name="vpn",
    image="tailscale/tailscale:v1",
    ports=[Port(target=41641, protocol="udp")],
    volumes=[Volume(type="volume", source="state", target="/var/lib/tailscale")],
)
APP = svc(
    name="app",
    image="nginx:1.27",
    network_mode="service:vpn",
    environment={"MODE": "behind-vpn", "API_TOKEN": "s3cr3t-t0ken-value"},
    ports=[Port(target=8080, published="8080")],
    volumes=[
        Volume(type="volume", source="state", target="/state"),
        Volume(type="tmpfs", target="/cache"),
    ],
    healthcheck=Healthcheck(test=["CMD", "curl", "-f", "http://localhost:8080/health"]),
)
PROJECT = project_of(VPN, APP)


def test_the_rider_is_a_second_container_of_the_hosts_pod() -> None:
    c = build(VPN, PROJECT)
    main, rider = pod(c)["containers"]
    assert (main["name"], rider["name"]) == ("vpn", "app")
    assert rider["image"] == "nginx:1.27"
    assert rider["ports"] == [{"name": "http-8080", "containerPort": 8080, "protocol": "TCP"}] or [
        p["containerPort"] for p in rider["ports"]
    ] == [8080]
    assert [p["containerPort"] for p in main["ports"]] == [41641]
    assert rider["readinessProbe"]["httpGet"]["port"] == 8080
    assert rider["securityContext"]["allowPrivilegeEscalation"] is False
    # its own environment objects, loaded by its container only
    assert find(c, "ConfigMap", "app-config")["data"] == {"MODE": "behind-vpn"}
    assert find(c, "Secret", "app-secrets")
    assert {e["configMapRef"]["name"] for e in rider["envFrom"] if "configMapRef" in e} == {"app-config"}
    assert all(e.get("configMapRef", {}).get("name") != "app-config" for e in main.get("envFrom", []))
    # one claim for the volume both mount, and each container its own mounts
    assert [o["metadata"]["name"] for o in c.objects if o["kind"] == "PersistentVolumeClaim"] == ["state"]
    assert {m["mountPath"] for m in rider["volumeMounts"]} == {"/state", "/cache"}
    assert {m["mountPath"] for m in main["volumeMounts"]} == {"/var/lib/tailscale"}
    # its port is published through the host's Service; no object is named after the rider's workload
    service = find(c, "Service", "vpn")
    assert {p["port"] for p in service["spec"]["ports"]} == {41641, 8080}
    assert not [
        o for o in c.objects if o["kind"] in ("Deployment", "Service") and o["metadata"]["name"] == "app"
    ]
    assert warned(
        c, "app (network_mode: service:vpn) run as containers of this pod: they reach vpn on localhost"
    )


def test_a_rider_alone_is_refused_with_what_to_do() -> None:
    with pytest.raises(NotConvertible, match="runs in the pod of vpn") as caught:
        build(APP, PROJECT)
    assert caught.value.hint == "deploy app:vpn, which carries app"


def test_a_project_lists_the_rider_as_carried_by_its_host() -> None:
    compiled = compile_project(PROJECT, namespace="demo")
    assert [c.service for c in compiled.compiled] == ["vpn"]
    assert "runs in the pod of vpn" in compiled.skipped["app:app"]


def test_a_bundle_emits_one_workload_with_both_containers(tmp_path: Path) -> None:
    (tmp_path / "net.yml").write_text(
        "services:\n  client:\n    image: busybox\n    command: [sleep, infinity]\n    ports: ['8080:8080']\n"
        "  server:\n    image: busybox\n    command: [sleep, infinity]\n    network_mode: service:client\n"
    )
    plan = plan_bundle(refs_of([load_project(tmp_path / "net.yml")]), namespace="demo")
    docs = [d for f, text in plan.files.items() if f.endswith(".yaml") for d in yaml.safe_load_all(text) if d]
    workloads = [d for d in docs if d.get("kind") in ("Deployment", "StatefulSet")]
    assert [w["metadata"]["name"] for w in workloads] == ["client"]
    names = [c["name"] for c in workloads[0]["spec"]["template"]["spec"]["containers"]]
    assert names == ["client", "server"]
    assert "runs in the pod of client" in plan.skipped["net:server"]


def test_a_riders_interpolated_secrets_are_the_hosts_to_hide() -> None:
    rider = dataclasses.replace(APP, secret_variables={"API_TOKEN": "s3cr3t-t0ken-value"})
    c = build(VPN, project_of(VPN, rider))
    assert "s3cr3t-t0ken-value" in c.interpolated_secrets
