"""Files the bot uploads (photos, documents) and the users send, kept in memory for assertions."""

from __future__ import annotations

import hashlib
import itertools
import struct
import zlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class UploadedFile:
    """One stored file: the exact bytes, plus the names Telegram would report."""

    data: bytes
    filename: str | None = None
    mime_type: str | None = None
    file_id: str = ""
    file_unique_id: str = ""
    file_path: str = ""

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)

    def image_size(self) -> tuple[int, int] | None:
        """(width, height) for a PNG or JPEG, otherwise None."""
        return image_dimensions(self.data)

    def __repr__(self) -> str:
        return (
            f"UploadedFile(file_id={self.file_id!r}, filename={self.filename!r}, "
            f"mime_type={self.mime_type!r}, size={self.size})"
        )


@dataclass
class FileStore:
    """Assigns ``file_id``s and serves them back for ``getFile`` and the file download route."""

    _files: dict[str, UploadedFile] = field(default_factory=dict)
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add(self, upload: UploadedFile, kind: str) -> UploadedFile:
        """Store an upload under a fresh id; ``kind`` is the folder ("photos", "documents")."""
        number = next(self._counter)
        digest = hashlib.sha1(upload.data, usedforsecurity=False).hexdigest()[:16]
        suffix = _suffix(upload.filename, upload.mime_type)
        stored = UploadedFile(
            data=upload.data,
            filename=upload.filename,
            mime_type=upload.mime_type,
            file_id=f"emu-{kind}-{number}",
            file_unique_id=f"u{digest}",
            file_path=f"{kind}/file_{number}{suffix}",
        )
        self._files[stored.file_id] = stored
        return stored

    def get(self, file_id: str) -> UploadedFile | None:
        """The file with this id, if the emulator issued it."""
        return self._files.get(file_id)

    def by_path(self, path: str) -> UploadedFile | None:
        """The file served at ``/file/bot<token>/<path>``."""
        for stored in self._files.values():
            if stored.file_path == path:
                return stored
        return None


def _suffix(filename: str | None, mime_type: str | None) -> str:
    if filename and "." in filename:
        return "." + filename.rsplit(".", 1)[1].lower()
    if mime_type == "image/png":
        return ".png"
    if mime_type == "image/jpeg":
        return ".jpg"
    return ""


def image_dimensions(data: bytes) -> tuple[int, int] | None:
    """Read width and height from a PNG IHDR chunk or a JPEG SOF marker."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_dimensions(data)
    return None


_SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE})


def _jpeg_dimensions(data: bytes) -> tuple[int, int] | None:
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        (length,) = struct.unpack(">H", data[index + 2 : index + 4])
        if marker in _SOF_MARKERS:
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return int(width), int(height)
        index += 2 + int(length)
    return None


def tiny_png(width: int = 2, height: int = 2, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A valid solid-colour PNG, for users who "send a photo" in tests."""
    row = b"\x00" + bytes(rgb) * width
    raw = row * height

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
