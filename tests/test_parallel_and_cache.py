"""Parallel builds, the cache kept on disk and builds with nothing to do (issue 9).

Each way of building must give the files a plain build gives, byte for byte: one
process without a cache is the reference. The corpus is the benchmark's, small.
"""

from __future__ import annotations

import errno
import functools
import gc
import multiprocessing
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from conftest import build_into, run_cli, snapshot

from bench.corpus import generate
from sitegen import load, memo, network, parallel, pipeline, publish, render, search, store, translations, write
from sitegen.errors import Problems
from sitegen.markup import MarkdownRenderer
from sitegen.memo import BuildCache, Memo
from sitegen.pipeline import PROJECT_DIR, BuildOptions, load_content
from sitegen.write import MARKER


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus") / "content"
    generate(folder, actors=80)
    return folder


@pytest.fixture(scope="module")
def reference(corpus: Path, tmp_path_factory) -> dict[str, bytes]:
    """The corpus built by one process with no cache."""
    output = tmp_path_factory.mktemp("reference") / "output"
    result = build_into(corpus, output, jobs=1)
    assert not result.problems.errors
    assert result.pages > 160
    return site_files(output)


@pytest.fixture
def conversions(monkeypatch) -> list[str]:
    """The address of every body converted in this process from now on."""
    converted = []
    render = MarkdownRenderer.render

    def counted(self, text, page_url, resolve):
        converted.append(page_url)
        return render(self, text, page_url, resolve)

    monkeypatch.setattr(MarkdownRenderer, "render", counted)
    return converted


@pytest.fixture
def made(monkeypatch) -> dict[str, list[str]]:
    """The content files parsed, the search entries made, the network pictures laid out
    and drawn, the sitemaps made and the translation sources fingerprinted, in this
    process from now on."""
    found = {"parsed": [], "search": [], "layouts": [], "pictures": [], "sitemaps": [], "fingerprints": []}
    parse, encode, layout = load._parse_file, search.encode, network.layout
    draw, sitemap, fingerprint = network.network_svg, publish.sitemap, translations.fingerprint

    def parsed(path, *args):
        found["parsed"].append(path.name)
        return parse(path, *args)

    def encoded(version, section):
        found["search"].append(version.url)
        return encode(version, section)

    def laid_out(ids, *args):
        found["layouts"].append(len(ids))
        return layout(ids, *args)

    def drawn(nodes, *args, **options):
        found["pictures"].append(options["title"])
        return draw(nodes, *args, **options)

    def mapped(pages):
        found["sitemaps"].append(len(pages))
        return sitemap(pages)

    def fingerprinted(text):
        found["fingerprints"].append(text["title"])
        return fingerprint(text)

    monkeypatch.setattr(translations, "fingerprint", fingerprinted)
    monkeypatch.setattr(network, "network_svg", drawn)
    monkeypatch.setattr(publish, "sitemap", mapped)
    monkeypatch.setattr(load, "_parse_file", parsed)
    monkeypatch.setattr(search, "encode", encoded)
    monkeypatch.setattr(network, "layout", laid_out)
    return found


def site_files(output: Path) -> dict[str, bytes]:
    """The files of the built site, without the marker (it names the source files' paths)."""
    files = snapshot(output)
    assert files.pop(MARKER)
    return files


def reference_pages(files: dict[str, bytes]) -> int:
    """How many pages a sitemap of the site lists: all but the 404 page."""
    return sum(name.endswith(".html") for name in files) - 1


def copy_of(corpus: Path, tmp_path: Path) -> Path:
    content = tmp_path / "content"
    shutil.copytree(corpus, content)
    old = time.time() - 60  # older than the racy window, as files saved a while ago are
    for path in content.rglob("*"):
        os.utime(path, (old, old))
    return content


def edit(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
    old = time.time() - 30
    os.utime(path, (old, old))


_CHUNK_LOG: dict[str, Path] = {}


def _logged_chunk(indices):
    """`parallel._run_chunk`, noting the worker that did the chunk (found by name in the
    workers, which are forked from the test)."""
    with _CHUNK_LOG["path"].open("a", encoding="utf-8") as log:
        log.write(f"{os.getpid()} {parallel._work[0].__name__}\n")
    return _run_chunk(indices)


_run_chunk = parallel._run_chunk


def test_a_parallel_build_gives_the_files_of_a_plain_build(corpus, reference, tmp_path, monkeypatch):
    pools = []
    fork = multiprocessing.get_context("fork")

    class Counting:
        def Pool(self, processes, **options):  # noqa: N802 (multiprocessing's name)
            pools.append((processes, options["maxtasksperchild"]))
            return fork.Pool(processes, **options)

    monkeypatch.setattr(parallel.multiprocessing, "get_context", lambda method: Counting())
    writers = tmp_path / "writers"
    write_file = write._write_file

    def logged(path, data):  # runs in whichever process writes the file
        with writers.open("a", encoding="utf-8") as log:
            log.write(f"{os.getpid()} {path.parent.name}/{path.name} {gc.isenabled()}\n")
        return write_file(path, data)

    monkeypatch.setattr(write, "_write_file", logged)
    monkeypatch.setattr(parallel, "_run_chunk", _logged_chunk)
    monkeypatch.setitem(_CHUNK_LOG, "path", tmp_path / "chunks")
    result = build_into(corpus, tmp_path / "output", jobs=2)
    assert not result.problems.errors
    assert gc.isenabled()  # again, once the build is done
    # The bodies were converted, and the pages rendered, by two processes at a time; with
    # no pages in the cache, each worker rendering did a few chunks, then a new one took
    # its place. The two that converted did all of it.
    assert [(processes, limit is None) for processes, limit in pools] == [(2, True), (2, False)]
    lifetime = pools[1][1]
    chunks: dict[str, dict[int, int]] = {}
    for line in (tmp_path / "chunks").read_text().splitlines():
        pid, work = line.split()
        chunks.setdefault(work, {}).setdefault(int(pid), 0)
        chunks[work][int(pid)] += 1
    rendering = chunks.pop("render")
    assert max(rendering.values()) <= lifetime < sum(rendering.values()) and len(rendering) > 2 * 2
    assert [len(converting) for converting in chunks.values()] in ([1], [2])  # no new ones
    assert site_files(tmp_path / "output") == reference
    # Each worker wrote the pages it rendered; this process wrote the rest (assets, sitemap…),
    # with the pages it made while they rendered: the search pages and the topic overviews.
    by_process = {}
    collecting = {}
    for line in writers.read_text(encoding="utf-8").splitlines():
        pid, name, enabled = line.split()
        by_process.setdefault(int(pid), []).append(name)
        collecting[int(pid)] = enabled == "True"
    # The build paused the cycle collector in its own process; the workers collect.
    assert collecting.pop(os.getpid()) is False and set(collecting.values()) == {True}
    mine = by_process.pop(os.getpid())
    assert 2 < len(by_process) <= len(rendering)  # the pool's workers, renewed as they go
    assert {name.rpartition("/")[2] for names in by_process.values() for name in names} == {"index.html", "404.html"}
    made_here = made_by_the_build(result.site)
    pages_here = [name for name in mine if name.endswith(("/index.html", "/404.html"))]
    assert sorted(pages_here) == sorted("/".join(path.split("/")[-2:]) for path in made_here)
    assert sum(map(len, by_process.values())) + len(made_here) == result.pages


def made_by_the_build(site) -> set[str]:
    """The pages a build with a cache renders in its own process while the workers render
    the others: the search pages and the topic overviews (with the network pictures it
    keeps)."""
    urls = [site.search_url(lang) for lang in site.config.languages]
    urls += [site.section_url("topics", lang) for lang in site.config.languages]
    return {url + "index.html" for url in urls}


def test_the_workers_keep_the_pages_they_render_and_the_build_process_never_holds_them(
    corpus, reference, tmp_path, monkeypatch
):
    """A worker writes the pages it renders into the new folder and keeps their cache
    entries in a file of its own; the build process gets neither their bytes nor pickles
    them, and the next build finds every page in the cache."""
    pickled = []
    save_pages = store.save_pages

    def recorded(folder, memo, shards=None):
        pickled.append({key: value for key, value in memo.items() if isinstance(key, str)})
        save_pages(folder, memo, shards)

    output, cache = tmp_path / "output", tmp_path / ".sitegen-cache"
    monkeypatch.setattr(store, "save_pages", recorded)
    result = build_into(corpus, output, cache_dir=cache, jobs=2)
    assert not result.problems.errors
    assert site_files(output) == reference
    pages = {name for name in reference if name.endswith(".html")}
    made_here = made_by_the_build(result.site)
    assert {name for name, data in result.files.items() if data is write.ON_DISK} == pages - made_here
    [held] = pickled
    held_pages = [files for files, _ in (v for v in held.values() if isinstance(v, tuple))]
    assert all(write.ON_DISK in files.values() or files.keys() <= made_here for files in held_pages)

    # The pages file names the workers' folder: a file for each of the workers (renewed as
    # they go), together every page, with its bytes.
    stored = store._read(cache / store.PAGES_FILE)
    assert sorted(path.name for path in cache.iterdir() if "pages" in path.name) == sorted(
        [store.PAGES_FILE, stored["shards"]]
    )
    assert len(list((cache / stored["shards"]).iterdir())) > 2
    stored_pages = [files for files, _ in (v for v in stored["entries"].values() if isinstance(v, tuple))]
    assert {name: data for files in stored_pages for name, data in files.items()} == {
        name: reference[name] for name in made_here
    }
    memo = Memo()
    assert store.load_pages(cache, memo) == len(pages) + 1  # and the sitemap
    kept = {name: data for _, value in memo.items() if isinstance(value, tuple) for name, data in value[0].items()}
    assert kept == {name: reference[name] for name in pages}

    shutil.rmtree(output)
    warm = build_into(corpus, output, cache_dir=cache, jobs=2)
    assert warm.counts == {"rendered": 0, "reused": len(pages)}
    assert site_files(output) == reference


def test_the_folders_of_pages_a_build_no_longer_names_are_deleted(corpus, tmp_path, monkeypatch):
    """Only the pages folder the pages file names is kept; one a stopped build left is
    deleted, one a running build holds is not, and a build with errors keeps none."""
    content, cache = copy_of(corpus, tmp_path), tmp_path / ".sitegen-cache"
    build_into(content, tmp_path / "output", cache_dir=cache, jobs=2)
    first = store._read(cache / store.PAGES_FILE)["shards"]
    left = cache / ".pages-stopped"  # a build stopped while it rendered
    (left / "123").mkdir(parents=True)
    running = store.PageShards(cache)  # another build, still rendering
    running.add([("key", "value")])

    edit(content / "actors" / "akteur-00007.en.md", "\nA new closing sentence.\n")
    result = build_into(content, tmp_path / "output", cache_dir=cache, jobs=2)
    assert result.counts["rendered"] == 3
    second = store._read(cache / store.PAGES_FILE)["shards"]
    assert second != first
    assert sorted(path.name for path in cache.iterdir() if "pages-" in path.name) == sorted(
        [second, running.folder.name]
    )
    running.close()
    assert not running.folder.exists()

    (content / "actors" / "akteur-00007.en.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
    assert build_into(content, tmp_path / "output", cache_dir=cache, jobs=2).problems.errors
    assert [path.name for path in cache.iterdir() if "pages-" in path.name] == [second]


def test_the_workers_digest_nothing_but_the_keys_of_the_pages_they_render(corpus, reference, tmp_path, monkeypatch):
    """The list items and the digests of the model's objects, of which the pages' cache
    keys are made, are made before the workers are forked: each worker (four, one after
    another, in each process) would otherwise work out those of its pages again."""
    log, digest, build_process = tmp_path / "digests", memo.Fingerprint.digest, os.getpid()

    def logged(self, *values):
        if os.getpid() != build_process:
            with log.open("a", encoding="utf-8") as out:
                out.write(f"{os.getpid()}\n")
        return digest(self, *values)

    monkeypatch.setattr(memo.Fingerprint, "digest", logged)
    result = build_into(corpus, tmp_path / "output", cache_dir=tmp_path / "cache", jobs=2)
    assert result.written and result.counts["rendered"] == len([n for n in reference if n.endswith(".html")])
    digests = log.read_text(encoding="utf-8").split()
    assert len(set(digests)) > 2  # renewed workers
    # Each key of the pages they render, and nothing else.
    assert len(digests) == result.counts["rendered"] - len(made_by_the_build(result.site))
    assert site_files(tmp_path / "output") == reference


def test_only_workers_that_render_every_page_are_renewed(corpus, tmp_path, monkeypatch):
    """A cold build renews its rendering workers (their memory grows with every page); a
    warm one, which mostly looks pages up by keys its workers work out, keeps them."""
    limits = []
    fork = multiprocessing.get_context("fork")

    class Recording:
        def Pool(self, processes, **options):  # noqa: N802 (multiprocessing's name)
            limits.append(options["maxtasksperchild"])
            return fork.Pool(processes, **options)

    monkeypatch.setattr(parallel.multiprocessing, "get_context", lambda method: Recording())
    output, cache = tmp_path / "output", tmp_path / ".sitegen-cache"
    assert build_into(corpus, output, cache_dir=cache, jobs=2).written
    shutil.rmtree(output)
    warm = build_into(corpus, output, cache_dir=cache, jobs=2)
    assert warm.written and warm.counts["rendered"] == 0
    assert [limit is None for limit in limits] == [True, False, True]  # converting, rendering; rendering


def test_a_one_process_build_collects_only_while_it_renders(corpus, tmp_path, monkeypatch):
    """The collector is paused while the build reads (its objects last), and on while it
    renders (which leaves garbage behind); afterwards nothing is left set aside."""
    collecting = {"parsed": set(), "pages": set()}
    parse, write_file = load._parse_file, write._write_file

    def parsed(path, *args):
        collecting["parsed"].add(gc.isenabled())
        return parse(path, *args)

    def written(path, data):
        if path.name == "index.html":
            collecting["pages"].add(gc.isenabled())
        return write_file(path, data)

    monkeypatch.setattr(load, "_parse_file", parsed)
    monkeypatch.setattr(write, "_write_file", written)
    assert not build_into(corpus, tmp_path / "output", jobs=1).problems.errors
    assert collecting == {"parsed": {False}, "pages": {True}}
    assert gc.isenabled() and gc.get_freeze_count() == 0


def _slow_square(log: Path, number: int) -> int:
    time.sleep(0.02)
    with log.open("a", encoding="utf-8") as out:
        out.write(f"{os.getpid()} {time.monotonic()}\n")
    return number * number


@pytest.mark.parametrize("jobs, renew", [(1, False), (2, False), (2, True)])
def test_this_process_works_meanwhile_while_the_workers_do_the_items(jobs, renew, tmp_path):
    """Also while workers are renewed: those forked meanwhile start from this process as
    it is then, and only read the items."""
    log, items = tmp_path / "log", list(range(60))
    called = []
    squares = parallel.run_all(
        functools.partial(_slow_square, log), items, jobs, renew, meanwhile=lambda: called.append(time.monotonic())
    )
    assert squares == [n * n for n in items] and len(called) == 1
    done = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    workers = {int(pid) for pid, _ in done}
    if jobs == 1:  # the items first, in this process
        assert workers == {os.getpid()} and called[0] > max(float(t) for _, t in done)
    else:  # before the workers are done
        assert len(workers) > 2 if renew else len(workers) == 2
        assert os.getpid() not in workers and called[0] < max(float(t) for _, t in done)


def test_work_set_aside_is_done_by_another_process_or_here_where_none_can_be_forked(tmp_path, monkeypatch):
    log = tmp_path / "log"

    def note(succeeded: bool) -> bool:
        with log.open("a", encoding="utf-8") as out:
            out.write(f"{os.getpid()}\n")
        return succeeded

    done, failed = parallel.aside(lambda: note(True)), parallel.aside(lambda: note(False))
    assert done() is True and failed() is False and done() is True  # waited for once, then known
    assert len(set(log.read_text().split())) == 2 and str(os.getpid()) not in log.read_text().split()

    log.unlink()
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    later = parallel.aside(lambda: note(True))
    assert log.read_text().split() == [str(os.getpid())]  # at once, here
    assert later() is True


def test_a_process_saving_the_cache_holds_none_of_the_folders_the_build_holds(tmp_path):
    """Forked to save part of the cache, a process lets go of its copies of the handles
    that hold the build's folders: once the build lets go (or is killed), they are free,
    though that process still runs."""
    folder, started, finish = tmp_path / "staging", tmp_path / "started", tmp_path / "finish"
    folder.mkdir()
    handle = write.hold(folder)

    def saving() -> bool:
        started.touch()
        while not finish.exists():
            time.sleep(0.01)
        return True

    done = pipeline._aside(saving)
    try:
        while not started.exists():
            time.sleep(0.01)
        assert write.in_use(folder)
        write.let_go(handle)
        assert not write.in_use(folder)  # the saving process still runs
    finally:
        finish.touch()
    assert done()


def test_what_was_read_and_converted_is_saved_by_another_process_while_the_pages_are_made(
    corpus, reference, tmp_path, monkeypatch
):
    """The cache files of the content files and of the converted bodies are pickled by a
    process forked before the pages are made; the rest by one forked once they are made,
    while the build process writes the other files and swaps the site in."""
    log, order = tmp_path / "saved", []
    savers = {name: getattr(store, name) for name in ("save_files", "save_markdown", "save_search")}

    def logged(name):
        def save(*args):
            with log.open("a", encoding="utf-8") as out:
                out.write(f"{name} {os.getpid()}\n")
            return savers[name](*args)

        return save

    for name in savers:
        monkeypatch.setattr(store, name, logged(name))
    aside, render_site = parallel.aside, pipeline.render_site
    monkeypatch.setattr(parallel, "aside", lambda *args, **options: order.append("forked") or aside(*args, **options))
    monkeypatch.setattr(pipeline, "render_site", lambda *args: order.append("rendered") or render_site(*args))
    publish = write.Staging.publish
    monkeypatch.setattr(write.Staging, "publish", lambda *args: order.append("published") or publish(*args))
    cache = tmp_path / ".sitegen-cache"
    result = build_into(corpus, tmp_path / "output", cache_dir=cache, jobs=2)
    assert result.written and order == ["forked", "rendered", "forked", "published"]
    saved = dict(line.split() for line in log.read_text().splitlines())
    assert saved["save_files"] == saved["save_markdown"] != str(os.getpid())
    assert saved["save_search"] not in (saved["save_files"], str(os.getpid()))
    shutil.rmtree(tmp_path / "output")
    warm = build_into(corpus, tmp_path / "output", cache_dir=cache)
    assert warm.counts == {"rendered": 0, "reused": warm.pages}
    assert site_files(tmp_path / "output") == reference


def test_the_workers_make_the_search_entries_and_this_process_the_network_pictures_meanwhile(
    corpus, reference, tmp_path, monkeypatch
):
    """Each search entry is made by the worker that renders the page it shows, which has
    read its text already; the network pictures by this process, while the workers
    render (a build with one job draws them after its pages)."""
    log, build_process, layout = tmp_path / "entries", os.getpid(), network.layout
    drawn = []

    def laid_out(*args):
        drawn.append((os.getpid(), parallel._work[0].__name__ if parallel._work else None))
        return layout(*args)

    logged_search_entries(log, monkeypatch)
    monkeypatch.setattr(network, "layout", laid_out)
    result = build_into(corpus, tmp_path / "output", cache_dir=tmp_path / "cache", jobs=2)
    assert result.written and site_files(tmp_path / "output") == reference
    made = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    entries = sum(len(result.rendering.search[lang]) for lang in result.site.config.languages)
    assert len(made) == entries and str(build_process) not in {pid for pid, _ in made}
    assert len({pid for pid, _ in made}) > 2  # renewed workers
    assert set(drawn) == {(build_process, "render")}
    # The next build finds every entry in the cache: the workers send none back.
    log.unlink()
    shutil.rmtree(tmp_path / "output")
    warm = build_into(corpus, tmp_path / "output", cache_dir=tmp_path / "cache", jobs=2)
    assert not log.exists() and warm.rendering.search == result.rendering.search
    assert site_files(tmp_path / "output") == reference


@pytest.mark.parametrize("saver, name", [("save_markdown", store.MARKDOWN_FILE), ("save_search", store.SEARCH_FILE)])
def test_a_cache_file_the_other_process_cannot_save_means_no_stamp(corpus, tmp_path, monkeypatch, saver, name):
    """When a forked process cannot save, the build still writes its site, but keeps no
    stamp: the next build looks at everything again rather than trust the cache."""
    content, cache = copy_of(corpus, tmp_path), tmp_path / ".sitegen-cache"

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store, saver, full)
    result = build_into(content, tmp_path / "output", cache_dir=cache)
    assert result.written and not result.problems
    assert not (cache / store.STAMP_FILE).exists() and not (cache / name).exists()
    monkeypatch.undo()
    again = build_into(content, tmp_path / "output", cache_dir=cache)
    assert again.written and not again.unchanged
    assert (cache / store.STAMP_FILE).exists()


def test_the_sort_keys_are_worked_out_while_the_bodies_are_converted(corpus, monkeypatch):
    monkeypatch.setattr(render, "SORT_KEYS", {})
    options = BuildOptions(content_dir=corpus, jobs=2)
    _, site = pipeline.load_site(options, Problems())
    titles = {version.title for entity in site.entities.values() for version in entity.versions.values()}
    cities = {entity.facts["city"] for entity in site.entities.values() if entity.facts.get("city")}
    assert len(titles) > 100 and cities and render.SORT_KEYS.keys() == titles | cities


def test_a_page_that_cannot_be_written_stops_the_build_with_a_message(corpus, tmp_path, monkeypatch):
    content, output = copy_of(corpus, tmp_path), tmp_path / "output"
    assert build_into(content, output, jobs=2).written
    before = snapshot(output)
    edit(content / "actors/akteur-00040.de.md", "\nNeuer Absatz.\n")
    write_file = write._write_file

    def full(path, data):  # in a worker: its page changed, so it is written, not linked
        if path.parent.name == "akteur-00040":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return write_file(path, data)

    monkeypatch.setattr(write, "_write_file", full)
    result = build_into(content, output, jobs=2)
    assert not result.written
    [problem] = result.problems.errors
    assert "cannot write the site" in str(problem) and "No space left on device" in str(problem)
    assert "akteur-00040" in str(problem)
    assert snapshot(output) == before  # the last good site stays, and nothing is left beside it
    assert sorted(path.name for path in tmp_path.iterdir()) == ["content", "output"]


def test_the_parallel_build_reports_what_the_plain_one_reports(tmp_path):
    content = tmp_path / "content"
    generate(content, actors=60)
    broken = content / "actors" / "akteur-00003.de.md"
    broken.write_text(broken.read_text(encoding="utf-8") + "\n[[nirgends]]\n<script>x</script>\n", encoding="utf-8")
    plain = build_into(content, tmp_path / "one", jobs=1).problems.items
    parallel_ = build_into(content, tmp_path / "two", jobs=2).problems.items
    assert [str(p) for p in parallel_] == [str(p) for p in plain]
    assert any("nirgends" in str(p) for p in plain)


def test_files_read_by_several_processes_give_what_one_process_reads(tmp_path, monkeypatch):
    content = tmp_path / "content"
    generate(content, actors=60)
    actor = content / "actors" / "akteur-00003.de.md"
    actor.write_text(actor.read_text(encoding="utf-8").replace("---\n", "---\nfarbe: rot\n", 1), encoding="utf-8")
    (content / "actors" / "akteur-00004.en.md").write_bytes(b"---\ntitle: [broken\n---\n")
    (content / "actors" / "akteur-00005.en.md").write_bytes(b"---\ntitle: Caf\xe9\n---\n")
    (content / "actors" / "Falscher Name.de.md").write_text("---\ntitle: x\n---\n", encoding="utf-8")
    content = copy_of(content, tmp_path / "aged")  # saved a while ago, so the cache keeps them
    plain = build_into(content, tmp_path / "one", jobs=1)
    readers = tmp_path / "readers"
    parse = load._parse_file

    def logged(path, *args):
        with readers.open("a", encoding="utf-8") as log:
            log.write(f"{os.getpid()} {path.name}\n")
        return parse(path, *args)

    fingerprint = translations.fingerprint

    def fingerprinted(text):
        with readers.open("a", encoding="utf-8") as log:
            log.write(f"{os.getpid()} fingerprint\n")
        return fingerprint(text)

    monkeypatch.setattr(load, "_parse_file", logged)
    monkeypatch.setattr(translations, "fingerprint", fingerprinted)
    monkeypatch.setattr(load, "READS_PER_JOB", 1)
    shared = build_into(content, tmp_path / "two", jobs=2)
    assert len(plain.problems.errors) == 4 and [str(p) for p in shared.problems.items] == [
        str(p) for p in plain.problems.items
    ]
    read = {}
    for line in readers.read_text(encoding="utf-8").splitlines():
        pid, name = line.split()
        read.setdefault(int(pid), []).append(name)
    # Two workers read every file but the misnamed one, and worked out the fingerprints of
    # the sources in the default language; this process only that of the English file
    # whose German one is broken.
    assert read.pop(os.getpid()) == ["fingerprint"] and len(read) == 2
    names = [name for names in read.values() for name in names if name != "fingerprint"]
    assert len(names) == len(list(content.glob("*/*.md"))) - 1
    assert sum(lines.count("fingerprint") for lines in read.values()) == sum(".de." in name for name in names) - 1
    # The documents, and what the cache keeps of them, are the ones one process makes.
    documents, kept = [], []
    for jobs in (1, 2):
        cache = BuildCache()
        cache.next_build()
        documents.append(load_content(BuildOptions(content_dir=content, jobs=jobs), Problems(), cache).documents)
        kept.append({path: (_as_kept([entry.result]), entry.problems) for path, entry in cache.files.items()})
    assert len(documents[0]) > 100 and _as_kept(documents[1]) == _as_kept(documents[0])
    assert len(kept[0]) == len(documents[0]) + 3 and kept[1] == kept[0]


def test_the_files_to_read_are_asked_for_all_at_once_and_a_named_pipe_is_not_waited_for(tmp_path, monkeypatch):
    content = tmp_path / "content"
    generate(content, actors=30)
    content = copy_of(content, tmp_path / "aged")  # saved a while ago, so the cache keeps them
    asked = []
    advise = os.posix_fadvise

    def recorded(handle, offset, length, advice):
        asked.append((os.readlink(f"/proc/self/fd/{handle}"), offset, length, advice))
        return advise(handle, offset, length, advice)

    monkeypatch.setattr(os, "posix_fadvise", recorded)
    cache = BuildCache()
    cache.next_build()
    load_content(BuildOptions(content_dir=content), Problems(), cache)
    every = sorted(str(path) for path in content.glob("*/*.md"))
    assert sorted(path for path, *_ in asked) == every and len(every) > 60
    assert {tuple(rest) for _, *rest in asked} == {(0, 0, os.POSIX_FADV_WILLNEED)}
    # A second build reads only the file that changed, and asks only for it.
    changed = content / "actors" / "akteur-00002.en.md"
    edit(changed, "\nMore.\n")
    asked.clear()
    cache.next_build()
    load_content(BuildOptions(content_dir=content), Problems(), cache)
    assert [path for path, *_ in asked] == [str(changed)]
    # A file that became a named pipe after it was looked at is passed over, at once.
    os.mkfifo(tmp_path / "pipe.de.md")
    asking = threading.Thread(target=load._prefetch, args=([str(tmp_path / "pipe.de.md"), str(tmp_path / "gone")],))
    asking.start()
    asking.join(timeout=5)
    waited = asking.is_alive()
    if waited:  # let the test end: a writer frees the waiting reader
        with open(tmp_path / "pipe.de.md", "wb"):
            pass
    assert not waited


def _as_kept(documents) -> list:
    """The documents with what they have worked out about themselves (the fingerprint of
    a source), as the cache keeps them."""
    return [(document, vars(document) if document else None) for document in documents]


def logged_search_entries(log: Path, monkeypatch) -> None:
    """Note in `log` every search entry made from now on, by any process: its process and
    the address of its page."""
    encode = search.encode

    def encoded(version, section):
        with log.open("a", encoding="utf-8") as out:
            out.write(f"{os.getpid()} {version.url}\n")
        return encode(version, section)

    monkeypatch.setattr(search, "encode", encoded)


def test_a_build_with_the_cache_converts_only_what_changed(corpus, reference, tmp_path, conversions, made, monkeypatch):
    content = copy_of(corpus, tmp_path)
    cache, output = tmp_path / "cache", tmp_path / "output"
    build_into(content, output, cache_dir=cache)
    assert len(conversions) == 168  # every body, the first time
    assert (cache / store.MARKDOWN_FILE).is_file()
    assert site_files(output) == reference

    assert len(made["parsed"]) == len(made["search"]) == 168  # every file; every page, in its language's search
    assert made["layouts"] == [84]  # the picture of the topics index (the same nodes in both languages)
    assert len(made["pictures"]) == 2 and made["sitemaps"] == [reference_pages(reference)]
    assert len(made["fingerprints"]) == 84  # each page's source, the German file

    shutil.rmtree(output)  # a warm build: the cache, a new output folder
    conversions.clear()
    for found in made.values():
        found.clear()
    warm = build_into(content, output, cache_dir=cache)
    assert conversions == [] and made == {
        "parsed": [],
        "search": [],
        "layouts": [],
        "pictures": [],
        "sitemaps": [],
        "fingerprints": [],
    }
    assert warm.counts == {"rendered": 0, "reused": warm.pages}
    assert site_files(output) == reference

    # One body changes: only it is converted again, and only the actor's pages (each
    # language's page is made from the whole entity) and the search page are rendered
    # again; the site is a fresh build's.
    edit(content / "actors" / "akteur-00007.en.md", "\nA new closing sentence.\n")
    conversions.clear()
    logged_search_entries(tmp_path / "entries", monkeypatch)
    edited = build_into(content, output, cache_dir=cache, jobs=2)
    assert conversions == ["en/actors/akteur-00007/"]  # one body: in this process
    # Its search entry, by the worker that rendered its page.
    [(worker, url)] = [line.split() for line in (tmp_path / "entries").read_text(encoding="utf-8").splitlines()]
    assert url == "en/actors/akteur-00007/" and worker != str(os.getpid())
    assert made == {
        "parsed": ["akteur-00007.en.md"],
        "search": [],
        "layouts": [],
        "pictures": [],  # its labels are titles, not bodies
        "sitemaps": [],
        "fingerprints": [],  # a translation changed, not a source
    }
    assert edited.counts["rendered"] == 3
    shutil.rmtree(output)
    conversions.clear()
    edited = build_into(content, output, cache_dir=cache)
    assert conversions == [] and edited.counts["rendered"] == 0
    fresh = tmp_path / "fresh"
    build_into(content, fresh)
    assert site_files(output) == site_files(fresh) != reference


def test_the_cache_of_one_process_serves_another(corpus, reference, tmp_path, made):
    """Digests do not depend on the process (str hashes are seeded per process, so a set
    would pickle in another order): a build in a new process reuses every page, and the
    network picture, though two workers rendered the pages of the first build."""
    content = copy_of(corpus, tmp_path)
    first = run_cli("--content", str(content), "--output", str(tmp_path / "first"), "--jobs", "2")
    assert first.returncode == 0, first.stderr
    # The sort key of every title and city is kept, though the workers sorted the cities:
    # a key made in a worker would be lost, and the next build would load pyuca again.
    kept: dict[str, tuple] = {}
    store.load_sort_keys(tmp_path / ".sitegen-cache", kept)
    facts = [yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1]) for path in content.rglob("*.md")]
    texts = {fact[field] for fact in facts for field in ("title", "city") if field in fact}
    assert texts - set(kept) == set()
    assert any("city" in fact for fact in facts)
    again = build_into(content, tmp_path / "output", cache_dir=tmp_path / ".sitegen-cache", jobs=2)
    assert again.counts == {"rendered": 0, "reused": again.pages}
    # In this process (a worker's calls would not be seen here): nothing is read or drawn again.
    build_into(content, tmp_path / "third", cache_dir=tmp_path / ".sitegen-cache")
    assert made == {"parsed": [], "search": [], "layouts": [], "pictures": [], "sitemaps": [], "fingerprints": []}
    assert site_files(tmp_path / "output") == reference


def test_a_warm_build_in_a_new_process_loads_no_layout_or_collation_tables(corpus, tmp_path):
    """What only a cold build needs is not loaded by a warm one: networkx and numpy (the
    network picture's layout is in the cache) and pyuca's table (so are the sort keys)."""
    content = copy_of(corpus, tmp_path)
    output = tmp_path / "output"
    assert run_cli("--content", str(content), "--output", str(output), "--jobs", "2").returncode == 0
    shutil.rmtree(output)
    warm = (
        "import sys; from sitegen import cli, render; "
        f"status = cli.main(['--content', {str(content)!r}, '--output', {str(output)!r}, '--jobs', '1']); "
        "print(status, sorted({'numpy', 'networkx'} & set(sys.modules)), render._collator.cache_info().currsize)"
    )
    found = subprocess.run([sys.executable, "-c", warm], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    assert found.stdout.splitlines()[-1] == "0 [] 0", found.stderr
    assert (output / "de" / "index.html").is_file()


def test_a_changed_title_converts_the_bodies_that_link_to_it(corpus, tmp_path, conversions):
    content = copy_of(corpus, tmp_path)
    cache, output = tmp_path / "cache", tmp_path / "output"
    build_into(content, output, cache_dir=cache)
    topic = content / "topics" / "thema-0001.de.md"
    topic.write_text(topic.read_text(encoding="utf-8").replace('title: "', 'title: "Neu ', 1), encoding="utf-8")
    old = time.time() - 30
    os.utime(topic, (old, old))
    conversions.clear()
    build_into(content, output, cache_dir=cache)
    linking = [path for path in (content / "actors").glob("*.de.md") if "[[thema-0001]]" in path.read_text()]
    assert linking and len(conversions) >= len(linking)
    fresh = tmp_path / "fresh"
    build_into(content, fresh)
    assert site_files(output) == site_files(fresh)
    assert "Neu " in (output / "de" / "akteure" / linking[0].name.split(".")[0] / "index.html").read_text()


def test_a_warm_build_saves_only_the_cache_files_whose_entries_changed(corpus, tmp_path):
    content = copy_of(corpus, tmp_path)
    cache, output = tmp_path / "cache", tmp_path / "output"
    build_into(content, output, cache_dir=cache)
    kept = (store.FILES_FILE, store.MARKDOWN_FILE, store.PAGES_FILE, store.SEARCH_FILE, store.SORT_KEYS_FILE)
    before = {name: modified(cache)[name] for name in kept}
    shutil.rmtree(output)
    warm = build_into(content, output, cache_dir=cache)
    assert warm.counts == {"rendered": 0, "reused": warm.pages}
    assert {name: modified(cache)[name] for name in kept} == before  # 160 MB of pages at 5,000 actors

    edit(content / "actors" / "akteur-00007.en.md", "\nA new closing sentence.\n")
    build_into(content, output, cache_dir=cache)
    after = modified(cache)
    assert {name for name in kept if after[name] != before[name]} == {
        store.FILES_FILE,
        store.MARKDOWN_FILE,
        store.PAGES_FILE,
        store.SEARCH_FILE,
    }


def test_a_cache_that_cannot_be_read_is_ignored(corpus, reference, tmp_path, conversions):
    content = copy_of(corpus, tmp_path)
    cache = tmp_path / "cache"
    build_into(content, tmp_path / "output", cache_dir=cache)
    for name in (store.MARKDOWN_FILE, store.FILES_FILE, store.PAGES_FILE, store.SEARCH_FILE):
        (cache / name).write_bytes(b"not a pickle")
    (cache / store.STAMP_FILE).write_bytes(b"\x80\x05garbage")
    shutil.rmtree(tmp_path / "output")
    conversions.clear()
    result = build_into(content, tmp_path / "output", cache_dir=cache)
    assert not result.problems and not result.unchanged
    assert len(conversions) == 168
    assert site_files(tmp_path / "output") == reference


def modified(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.stat().st_ino) for p in folder.rglob("*") if p.is_file()
    }


def test_unchanged_files_are_not_written_again(corpus, tmp_path):
    content = copy_of(corpus, tmp_path)
    output = tmp_path / "output"
    build_into(content, output)
    before = modified(output)
    edit(content / "actors" / "akteur-00011.de.md", "\nEin neuer Schlusssatz.\n")
    build_into(content, output)
    after = modified(output)
    changed = sorted(name for name in after if after[name] != before.get(name))
    assert changed == [
        ".sitegen-output",
        *sorted(name for name in after if name.startswith("assets/search-de.")),
        "de/akteure/akteur-00011/index.html",
        "de/suche/index.html",
    ]


def test_a_build_with_nothing_changed_leaves_output_alone(corpus, tmp_path):
    content = copy_of(corpus, tmp_path)
    cache, output = tmp_path / "cache", tmp_path / "output"
    first = build_into(content, output, cache_dir=cache)
    assert not first.unchanged and first.problems.warnings  # the corpus has no publisher
    before = modified(output)
    again = build_into(content, output, cache_dir=cache)
    assert again.unchanged and again.written
    assert [str(p) for p in again.problems.items] == [str(p) for p in first.problems.items]
    assert again.summarize() == first.summarize()
    assert modified(output) == before
    # The stamp holds what the build wrote, as a look at the folder finds it.
    assert store.read_stamp(cache)["output"] == store.output_signature(output.absolute())

    # A changed template, a changed output file and a deleted one each mean a real build.
    (output / "de" / "index.html").write_text("edited by hand", encoding="utf-8")
    repaired = build_into(content, output, cache_dir=cache)
    assert not repaired.unchanged
    assert "edited by hand" not in (output / "de" / "index.html").read_text(encoding="utf-8")
    (output / "robots.txt").unlink()
    assert not build_into(content, output, cache_dir=cache).unchanged
    assert (output / "robots.txt").is_file()
    assert build_into(content, output, cache_dir=cache).unchanged
    edit(content / "topics" / "thema-0002.en.md", "\nMore.\n")
    assert not build_into(content, output, cache_dir=cache).unchanged


def test_a_file_saved_just_now_is_never_taken_as_unchanged(corpus, tmp_path):
    content = copy_of(corpus, tmp_path)
    cache, output = tmp_path / "cache", tmp_path / "output"
    build_into(content, output, cache_dir=cache)
    page = content / "actors" / "akteur-00002.de.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nFrisch gespeichert.\n", encoding="utf-8")
    assert not build_into(content, output, cache_dir=cache).unchanged  # saved within the last seconds
    assert "Frisch gespeichert." in (output / "de" / "akteure" / "akteur-00002" / "index.html").read_text()
    assert not build_into(content, output, cache_dir=cache).unchanged  # still too recent to trust


def test_the_command_line_keeps_a_cache_beside_the_content_and_takes_jobs(corpus, reference, tmp_path):
    content = copy_of(corpus, tmp_path)
    output = tmp_path / "output"
    first = run_cli("--content", str(content), "--output", str(output), "--jobs", "2")
    assert first.returncode == 0, first.stderr
    assert "Built " in first.stdout
    assert (tmp_path / ".sitegen-cache" / store.STAMP_FILE).is_file()
    assert site_files(output) == reference
    again = run_cli("--content", str(content), "--output", str(output))
    assert again.returncode == 0 and "Nothing changed since the last build" in again.stdout
    assert again.stderr == first.stderr  # the same warnings
    shutil.rmtree(tmp_path / ".sitegen-cache")
    plain = run_cli("build", "--content", str(content), "--output", str(output), "--no-cache", "-j", "1")
    assert plain.returncode == 0 and "Built " in plain.stdout
    assert not (tmp_path / ".sitegen-cache").exists()
    assert site_files(output) == reference


def test_the_folders_of_the_last_build_are_made_ahead_and_the_unused_removed(corpus, tmp_path, monkeypatch):
    content = copy_of(corpus, tmp_path)
    cache, output = tmp_path / "cache", tmp_path / "output"
    news = content / "news" / "neu.de.md"
    news.parent.mkdir()
    news.write_text('---\ntitle: Neu\nsummary: Etwas Neues.\ndate: "2024-10-01"\n---\n', encoding="utf-8")
    edit(news, "Neu.\n")  # saved a while ago, so the build keeps a stamp
    assert build_into(content, output, cache_dir=cache).written
    assert (output / "de/aktuelles/neu/index.html").is_file()
    news.unlink()
    prepared = record_prepared(monkeypatch)
    shutil.rmtree(output)  # every file is written again, into the folders made ahead
    result = build_into(content, output, cache_dir=cache)
    assert result.written and not result.problems.errors
    folders, pages = prepared  # the last build's folders; the pages', a second call that does nothing
    assert {"de/aktuelles/neu", "de/akteure/akteur-00011", "assets", ""} <= folders
    assert "de/akteure/akteur-00011" in pages and pages <= folders
    assert not (output / "de/aktuelles/neu").exists()
    assert [path for path in output.rglob("*") if path.is_dir() and not any(path.iterdir())] == []
    fresh = tmp_path / "fresh"
    build_into(content, fresh)
    assert site_files(output) == site_files(fresh)

    # A build that stops at an error stops the helper too: nothing is left beside output/.
    edit(content / "actors" / "akteur-00011.de.md", "\n[[nirgends]]\n")
    assert not build_into(content, output, cache_dir=cache).written
    assert len(prepared) == 4  # and one for the fresh build, one for this one (the last build's folders)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cache", "content", "fresh", "output"]
    assert site_files(output) == site_files(fresh)


def test_a_cold_build_has_the_folders_of_its_pages_made_ahead(corpus, reference, tmp_path, monkeypatch):
    """With no last build to go by, the folders of the pages are asked for as soon as the
    content is converted: another process makes them while the build goes on."""
    prepared = record_prepared(monkeypatch)
    output = tmp_path / "output"
    assert build_into(corpus, output, jobs=2).written
    [folders] = prepared
    pages = {name.rpartition("/")[0] for name in reference if name.endswith("/index.html")}
    assert len(folders) > 160 and folders <= pages
    assert site_files(output) == reference


def record_prepared(monkeypatch) -> list[set[str]]:
    """The folders each `Staging.prepare` of the builds from now on asks for. Each call
    is checked to come before any page is written, and waits until the helper process
    has made its folders."""
    prepared, prepare = [], write.Staging.prepare

    def recorded(self, folders):
        folders = set(folders)
        prepared.append(folders)
        assert not any(self.folder.rglob("index.html"))  # before any page is written
        prepare(self, folders)
        deadline = time.monotonic() + 30
        while not all((self.folder / folder).is_dir() for folder in folders) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert all((self.folder / folder).is_dir() for folder in folders)  # by the helper process

    monkeypatch.setattr(write.Staging, "prepare", recorded)
    return prepared
