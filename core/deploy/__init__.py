"""Deploying: server-side apply with ownership and permission checks (``applying``, ``reconciling``),
what changed (``changes``), the environment wired to scanned infrastructure (``envwiring``), envmaps and
deploy plans (``envmaps``, ``plans``, ``deploying``), deploying groups (``groupdeploying``), and waiting
for rollouts with the reason when they fail (``rollouts`` pure, ``watching`` calls out).

May import: ``core.scan``, ``core.manifests``, ``core.clusters``, ``core.views``, ``core.compose``,
``core.store``, ``core.secrets`` and the base modules. Never ``core.operate``, the CLI or the UI.
"""
