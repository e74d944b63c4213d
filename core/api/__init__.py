"""The HTTP API, served by the dashboard process itself (``serve.py`` mounts :func:`core.api.app.api_routes`):
``/api/v1/...`` (clusters, services, scans, envmaps, deployments, workloads and day-2 actions; the
OpenAPI document at ``/api/v1/openapi.json``) and the original system's ``/api/kubernetes/...``
endpoints with their request bodies and response shapes.

``endpoints`` is the small framework (an :class:`~core.api.endpoints.Endpoint` table, JSON bodies
read into pydantic models, handlers run off the event loop), ``problems`` maps the error tree to
HTTP statuses and the error document, ``guarding`` checks tokens and rate-limits failures,
``models`` holds the request and response models, ``v1`` and ``original`` the handlers,
``openapi`` builds the document from the table, ``app`` puts it together with CORS and the body limit.

May import: every capability below the CLI (``core.localcluster`` and down). Never the CLI or the UI.
"""
