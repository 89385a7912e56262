"""Datasets: a finished sweep's tables and arrays, read from its archive or its folder."""
from __future__ import annotations

import hashlib
import io
import json
import os
import zlib
from typing import IO, Any, Dict, List, Mapping, Optional, Tuple, Union

import numpy as np
import pandas as pd

from .errors import DamagedArchive

PathLike = Union[str, "os.PathLike[str]"]

#: The files a :class:`Dataset` reads; an archive's other members (run records, the long
#: ``timeseries.csv``, ``frames.npz``) are checked or skipped, not kept in memory.
TABLES = ("manifest.json", "runs.csv", "features.csv", "timeseries.npz", "theta_x.npz", "DATASET.md")
#: The values of ``split`` in ``features.csv`` and ``theta_x.npz``.
SPLITS = ("train", "validation", "test")
_CHUNK = 1 << 20


class Dataset:
    """A finished sweep's dataset (README, "Sweeps and datasets").

    Tables are pandas DataFrames read with the dtypes the manifest gives (seeds stay exact
    ``uint64``, missing statistics are ``<NA>``); arrays are numpy arrays. Everything is
    read when first asked for and kept.

    Attributes:
        manifest: ``manifest.json`` as a dict.
        source: where the dataset was loaded from.
    """

    def __init__(self, files: Mapping[str, Union[bytes, str]], source: str) -> None:
        self._files = dict(files)
        self.source = source
        if "manifest.json" not in self._files:
            raise DamagedArchive(f"{source} has no manifest.json: not a MorphicLab dataset")
        self.manifest: Dict[str, Any] = json.loads(self._bytes("manifest.json"))
        self._cache: Dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"<morphiclab.Dataset {self.id} ({self.manifest.get('counts', {}).get('runs', '?')} runs) from {self.source}>"

    @property
    def id(self) -> str:
        """The sweep id."""
        return str(self.manifest["sweep_id"])

    @property
    def name(self) -> str:
        """The sweep's name."""
        return str(self.manifest["name"])

    @property
    def definition(self) -> Dict[str, Any]:
        """The sweep's normalized definition."""
        return dict(self.manifest["definition"])

    @property
    def validation(self) -> Dict[str, Any]:
        """The dataset's data checks (controls without influence, Spearman correlations)."""
        return dict(self.manifest.get("validation", {}))

    def columns(self, table: str, role: Optional[str] = None) -> List[str]:
        """The columns of ``table`` (``runs.csv``, ``features.csv``, …), only those of ``role`` if given.

        Roles: ``identifier``, ``label``, ``truth``, ``parameter``, ``statistic``,
        ``feature``, ``series``, ``hidden``, ``split``.
        """
        described = self.manifest["columns"].get(table)
        if described is None:
            raise KeyError(f"the manifest describes no table {table!r}; it has {sorted(self.manifest['columns'])}")
        return [c["name"] for c in described if role is None or c["role"] == role]

    @property
    def runs(self) -> pd.DataFrame:
        """``runs.csv``: one row per run with its mode, every parameter, seed and summary statistic."""
        return self._table("runs.csv")

    @property
    def features(self) -> pd.DataFrame:
        """``features.csv``: one row per run with ``point``, ``label``, ground truth ``true_*`` and observable features."""
        return self._table("features.csv")

    @property
    def feature_names(self) -> List[str]:
        """The observable features of ``features.csv``, in order (the columns of role ``feature``)."""
        return self.columns("features.csv", "feature")

    @property
    def series_names(self) -> List[str]:
        """The series :meth:`series` can give: observable ones, then the ``hidden_`` ones."""
        return [n for n in self._arrays("timeseries.npz").files if n not in ("run_id", "generations")]

    @property
    def run_ids(self) -> np.ndarray:
        """The run ids of the rows of :meth:`series`, in order."""
        return np.asarray(self._arrays("timeseries.npz")["run_id"])

    def series(self, name: str) -> np.ndarray:
        """One series of every run, float64 [runs, generations]; runs shorter than the longest end in NaN.

        Rows are in the order of :attr:`run_ids` (the order of ``runs.csv``). Series an
        observer cannot see are named ``hidden_…``.
        """
        arrays = self._arrays("timeseries.npz")
        if name in ("run_id", "generations") or name not in arrays.files:
            raise KeyError(f"no series {name!r}; the dataset has {self.series_names}")
        key = "series:" + name
        if key not in self._cache:
            self._cache[key] = arrays[name]
        series: np.ndarray = self._cache[key]
        return series

    def theta_x(self, split: Optional[str] = None) -> Tuple[np.ndarray, np.ndarray]:
        """The (θ, x) arrays of ``theta_x.npz``: θ float64 [runs, k], x float64 [runs, features].

        θ holds the effective truth of every varied parameter (:attr:`theta_names`, model
        order); x the observable features (:attr:`x_names`). ``split`` keeps only the runs
        of ``"train"``, ``"validation"`` or ``"test"``; None keeps all.
        """
        if split is not None and split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS} or None, not {split!r}")
        arrays = self._arrays("theta_x.npz")
        theta, x = arrays["theta"], arrays["x"]
        if split is None:
            return theta, x
        keep = np.asarray(arrays["split"]) == split
        return theta[keep], x[keep]

    @property
    def theta_names(self) -> List[str]:
        """The parameters of θ's columns, in order."""
        return [str(n) for n in self._arrays("theta_x.npz")["theta_names"]]

    @property
    def x_names(self) -> List[str]:
        """The features of x's columns, in order."""
        return [str(n) for n in self._arrays("theta_x.npz")["x_names"]]

    @property
    def theta_x_run_ids(self) -> np.ndarray:
        """The run ids of the rows of :meth:`theta_x` (all splits), in order."""
        return np.asarray(self._arrays("theta_x.npz")["run_id"])

    @property
    def theta_x_splits(self) -> np.ndarray:
        """The split of each row of :meth:`theta_x` (all splits)."""
        return np.asarray(self._arrays("theta_x.npz")["split"])

    @property
    def card(self) -> str:
        """The dataset card, ``DATASET.md``."""
        return self._bytes("DATASET.md").decode("utf-8")

    # Reading.

    def _bytes(self, name: str) -> bytes:
        value = self._files.get(name)
        if value is None:
            raise FileNotFoundError(f"{self.source} has no {name}")
        if isinstance(value, bytes):
            return value
        with open(value, "rb") as file:
            return file.read()

    def _open(self, name: str) -> IO[bytes]:
        value = self._files.get(name)
        if value is None:
            raise FileNotFoundError(f"{self.source} has no {name}")
        return io.BytesIO(value) if isinstance(value, bytes) else open(value, "rb")

    def _table(self, name: str) -> pd.DataFrame:
        if name not in self._cache:
            dtypes = {c["name"]: c["dtype"] for c in self.manifest["columns"][name]}
            with self._open(name) as file:
                # Empty cells are missing values, except in text columns, where they are text.
                self._cache[name] = pd.read_csv(
                    file, dtype=dtypes, keep_default_na=False,
                    na_values={n: [""] for n, t in dtypes.items() if t != "string"})
        table: pd.DataFrame = self._cache[name]
        return table

    def _arrays(self, name: str) -> Any:
        if name not in self._cache:
            value = self._files.get(name)
            if value is None:
                raise FileNotFoundError(f"{self.source} has no {name}")
            self._cache[name] = np.load(io.BytesIO(value) if isinstance(value, bytes) else value, allow_pickle=False)
        return self._cache[name]


def load(path: PathLike, *, verify: bool = True) -> Dataset:
    """A dataset from ``dataset.tar.gz`` or from a dataset folder.

    An archive is read in one pass, keeping only the tables and arrays (run records are
    hashed, not kept). With ``verify`` (the default) every run record found, in an archive
    or a folder, must have the sha256 and size the manifest gives, and an archive must hold
    every run the manifest lists; anything else raises :class:`DamagedArchive` naming it.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        return _load_folder(path, verify)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no dataset at {path}")
    with open(path, "rb") as file:
        return load_archive(file, path, verify=verify)


def _load_folder(path: str, verify: bool) -> Dataset:
    if not os.path.exists(os.path.join(path, "manifest.json")):
        inner = [os.path.join(path, n) for n in os.listdir(path) if os.path.isfile(os.path.join(path, n, "manifest.json"))]
        if len(inner) != 1:
            raise FileNotFoundError(f"{path} holds no manifest.json: not a dataset folder")
        path = inner[0]
    files = {name: os.path.join(path, name) for name in TABLES if os.path.exists(os.path.join(path, name))}
    dataset = Dataset(files, path)
    if verify:
        for run in dataset.manifest.get("runs", []):
            if "file" not in run:
                continue
            record = os.path.join(path, run["file"])
            if os.path.exists(record):
                with open(record, "rb") as file:
                    _check(run, _digest(file), path)
    return dataset


def load_archive(file: IO[bytes], source: str, *, verify: bool = True) -> Dataset:
    """A dataset from an open ``dataset.tar.gz`` stream (see :func:`load`).

    The archive is read as it is decompressed: each ustar header's checksum is checked,
    the tables are kept, run records are hashed and dropped, and everything else is
    skipped, so memory holds the tables and one chunk of the stream.
    """
    files: Dict[str, Union[bytes, str]] = {}
    digests: Dict[str, Tuple[str, int]] = {}
    top: Optional[str] = None
    stream = _GzipStream(file, source)
    try:
        while True:
            header = stream.take(512)
            if header is None or header == bytes(512):
                break
            name, size, kind = _header(header, source)
            parts = name.strip("/").split("/")
            if top is None:
                top = parts[0]
            if parts[0] != top or len(parts) > 2:
                raise DamagedArchive(f"{source}: unexpected member {name!r}; an archive holds one folder")
            padding = -size % 512
            member = parts[1] if len(parts) == 2 else ""
            if kind in (b"0", b"\0") and member in TABLES:
                data = stream.take(size)
                if data is None:
                    raise DamagedArchive(f"{source} is truncated in {name}")
                files[member] = data
                stream.skip(padding)
            elif kind in (b"0", b"\0") and member.endswith(".json") and verify:
                digests[member] = stream.digest(size)
                stream.skip(padding)
            else:
                stream.skip(size + padding)
    except zlib.error as error:
        raise DamagedArchive(f"{source} is damaged: {error}") from None
    if top is None:
        raise DamagedArchive(f"{source} is empty")
    dataset = Dataset(files, source)
    if verify:
        for run in dataset.manifest.get("runs", []):
            if "file" not in run:
                continue
            found = digests.get(run["file"])
            if found is None:
                raise DamagedArchive(f"{source} lacks the record of run {run['run_id']} ({run['file']})")
            _check(run, found, source)
    return dataset


def _header(header: bytes, source: str) -> Tuple[str, int, bytes]:
    """The name, size and type of a ustar header whose checksum holds."""
    def octal(field: bytes) -> int:
        text = field.split(b"\0", 1)[0].strip()
        return int(text, 8) if text else 0

    try:
        if header[124] & 0x80:  # base-256 size of a member of 8 GiB or more
            size = int.from_bytes(header[125:136], "big")
        else:
            size = octal(header[124:136])
        checksum = octal(header[148:156])
    except ValueError:
        raise DamagedArchive(f"{source} is damaged: a tar header that is not a tar header") from None
    if checksum != sum(header[:148]) + 8 * 32 + sum(header[156:]):
        raise DamagedArchive(f"{source} is damaged: a tar header's checksum does not hold")
    name = header[:100].split(b"\0", 1)[0].decode("utf-8", "replace")
    if header[257:262] == b"ustar":
        prefix = header[345:500].split(b"\0", 1)[0].decode("utf-8", "replace")
        if prefix:
            name = prefix + "/" + name
    return name, size, header[156:157]


class _GzipStream:
    """A gzip file decompressed chunk by chunk, read in order: taken, hashed or skipped."""

    def __init__(self, file: IO[bytes], source: str) -> None:
        self._file = file
        self._source = source
        self._inflater = zlib.decompressobj(wbits=31)
        self._buffer = bytearray()
        self._position = 0

    def _more(self) -> bool:
        chunk = self._file.read(1 << 22)
        if not chunk:
            if not self._inflater.eof:
                raise DamagedArchive(f"{self._source} is truncated")
            return False
        output = self._inflater.decompress(chunk)
        # Concatenated gzip members are one stream (RFC 1952).
        while self._inflater.eof and self._inflater.unused_data:
            rest = self._inflater.unused_data
            self._inflater = zlib.decompressobj(wbits=31)
            output += self._inflater.decompress(rest)
        if self._position:
            del self._buffer[:self._position]
            self._position = 0
        self._buffer += output
        return True

    def take(self, count: int) -> Optional[bytes]:
        """The next ``count`` bytes, or None at the end of the stream."""
        while len(self._buffer) - self._position < count:
            if not self._more():
                if len(self._buffer) == self._position:
                    return None
                raise DamagedArchive(f"{self._source} is truncated")
        data = bytes(self._buffer[self._position:self._position + count])
        self._position += count
        return data

    def _consume(self, count: int, hasher: Any) -> None:
        while count > 0:
            available = len(self._buffer) - self._position
            if available == 0:
                if not self._more():
                    raise DamagedArchive(f"{self._source} is truncated")
                continue
            step = min(available, count)
            if hasher is not None:
                with memoryview(self._buffer) as view:
                    hasher.update(view[self._position:self._position + step])
            self._position += step
            count -= step

    def skip(self, count: int) -> None:
        """Passes over ``count`` bytes."""
        self._consume(count, None)

    def digest(self, count: int) -> Tuple[str, int]:
        """The sha256 of the next ``count`` bytes, and ``count``."""
        hasher = hashlib.sha256()
        self._consume(count, hasher)
        return hasher.hexdigest(), count


def _digest(stream: IO[bytes]) -> Tuple[str, int]:
    hasher = hashlib.sha256()
    size = 0
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            return hasher.hexdigest(), size
        hasher.update(chunk)
        size += len(chunk)


def _check(run: Mapping[str, Any], found: Tuple[str, int], source: str) -> None:
    digest, size = found
    if digest != run["sha256"] or size != run["bytes"]:
        raise DamagedArchive(
            f"{source}: the record of run {run['run_id']} ({run['file']}) has sha256 {digest} and {size} bytes; "
            f"the manifest says {run['sha256']} and {run['bytes']} bytes")
