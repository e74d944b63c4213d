"""A compose config whose content interpolates a secret is mounted from a Secret, never a ConfigMap."""

from __future__ import annotations

import base64

from core.compose.loading import load_text
from core.manifests.compiler import compile_service
from core.manifests.yamldocs import to_yaml

COMPOSE = """
services:
  app:
    image: example/app:1
    configs:
      - source: app_conf
        target: /etc/app/app.conf
      - plain_conf
configs:
  app_conf:
    content: |
      [db]
      password = ${DB_PASSWORD}
  plain_conf:
    content: "log_level = info"
"""


def test_config_with_a_secret_becomes_a_secret() -> None:
    value = "Zr9-very-secret-42"
    project = load_text(COMPOSE, env={"DB_PASSWORD": value})
    compiled = compile_service(project.services["app"], project=project, namespace="ns")
    kinds = {(o["kind"], o["metadata"]["name"]) for o in compiled.objects}
    assert ("Secret", "app-conf") in kinds
    assert ("ConfigMap", "plain-conf") in kinds
    assert ("ConfigMap", "app-conf") not in kinds
    secret = next(
        o for o in compiled.objects if o["kind"] == "Secret" and o["metadata"]["name"] == "app-conf"
    )
    assert value in base64.b64decode(next(iter(secret["data"].values()))).decode()
    pod = next(o for o in compiled.objects if o["kind"] in ("Deployment", "StatefulSet"))["spec"]["template"][
        "spec"
    ]
    mounts = {m["mountPath"]: m for m in pod["containers"][0]["volumeMounts"]}
    assert "/etc/app/app.conf" in mounts
    volume = next(v for v in pod["volumes"] if v["name"] == mounts["/etc/app/app.conf"]["name"])
    assert volume["secret"]["secretName"] == "app-conf"
    shown = to_yaml(
        compiled.redacted().objects if hasattr(compiled.redacted(), "objects") else compiled.redacted()
    )
    assert value not in shown
    assert base64.b64encode(value.encode()).decode() not in shown
