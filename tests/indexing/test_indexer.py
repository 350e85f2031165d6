"""`Vault.index_path` end to end: real files on disk, real SQLite, tree-sitter and pypdf.

Search hits must point at the right file, lines and page; re-runs must read only what changed,
keep the ids of what did not, and forget files that are gone.
"""

from __future__ import annotations

import os
import pathlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fpdf import FPDF

import memvault
from memvault.core.records import Memory
from memvault.service.vault import Vault

PYTHON = '''"""Helpers for the zoo inventory."""

import os


def parse_quokka(text):
    """Split quokka records."""
    return text.split()


def render_wombat(items):
    return ", ".join(items)


class PlatypusCache:
    def __init__(self):
        self.store = {}

    def lookup(self, key):
        return self.store.get(key)
'''

TYPESCRIPT = """import { readFileSync } from "fs";

export interface NarwhalConfig {
  depth: number;
  name: string;
}

export function summonNarwhal(config: NarwhalConfig): string {
  return config.name.repeat(config.depth);
}
"""

MARKDOWN = """# Installing

Run the pelican installer first.
It asks no questions.

## Configuring

Set the flamingo option in settings.
"""

PDF_PAGES = [
    ["Quarterly report introduction", "The aardvark migration finished early", "Closing remarks"],
    ["Appendix overview", "Zebrafish hatchery numbers doubled"],
]


def line_of(text: str, needle: str, start: int = 1) -> int:
    """1-based number of the first line at or after ``start`` that contains ``needle``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if number >= start and needle in line:
            return number
    raise AssertionError(f"{needle!r} not in the text")


def write_pdf(path: Path, pages: list[list[str]]) -> None:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for lines in pages:
        pdf.add_page()
        pdf.multi_cell(0, 10, "\n".join(lines))
    pdf.output(str(path))


def keyword(vault: Vault, query: str, namespace: str | None = None) -> list[Memory]:
    return [h.memory for h in vault.search(query, mode="keyword", k=20, namespace=namespace)]


def chunk_ids_by_file(vault: Vault) -> dict[str, set[str]]:
    ids: dict[str, set[str]] = {}
    for memory in vault.list(limit=10_000, include_chunks=True):
        if memory.location is not None:
            ids.setdefault(memory.location.path, set()).add(memory.id)
    return ids


def later(path: Path, seconds: int = 10) -> None:
    """Move a file's modification time forward, as an edit some seconds later would."""
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + seconds * 1_000_000_000))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    (folder / "docs").mkdir(parents=True)
    (folder / "src").mkdir()
    write_pdf(folder / "docs" / "report.pdf", PDF_PAGES)
    (folder / "src" / "zoo.py").write_text(PYTHON)
    (folder / "src" / "api.ts").write_text(TYPESCRIPT)
    (folder / "docs" / "guide.md").write_text(MARKDOWN)
    # Files of a project were usually written a while ago. (Files changed in the last few
    # seconds are hashed on every run, in case an edit kept the size within one clock tick.)
    hour_ago = time.time_ns() - 3600 * 1_000_000_000
    for path in folder.rglob("*"):
        os.utime(path, ns=(hour_ago, hour_ago))
    return folder


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Path]]:
    """Every file whose bytes are read, in order."""
    seen: list[Path] = []
    original = pathlib.Path.read_bytes

    def counting(self: Path) -> bytes:
        seen.append(self)
        return original(self)

    monkeypatch.setattr(pathlib.Path, "read_bytes", counting)
    yield seen


def test_hits_point_at_the_exact_file_lines_and_page(vault: Vault, project: Path) -> None:
    report = vault.index_path(project)
    assert (report.files, report.indexed, report.unchanged, report.removed) == (4, 4, 0, 0)
    assert report.skipped == [] and report.problems == []
    assert report.chunks_added > 0
    assert report.root == str(project.resolve())

    zoo = str((project / "src" / "zoo.py").resolve())
    api = str((project / "src" / "api.ts").resolve())
    guide = str((project / "docs" / "guide.md").resolve())
    pdf = str((project / "docs" / "report.pdf").resolve())

    def only_hit(word: str) -> Memory:
        hits = keyword(vault, word)
        assert len(hits) == 1, [(h.location, h.content) for h in hits]
        assert word.lower() in hits[0].content.lower()
        return hits[0]

    # Python: each definition is its own chunk, from its first line to its last.
    hit = only_hit("parse_quokka")
    assert hit.kind == "code" and hit.location is not None
    assert hit.location.path == zoo and hit.location.page is None
    start = line_of(PYTHON, "def parse_quokka")
    assert (hit.location.line_start, hit.location.line_end) == (
        start,
        line_of(PYTHON, "return text.split()"),
    )
    hit = only_hit("render_wombat")
    assert hit.location is not None
    assert (hit.location.path, hit.location.line_start, hit.location.line_end) == (
        zoo,
        line_of(PYTHON, "def render_wombat"),
        line_of(PYTHON, 'return ", ".join(items)'),
    )
    hit = only_hit("PlatypusCache")
    assert hit.location is not None
    assert (hit.location.path, hit.location.line_start, hit.location.line_end) == (
        zoo,
        line_of(PYTHON, "class PlatypusCache"),
        line_of(PYTHON, "return self.store.get(key)"),
    )

    # TypeScript: the interface and the function.
    interface = [h for h in keyword(vault, "NarwhalConfig") if "interface" in h.content]
    assert len(interface) == 1 and interface[0].location is not None
    first = line_of(TYPESCRIPT, "export interface NarwhalConfig")
    assert (
        interface[0].kind,
        interface[0].location.path,
        interface[0].location.line_start,
        interface[0].location.line_end,
    ) == ("code", api, first, line_of(TYPESCRIPT, "}", first))
    hit = only_hit("summonNarwhal")
    assert hit.location is not None
    first = line_of(TYPESCRIPT, "export function summonNarwhal")
    assert (hit.location.path, hit.location.line_start, hit.location.line_end) == (
        api,
        first,
        line_of(TYPESCRIPT, "}", first),
    )

    # Markdown: one chunk per heading section, with the heading path.
    hit = only_hit("pelican")
    assert hit.kind == "document" and hit.location is not None
    assert (hit.location.path, hit.location.line_start, hit.location.line_end) == (
        guide,
        line_of(MARKDOWN, "# Installing"),
        line_of(MARKDOWN, "It asks no questions."),
    )
    hit = only_hit("flamingo")
    assert hit.location is not None
    assert (hit.location.path, hit.location.line_start, hit.location.line_end) == (
        guide,
        line_of(MARKDOWN, "## Configuring"),
        line_of(MARKDOWN, "flamingo"),
    )
    assert hit.location.heading is not None and hit.location.heading.endswith("Configuring")

    # PDF: the page, and lines counted within that page's text.
    for page, word in ((1, "aardvark"), (2, "Zebrafish")):
        hit = only_hit(word)
        assert hit.kind == "document" and hit.location is not None
        assert (hit.location.path, hit.location.page) == (pdf, page)
        lines = PDF_PAGES[page - 1]
        word_line = next(n for n, line in enumerate(lines, start=1) if word in line)
        assert hit.location.line_start <= word_line <= hit.location.line_end
        assert (hit.location.line_start, hit.location.line_end) == (1, len(lines))


def test_rerun_reads_only_the_edited_file_and_keeps_other_ids(
    vault: Vault, project: Path, reads: list[Path]
) -> None:
    vault.index_path(project)
    before = chunk_ids_by_file(vault)
    guide = project / "docs" / "guide.md"
    kept_section = {h.id for h in keyword(vault, "pelican")}
    assert len(kept_section) == 1

    guide.write_text(MARKDOWN.replace("Set the flamingo option", "Tune the heron dial"))
    later(guide)
    reads.clear()
    report = vault.index_path(project)

    assert (report.files, report.indexed, report.unchanged, report.removed) == (4, 1, 3, 0)
    assert (report.chunks_added, report.chunks_removed) == (1, 1)
    assert [p.resolve() for p in reads] == [guide.resolve()]  # no other file was opened
    assert keyword(vault, "flamingo") == []
    (hit,) = keyword(vault, "heron")
    assert hit.location is not None and hit.location.path == str(guide.resolve())
    assert hit.location.line_start == line_of(MARKDOWN, "## Configuring")

    after = chunk_ids_by_file(vault)
    for name, ids in before.items():
        if name != str(guide.resolve()):
            assert after[name] == ids  # untouched files keep every chunk id
    # The untouched section of the edited file keeps its id too.
    assert {h.id for h in keyword(vault, "pelican")} == kept_section
    assert len(after[str(guide.resolve())]) == len(before[str(guide.resolve())])


def test_deleted_file_is_forgotten_ignored_never_read_binary_skipped(
    vault: Vault, project: Path
) -> None:
    (project / ".gitignore").write_text("secret.txt\nbuild/\n")
    (project / "secret.txt").write_text("classified kumquat numbers\n")
    (project / "build").mkdir()
    (project / "build" / "out.py").write_text("def kumquat_builder():\n    pass\n")
    (project / "blob.bin").write_bytes(b"\x00\x01\x02durian payload\x00")

    first = vault.index_path(project)
    relpaths = {"src/zoo.py", "src/api.ts", "docs/guide.md", "docs/report.pdf", ".gitignore"}
    assert first.files == len(relpaths)
    assert [(s.relpath, s.reason) for s in first.skipped] == [("blob.bin", "binary")]
    assert keyword(vault, "kumquat") == []
    assert keyword(vault, "kumquat_builder") == []
    assert keyword(vault, "durian") == []
    assert keyword(vault, "summonNarwhal") != []

    (project / "src" / "api.ts").unlink()
    second = vault.index_path(project)
    assert (second.files, second.indexed, second.unchanged, second.removed) == (4, 0, 4, 1)
    assert keyword(vault, "summonNarwhal") == []
    assert keyword(vault, "NarwhalConfig") == []
    api = str((project / "src" / "api.ts").resolve())
    assert api not in chunk_ids_by_file(vault)
    assert [(s.relpath, s.reason) for s in second.skipped] == [("blob.bin", "binary")]


def test_touched_file_counts_unchanged_and_is_not_rechunked(
    vault: Vault, project: Path, reads: list[Path]
) -> None:
    vault.index_path(project)
    before = chunk_ids_by_file(vault)
    stats = vault.stats().chunks
    zoo = project / "src" / "zoo.py"
    later(zoo)

    touched = vault.index_path(project)
    assert (touched.indexed, touched.unchanged, touched.chunks_added, touched.chunks_removed) == (
        0,
        4,
        0,
        0,
    )
    assert chunk_ids_by_file(vault) == before and vault.stats().chunks == stats

    # The new time was recorded: the next run does not even read the file to hash it.
    reads.clear()
    again = vault.index_path(project)
    assert (again.indexed, again.unchanged) == (0, 4)
    assert reads == []


def test_indexing_this_repository(vault: Vault) -> None:
    repo = Path(__file__).resolve().parents[2]
    lock_file = repo / "src" / "memvault" / "folder" / "lock.py"
    report = vault.index_path(repo)
    assert report.files > 50
    # Every file found is indexed (one deleted by someone mid-run is skipped as unreadable).
    vanished = [s for s in report.skipped if s.reason.startswith("unreadable")]
    assert report.indexed + len(vanished) == report.files
    assert report.problems == []
    assert not any(s.relpath.startswith(".venv/") for s in report.skipped)

    hits = keyword(vault, "flock")
    ours = [h for h in hits if h.location is not None and h.location.path == str(lock_file)]
    assert ours, [h.location for h in hits]
    lines = lock_file.read_text().splitlines()
    for hit in ours:
        assert hit.location is not None
        span = lines[hit.location.line_start - 1 : hit.location.line_end]
        assert any("flock" in line for line in span)
        assert hit.content.splitlines()[0].strip() == span[0].strip()


def test_namespace_option_puts_chunks_in_that_namespace(vault: Vault, project: Path) -> None:
    vault.remember("pelican sightings are logged in a notebook", namespace="default")
    report = vault.index_path(project, namespace="zoo-docs")
    assert report.indexed == 4

    in_namespace = keyword(vault, "pelican", namespace="zoo-docs")
    assert [h.kind for h in in_namespace] == ["document"]
    assert all(h.namespace == "zoo-docs" for h in in_namespace)
    assert [h.kind for h in keyword(vault, "pelican", namespace="default")] == ["fact"]
    assert keyword(vault, "summonNarwhal", namespace="default") == []
    chunks = vault.list(namespace="zoo-docs", include_chunks=True, limit=1_000)
    assert len(chunks) == report.chunks_added and vault.stats().chunks == report.chunks_added
    assert vault.index_runs()[0].namespace == "zoo-docs"


def test_indexing_again_under_another_namespace_moves_the_chunks_only_with_move(
    vault: Vault, project: Path
) -> None:
    vault.index_path(project)
    before = chunk_ids_by_file(vault)
    with pytest.raises(memvault.InvalidInputError, match=r"4 files .* namespace 'default'.*--move"):
        vault.index_path(project, namespace="archive")
    assert [h.namespace for h in keyword(vault, "pelican")] == ["default"]  # nothing moved
    assert vault.index_path(project, namespace="archive", move=True).moved == 4
    assert keyword(vault, "pelican", namespace="default") == []
    assert [h.namespace for h in keyword(vault, "pelican")] == ["archive"]
    assert chunk_ids_by_file(vault) == before  # same chunks, same ids, now in "archive"


def test_missing_path_is_invalid_input_and_writes_nothing(vault: Vault, tmp_path: Path) -> None:
    vault.remember("something already here")
    before = vault.stats().chunks
    with pytest.raises(memvault.InvalidInputError, match="no-such-folder"):
        vault.index_path(tmp_path / "no-such-folder")
    assert vault.stats().chunks == before
    assert vault.index_runs() == []


def test_index_runs_record_a_finished_run(vault: Vault, project: Path) -> None:
    seen: list[tuple[int, int, str]] = []
    report = vault.index_path(
        project, progress=lambda done, total, path: seen.append((done, total, path))
    )
    (run, *_) = vault.index_runs()
    assert run.state == "done" and run.error is None
    assert run.files_total == run.files_done == report.files == 4
    assert run.root == report.root and run.namespace == "default"
    assert run.chunks == report.chunks_added
    assert [s[:2] for s in seen] == [(n, 4) for n in range(1, 5)]
    assert {s[2] for s in seen} == {"docs/guide.md", "docs/report.pdf", "src/api.ts", "src/zoo.py"}


def test_indexing_a_folder_that_holds_the_vault_leaves_the_vault_out(tmp_path: Path) -> None:
    home = tmp_path / "project" / ".." / "project" / "home"
    with memvault.open(home, background=False) as vault:
        vault.notes.write("inside.md", "the wombat_burrow note\n")
        vault.remember("a remembered wombat_burrow")
        (tmp_path / "project" / "readme.md").write_text("# Readme\n\noutside text\n")
        report = vault.index_path(tmp_path / "project")
        assert report.files == 1
        kinds = sorted(h.memory.kind for h in vault.search("wombat_burrow", mode="keyword"))
        assert kinds == ["fact", "note"]  # not a third copy as a "document"
        with pytest.raises(memvault.InvalidInputError, match="inside the vault"):
            vault.index_path(home / "vault")
