"""A compiled container's environment: ConfigMap, Secret, ``envFrom``/``env`` (pure, used by ``manifests``).

- Variables go to ConfigMap ``<name>-config`` or, when sensitive (``core.secrets.sensitivity``), to Secret
  ``<name>-secrets``; both are loaded whole with ``envFrom``. A key that cannot be a ConfigMap key
  (``my password``) is set one by one in ``env`` (a value, or a ``secretKeyRef``).
- A variable with an innocent name that holds a secret value goes to the Secret whole: one that a
  secret variable was interpolated into (``REDIS_ARGS=--requirepass ${REDIS_PASSWORD}``, from
  ``ServiceSpec.secret_uses``), or one that repeats a distinctive secret value literally.
- Every secret value that compose interpolated into ``command``, ``entrypoint`` or the healthcheck
  (and any distinctive secret value written out there) gets a container variable to be read
  from: the environment variable that already holds it, else a key of its own in the Secret,
  named after the compose variable (``REDIS_PASSWORD``; ``REDIS_PASSWORD_2`` when that name holds
  another value in the environment). ``refs`` maps the values to those variables; the compiler
  writes ``$(VAR)`` and ``"${VAR}"`` with them (``core.secrets.secretrefs``) and records which variables
  it used in ``in_args``/``in_probes``; only those keys are added to the Secret.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from core.compose.model import ServiceSpec
from core.manifests.volumes import Report, b64
from core.naming import config_key, is_config_key
from core.secrets.masking import distinctive
from core.secrets.secretrefs import IDENTIFIER, escape
from core.secrets.sensitivity import split_environment

Manifest = dict[str, Any]
COMMAND_FIELDS = ("command", "entrypoint", "healthcheck")


class EnvPlan:
    """The environment of one service's container, and the references to its secret values."""

    def __init__(
        self, spec: ServiceSpec, *, name: str, meta: Callable[[str], Manifest], report: Report
    ) -> None:
        self.spec = spec
        self.name = name
        self.meta = meta
        self.report = report
        self.secret_name = f"{name}-secrets"
        self.config: dict[str, str] = {}
        self.secret: dict[str, str] = {}
        self.refs: dict[str, str] = {}  # secret value -> the container variable that holds it
        self.extra: dict[str, str] = {}  # Secret keys for values that are not in the environment
        self.in_args: set[str] = set()  # variables the command line refers to, as $(VAR)
        self.in_probes: set[str] = set()  # variables the probes read through the shell
        self._split()
        self._references()

    def _split(self) -> None:
        spec = self.spec
        split = split_environment(spec.environment)
        for name in split.unset:
            self.report.warnings.append(
                f"environment {name} is declared without a value and is not set anywhere"
            )
        missing = [v for v in spec.required_variables if v]
        if missing:
            self.report.warnings.append(f"required variables have no value: {', '.join(missing)}")
        known = [v for v in [*split.secret.values(), *spec.secret_variables.values()] if v and distinctive(v)]
        moved: list[str] = []
        for name, value in spec.environment.items():
            if value is None:
                continue
            if name in split.secret:
                self.secret[name] = value
            elif _holds_secret(spec, name, value, known):
                self.secret[name] = value
                moved.append(name)
            else:
                self.config[name] = value
        if moved:
            self.report.notes.append(
                f"environment {', '.join(moved)} {'holds' if len(moved) == 1 else 'hold'} a secret value: "
                f"kept in Secret {self.secret_name}, not in the ConfigMap"
            )

    def _references(self) -> None:
        spec = self.spec
        wanted = [(u.variable, u.value) for u in spec.secret_uses if u.field in COMMAND_FIELDS]
        # the same values written out literally, as well (defence in depth: distinctive ones only)
        wanted += [(k, v) for k, v in self.secret.items() if distinctive(v) and IDENTIFIER.match(k)]
        wanted += [(k, v) for k, v in spec.secret_variables.items() if distinctive(v)]
        taken = set(spec.environment) | set(self.config)
        for variable, value in wanted:
            if not value or value in self.refs:
                continue
            holders = [k for k, v in self.secret.items() if v == value and IDENTIFIER.match(k)]
            if holders:
                self.refs[value] = variable if variable in holders else holders[0]
                continue
            name, n = variable, 1
            # a name declared bare (``- REDIS_PASSWORD``, no value anywhere) is free to fill
            while name in self.extra or (name in taken and spec.environment.get(name, "") is not None):
                n += 1
                name = f"{variable}_{n}"
            self.extra[name] = value
            self.refs[value] = name
        for use in spec.secret_uses:
            if use.field in COMMAND_FIELDS:
                if not self._whole_in(use.field, use.value):
                    self.report.warnings.append(
                        f"{use.field}: the value of {use.variable} was split over several words and stays "
                        "on the command line: quote it, or use the list form"
                    )
            elif use.field not in ("environment", "labels"):  # a label with one is left out
                self.report.warnings.append(
                    f"{use.field} interpolates {use.variable}, a secret: its value is in the manifests "
                    "there (pass it through the environment instead)"
                )

    def _whole_in(self, field_name: str, value: str) -> bool:
        """False when ``value`` is in the field only across words (``command: app --pw a b``)."""
        spec = self.spec
        if field_name == "healthcheck":
            texts = list(spec.healthcheck.test) if spec.healthcheck else []
        else:
            texts = list(getattr(spec, field_name) or [])
        return any(value in text for text in texts) or value not in " ".join(texts)

    def objects(self) -> tuple[list[Manifest], list[Manifest], list[Manifest]]:
        """The ConfigMap and Secret, and the container's ``envFrom`` and ``env``.

        Call it after the command line and probes were written with ``refs``: the keys they use
        are added to the Secret then.
        """
        for name in sorted(self.in_args | self.in_probes):
            if name in self.extra:
                self.secret[name] = self.extra[name]
        self._notes()
        config: dict[str, str] = {}
        secret: dict[str, str] = {}
        env: list[Manifest] = []
        for key, value in self.config.items():
            if is_config_key(key):
                config[key] = value
            else:
                env.append({"name": key, "value": escape(value)})
        for key, value in self.secret.items():
            if is_config_key(key):
                secret[key] = value
            else:
                data_key = config_key(key)
                secret[data_key] = value
                env.append(
                    {"name": key, "valueFrom": {"secretKeyRef": {"name": self.secret_name, "key": data_key}}}
                )
        objects: list[Manifest] = []
        env_from: list[Manifest] = []
        if config:
            config_name = f"{self.name}-config"
            objects.append(
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": self.meta(config_name), "data": config}
            )
            env_from.append({"configMapRef": {"name": config_name}})
        if secret:
            objects.append(
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": self.meta(self.secret_name),
                    "type": "Opaque",
                    "data": {k: b64(v) for k, v in secret.items()},
                }
            )
            env_from.append({"secretRef": {"name": self.secret_name}})
        return objects, env_from, env

    def _notes(self) -> None:
        if self.in_args:
            names = ", ".join(f"$({n})" for n in sorted(self.in_args))
            self.report.notes.append(
                f"the command line reads secret values from Secret {self.secret_name} as {names} "
                "(Kubernetes expands them when the container starts), not as plain text"
            )
        if self.in_probes:
            names = ", ".join(sorted(self.in_probes))
            hc = self.spec.healthcheck
            shell = " (the image needs /bin/sh now)" if hc and hc.test and hc.test[0].upper() == "CMD" else ""
            self.report.notes.append(
                f"the healthcheck reads {names} from the container's environment through sh -c, "
                f"not as plain text (Kubernetes does not expand probes){shell}"
            )


def _holds_secret(spec: ServiceSpec, name: str, value: str, known: Sequence[str]) -> bool:
    """Whether a variable with an innocent name holds a secret value: one interpolated into it
    (``REDIS_ARGS=--requirepass ${REDIS_PASSWORD}``), or a distinctive one written out."""
    for use in spec.secret_uses:
        if use.field == "environment" and use.key == name and use.value in value:
            return True
    return any(secret in value for secret in known)
