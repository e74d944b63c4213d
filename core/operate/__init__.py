"""Day-2 on deployed services: finding our workloads (``finding``), their status and logs
(``inspecting``), restart and scale (``patching``), undeploy (``undeploying``), and the ``Operator``
that opens a stored cluster for all of them (``operating``).

May import: ``core.deploy`` and everything below it. Never the CLI or the UI.
"""
