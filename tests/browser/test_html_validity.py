"""Every built HTML page, the stylesheet and any SVG file, checked by the W3C Nu Html Checker
(vnu.jar, the checker behind validator.w3.org/nu) in a single Java run.

vnu.jar comes from the npm package vnu-jar: `make test-browser` installs the version named
by VNU_VERSION in the Makefile into .venv/vnu and passes the jar's path in VNU_JAR. It
needs Java 17 or newer (apt-get install default-jre-headless).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pytest

from sitegen.pipeline import PROJECT_DIR

from .browsing import ServedSite

pytestmark = pytest.mark.browser
# What the checker wrongly calls an error. paint-order is CSS Fill and Stroke Level 3, in
# every current browser, but missing from the CSS validator's list of properties.
CHECKER_GAPS = ("Property “paint-order” doesn't exist",)
VNU_JAR = Path(os.environ.get("VNU_JAR", PROJECT_DIR / ".venv/vnu/node_modules/vnu-jar/build/dist/vnu.jar"))


def test_every_page_stylesheet_and_svg_is_valid(served_site: ServedSite):
    java = shutil.which("java")
    assert java, "the HTML check needs Java 17+: apt-get install default-jre-headless"
    assert VNU_JAR.is_file(), f"no vnu.jar at {VNU_JAR}: `make test-browser` installs it"
    root = served_site.root
    # Named one by one: given the folder, vnu would read feed.xml and sitemap.xml as HTML.
    files = sorted(path for suffix in ("html", "css", "svg") for path in root.rglob(f"*.{suffix}"))
    assert sum(path.suffix == ".html" for path in files) > 100, files  # the whole real site
    completed = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--format", "json", "--errors-only", "--also-check-css", "--also-check-svg"]
        + ["--stdout", "--exit-zero-always", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    messages = json.loads(completed.stdout)["messages"]
    errors = [
        _describe(message, served_site)
        for message in messages
        if message["type"] != "info" and not any(gap in message.get("message", "") for gap in CHECKER_GAPS)
    ]
    assert not errors, f"the Nu Html Checker found {len(errors)} errors:\n" + "\n".join(errors)


def _describe(message: dict, site: ServedSite) -> str:
    """`file:line:column: message`, the file as it is named below the site's root."""
    url = message.get("url", "")
    name = Path(url2pathname(urlsplit(url).path)).resolve().relative_to(site.root.resolve()).as_posix() if url else "?"
    line = message.get("firstLine", message.get("lastLine", 0))
    column = message.get("firstColumn", 0)
    made_from = f" (made from {site.sources[name]})" if name in site.sources else ""
    extract = f"\n    {' '.join(message['extract'].split())}" if message.get("extract") else ""
    return f"{name}:{line}:{column}{made_from}: {message['message']}{extract}"
