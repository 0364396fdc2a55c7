"""Where uploaded files' bytes live: a content-addressed blob store behind a small interface.

Peerwiki names every stored file by the SHA-256 of its bytes, so the same file uploaded twice is
stored once, a name never changes meaning, and a backup can say which files it holds. The rest
of the wiki (services, views, the API, backups) only ever calls the four methods of
:class:`BlobStore`; :func:`open_store` chooses the implementation from the configuration.

Adding another store (an S3-compatible bucket, say) means writing one class with these methods
(``put`` uploading to ``<prefix>/<key>``, ``open`` returning the object's body stream, ``exists``
a HEAD request, ``delete`` a DELETE) and one branch in :func:`open_store`; no view, service or
template changes. Keys are lowercase hex, so they are valid object names everywhere.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable


class BlobNotFound(Exception):
    """No blob is stored under the key asked for."""


@runtime_checkable
class BlobStore(Protocol):
    """What Peerwiki needs from a place that keeps uploaded files."""

    def put(self, data: bytes) -> str:
        """Store ``data`` (once: storing the same bytes again changes nothing) and return its
        key, the SHA-256 of ``data`` in lowercase hex."""
        ...

    def open(self, key: str) -> IO[bytes]:
        """Return a readable binary stream of the blob ``key`` (the caller closes it); raise
        :class:`BlobNotFound` when there is none."""
        ...

    def exists(self, key: str) -> bool:
        """Whether a blob is stored under ``key``."""
        ...

    def delete(self, key: str) -> None:
        """Remove the blob ``key`` if there is one."""
        ...


def key_of(data: bytes) -> str:
    """The key a blob store files ``data`` under."""
    return hashlib.sha256(data).hexdigest()


class LocalBlobStore:
    """Blobs as files in a local directory, ``<root>/<key[:2]>/<key>``: the default store.

    Writes go to a temporary file renamed into place, so a reader never sees half a file and two
    processes storing the same bytes at once both succeed. Several app servers need the
    directory on a shared file system (or another store).
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise BlobNotFound(key)
        return self.root / key[:2] / key

    def put(self, data: bytes) -> str:
        key = key_of(data)
        path = self._path(key)
        if path.exists():
            return key
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(descriptor, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return key

    def open(self, key: str) -> IO[bytes]:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).is_file()
        except BlobNotFound:
            return False

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except BlobNotFound:
            return


def open_store(config: Mapping[str, Any]) -> BlobStore:
    """The blob store the configuration names (``UPLOAD_DIR``: a local directory)."""
    return LocalBlobStore(Path(str(config["UPLOAD_DIR"])))


def read(store: BlobStore, key: str) -> bytes:
    """All the bytes of blob ``key``."""
    with store.open(key) as stream:
        return stream.read()
