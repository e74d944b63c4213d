"""Docker hosts: a second kind of target beside clusters (a Docker Engine API, or podman's)."""
