"""assets/ files → names that carry a hash of their content, and the map to find them.

Input: the files of assets/ (site path → bytes). Output: the same files under names
such as `assets/style.3f2a9c1d.css`, and a map from each original path to its new
one, which the templates use (`asset('style.css')`). A changed file gets a new name,
so hosts may let browsers cache assets forever. References between assets (a
stylesheet's `url(…)` to a font or picture) are rewritten to the new names first, so
a stylesheet's own hash covers the names it refers to.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Mapping

# url(...) in a stylesheet, quoted or not; data: and absolute URLs are left alone.
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")


def content_name(path: str, data: bytes) -> str:
    """`assets/style.css` → `assets/style.<8 hex digits of its hash>.css`."""
    stem, dot, extension = path.rpartition(".")
    digest = hashlib.sha256(data).hexdigest()[:8]
    return f"{stem}.{digest}.{extension}" if dot and "/" not in extension else f"{path}.{digest}"


def fingerprint(
    files: Mapping[str, bytes], known: Mapping[str, str] | None = None
) -> tuple[dict[str, bytes], dict[str, str]]:
    """Rename every file by its content; returns the renamed files and old → new paths.

    `known` gives the names of files already worked out from the same content (the live
    preview's, for the files that did not change), so they are not hashed again; a
    stylesheet's name is always worked out, since the names it refers to may change.
    """
    known = known or {}
    names: dict[str, str] = {}
    output: dict[str, bytes] = {}
    # Stylesheets last: they may refer to the others, whose new names must be known.
    for path in sorted(files, key=lambda p: (p.endswith(".css"), p)):
        data = files[path]
        if path.endswith(".css"):
            data = _rewrite_css(path, data, names)
            names[path] = content_name(path, data)
        else:
            names[path] = known.get(path) or content_name(path, data)
        output[names[path]] = data
    return output, names


def _rewrite_css(path: str, data: bytes, names: Mapping[str, str]) -> bytes:
    folder = posixpath.dirname(path)

    def rename(match: re.Match) -> str:
        quote, target = match.group(1), match.group(2).strip()
        plain, hash_mark, fragment = target.partition("#")
        if re.match(r"^[a-z][a-z0-9+.-]*:|^/", plain):
            return match.group(0)
        resolved = posixpath.normpath(posixpath.join(folder, plain))
        if resolved not in names:
            return match.group(0)
        new = posixpath.relpath(names[resolved], folder)
        return f"url({quote}{new}{hash_mark}{fragment}{quote})"

    return _CSS_URL.sub(rename, data.decode("utf-8")).encode("utf-8")
