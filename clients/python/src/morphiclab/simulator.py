"""Batches of parameter sets run as sweeps: a simulator for simulation-based inference."""
from __future__ import annotations

import atexit
import copy
import hashlib
import math
import os
import signal
import sys
import threading
import time
import urllib.parse
import warnings
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence

import numpy as np

from .errors import Conflict, MorphicError, NotFound, SweepFailed

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client, Definition
    from .sweep import Sweep

#: Parameters that take whole numbers (docs/model.md); θ's values for them must be integral.
INTEGER_PARAMETERS = frozenset({
    "grid_size", "generations", "crystal_count", "form_size", "crystallization_interval", "min_form_cells", "seed"})


#: Parameters that act only through the field of crystals: none acts in a classical run
#: (docs/model.md), so x cannot depend on them there.
FIELD_PARAMETERS = frozenset({
    "field_strength", "crystal_count", "temporal_decay", "similarity_threshold", "influence_exponent",
    "cross_system_coupling", "form_size", "similarity", "crystallization_interval", "min_form_cells",
    "reinforcement", "resonance_threshold"})


class Simulator:
    """``simulate(theta) -> x``: θ [N, k] in, the observable features [N, features] out.

    Each call is one sweep on the server: the base definition with its one group's
    ``points`` set to θ's rows (``{parameters[j]: theta[i, j]}``, in order; its ``grid`` or
    ``sample``, and its ``params`` of θ's parameters, removed; name, prefix and every other
    setting kept, and the sweep's seed the call's own, below). Run ``i`` of the
    sweep is ``<prefix>_<i+1>``, so row ``i`` of x is the features of θ's row ``i``: exactly
    what ``morphic sweep`` gives for :meth:`definition` of θ and the call's number.

    Every row of every call is its own draw of the model's noise: a run's seed derives from
    the sweep's seed and the run's id, and each call's sweep has its own seed, drawn from
    ``seed`` (the base definition's seed when not given), the call's number and θ's values
    with numpy's ``SeedSequence``. Two calls with the same θ give two independent draws of x,
    as inference tools expect of a simulator, and a new simulator with the same seed makes the
    same calls again. A seed fixed in the base group's ``params`` fixes every run's noise.

    A simulator can be pickled, so tools that spread calls over processes can use it
    (``sbi``'s ``simulate_for_sbi(process_simulator(simulate, prior, False), prior, n,
    num_workers=4)``: sbi hands its workers numpy batches, and ``process_simulator`` makes
    their x tensors). A copy (pickled, or made with ``copy.deepcopy``) draws each call's seed
    from ``seed``, θ's values and numpy's global random state rather than a call number
    (so does a simulator inherited by a forked process),
    since which calls a copy makes depends on how the pool hands out tasks. sbi seeds that
    state for each batch, so copies draw independent noise even for the same θ, and sbi's
    ``seed`` makes them reproducible. In a pool of your own, seed it in each task too: the
    workers of a pool that forks start from one state, and would draw the same noise.

    The sweeps a simulator creates are its own to delete: each is kept on the server until
    the next call has its x, then deleted (the server keeps at most ``max_stored_sweeps``);
    :meth:`close` (or leaving a ``with`` block) deletes the last one. A copy deletes each of
    its sweeps once it has its x, and a call that ends without its x (Ctrl-C, a timeout)
    cancels and deletes its sweep, or warns naming it when the server refuses for 5 s
    (its dataset still being written), cannot be reached, or a second Ctrl-C cuts that
    short. A first Ctrl-C while the server takes the sweep waits for its answer (in the main
    thread, under Python's own handler). Sweeps of calls still under way when Python exits
    are removed then; SIGTERM is not covered. ``keep=True`` keeps the sweeps
    this simulator creates. A sweep the server already had (the same definition submitted
    before) is its creator's to keep or delete; when its creator deletes it before its x is
    read, the call submits it again.

    θ may be a numpy array, a list, anything ``np.asarray`` reads, or a torch tensor (one
    that requires grad is detached; x comes back on θ's device); x has θ's floating dtype
    (float32 θ, float32 x; float64 otherwise), and for a torch tensor x is a torch tensor
    (torch is never imported here: a tensor's own module is used). A 1-D θ of k values
    gives a 1-D x. A batch with a failed run raises :class:`MorphicError` naming the runs.

    Attributes:
        base: the base definition, as a dict.
        parameters: the names of θ's columns.
        x_names: the names of x's columns (known after this simulator's first call; copies'
            calls in other processes do not set it).
        last_sweep: the sweep of the last call.
        calls: the number of calls made so far (the next call's number).
    """

    def __init__(self, client: "Client", base: "Definition", parameters: Sequence[str], *,
                 progress: bool = False, timeout: Optional[float] = None, seed: Optional[int] = None,
                 keep: bool = False) -> None:
        from .client import definition_dict
        self.client = client
        self.base = definition_dict(base)
        groups = self.base.get("groups")
        if not isinstance(groups, list) or len(groups) != 1 or not isinstance(groups[0], dict):
            raise ValueError("a simulator's base definition has exactly one group; its points are θ's rows")
        if int(groups[0].get("replicates", 1)) != 1:
            raise ValueError("a simulator's base group has one replicate per point (x has one row per θ row); "
                             f"it has replicates {groups[0]['replicates']}")
        if isinstance(parameters, str) or not parameters:
            raise ValueError("parameters is a non-empty list of parameter names, θ's columns in order")
        if len(set(parameters)) != len(parameters):
            raise ValueError(f"parameters are named twice: {list(parameters)}")
        self.parameters: List[str] = [str(p) for p in parameters]
        # A run's mode: the group's, its params', the defaults', then the model's.
        modes = [groups[0].get("mode"), groups[0].get("params"), self.base.get("defaults")]
        mode = next((m if isinstance(m, str) else m.get("mode") for m in modes
                     if isinstance(m, str) or (isinstance(m, dict) and "mode" in m)), "morphic")
        idle = [name for name in self.parameters if name in FIELD_PARAMETERS]
        if mode == "classical" and idle:
            raise ValueError(f"{', '.join(idle)} cannot act in the base group's classical runs (they have no "
                             "field), so x would not depend on them; give the group \"mode\": \"morphic\"")
        self.prefix = str(groups[0].get("prefix", ""))
        if seed is None:
            seed = self.base.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < 2 ** 64:
            raise ValueError(f"seed is a whole number in 0...2^64-1, not {seed!r}")
        self.seed = int(seed)
        self.keep = keep
        self.calls = 0
        self._lock = threading.Lock()
        self._copy = False
        self._pid = os.getpid()
        #: The last sweep this simulator created and has yet to delete.
        self._owned: Optional["Sweep"] = None
        self.progress = progress
        self.timeout = timeout
        self.x_names: Optional[List[str]] = None
        self.last_sweep: Optional["Sweep"] = None

    def __repr__(self) -> str:
        return f"<morphiclab.Simulator {self.base.get('name', '?')} θ = {self.parameters} on {self.client.url}>"

    def definition(self, theta: Any, call: Optional[int] = None) -> Dict[str, Any]:
        """The sweep definition a batch θ [N, k] becomes in call number ``call`` (from 0; the
        next call when not given) of the simulator itself: a copy's calls draw their seeds
        from numpy's global state instead."""
        call = self.calls if call is None else call
        if isinstance(call, bool) or not isinstance(call, (int, np.integer)) or call < 0:
            raise ValueError(f"call is a call's number, 0 or more, not {call!r}")
        return self._definition(self._rows(theta), int(call), None)

    def _definition(self, rows: np.ndarray, call: int, salt: Optional[List[int]]) -> Dict[str, Any]:
        entropy = _entropy(self.seed, call, rows) if salt is None else _entropy(self.seed, 0, rows) + salt
        low, high = np.random.SeedSequence(entropy).generate_state(2, dtype=np.uint32).tolist()
        definition = copy.deepcopy(self.base)
        group = definition["groups"][0]
        group.pop("grid", None)
        group.pop("sample", None)
        # θ's values stand in for the group's own (the server refuses a parameter set twice).
        params = {k: v for k, v in group.get("params", {}).items() if k not in self.parameters}
        if params:
            group["params"] = params
        else:
            group.pop("params", None)
        group["points"] = [{name: _value(name, value, i) for name, value in zip(self.parameters, row)}
                           for i, row in enumerate(rows.tolist())]
        definition["seed"] = low | high << 32
        return definition

    def __call__(self, theta: Any) -> Any:
        rows = self._rows(theta)
        if self._pid != os.getpid():
            # Inherited by a forked process (a pool's worker): a copy, though never pickled.
            self.__setstate__(self.__getstate__())
        # A copy (a pool's worker's) would repeat its siblings' call numbers, and which calls
        # a copy makes depends on how the pool hands out tasks: its seed is drawn from numpy's
        # global state instead, which such tools seed for each task.
        salt = np.random.randint(0, 2 ** 32, size=2).tolist() if self._copy else None
        with self._lock:
            # A θ refused here (a NaN, a fraction for a whole number) takes no call number.
            definition = self._definition(rows, self.calls, salt)
            self.calls += 1
        for attempt in range(_ATTEMPTS):
            sweep = self._submit(definition, len(rows))
            try:
                sweep.wait(progress=self.progress, timeout=self.timeout)
                data = sweep.dataset(cache=False)
                self._settle(sweep)
                break
            except NotFound:
                # The server already had this sweep, and its owner deleted it once it had its
                # x; the same definition gives the same x again.
                if attempt + 1 == _ATTEMPTS:
                    raise
            except SweepFailed:
                # Ended with failed runs: kept, as the last sweep, to be looked into.
                self._settle(sweep)
                raise
            except BaseException:
                # Ctrl-C, a timeout, a lost server: nobody will read this sweep's x.
                if self._owns(sweep):
                    _abandon(sweep)
                raise
        names = data.x_names
        x_all = np.asarray(data.theta_x()[1], dtype=np.float64)
        index = {str(run_id): i for i, run_id in enumerate(data.theta_x_run_ids)}
        wanted = [f"{self.prefix}_{i + 1}" for i in range(len(rows))]
        missing = [run_id for run_id in wanted if run_id not in index]
        if missing:
            raise MorphicError(f"sweep {sweep.id} has no features for {len(missing)} of its runs "
                               f"(first: {missing[:5]}); they failed: see sweep.runs(filter='status = failed')")
        self.x_names = names
        x = x_all[[index[run_id] for run_id in wanted]]
        return _like(theta, x if np.ndim(theta) == 2 else x[0])

    def _submit(self, definition: Dict[str, Any], rows: int) -> "Sweep":
        """Submits a call's sweep; with Ctrl-C held back until the server's answer is read,
        so that a sweep the server took is known, and removed."""
        try:
            with _InterruptAfter() as interrupt:
                try:
                    # A Ctrl-C ends retries that nothing reached the server by (a refused
                    # connection): there is nothing to wait for.
                    sweep = self.client._submit(definition, stop=lambda: interrupt.pending)
                except BaseException as error:
                    if interrupt.pending:
                        if isinstance(error, KeyboardInterrupt):
                            # A second Ctrl-C: the server may have taken the sweep unanswered.
                            warnings.warn(f"the sweep of {definition.get('name')!r} this call submitted may have "
                                          "been left on the server (a second Ctrl-C before its answer)", stacklevel=3)
                        raise KeyboardInterrupt from error
                    raise
        except MorphicError as error:
            if error.status != 413:
                raise
            raise MorphicError(f"{error.message}: a batch of {rows} θ rows is one request, more than the "
                               "server takes; call the simulator with fewer rows at a time",
                               status=error.status, code=error.code, field=error.field) from None
        if self._owns(sweep):
            _IN_FLIGHT.add(sweep)
        if interrupt.pending:
            if self._owns(sweep):
                _abandon(sweep)
            raise KeyboardInterrupt
        return sweep

    def _owns(self, sweep: "Sweep") -> bool:
        """Whether `sweep` is this simulator's to delete: it created it, and keeps none."""
        return sweep.created and not self.keep

    def _settle(self, sweep: "Sweep") -> None:
        """Makes a finished call's sweep the last one, and deletes the one before it if it
        was this simulator's own."""
        _IN_FLIGHT.discard(sweep)
        mine = sweep if self._owns(sweep) else None
        if self._copy and mine is not None:
            # A copy's caller never sees its sweeps, and a process pool sends a new copy with
            # each task: nothing later would delete them.
            _forget(mine)
            mine = None
        with self._lock:
            self.last_sweep = sweep
            previous, self._owned = self._owned, mine
        if previous is not None and previous.id != sweep.id:
            _forget(previous)

    def close(self) -> None:
        """Deletes the last sweep this simulator created, unless ``keep``; calls may go on."""
        with self._lock:
            previous, self._owned = self._owned, None
        if previous is not None:
            _forget(previous)

    def __enter__(self) -> "Simulator":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __getstate__(self) -> Dict[str, Any]:
        # A copy (another process's) has no lock to share and no sweep of its own to delete.
        state = dict(self.__dict__)
        del state["_lock"]
        state["last_sweep"] = state["_owned"] = None
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
        self._copy = True
        self._pid = os.getpid()

    def _rows(self, theta: Any) -> np.ndarray:
        if _is_tensor(theta):
            # Without grad, on the CPU, and as float64 (numpy has no bfloat16).
            theta = theta.detach().cpu().double()
        rows = np.asarray(theta, dtype=np.float64)
        if rows.ndim == 1:
            rows = rows[None, :]
        if rows.ndim != 2 or rows.shape[1] != len(self.parameters) or rows.shape[0] == 0:
            raise ValueError(f"θ must be [N, {len(self.parameters)}] ({', '.join(self.parameters)}), N ≥ 1; "
                             f"it is {list(np.shape(theta))}")
        return rows


#: Submissions of one call's sweep when its owner deletes it under this call.
_ATTEMPTS = 3
#: Seconds that removing an abandoned call's sweep may take (each request, and all).
_ABANDON_TIMEOUT = 5.0


def _entropy(seed: int, call: int, rows: np.ndarray) -> List[int]:
    """What a call's sweep seed is drawn from: the simulator's seed, the call's number and
    θ's values (their float64 bytes' SHA-256, as eight 32-bit words)."""
    digest = hashlib.sha256(np.ascontiguousarray(rows, dtype="<f8").tobytes()).digest()
    return [seed, call, *np.frombuffer(digest, dtype="<u4").tolist()]


def _abandon(sweep: "Sweep") -> None:
    """Cancels and deletes a sweep whose x nobody will read, each request asked once and
    briefly, for at most 5 s in all: the error that ended the call is the one to see. What
    cannot be removed (a second Ctrl-C, a server that refuses or cannot be reached) is named
    in a warning."""
    quick = copy.copy(sweep.client._transport)
    quick.retries = 0
    quick.timeout = min(quick.timeout or _ABANDON_TIMEOUT, _ABANDON_TIMEOUT)
    path = "/api/sweeps/" + urllib.parse.quote(sweep.id, safe="")
    deadline = time.monotonic() + _ABANDON_TIMEOUT
    pause = 0.02
    try:
        try:
            quick.send("POST", path + "/cancel", body=b"")
        except Conflict:
            pass  # its runs have all ended: its dataset is being written, or written
        while True:
            try:
                quick.send("DELETE", path)
                _IN_FLIGHT.discard(sweep)
                return
            except Conflict as busy:
                # Its running runs stop at their next step (a cluster's jobs, once cancelled),
                # and a dataset being written is done in a moment; or not within the time.
                left = deadline - time.monotonic()
                if left <= 0:
                    _left(sweep, busy.message)
                    return
                time.sleep(min(pause, left))
                pause *= 2
    except NotFound:
        _IN_FLIGHT.discard(sweep)  # removed already
    except MorphicError as error:
        _left(sweep, str(error))
    except KeyboardInterrupt:
        _left(sweep, "interrupted while it was being removed")
        raise


def _left(sweep: "Sweep", why: str) -> None:
    _IN_FLIGHT.discard(sweep)
    warnings.warn(f"sweep {sweep.id} was left on the server: {why}", stacklevel=4)


class _InFlight:
    """Sweeps created by calls that have not returned: removed when the interpreter exits
    (a call in a daemon thread, say, ended by Ctrl-C in the main one)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sweeps: Dict[int, "Sweep"] = {}
        atexit.register(self._remove_all)

    def add(self, sweep: "Sweep") -> None:
        with self._lock:
            self._sweeps[id(sweep)] = sweep

    def discard(self, sweep: "Sweep") -> None:
        with self._lock:
            self._sweeps.pop(id(sweep), None)

    def _remove_all(self) -> None:
        with self._lock:
            sweeps = list(self._sweeps.values())
        for index, sweep in enumerate(sweeps):
            try:
                _abandon(sweep)
            except KeyboardInterrupt:
                for rest in sweeps[index + 1:]:
                    _left(rest, "interrupted while the sweeps of unfinished calls were being removed")
                raise


_IN_FLIGHT = _InFlight()


class _InterruptAfter:
    """Holds back Ctrl-C (in the main thread) until the block ends, so that a request the
    server has acted on is answered; a second Ctrl-C is not held back."""

    def __init__(self) -> None:
        self.pending = False
        self._previous: Any = None

    def __enter__(self) -> "_InterruptAfter":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.getsignal(signal.SIGINT)
            if self._previous is signal.default_int_handler:
                signal.signal(signal.SIGINT, self._hold)
            else:
                self._previous = None  # someone else's handler: left alone
        return self

    def _hold(self, signum: int, frame: Any) -> None:
        if self.pending:
            raise KeyboardInterrupt
        self.pending = True

    def __exit__(self, *exc: Any) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def _is_tensor(value: Any) -> bool:
    return type(value).__module__.split(".")[0] == "torch" and "torch" in sys.modules


def _forget(sweep: "Sweep") -> None:
    """Deletes an earlier call's sweep; one already gone is left to be, and one that cannot
    be deleted is named in a warning (the call that got its x still returns it)."""
    try:
        sweep.delete()
    except NotFound:
        pass
    except MorphicError as error:
        warnings.warn(f"sweep {sweep.id} was left on the server: {error}", stacklevel=3)
    except KeyboardInterrupt:
        warnings.warn(f"sweep {sweep.id} was left on the server: interrupted while it was being deleted",
                      stacklevel=3)
        raise


def _value(name: str, value: float, row: int) -> Any:
    if not math.isfinite(value):
        raise ValueError(f"θ row {row}: {name} is {value}")
    if name in INTEGER_PARAMETERS:
        if not float(value).is_integer():
            raise ValueError(f"θ row {row}: {name} takes whole numbers, not {value}")
        return int(value)
    return float(value)


def _like(theta: Any, x: np.ndarray) -> Any:
    """x as the caller's kind of array: a torch tensor for a torch tensor, else numpy."""
    if _is_tensor(theta):
        torch = sys.modules["torch"]
        dtype = theta.dtype if theta.is_floating_point() else torch.float32
        return torch.from_numpy(x).to(device=theta.device, dtype=dtype)
    dtype = getattr(theta, "dtype", None)
    if isinstance(dtype, np.dtype) and np.issubdtype(dtype, np.floating):
        return x.astype(dtype, copy=False)
    return x
