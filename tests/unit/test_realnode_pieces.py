"""The pure pieces of the real node: ``x-ushadow: {node: real}`` in the compiler, the image archives,
the configuration files and the setting (the real node itself is proved in tests/realnode/)."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from core.compose.loading import load_project
from core.errors import InvalidInput
from core.localcluster import hostnet, images, realconfig
from core.manifests.compilations import CompileOptions
from core.manifests.compiler import compile_service
from core.settings import Settings

TOLERATION = {"key": "ushadow.io/node", "operator": "Equal", "value": "real", "effect": "NoSchedule"}


def pod_of(tmp_path: Path, text: str, service: str = "web") -> dict:
    path = tmp_path / "app.yaml"
    path.write_text(text)
    project = load_project(path, environ={})
    compiled = compile_service(
        project.services[service], project=project, namespace="demo", options=CompileOptions()
    )
    (workload,) = [o for o in compiled.objects if o["kind"] in ("Deployment", "StatefulSet")]
    kubernetes_validate.validate(workload, "1.37", strict=True)
    return workload["spec"]["template"]["spec"]


def test_a_service_asks_for_the_real_node_in_its_own_x_ushadow(tmp_path: Path) -> None:
    pod = pod_of(tmp_path, "services:\n  web:\n    image: busybox\n    x-ushadow: {node: real}\n")
    assert pod["nodeSelector"] == {"ushadow.io/node": "real"}
    assert pod["tolerations"] == [TOLERATION]


def test_or_in_the_files_x_ushadow_entry_for_it(tmp_path: Path) -> None:
    text = (
        "services:\n  web:\n    image: busybox\n  db:\n    image: busybox\nx-ushadow:\n  web: {node: real}\n"
    )
    assert pod_of(tmp_path, text)["tolerations"] == [TOLERATION]
    other = pod_of(tmp_path, text, "db")
    assert "nodeSelector" not in other and "tolerations" not in other


def test_without_it_a_service_stays_off_the_real_node(tmp_path: Path) -> None:
    pod = pod_of(tmp_path, "services:\n  web:\n    image: busybox\n")
    assert "nodeSelector" not in pod and "tolerations" not in pod


@pytest.mark.parametrize("value", ["'not a label!'", "[real]", "''"])
def test_a_bad_node_value_is_refused_with_what_to_write(tmp_path: Path, value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        pod_of(tmp_path, f"services:\n  web:\n    image: busybox\n    x-ushadow: {{node: {value}}}\n")
    assert "x-ushadow node of web" in caught.value.message and "node: real" in (caught.value.hint or "")


def test_a_service_x_ushadow_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"services\.web\.x-ushadow: expected a mapping"):
        pod_of(tmp_path, "services:\n  web:\n    image: busybox\n    x-ushadow: real\n")


def test_an_image_archive_is_an_oci_layout_ctr_can_import(tmp_path: Path) -> None:
    files: dict[str, images.FileSource] = {"bin/tool": b"#!/bin/sh\n", "bin/alias": "->tool", "tmp": "/"}
    out = images.image_archive("ushadow.local/mine:2", files, {"Cmd": ["/bin/tool"]}, tmp_path / "a.tar")
    with tarfile.open(out) as tar:
        index = json.load(tar.extractfile("index.json"))  # type: ignore[arg-type]
        (entry,) = index["manifests"]
        assert entry["annotations"]["io.containerd.image.name"] == "ushadow.local/mine:2"
        blob = lambda d: tar.extractfile(f"blobs/sha256/{d.split(':')[1]}").read()  # noqa: E731
        manifest = json.loads(blob(entry["digest"]))
        config = json.loads(blob(manifest["config"]["digest"]))
        (layer,) = manifest["layers"]
        assert config["rootfs"]["diff_ids"] == [layer["digest"]]
        with tarfile.open(fileobj=__import__("io").BytesIO(blob(layer["digest"]))) as inner:
            members = {m.name: m for m in inner.getmembers()}
    assert members["bin/alias"].issym() and members["bin/alias"].linkname == "tool"
    assert members["tmp"].isdir() and members["tmp"].mode == 0o1777
    assert members["bin/tool"].isfile()


def test_the_configs_carry_what_this_kind_of_host_needs(tmp_path: Path) -> None:
    toml = realconfig.containerd_toml(tmp_path / "root", tmp_path / "state", tmp_path / "s.sock", tmp_path)
    assert "restrict_oom_score_adj = true" in toml and images.PAUSE_IMAGE in toml
    kubelet = yaml.safe_load(
        realconfig.kubelet_yaml(
            socket=tmp_path / "s.sock", port=1, ca=tmp_path, cert=tmp_path, key=tmp_path, pod_logs=tmp_path
        )
    )
    assert (kubelet["failCgroupV1"], kubelet["oomScoreAdj"]) == (False, 0)
    assert kubelet["registerWithTaints"] == [
        {"key": "ushadow.io/node", "value": "real", "effect": "NoSchedule"}
    ]
    cni = json.loads(realconfig.cni_conflist(tmp_path))
    assert [p["type"] for p in cni["plugins"]] == ["bridge", "portmap"]


def test_the_setting_turns_the_real_node_on() -> None:
    assert Settings.load({"USHADOW_LOCAL_REAL_NODE": "1"}).local_real_node is True
    assert Settings.load({"USHADOW_LOCAL_REAL_NODE": "0"}).local_real_node is False
    with pytest.raises(InvalidInput, match="USHADOW_LOCAL_REAL_NODE"):
        Settings.load({"USHADOW_LOCAL_REAL_NODE": "maybe"})


def test_a_pod_subnet_routed_by_another_bridge_is_named() -> None:
    routes = (
        "default via 192.0.2.1 dev eth0\n"
        "10.88.0.0/16 dev cni-podman0 proto kernel scope link src 10.88.0.1\n"
        f"{hostnet.POD_SUBNET} dev cni-podman1 proto kernel scope link\n"
    )
    assert hostnet.routed_elsewhere(routes) == f"{hostnet.POD_SUBNET} via cni-podman1"
    wider = "10.0.0.0/8 dev tun0 scope link\n"
    assert hostnet.routed_elsewhere(wider) == "10.0.0.0/8 via tun0"


def test_our_own_bridge_and_other_networks_are_not_a_clash() -> None:
    routes = (
        "default via 192.0.2.1 dev eth0\n"
        "10.88.0.0/16 dev cni-podman0 proto kernel scope link src 10.88.0.1\n"
        "10.89.0.0/24 dev cni-podman1 proto kernel scope link src 10.89.0.1 linkdown\n"
        f"{hostnet.POD_SUBNET} dev {hostnet.BRIDGE} proto kernel scope link\n"
        "192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.2\n"
    )
    assert hostnet.routed_elsewhere(routes) is None
