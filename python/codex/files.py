"""Attachments: files and bytes staged in a content-addressed store for turn inputs.

``codex.files`` is the store of a client (``<codex_home>/attachments``); a
:class:`FileStore` can also be opened on any directory. Content is stored once per
SHA-256 digest, so staging the same bytes again (from any thread or process)
returns the same file. Writes go to a temporary file in the store and are linked
into place, so a reader never sees a partial file. Objects not staged again within
``ttl`` are pruned (``prune()``, and automatically at most once per
``prune_interval``); ``temporary()`` removes what it added when the block ends,
even on error.

An :class:`Attachment` becomes a turn input with :meth:`Attachment.as_input`:
images the engine can read (PNG, JPEG, GIF, WebP) as a local image, which the
engine sends to the model inline; other files as a note that gives the agent the
file's name, type, size and path, so it can read the file with its tools.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, TypeAlias

from .errors import AttachmentError, AttachmentTooLargeError, ConfigurationError
from .inputs import LocalImageInput, TextInput

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the store still works, without a cross-process lock
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "Attachment",
    "FileStore",
    "AttachmentSource",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TTL",
    "detect_mime_type",
]

#: Largest attachment a store accepts unless told otherwise (50 MiB).
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
#: Objects not staged again for this long are pruned (7 days).
DEFAULT_TTL = timedelta(days=7)
#: Automatic pruning runs at most this often per store (1 hour).
DEFAULT_PRUNE_INTERVAL = timedelta(hours=1)

#: A path (``str`` or path-like), the bytes themselves, or a binary file object.
AttachmentSource: TypeAlias = "str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]"

_CHUNK = 1024 * 1024
_SNIFF_BYTES = 512
# Image types the engine decodes and sends to the model as images.
_ENGINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
# Magic numbers of common formats: (offset, bytes, MIME type, extension).
_SIGNATURES: tuple[tuple[int, bytes, str, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (0, b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (0, b"GIF87a", "image/gif", ".gif"),
    (0, b"GIF89a", "image/gif", ".gif"),
    (0, b"BM", "image/bmp", ".bmp"),
    (0, b"II*\x00", "image/tiff", ".tiff"),
    (0, b"MM\x00*", "image/tiff", ".tiff"),
    (0, b"\x00\x00\x01\x00", "image/vnd.microsoft.icon", ".ico"),
    (0, b"%PDF-", "application/pdf", ".pdf"),
    (0, b"\x1f\x8b", "application/gzip", ".gz"),
    (0, b"BZh", "application/x-bzip2", ".bz2"),
    (0, b"\xfd7zXZ\x00", "application/x-xz", ".xz"),
    (0, b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed", ".7z"),
    (0, b"OggS", "audio/ogg", ".ogg"),
    (0, b"ID3", "audio/mpeg", ".mp3"),
    (0, b"fLaC", "audio/flac", ".flac"),
    (0, b"\x7fELF", "application/x-executable", ""),
    (0, b"SQLite format 3\x00", "application/vnd.sqlite3", ".sqlite"),
)
_RIFF_KINDS = {b"WEBP": ("image/webp", ".webp"), b"WAVE": ("audio/wav", ".wav"), b"AVI ": ("video/x-msvideo", ".avi")}
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def _sniff(head: bytes) -> tuple[str, str] | None:
    """(MIME type, extension) from the content's first bytes, when they are conclusive."""
    for offset, magic, mime, extension in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return mime, extension
    if head[:4] == b"RIFF" and head[8:12] in _RIFF_KINDS:
        return _RIFF_KINDS[head[8:12]]
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand.startswith(b"hei") or brand.startswith(b"mif1"):
            return "image/heic", ".heic"
        return ("video/quicktime", ".mov") if brand == b"qt  " else ("video/mp4", ".mp4")
    if head.startswith(_ZIP_MAGIC):
        return "application/zip", ".zip"
    return None


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the sample's end is still text.
        return exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"
    return True


def detect_mime_type(head: bytes, name: str | None = None) -> str:
    """The MIME type of content starting with ``head``, named ``name``.

    Magic numbers decide first. A name can refine a generic container (a ``.docx``
    is a ZIP) and types magic cannot see (``.json``, ``.csv``), but never makes an
    image of bytes that are not one. Otherwise UTF-8 text is ``text/plain`` and
    anything else ``application/octet-stream``.
    """
    sniffed = _sniff(head)
    import mimetypes  # here, as tempfile below: ~4 ms of ``import codex`` with shutil's archive modules

    guessed = mimetypes.guess_type(name, strict=False)[0] if name else None
    if sniffed is not None:
        mime = sniffed[0]
        if mime == "application/zip" and guessed is not None and not guessed.startswith("image/"):
            return guessed
        return mime
    text = _looks_like_text(head)
    if head.lstrip()[:5].lower() in (b"<svg ", b"<svg>") or (b"<svg" in head and head.lstrip().startswith(b"<?xml")):
        return "image/svg+xml"
    if guessed is not None and not guessed.startswith("image/") and (text or not guessed.startswith("text/")):
        return guessed
    return "text/plain" if text else "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A staged file: its digest, where it is stored, its size, type and display name."""

    sha256: str
    path: Path
    size: int
    mime_type: str
    name: str

    @property
    def is_image(self) -> bool:
        """True for image types the engine sends to the model as images."""
        return self.mime_type in _ENGINE_IMAGE_TYPES

    def as_input(self) -> LocalImageInput | TextInput:
        """This attachment as a turn input item.

        Images become :class:`~codex.inputs.LocalImageInput` (the engine reads the
        file and sends it inline); other files a :class:`~codex.inputs.TextInput`
        telling the agent where the file is, so it can read it with its tools.
        """
        if self.is_image:
            return LocalImageInput(str(self.path))
        described = json.dumps(
            {"name": self.name, "mime_type": self.mime_type, "size": self.size, "path": str(self.path)},
            ensure_ascii=False,
        )
        return TextInput(f"Attached file (read it from its path): {described}")


def _seconds(value: float | timedelta) -> float:
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if seconds < 0:
        raise ConfigurationError(f"a duration must be >= 0, got {value!r}")
    return seconds


class FileStore:
    """A content-addressed attachment store in ``root`` (created on first use).

    Layout: ``objects/<2 hex>/<sha256><ext>`` (the extension comes from the content
    alone, so equal content always maps to one file), ``tmp/`` for writes in
    progress, ``holds/`` for the attachments of running ``temporary()`` blocks,
    ``ephemeral/`` marking content only ``temporary()`` staged (removed with its last
    hold), ``.lock`` (an advisory lock: staging shares it, pruning and removal take it
    alone) and ``.last-prune`` (its mtime is when the store was last pruned).
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        ttl: float | timedelta = DEFAULT_TTL,
        prune_interval: float | timedelta | None = DEFAULT_PRUNE_INTERVAL,
    ) -> None:
        if not isinstance(max_bytes, int) or max_bytes < 0:
            raise ConfigurationError(f"max_bytes must be an int >= 0, got {max_bytes!r}")
        self.root = Path(root).expanduser().resolve()
        self.max_bytes = max_bytes
        self.ttl_s = _seconds(ttl)
        #: None switches automatic pruning off.
        self.prune_interval_s = None if prune_interval is None else _seconds(prune_interval)
        self._objects = self.root / "objects"
        self._tmp = self.root / "tmp"
        self._holds = self.root / "holds"
        self._ephemeral = self.root / "ephemeral"

    def __repr__(self) -> str:
        return f"FileStore(root={str(self.root)!r}, max_bytes={self.max_bytes}, ttl_s={self.ttl_s})"

    # -- staging -------------------------------------------------------------
    def stage(self, source: AttachmentSource, *, name: str | None = None, mime_type: str | None = None) -> Attachment:
        """Copies ``source`` into the store (once per content) and describes it.

        ``source`` is a path (``str`` or path-like), the content as ``bytes``, or a
        binary file object. ``name`` is the display name (default: the file's
        name); ``mime_type`` overrides detection. Staging content that is already
        stored refreshes its age instead of copying it again.
        """
        attachment = self._stage(source, name=name, mime_type=mime_type, hold=None)
        self._maybe_auto_prune()
        return attachment

    @contextlib.contextmanager
    def temporary(
        self, source: AttachmentSource, *, name: str | None = None, mime_type: str | None = None
    ) -> Iterator[Attachment]:
        """Stages ``source`` for the duration of a ``with`` block.

        When the block ends (normally or by an exception) the stored file is removed,
        unless ``stage()`` stored the same content (before or meanwhile) or another
        ``temporary()`` block still holds it; the last block to end removes it.
        Pruning never removes held files.
        """
        pid = os.getpid()
        hold = f"{pid}.{secrets.token_hex(8)}"
        attachment = self._stage(source, name=name, mime_type=mime_type, hold=hold)
        try:
            yield attachment
        finally:
            # A child forked inside the block that unwinds it (sys.exit) leaves the
            # parent's hold alone: the parent's block is still open.
            if os.getpid() == pid:
                self._release(attachment, hold)

    def _stage(
        self, source: AttachmentSource, *, name: str | None, mime_type: str | None, hold: str | None
    ) -> Attachment:
        display = name if name is not None else _default_name(source)
        if mime_type is not None and (not isinstance(mime_type, str) or "/" not in mime_type):
            raise AttachmentError(f"mime_type must look like 'type/subtype', got {mime_type!r}")
        reused = self._reuse(source, hold)
        if reused is not None:
            digest, final, size, head = reused
            return self._attachment(digest, final, size, head, display, mime_type)
        self._tmp.mkdir(parents=True, exist_ok=True)
        temp_path, digest, size, head = self._copy_to_temp(source)
        try:
            sniffed = _sniff(head)
            extension = sniffed[1] if sniffed is not None else ""
            final = self._objects / digest[:2] / f"{digest}{extension}"
            final.parent.mkdir(parents=True, exist_ok=True)
            with self._lock(exclusive=False):
                if hold is not None:
                    self._holds.mkdir(exist_ok=True)
                    (self._holds / f"{digest}.{hold}").touch()
                # Only stage() refreshes the age: a hold already keeps pruning away.
                created = _publish(temp_path, final, refresh=hold is None)
                if hold is None:
                    self._set_ephemeral(digest, False)
                elif created:
                    self._set_ephemeral(digest, True)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp_path.unlink()
        return self._attachment(digest, final, size, head, display, mime_type)

    @staticmethod
    def _attachment(
        digest: str, final: Path, size: int, head: bytes, display: str | None, mime_type: str | None
    ) -> Attachment:
        return Attachment(
            sha256=digest,
            path=final,
            size=size,
            mime_type=mime_type or detect_mime_type(head, display),
            name=display if display is not None else f"{digest[:12]}{final.suffix}",
        )

    def _reuse(self, source: AttachmentSource, hold: str | None) -> tuple[str, Path, int, bytes] | None:
        """(digest, path, size, first bytes) of content already stored, found without
        writing anything; None when it is not stored or ``source`` is a stream (read once)."""
        if isinstance(source, bytes | bytearray | memoryview):
            size = source.nbytes if isinstance(source, memoryview) else len(source)
            if size > self.max_bytes:
                raise AttachmentTooLargeError(f"attachment is {size} bytes, more than max_bytes={self.max_bytes}")
            digest = hashlib.sha256(source).hexdigest()
        elif isinstance(source, str | os.PathLike):
            with _open_source(source, self.max_bytes) as reader:
                hasher = hashlib.sha256()
                while chunk := reader.read(_CHUNK):
                    hasher.update(chunk)
            digest = hasher.hexdigest()
        else:
            return None
        if not self._objects.is_dir():
            return None
        with self._lock(exclusive=False):
            # Pruning and removal wait for this shared lock, so what is found stays.
            final = self._find(digest)
            if final is None:
                return None
            if hold is not None:
                self._holds.mkdir(exist_ok=True)
                (self._holds / f"{digest}.{hold}").touch()
            else:
                os.utime(final)  # staged again: the TTL starts over
                self._set_ephemeral(digest, False)
        with open(final, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
        return digest, final, final.stat().st_size, head

    def _find(self, digest: str) -> Path | None:
        folder = self._objects / digest[:2]
        if not folder.is_dir():
            return None
        return next(iter(folder.glob(f"{digest}*")), None)

    def _copy_to_temp(self, source: AttachmentSource) -> tuple[Path, str, int, bytes]:
        """Streams ``source`` into a new file under ``tmp/``: (path, sha256, size, first bytes)."""
        import tempfile

        with _open_source(source, self.max_bytes) as reader:
            fd, temp_name = tempfile.mkstemp(dir=self._tmp, prefix="stage-")
            temp_path = Path(temp_name)
            try:
                digest = hashlib.sha256()
                size = 0
                head = b""
                with os.fdopen(fd, "wb") as out:
                    while chunk := reader.read(_CHUNK):
                        if not isinstance(chunk, bytes | bytearray):
                            raise AttachmentError("a file object must be opened in binary mode ('rb')")
                        size += len(chunk)
                        if size > self.max_bytes:
                            raise AttachmentTooLargeError(
                                f"attachment is larger than max_bytes={self.max_bytes} (read {size} bytes so far)"
                            )
                        if len(head) < _SNIFF_BYTES:
                            head += chunk[: _SNIFF_BYTES - len(head)]
                        digest.update(chunk)
                        out.write(chunk)
                    out.flush()
                    os.fsync(out.fileno())
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    temp_path.unlink()
                raise
        return temp_path, digest.hexdigest(), size, head

    def _release(self, attachment: Attachment, hold: str) -> None:
        digest = attachment.sha256
        with self._lock(exclusive=True):
            with contextlib.suppress(FileNotFoundError):
                (self._holds / f"{digest}.{hold}").unlink()
            if self._held(digest) or not (self._ephemeral / digest).exists():
                return
            _remove_object(attachment.path)
            self._set_ephemeral(digest, False)

    def _set_ephemeral(self, digest: str, ephemeral: bool) -> None:
        """Marks content that only ``temporary()`` blocks staged (a plain stage() clears the mark)."""
        marker = self._ephemeral / digest
        if ephemeral:
            self._ephemeral.mkdir(exist_ok=True)
            marker.touch()
        else:
            with contextlib.suppress(FileNotFoundError):
                marker.unlink()

    # -- lookup ----------------------------------------------------------------
    def get(self, sha256: str) -> Attachment | None:
        """The stored object with this digest, or None (its type comes from its content)."""
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise AttachmentError(f"not a lowercase hex SHA-256 digest: {sha256!r}")
        path = self._find(sha256)
        if path is None:
            return None
        try:
            return _describe(path)
        except FileNotFoundError:  # removed meanwhile
            return None

    def __contains__(self, sha256: object) -> bool:
        return isinstance(sha256, str) and self.get(sha256) is not None

    def list(self) -> list[Attachment]:
        """Every stored object, oldest first."""
        found: list[tuple[float, Attachment]] = []
        for path in self._object_paths():
            with contextlib.suppress(FileNotFoundError):  # removed meanwhile
                found.append((path.stat().st_mtime, _describe(path)))
        return [attachment for _mtime, attachment in sorted(found, key=lambda pair: pair[0])]

    def remove(self, attachment: Attachment | str) -> bool:
        """Deletes a stored object now (by attachment or digest); False if it was not there."""
        found = self.get(attachment if isinstance(attachment, str) else attachment.sha256)
        if found is None:
            return False
        with self._lock(exclusive=True):
            self._set_ephemeral(found.sha256, False)
            return _remove_object(found.path)

    # -- pruning -----------------------------------------------------------------
    def prune(self, older_than: float | timedelta | None = None) -> int:
        """Removes objects not staged for ``older_than`` (default: the store's ``ttl``).

        Held objects (open ``temporary()`` blocks) stay; holds of processes that no
        longer exist are dropped, and abandoned partial writes are cleaned up.
        Returns how many objects were removed.
        """
        age = self.ttl_s if older_than is None else _seconds(older_than)
        if not self.root.is_dir():
            return 0
        with self._lock(exclusive=True):
            return self._prune_locked(age)

    def _prune_locked(self, age: float) -> int:
        now = time.time()
        self._drop_dead_holds()
        held = self._held_digests()
        removed = 0
        for path in self._object_paths():
            digest = path.name[:64]
            try:
                stale = now - path.stat().st_mtime >= age
            except FileNotFoundError:
                continue
            if stale and digest not in held and _remove_object(path):
                self._set_ephemeral(digest, False)
                removed += 1
        # A write in progress is at most minutes old; anything older was abandoned.
        if self._tmp.is_dir():
            for leftover in self._tmp.iterdir():
                with contextlib.suppress(FileNotFoundError):
                    if now - leftover.stat().st_mtime >= max(age, 3600.0):
                        leftover.unlink()
        marker = self.root / ".last-prune"
        marker.touch()
        return removed

    def _maybe_auto_prune(self) -> None:
        interval = self.prune_interval_s
        if interval is None:
            return
        marker = self.root / ".last-prune"
        try:
            if time.time() - marker.stat().st_mtime < interval:
                return
        except FileNotFoundError:
            pass
        # Never make a stager wait: whoever gets the lock prunes, the others skip.
        with self._lock(exclusive=True, blocking=False) as locked:
            if locked:
                self._prune_locked(self.ttl_s)

    # -- internals ---------------------------------------------------------------
    def _object_paths(self) -> Iterator[Path]:
        if not self._objects.is_dir():
            return
        for folder in self._objects.iterdir():
            if folder.is_dir():
                yield from (path for path in folder.iterdir() if path.is_file())

    def _held(self, digest: str) -> bool:
        return self._holds.is_dir() and any(self._holds.glob(f"{digest}.*"))

    def _held_digests(self) -> set[str]:
        if not self._holds.is_dir():
            return set()
        return {path.name.split(".", 1)[0] for path in self._holds.iterdir()}

    def _drop_dead_holds(self) -> None:
        if not self._holds.is_dir():
            return
        for path in self._holds.iterdir():
            parts = path.name.split(".")
            if len(parts) == 3 and parts[1].isdigit() and not _process_exists(int(parts[1])):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    @contextlib.contextmanager
    def _lock(self, *, exclusive: bool, blocking: bool = True) -> Iterator[bool]:
        """An advisory lock on ``.lock`` (between threads and processes); yields whether it was taken."""
        self.root.mkdir(parents=True, exist_ok=True)
        if fcntl is None:  # pragma: no cover - no flock on this platform
            yield True
            return
        with open(self.root / ".lock", "a+b") as handle:
            mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
            try:
                fcntl.flock(handle.fileno(), mode if blocking else mode | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _publish(temp_path: Path, final: Path, *, refresh: bool) -> bool:
    """Puts the finished temporary file at ``final``; True if this call created it.

    A hard link creates the name atomically and fails if it exists, so concurrent
    writers of the same content agree on one winner; where links are unsupported
    ``os.replace`` is atomic too (the content is the same either way).
    """
    if not final.exists():
        os.chmod(temp_path, 0o444)
        try:
            os.link(temp_path, final)
        except FileExistsError:
            pass
        except OSError:
            os.replace(temp_path, final)
            return True
        else:
            return True
    if refresh:
        os.utime(final)  # staged again: the TTL starts over
    return False


def _remove_object(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _describe(path: Path) -> Attachment:
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    return Attachment(
        sha256=path.name[:64],
        path=path,
        size=path.stat().st_size,
        mime_type=detect_mime_type(head, path.name),
        name=path.name,
    )


def _default_name(source: AttachmentSource) -> str | None:
    if isinstance(source, str | os.PathLike):
        return Path(os.fspath(source)).name
    file_name = getattr(source, "name", None)
    return Path(file_name).name if isinstance(file_name, str) else None


@contextlib.contextmanager
def _open_source(source: AttachmentSource, max_bytes: int) -> Iterator[IO[bytes]]:
    if isinstance(source, bytes | bytearray | memoryview):
        yield io.BytesIO(bytes(source))
        return
    if isinstance(source, str | os.PathLike):
        path = Path(os.fspath(source)).expanduser()
        try:
            if not path.is_file():
                raise AttachmentError(f"{path} is not a file")
            size = path.stat().st_size
            if size > max_bytes:
                raise AttachmentTooLargeError(f"{path} is {size} bytes, more than max_bytes={max_bytes}")
            handle = open(path, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise AttachmentError(f"cannot read {path}: {exc}") from exc
        with handle:
            yield handle
        return
    if callable(getattr(source, "read", None)):
        yield source
        return
    raise AttachmentError(
        f"cannot stage a {type(source).__name__}: give a path (str or os.PathLike), bytes, or a binary file object"
    )


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
