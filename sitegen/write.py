"""The only code that touches output/: build the new site aside, then swap it in whole.

Input: the rendered files (site path → bytes). The new site is written into a fresh
folder beside output/ and then put in place with two renames, so a visitor or a
preview server never sees a half-written site, a failed build never reaches this
module, and files of pages that no longer exist are gone with the old folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

# Marks a folder as made by this generator, so replacing it cannot destroy other work.
MARKER = ".sitegen-output"


class UnsafeOutputError(Exception):
    """The output folder must not be replaced: what is wrong and what to do instead."""

    def __init__(self, path: Path, what: str, how: str):
        super().__init__(f"{path}: {what} — {how}")
        self.path, self.what, self.how = path, what, how


def check_output_dir(output_dir: Path, protected: list[Path], content_dir: Path) -> None:
    """Refuse an output folder whose replacement would delete something of value.

    `protected` folders must not be the output folder or inside it; the output folder
    must not be inside `content_dir`, where it would be read as content.
    """
    target = output_dir.resolve()
    if target == Path(target.anchor) or target == Path.home().resolve():
        raise UnsafeOutputError(
            output_dir, "refusing to replace this folder", "choose a folder of its own, e.g. output/"
        )
    for keep in (*protected, content_dir):
        if keep.resolve().is_relative_to(target):
            raise UnsafeOutputError(
                output_dir, f"replacing it would delete {keep}", "choose a separate folder, e.g. output/"
            )
    if target.is_relative_to(content_dir.resolve()):
        raise UnsafeOutputError(
            output_dir, "the output folder is inside the content folder", "choose a folder outside it, e.g. output/"
        )
    if target.exists() and not target.is_dir():
        raise UnsafeOutputError(output_dir, "exists and is not a folder", "remove it or choose another output folder")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).exists():
        raise UnsafeOutputError(
            output_dir,
            "the folder holds files this generator did not write",
            "empty it or choose another output folder",
        )


def write_site(files: Mapping[str, bytes], output_dir: Path, sources: Mapping[str, str] | None = None) -> None:
    """Write `files` into a new folder and swap it in place of `output_dir`.

    The marker file also records which source file each page came from (`sources`),
    so `check` can name it beside a problem it finds in the built page.
    """
    output_dir = output_dir.absolute()
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.new-", dir=output_dir.parent))
    try:
        for name, data in sorted(files.items()):
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        marker = {
            "about": "Made by the site generator; this folder is replaced on every build.",
            "sources": dict(sorted((sources or {}).items())),
        }
        (staging / MARKER).write_text(json.dumps(marker, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        os.chmod(staging, 0o755)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _swap(staging, output_dir)


def _swap(staging: Path, output_dir: Path) -> None:
    if not output_dir.exists():
        staging.rename(output_dir)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.old-", dir=output_dir.parent))
    retired.rmdir()
    output_dir.rename(retired)
    try:
        staging.rename(output_dir)
    except BaseException:
        retired.rename(output_dir)  # put the last good site back
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(retired, ignore_errors=True)


# A fixed time for every zip entry, so the same site gives the same zip, byte for byte.
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def write_zip(files: Mapping[str, bytes], zip_path: Path, folder: str) -> None:
    """The site as a zip with one top folder, written aside and renamed into place.

    Entries are sorted and carry a fixed date, so packing the same site twice gives the
    same bytes.
    """
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{zip_path.name}.", dir=zip_path.parent)
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(files):
                entry = zipfile.ZipInfo(f"{folder}/{name}", date_time=_ZIP_TIME)
                entry.external_attr = 0o644 << 16
                entry.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(entry, files[name])
        os.replace(temporary, zip_path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_sources(output_dir: Path) -> dict[str, str]:
    """The page → source file record a build left in its marker file ({} if none)."""
    try:
        return json.loads((output_dir / MARKER).read_text(encoding="utf-8")).get("sources", {})
    except (OSError, ValueError, AttributeError):
        return {}
