"""Compose files: loading (per the compose specification), the registry, and the normalised model."""
