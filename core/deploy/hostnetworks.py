"""Which address a deployed container can reach the scan's infrastructure at.

A scan names a container's ``name:port`` (see ``core.scan.hostscan``), and the deployed container
joins the networks the infrastructure is on. A name resolves only on a network with name lookup:
a user-defined network does; Docker's default ``bridge`` and a podman network whose
``dns_enabled`` is false (podman's default ``podman`` network) do not. There the container's IP
address on that network is wired instead, and the wiring's note says so.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import docker
import docker.errors

from core.store.scans import Match, ScanResult

NO_LOOKUP = frozenset({"bridge"})  # Docker's default network: containers are not found by name there


def resolves_names(client: docker.DockerClient, network: str) -> bool:
    """Whether containers on ``network`` find each other by name.

    podman says it in its own API (``dns_enabled``); Docker (where that path is missing) has name
    lookup on every network but its default ``bridge`` (and ``host``/``none``, which have none)."""
    if network in NO_LOOKUP or network in ("host", "none"):
        return False
    answer = client.api._get(f"{client.api.base_url}/v4.0.0/libpod/networks/{quote(network, safe='')}/json")
    if answer.status_code == 200:
        try:
            return bool(answer.json().get("dns_enabled"))
        except ValueError:
            return True
    return True


def _address_on(attrs: dict[str, Any], network: str) -> str | None:
    found = ((attrs.get("NetworkSettings") or {}).get("Networks") or {}).get(network) or {}
    return str(found.get("IPAddress") or "") or None


def reachable(client: docker.DockerClient, match: Match, lookup: dict[str, bool]) -> Match:
    """``match`` as the deployed container reaches it: unchanged when one of its networks has name
    lookup, else with its IP address (on the first network that gives one) as the host to wire."""
    networks = sorted(match.extra.get("networks") or {})
    if match.service_type != "container" or not networks:
        return match
    for network in networks:
        if network not in lookup:
            lookup[network] = resolves_names(client, network)
    if any(lookup[n] for n in networks):
        return match
    try:
        attrs = client.api.inspect_container(match.service)
    except docker.errors.NotFound:
        return match
    for network in networks:
        address = _address_on(attrs, network)
        if address:
            note = (
                f"{match.service}'s name does not resolve on network {network} (it has no name lookup): "
                f"wired its address there, {address} (it changes if the container is recreated; a "
                "user-defined network resolves names)"
            )
            extra = {**match.extra, "external_name": address, "address_note": note}
            return match.model_copy(update={"extra": extra})
    return match


def reachable_scan(client: docker.DockerClient, scan: ScanResult | None) -> ScanResult | None:
    """The scan with each container match as the deployed container reaches it."""
    if scan is None:
        return None
    lookup: dict[str, bool] = {}
    return scan.model_copy(update={"matches": [reachable(client, m, lookup) for m in scan.matches]})
