"""Picks up edits, renames and deletes made to the Markdown folder by people and other tools.

watchdog (inotify on Linux, FSEvents on macOS) reports file events; they are collected for a
short quiet period, so an editor's burst of writes (temp file, rename, chmod) becomes one sync,
and then just those paths are synced. A folder moved or deleted as a whole, or an overflow of
events, falls back to a sync of the whole vault, which still reads only files that changed.
memvault's own writes show up here too and cost a size/time comparison each.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from memvault.core.errors import MemvaultError
from memvault.folder.markdown_folder import MarkdownFolder
from memvault.folder.sync import SyncReport

log = logging.getLogger(__name__)
QUIET_SECONDS = 0.3


class _Collector(FileSystemEventHandler):
    def __init__(self, root: Path, wake: threading.Event) -> None:
        self._root = root
        self._wake = wake
        self._lock = threading.Lock()
        self.paths: set[str] = set()
        self.everything = False

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        found = [_text(event.src_path), _text(getattr(event, "dest_path", "") or "")]
        relevant = False
        with self._lock:
            if event.is_directory and event.event_type in ("moved", "deleted"):
                self.everything = relevant = True
            for raw in filter(None, found):
                path = self._relative(raw)
                if path is not None:
                    self.paths.add(path)
                    relevant = True
        # Only events that lead to a sync restart the quiet period: a stream of writes to
        # hidden or non-Markdown files (an editor's state, the lock) must not hold syncs back.
        if relevant:
            self._wake.set()

    def take(self) -> tuple[set[str], bool]:
        with self._lock:
            paths, everything = self.paths, self.everything
            self.paths, self.everything = set(), False
        return paths, everything

    def _relative(self, raw: str) -> str | None:
        try:
            rel = Path(raw).relative_to(self._root)
        except ValueError:
            return None
        if not rel.parts or any(part.startswith(".") for part in rel.parts):
            return None  # hidden files: temp files of atomic writes, .obsidian, the lock
        return rel.as_posix() if rel.suffix == ".md" else None


class FolderWatcher:
    """Syncs the vault whenever its files change, until :meth:`stop`."""

    def __init__(
        self, folder: MarkdownFolder, *, on_sync: Callable[[SyncReport], None] | None = None
    ) -> None:
        self._folder = folder
        self._on_sync = on_sync
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._collector = _Collector(folder.root.resolve(), self._wake)
        self._observer = Observer()
        self._observer.schedule(self._collector, str(folder.root.resolve()), recursive=True)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._observer.start()
        self._thread = threading.Thread(target=self._loop, name="memvault-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._observer.stop()
        self._observer.join(5)
        if self._thread is not None:
            self._thread.join(30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            # Wait for a quiet moment: one sync for a burst of events.
            while self._wake.is_set() and not self._stop.is_set():
                self._wake.clear()
                self._stop.wait(QUIET_SECONDS)
            paths, everything = self._collector.take()
            if not paths and not everything:
                continue
            try:
                report = self._folder.sync(None if everything else sorted(paths))
            except (MemvaultError, OSError) as exc:  # OSError: e.g. the lock file went away
                log.error("could not sync the vault: %s", exc)
                continue
            if self._on_sync is not None:
                self._on_sync(report)


def _text(path: str | bytes) -> str:
    return path.decode() if isinstance(path, bytes) else path
