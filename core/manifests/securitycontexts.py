"""A container's and pod's securityContext and the image pull policy, from compose (pure).

The rules (``core.manifests.compiler`` lists them with the others):

- ``user: UID[:GID]`` (numeric, or ``root``) -> ``runAsUser``/``runAsGroup``; a non-root UID also
  gives ``runAsNonRoot: true`` and drops ``ALL`` capabilities (a non-root process keeps none
  anyway), which is what Pod Security *restricted* asks. A user *name* cannot be resolved without
  the image: a warning, not set. ``group_add`` (numeric) -> the pod's ``supplementalGroups``.
- ``read_only`` -> ``readOnlyRootFilesystem``; ``cap_add``/``cap_drop`` -> ``capabilities``
  (``CAP_`` prefix removed); ``privileged`` -> ``privileged``.
- ``NET_RAW`` is dropped unless the service asks for it or for network administration
  (``cap_add: NET_RAW``/``NET_ADMIN``, ``privileged``): Docker grants it by default, but it only
  serves raw sockets (``ping``, packet capture) and lets a process forge packets on the pod network.
- The pod's securityContext always holds ``seccompProfile: RuntimeDefault`` (a container's own
  setting, ``Unconfined`` for ``security_opt: seccomp:unconfined``, wins over it).
- ``seccompProfile: RuntimeDefault`` and ``allowPrivilegeEscalation: false`` by default, as
  Docker's own default seccomp profile and ``no-new-privileges`` would be; not when the service asks
  for privilege (``privileged``, ``cap_add: SYS_ADMIN``, ``security_opt: no-new-privileges:false``).
- ``security_opt``: ``seccomp:unconfined`` -> ``Unconfined``; ``apparmor:unconfined`` /
  ``apparmor:NAME`` -> ``appArmorProfile``; ``label:type:T`` (user, role, level) ->
  ``seLinuxOptions``; ``no-new-privileges[:true]`` -> ``allowPrivilegeEscalation: false``.
- What Pod Security *baseline* forbids (privileged, capabilities beyond its list, unconfined
  seccomp or AppArmor, host paths) is named in the warnings: such a pod is refused in a namespace
  that enforces baseline.
- ``pull_policy``: ``always`` -> ``Always``, ``never`` -> ``Never``, ``missing``/
  ``if_not_present``/``build`` -> ``IfNotPresent``, ``daily``/``weekly``/``every_*`` -> ``Always``
  (a warning: Kubernetes has no periodic pull). Not given: Kubernetes' default.
"""

from __future__ import annotations

from typing import Any

from core.compose.model import ServiceSpec
from core.manifests.volumes import Report

Manifest = dict[str, Any]

# Capabilities Pod Security "baseline" allows to be added.
BASELINE_CAPS = frozenset(
    {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
     "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
)  # fmt: skip
PULL_POLICIES = {
    "always": "Always",
    "never": "Never",
    "missing": "IfNotPresent",
    "if_not_present": "IfNotPresent",
}


def _capability(cap: str) -> str:
    cap = cap.strip().upper()
    return cap[4:] if cap.startswith("CAP_") else cap


def _ids(user: str | None, report: Report) -> tuple[int | None, int | None]:
    uid, _, gid = (user or "").strip().partition(":")
    uid = "0" if uid == "root" else uid
    gid = "0" if gid == "root" else gid
    if uid and not uid.isdigit():
        report.warnings.append(f"user {uid!r} is a name: Kubernetes needs a numeric uid (runAsUser); not set")
    if gid and not gid.isdigit():
        report.warnings.append(
            f"group {gid!r} is a name: Kubernetes needs a numeric gid (runAsGroup); not set"
        )
    return (int(uid) if uid.isdigit() else None), (int(gid) if gid.isdigit() else None)


def _options(spec: ServiceSpec, ctx: Manifest, report: Report) -> bool | None:
    """Apply ``security_opt`` to ``ctx``; the ``no-new-privileges`` setting, if given."""
    no_new: bool | None = None
    for raw in spec.security_opt:
        key, _, value = raw.replace("=", ":", 1).partition(":")
        key, value = key.strip().lower(), value.strip()
        if key == "no-new-privileges":
            no_new = value.lower() not in ("false", "0")
        elif key == "seccomp" and value == "unconfined":
            ctx["seccompProfile"] = {"type": "Unconfined"}
        elif key == "apparmor":
            ctx["appArmorProfile"] = (
                {"type": "Unconfined"}
                if value == "unconfined"
                else {"type": "Localhost", "localhostProfile": value}
            )
        elif key == "label" and value.partition(":")[0] in ("user", "role", "type", "level"):
            field, _, setting = value.partition(":")
            ctx.setdefault("seLinuxOptions", {})[field] = setting
        else:
            report.warnings.append(f"security_opt {raw!r} has no Kubernetes equivalent and was ignored")
    return no_new


def security_context(spec: ServiceSpec, report: Report) -> Manifest:
    """The container's securityContext (see the module docstring)."""
    ctx: Manifest = {}
    uid, gid = _ids(spec.user, report)
    if uid is not None:
        ctx["runAsUser"] = uid
    if gid is not None:
        ctx["runAsGroup"] = gid
    add = [_capability(c) for c in spec.cap_add]
    drop = [_capability(c) for c in spec.cap_drop]
    no_new = _options(spec, ctx, report)
    asks_privilege = spec.privileged or "SYS_ADMIN" in add or "ALL" in add or no_new is False
    if uid is not None and uid != 0:
        ctx["runAsNonRoot"] = True
        if all(c == "NET_BIND_SERVICE" for c in add) and "ALL" not in drop:
            drop = ["ALL"]  # the others are in ALL
    if not ({"ALL", "NET_RAW"} & set(drop) or {"NET_RAW", "NET_ADMIN", "ALL"} & set(add) or spec.privileged):
        drop = [*drop, "NET_RAW"]
    if spec.privileged:
        ctx["privileged"] = True
    if not asks_privilege:
        ctx["allowPrivilegeEscalation"] = False
    ctx.setdefault("seccompProfile", {"type": "RuntimeDefault"})
    caps: Manifest = {}
    if add:
        caps["add"] = add
    if drop:
        caps["drop"] = drop
    if caps:
        ctx["capabilities"] = caps
    if spec.read_only:
        ctx["readOnlyRootFilesystem"] = True
    _baseline_warnings(ctx, add, report)
    return ctx


def _baseline_warnings(ctx: Manifest, add: list[str], report: Report) -> None:
    forbidden: list[str] = []
    if ctx.get("privileged"):
        forbidden.append("privileged: true")
    beyond = [c for c in add if c not in BASELINE_CAPS]
    if beyond:
        forbidden.append(f"cap_add {', '.join(beyond)}")
    if ctx.get("seccompProfile", {}).get("type") == "Unconfined":
        forbidden.append("seccomp:unconfined")
    if ctx.get("appArmorProfile", {}).get("type") == "Unconfined":
        forbidden.append("apparmor:unconfined")
    if forbidden:
        report.warnings.append(
            f"Pod Security baseline forbids {'; '.join(forbidden)}: a namespace that enforces baseline "
            "refuses this pod (deploy it to a namespace labelled pod-security.kubernetes.io/enforce=privileged)"
        )


def pod_security_context(spec: ServiceSpec, report: Report) -> Manifest:
    """The pod's securityContext: ``seccompProfile``, ``supplementalGroups`` from ``group_add``,
    ``fsGroup`` from the gid."""
    ctx: Manifest = {"seccompProfile": {"type": "RuntimeDefault"}}
    groups: list[int] = []
    for group in spec.group_add:
        if str(group).isdigit():
            groups.append(int(group))
        else:
            report.warnings.append(f"group_add {group!r} is a name: Kubernetes needs a numeric gid; not set")
    if groups:
        ctx["supplementalGroups"] = groups
    _, gid = _ids(spec.user, Report())
    if gid is not None and gid != 0:
        ctx["fsGroup"] = gid  # volumes writable by the service's group, as its image's were
    return ctx


def pull_policy(spec: ServiceSpec, report: Report) -> str | None:
    """``imagePullPolicy`` from ``pull_policy`` (None: Kubernetes' default)."""
    if spec.pull_policy is None:
        return None
    policy = spec.pull_policy.strip().lower()
    if policy in PULL_POLICIES:
        return PULL_POLICIES[policy]
    if policy == "build":
        report.notes.append(
            "pull_policy build: a cluster cannot build; the pushed image is pulled if missing"
        )
        return "IfNotPresent"
    if policy in ("daily", "weekly") or policy.startswith("every_"):
        report.warnings.append(
            f"pull_policy {policy}: Kubernetes has no periodic pull; imagePullPolicy Always pulls on every start"
        )
        return "Always"
    report.warnings.append(f"pull_policy {spec.pull_policy!r} is unknown and was ignored")
    return None
