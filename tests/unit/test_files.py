"""The attachment store: hashing, dedup, MIME detection, limits, TTL, concurrency, cleanup."""

from __future__ import annotations

import hashlib
import io
import multiprocessing
import os
import struct
import threading
import time
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codex.errors import AttachmentError, AttachmentTooLargeError, CodexError, ConfigurationError
from codex.files import FileStore, detect_mime_type
from codex.inputs import LocalImageInput, TextInput


def png_bytes(width: int = 2, height: int = 2, rgb: tuple[int, int, int] = (255, 0, 0)) -> bytes:
    """A valid PNG of one color."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def object_files(store: FileStore) -> list[Path]:
    objects = store.root / "objects"
    return sorted(path for path in objects.rglob("*") if path.is_file()) if objects.is_dir() else []


def leftovers(store: FileStore) -> list[Path]:
    tmp = store.root / "tmp"
    return list(tmp.iterdir()) if tmp.is_dir() else []


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "attachments", prune_interval=None)


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


# -- hashing and dedup ------------------------------------------------------------
def test_stage_bytes_is_content_addressed(store: FileStore) -> None:
    data = b"hello attachments\n"
    attachment = store.stage(data, name="hello.txt")
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    assert attachment.path.read_bytes() == data
    assert attachment.path.name.startswith(attachment.sha256)
    assert attachment.path.parent.name == attachment.sha256[:2]
    assert attachment.size == len(data)
    assert attachment.name == "hello.txt"
    assert attachment.mime_type == "text/plain"
    assert leftovers(store) == []


def test_same_content_is_stored_once_from_any_source(store: FileStore, tmp_path: Path) -> None:
    data = png_bytes()
    source = tmp_path / "picture.png"
    source.write_bytes(data)
    from_path = store.stage(source)
    from_str = store.stage(str(source))
    from_bytes = store.stage(data, name="other-name.png")
    from_file = store.stage(io.BytesIO(data))
    assert {a.path for a in (from_path, from_str, from_bytes, from_file)} == {from_path.path}
    assert object_files(store) == [from_path.path]
    assert from_path.name == "picture.png"
    assert from_bytes.name == "other-name.png"
    assert from_file.name == f"{from_path.sha256[:12]}.png"


def test_staging_stored_content_writes_nothing(store: FileStore, tmp_path: Path) -> None:
    source = tmp_path / "known.bin"
    source.write_bytes(b"known content")
    first = store.stage(source)
    (store.root / "tmp").rmdir()
    assert store.stage(source).path == first.path
    assert store.stage(b"known content").path == first.path
    assert not (store.root / "tmp").exists()  # found by digest: no copy was started


def test_different_content_gets_different_objects(store: FileStore) -> None:
    first = store.stage(b"one")
    second = store.stage(b"two")
    assert first.path != second.path
    assert len(object_files(store)) == 2


def test_stored_objects_are_read_only(store: FileStore) -> None:
    attachment = store.stage(b"do not edit me")
    assert attachment.path.stat().st_mode & 0o222 == 0


def test_get_list_remove(store: FileStore) -> None:
    attachment = store.stage(png_bytes(), name="a.png")
    found = store.get(attachment.sha256)
    assert found is not None
    assert (found.path, found.size, found.mime_type) == (attachment.path, attachment.size, "image/png")
    assert attachment.sha256 in store
    assert [a.sha256 for a in store.list()] == [attachment.sha256]
    assert store.remove(attachment) is True
    assert store.remove(attachment.sha256) is False
    assert store.get(attachment.sha256) is None
    with pytest.raises(AttachmentError):
        store.get("../../etc/passwd")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(min_size=1, max_size=80), data=st.binary(max_size=2048))
def test_any_name_and_content_round_trip_inside_the_store(store: FileStore, name: str, data: bytes) -> None:
    attachment = store.stage(data, name=name)
    assert attachment.name == name
    assert attachment.path.read_bytes() == data
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    # The name is display only: it never shapes where the bytes go.
    assert attachment.path.resolve().is_relative_to((store.root / "objects").resolve())
    assert attachment.path.name.startswith(attachment.sha256)


# -- MIME detection -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("head", "name", "expected"),
    [
        (png_bytes(), None, "image/png"),
        (png_bytes(), "lies.txt", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", None, "image/jpeg"),
        (b"GIF89a\x01\x00\x01\x00", None, "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", None, "image/webp"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None, "audio/wav"),
        (b"%PDF-1.7\n", "report.bin", "application/pdf"),
        (b"PK\x03\x04\x14\x00", "archive.zip", "application/zip"),
        (
            b"PK\x03\x04\x14\x00",
            "letter.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (b"\x00\x00\x00\x18ftypmp42", None, "video/mp4"),
        (b'{"a": 1}', "data.json", "application/json"),
        (b"a,b\n1,2\n", "table.csv", "text/csv"),
        (b"plain words", None, "text/plain"),
        (b"caf\xc3", None, "text/plain"),  # a character cut at the end of the sample
        (b"not a png at all", "fake.png", "text/plain"),
        (b"\x00\x01\x02\x03binary", None, "application/octet-stream"),
        (b"\x00\x01\x02\x03binary", "fake.png", "application/octet-stream"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', None, "image/svg+xml"),
    ],
)
def test_detect_mime_type(head: bytes, name: str | None, expected: str) -> None:
    assert detect_mime_type(head, name) == expected


def test_only_engine_images_become_image_inputs(store: FileStore) -> None:
    image = store.stage(png_bytes(), name="dot.png")
    assert image.is_image
    assert image.as_input() == LocalImageInput(str(image.path))
    svg = store.stage(b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', name="icon.svg")
    document = store.stage(b"%PDF-1.4\n", name="paper.pdf")
    for attachment in (svg, document):
        assert not attachment.is_image
        item = attachment.as_input()
        assert isinstance(item, TextInput)
        assert str(attachment.path) in item.text
        assert attachment.name in item.text
        assert attachment.mime_type in item.text


def test_mime_type_override(store: FileStore) -> None:
    assert store.stage(b"x", mime_type="application/x-custom").mime_type == "application/x-custom"
    with pytest.raises(AttachmentError):
        store.stage(b"x", mime_type="nonsense")


# -- limits and bad input ------------------------------------------------------------
def test_size_limit(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "s", max_bytes=10, prune_interval=None)
    with pytest.raises(AttachmentTooLargeError):
        store.stage(b"x" * 11)
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 11)
    with pytest.raises(AttachmentTooLargeError):
        store.stage(big)
    # A stream has no size up front: it is cut off while copying.
    with pytest.raises(AttachmentTooLargeError):
        store.stage(io.BytesIO(b"x" * 11))
    assert object_files(store) == []
    assert leftovers(store) == []
    assert store.stage(b"x" * 10).size == 10
    assert isinstance(AttachmentTooLargeError("x"), CodexError)


def test_bad_sources_raise_typed_errors(store: FileStore, tmp_path: Path) -> None:
    with pytest.raises(AttachmentError, match="not a file"):
        store.stage(tmp_path / "missing.txt")
    with pytest.raises(AttachmentError, match="not a file"):
        store.stage(tmp_path)
    with pytest.raises(AttachmentError, match="cannot stage"):
        store.stage(12345)  # type: ignore[arg-type]
    text_file = tmp_path / "t.txt"
    text_file.write_text("text")
    with open(text_file) as handle, pytest.raises(AttachmentError, match="binary mode"):
        store.stage(handle)  # type: ignore[arg-type]
    assert leftovers(store) == []
    assert store.stage(b"still works").size == 11


def test_bad_store_options() -> None:
    with pytest.raises(ConfigurationError):
        FileStore("/tmp/x", max_bytes=-1)
    with pytest.raises(ConfigurationError):
        FileStore("/tmp/x", ttl=-5)


# -- TTL --------------------------------------------------------------------------------
def test_prune_removes_only_old_objects(store: FileStore) -> None:
    old = store.stage(b"old")
    fresh = store.stage(b"fresh")
    age(old.path, 3600)
    assert store.prune(older_than=60) == 1
    assert not old.path.exists()
    assert fresh.path.exists()
    assert store.prune(older_than=60) == 0


def test_staging_again_refreshes_the_ttl(store: FileStore) -> None:
    first = store.stage(b"kept alive")
    age(first.path, 3600)
    store.stage(b"kept alive")
    assert store.prune(older_than=60) == 0
    assert first.path.exists()


def test_prune_defaults_to_the_store_ttl(tmp_path: Path) -> None:
    from datetime import timedelta

    store = FileStore(tmp_path / "s", ttl=timedelta(minutes=5), prune_interval=None)
    attachment = store.stage(b"x")
    age(attachment.path, 200)
    assert store.prune() == 0
    age(attachment.path, 400)
    assert store.prune() == 1


def test_automatic_pruning_runs_at_most_once_per_interval(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "s", ttl=60, prune_interval=3600)
    old = store.stage(b"old")
    age(old.path, 7200)
    marker = store.root / ".last-prune"
    # The first stage pruned (nothing was old then) and set the marker.
    assert marker.exists()
    store.stage(b"another")
    assert old.path.exists()  # the interval has not passed
    age(marker, 7200)
    store.stage(b"one more")
    assert not old.path.exists()


def test_prune_drops_abandoned_writes(store: FileStore) -> None:
    store.stage(b"x")
    abandoned = store.root / "tmp" / "stage-crashed"
    abandoned.write_bytes(b"partial")
    age(abandoned, 7200)
    recent = store.root / "tmp" / "stage-in-progress"
    recent.write_bytes(b"partial")
    store.prune(older_than=60)
    assert not abandoned.exists()
    assert recent.exists()


# -- temporary attachments ----------------------------------------------------------------
def test_temporary_removes_what_it_added(store: FileStore) -> None:
    with store.temporary(b"scratch", name="s.txt") as attachment:
        assert attachment.path.read_bytes() == b"scratch"
    assert not attachment.path.exists()
    assert not any((store.root / "holds").iterdir())


def test_temporary_cleans_up_on_exception(store: FileStore) -> None:
    class BoomError(Exception):
        pass

    seen: list[Path] = []

    def use_and_fail() -> None:
        with store.temporary(png_bytes()) as attachment:
            seen.append(attachment.path)
            assert attachment.path.exists()
            raise BoomError

    with pytest.raises(BoomError):
        use_and_fail()
    assert not seen[0].exists()
    assert object_files(store) == []


def test_temporary_keeps_content_that_was_already_stored(store: FileStore) -> None:
    kept = store.stage(b"permanent")
    with store.temporary(b"permanent") as attachment:
        assert attachment.path == kept.path
    assert kept.path.exists()


def test_temporary_keeps_content_staged_meanwhile(store: FileStore) -> None:
    with store.temporary(b"shared later") as attachment:
        store.stage(b"shared later")
    assert attachment.path.exists()


def test_nested_temporaries_of_the_same_content(store: FileStore) -> None:
    with store.temporary(b"twice") as outer:
        with store.temporary(b"twice") as inner:
            assert inner.path == outer.path
        assert outer.path.exists()  # the outer block still holds it
    assert not outer.path.exists()


def test_overlapping_temporaries_the_last_one_removes(store: FileStore) -> None:
    first = store.temporary(b"overlap")
    second = store.temporary(b"overlap")
    a = first.__enter__()
    b = second.__enter__()
    first.__exit__(None, None, None)
    assert b.path.exists()  # still held by the second block
    second.__exit__(None, None, None)
    assert not a.path.exists()
    assert not any((store.root / "ephemeral").iterdir())


def test_prune_skips_held_objects(store: FileStore) -> None:
    with store.temporary(b"held") as attachment:
        assert store.prune(older_than=0) == 0
        assert attachment.path.exists()
    assert not attachment.path.exists()


def test_prune_forgets_holds_of_dead_processes(store: FileStore) -> None:
    attachment = store.stage(b"orphaned hold")
    holds = store.root / "holds"
    holds.mkdir(exist_ok=True)
    process = multiprocessing.get_context("spawn").Process(target=int)
    process.start()
    process.join()
    (holds / f"{attachment.sha256}.{process.pid}.deadbeef").touch()
    age(attachment.path, 7200)
    assert store.prune(older_than=60) == 1
    assert list(holds.iterdir()) == []


# -- concurrency ----------------------------------------------------------------------------
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(contents=st.lists(st.binary(min_size=0, max_size=70_000), min_size=1, max_size=4))
def test_threads_staging_the_same_content_at_once(tmp_path: Path, contents: list[bytes]) -> None:
    store = FileStore(tmp_path / f"threads-{os.urandom(4).hex()}", prune_interval=None)
    barrier = threading.Barrier(8)
    results: list[tuple[str, Path]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait()
            for data in contents:
                attachment = store.stage(data)
                with lock:
                    results.append((attachment.sha256, attachment.path))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    unique = {hashlib.sha256(data).hexdigest(): data for data in contents}
    assert {digest for digest, _ in results} == set(unique)
    assert len(object_files(store)) == len(unique)
    for path in object_files(store):
        assert path.read_bytes() == unique[path.name[:64]]
    assert leftovers(store) == []


def _stage_in_process(root: str, source: str, count: int) -> list[str]:
    store = FileStore(root, prune_interval=0)
    paths = []
    for index in range(count):
        paths.append(str(store.stage(source).path))
        paths.append(str(store.stage(f"process-{os.getpid()}-{index}".encode()).path))
    return paths


def test_processes_staging_the_same_file_at_once(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    source = tmp_path / "shared.bin"
    source.write_bytes(data)
    root = tmp_path / "store"
    workers = 4
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        outputs = pool.starmap(_stage_in_process, [(str(root), str(source), 5)] * workers)
    store = FileStore(root, prune_interval=None)
    shared = {paths[0] for paths in outputs}
    assert len(shared) == 1
    (shared_path,) = shared
    assert Path(shared_path).read_bytes() == data
    # One shared object plus 5 distinct ones per process; nothing left half-written.
    assert len(object_files(store)) == 1 + 5 * workers
    assert leftovers(store) == []


def test_temporaries_and_pruning_at_once(store: FileStore) -> None:
    """Held content stays readable while others prune and release; nothing is left at the end."""
    data = b"contended" * 1000
    stop = threading.Event()
    errors: list[BaseException] = []

    def user() -> None:
        try:
            for _ in range(40):
                with store.temporary(data) as attachment:
                    assert attachment.path.read_bytes() == data
        except BaseException as exc:
            errors.append(exc)

    def pruner() -> None:
        try:
            while not stop.is_set():
                store.prune(older_than=0)
        except BaseException as exc:
            errors.append(exc)

    users = [threading.Thread(target=user) for _ in range(6)]
    cleaner = threading.Thread(target=pruner)
    cleaner.start()
    for thread in users:
        thread.start()
    for thread in users:
        thread.join()
    stop.set()
    cleaner.join()
    assert errors == []
    assert object_files(store) == []
    assert list((store.root / "holds").iterdir()) == []


def _stage_all(root: str, items: list[tuple[str, bytes]]) -> list[tuple[str, str, str]]:
    store = FileStore(root, prune_interval=0)
    return [(name, a.sha256, str(a.path)) for name, a in ((n, store.stage(d, name=n)) for n, d in items)]


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(st.tuples(st.text(min_size=1, max_size=30), st.binary(max_size=50_000)), min_size=1, max_size=6))
def test_processes_staging_generated_names_and_contents(tmp_path: Path, items: list[tuple[str, bytes]]) -> None:
    root = tmp_path / f"store-{os.urandom(4).hex()}"
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        outputs = pool.starmap(_stage_all, [(str(root), items)] * 3)
    expected = {hashlib.sha256(data).hexdigest(): data for _name, data in items}
    store = FileStore(root, prune_interval=None)
    assert {path.name[:64] for path in object_files(store)} == set(expected)
    for output in outputs:
        assert [name for name, _digest, _path in output] == [name for name, _data in items]
        for _name, digest, path in output:
            assert Path(path).read_bytes() == expected[digest]
    assert leftovers(store) == []
