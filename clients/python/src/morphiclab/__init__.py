"""MorphicLab's Python client: submit sweeps to a MorphicLab server, follow them, and load
their datasets into pandas and numpy.

    import morphiclab
    client = morphiclab.Client("http://127.0.0.1:8080")      # token also from MORPHIC_API_TOKEN
    sweep = client.submit("Config/sweeps/smoke.json")          # a path, a dict or JSON text
    sweep.wait(progress=True)                                  # a bar of finished runs, rate, ETA
    data = sweep.dataset()                                     # downloaded once, cached, checked
    data.runs, data.features                                   # pandas DataFrames
    data.series("population")                                  # numpy [runs, generations]
    theta, x = data.theta_x(split="train")                     # numpy arrays
    simulate = client.simulator(base="Config/sweeps/smoke.json", parameters=["field_strength"])
    x = simulate(theta)                                        # θ [N, k] -> x [N, features], one sweep
    data = morphiclab.load("dataset.tar.gz")                   # or a dataset folder

Errors are exceptions carrying the server's message and field: :class:`DefinitionError`
(422), :class:`NotFound`, :class:`Unauthorized`, :class:`ServerUnavailable` (after retries).
"""
from .client import Client
from .dataset import Dataset, load
from .errors import (BadRequest, Conflict, DamagedArchive, DefinitionError, Forbidden, MorphicError, NotFound,
                     ServerUnavailable, SweepFailed, Unauthorized)
from .simulator import Simulator
from .sweep import Sweep, SweepStatus

__all__ = [
    "Client", "Sweep", "SweepStatus", "Dataset", "load", "Simulator",
    "MorphicError", "BadRequest", "Unauthorized", "Forbidden", "NotFound", "Conflict", "DefinitionError",
    "ServerUnavailable", "SweepFailed", "DamagedArchive",
]
__version__ = "0.1.0"
