"""A progress bar of finished runs: tqdm's when it is installed, else a plain text line."""
from __future__ import annotations

import sys
import time
from typing import IO, Any, Optional

try:  # tqdm is optional: `pip install morphiclab[progress]`.
    from tqdm.auto import tqdm as _tqdm  # type: ignore[import-untyped,unused-ignore]
except ImportError:  # pragma: no cover - depends on the environment
    _tqdm = None

tqdm: Any = _tqdm


class ProgressBar:
    """Counts finished runs (completed and failed) out of a total, with rate and ETA.

    The rate counts only runs that finish while the bar is shown, so a sweep that was half
    done when waiting began does not look fast.
    """

    def __init__(self, total: int, done: int, description: str, file: Optional[IO[str]] = None) -> None:
        self.total = total
        self.done = done
        self._bar: Any = None
        self._file: IO[str] = file if file is not None else sys.stderr
        self._description = description
        if tqdm is not None:
            self._bar = tqdm(total=total, initial=done, desc=description, unit="run", file=self._file,
                             dynamic_ncols=True, mininterval=0.2)
        else:
            self._start = time.monotonic()
            self._first = done
            self._shown = 0.0
            self._writing_shown = False
            self._draw(force=True)

    def update(self, done: int, total: Optional[int] = None) -> None:
        """Moves the bar to ``done`` finished runs."""
        if total is not None and total != self.total:
            self.total = total
            if self._bar is not None:
                self._bar.total = total
        if self._bar is not None:
            if done > self.done:
                self._bar.update(done - self.done)
        self.done = max(done, self.done)
        if self._bar is None:
            self._draw(force=False)

    def close(self) -> None:
        """Draws the final state and ends the line."""
        if self._bar is not None:
            self._bar.close()
        else:
            self._draw(force=True)
            self._file.write("\n")
            self._file.flush()

    def _draw(self, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self._shown < 0.5:
            return
        if not force and self.done >= self.total:
            # Every run has finished: the line says so once; while the server writes the
            # dataset, redrawing would only show a rate that decays as time passes.
            if self._writing_shown:
                return
            self._writing_shown = True
        self._shown = now
        elapsed = now - self._start
        finished = self.done - self._first
        rate = finished / elapsed if elapsed > 0 and finished > 0 else None
        percent = 100.0 * self.done / self.total if self.total else 100.0
        eta = "?" if rate is None else _duration((self.total - self.done) / rate)
        speed = "? runs/s" if rate is None else f"{rate:.1f} runs/s"
        tail = "writing the dataset" if self.done >= self.total and not force else f"ETA {eta}"
        self._file.write(f"\r{self._description}: {self.done}/{self.total} runs ({percent:.0f}%), {speed}, {tail}  ")
        self._file.flush()


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"
