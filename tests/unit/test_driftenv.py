"""Each container's effective environment, as deployed and as running, compared per key (pure)."""

from __future__ import annotations

from typing import Any

from core.operate.driftenv import effective_env, env_drift


def objects(env: list[dict[str, Any]], mode: str = "one", token: str = "********") -> list[dict[str, Any]]:
    container = {
        "name": "alpha",
        "envFrom": [{"configMapRef": {"name": "alpha-config"}}, {"secretRef": {"name": "alpha-secrets"}}],
        "env": env,
    }
    return [
        {"kind": "ConfigMap", "metadata": {"name": "alpha-config"}, "data": {"MODE": mode, "API_PASSWORD": "p4ss-Word-1"}},
        {"kind": "Secret", "metadata": {"name": "alpha-secrets"}, "data": {"TOKEN": token}},
        {"kind": "Deployment", "metadata": {"name": "alpha"},
         "spec": {"template": {"spec": {"containers": [container]}}}},
    ]  # fmt: skip


def test_env_entries_override_envfrom_values() -> None:
    found = effective_env(
        objects([{"name": "MODE", "value": "hacked"}])[2]["spec"]["template"]["spec"]["containers"][0],
        objects([]),
    )
    assert (found["MODE"].source, found["MODE"].value) == ("env", "hacked")
    assert (found["TOKEN"].source, found["TOKEN"].digest) == ("Secret/alpha-secrets", None)


def test_a_changed_value_is_named_and_secret_or_sensitive_values_are_not_shown() -> None:
    recorded = objects([])
    assert env_drift(recorded, objects([], token="other"), []) == []  # Secret values: the env-hash's job
    live = objects([{"name": "MODE", "value": "hacked"}, {"name": "TOKEN", "value": "plain-77"},
                    {"name": "API_PASSWORD", "value": "n3w-Pass"}])  # fmt: skip
    found = {d.field: (d.deployed, d.live) for d in env_drift(recorded, live, [])}
    ref = "Deployment/alpha containers[alpha].env"
    assert found == {
        f"{ref}[MODE]": ("one", "hacked"),
        f"{ref}[TOKEN]": ("******** (Secret/alpha-secrets)", "changed (env)"),
        f"{ref}[API_PASSWORD]": ("******** (ConfigMap/alpha-config)", "changed (env)"),
    }
    # a ConfigMap value edited in place: its own drift line names it once
    from core.operate.drift import Drift

    said = [Drift("ConfigMap/alpha-config data.MODE", "one", "two", None, "cluster")]
    assert env_drift(recorded, objects([], mode="two"), said) == []
    assert [d.field for d in env_drift(recorded, objects([], mode="two"), [])] == [f"{ref}[MODE]"]
