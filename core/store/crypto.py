"""Encryption at rest for stored credentials (Fernet: AES-128-CBC + HMAC-SHA256).

The key comes from ``USHADOW_SECRET_KEY`` (a Fernet key, or any passphrase, which is stretched
with scrypt) or from a key file generated once in the data dir with mode 0600. There is no
built-in fallback key.
"""

from __future__ import annotations

import base64
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import InvalidInput
from core.settings import Settings

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

KEY_FILE = "secret.key"
_SALT = b"ushadow-ops/credential-key/v1"


def _from_passphrase(passphrase: str) -> bytes:
    raw = passphrase.encode()
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32 and len(raw) == 44:
            return raw
    except ValueError:
        pass
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    kdf = Scrypt(salt=_SALT, length=32, n=2**14, r=8, p=1)
    return base64.urlsafe_b64encode(kdf.derive(raw))


def _key_file(data_dir: Path) -> bytes:
    """Read the key file, creating it atomically (complete or absent, never half-written)."""
    path = data_dir / KEY_FILE
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=".secret.key.")  # created with mode 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(base64.urlsafe_b64encode(os.urandom(32)))  # as Fernet.generate_key()
            os.link(tmp, path)  # fails if another process won the race; theirs is used
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    return path.read_bytes().strip()


class Cipher:
    """Encrypts and decrypts credential blobs with the configured key."""

    def __init__(self, key: bytes) -> None:
        # checked as Fernet checks it; cryptography itself is loaded on first use (not every
        # command that opens the store encrypts or decrypts)
        try:
            valid = len(base64.urlsafe_b64decode(key)) == 32
        except ValueError:
            valid = False
        if not valid:
            raise ValueError("Fernet key must be 32 url-safe base64-encoded bytes.")
        self._key = key
        self._cipher: Fernet | None = None

    @property
    def _fernet(self) -> Fernet:
        if self._cipher is None:
            from cryptography.fernet import Fernet

            self._cipher = Fernet(self._key)
        return self._cipher

    @classmethod
    def from_settings(cls, settings: Settings) -> Cipher:
        if settings.secret_key:
            return cls(_from_passphrase(settings.secret_key))
        return cls(_key_file(settings.data_dir))

    def digest(self, data: bytes) -> str:
        """A keyed digest (HMAC-SHA256): says whether a secret changed without a guessable hash of it."""
        import hashlib
        import hmac

        return hmac.new(self._key, data, hashlib.sha256).hexdigest()

    def encrypt(self, plaintext: bytes) -> bytes:
        return self._fernet.encrypt(plaintext)

    def decrypt(self, token: bytes) -> bytes:
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(token)
        except InvalidToken as exc:
            raise InvalidInput(
                "a stored credential cannot be decrypted with the current key",
                hint="USHADOW_SECRET_KEY (or the key file in the data dir) changed; restore it, "
                "or remove and re-add the cluster",
            ) from exc
