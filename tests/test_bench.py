"""The benchmark's own parts (bench/): what it measures, and the peers' projects it writes.

The timings themselves are `make bench`'s business, not the tests'; these check that its
figures measure what they say and that every peer is given the same site.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench import peers
from bench.corpus import generate
from bench.measure import measure


@pytest.mark.parametrize("sample", [False, True])
def test_measure_counts_the_memory_and_cpu_of_the_command_and_its_workers(sample):
    code = (
        "import os, time\n"
        "block = bytearray(150 * 2**20)\n"
        "for i in range(0, len(block), 4096): block[i] = 1\n"
        "if os.fork() == 0:\n"
        "    end = time.process_time() + 0.3\n"
        "    while time.process_time() < end: pass\n"
        "    os._exit(0)\n"
        "os.wait()\n"
    )
    m = measure([sys.executable, "-c", code], sample=sample)
    assert m.returncode == 0
    # The largest process holds the block; sampled, the child's share of it is counted
    # once with the parent's, not twice.
    assert 150 <= m.peak_mb < 250
    assert m.cpu >= 0.3  # the child's busy loop is in
    assert m.wall >= 0.3


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    folder = tmp_path_factory.mktemp("corpus") / "content"
    return folder, generate(folder, actors=30)


@pytest.mark.parametrize("peer", peers.PEERS)
def test_every_peer_gets_every_page_in_both_languages_with_its_links(peer, corpus, tmp_path):
    corpus, counts = corpus
    project = peers.prepare(peer, corpus, tmp_path / peer)
    sources = sorted(path.relative_to(corpus) for path in corpus.glob("*/*.md"))
    assert len(sources) == 2 * (counts["actors"] + counts["topics"])
    written = {path.relative_to(project).as_posix(): path for path in project.rglob("*.md")}
    for source in sources:
        page = next(text for name, text in written.items() if name.endswith(source.as_posix()))
        text = page.read_text(encoding="utf-8")
        assert "[[" not in text  # every wiki link is the peer's own kind of link
        if "[[" in (corpus / source).read_text(encoding="utf-8"):
            assert "](" in text
