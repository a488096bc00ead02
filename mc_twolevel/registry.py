"""The registry of models: the built-in ones, entry points, and models registered at run time.

A module in :mod:`mc_twolevel.models` that defines ``MODEL`` is found alone; a
package elsewhere publishes one under the ``mc_twolevel.models`` entry-point
group; a script or notebook calls :func:`register`. The engine never looks a
model up by name: it receives the :class:`~mc_twolevel.model.Model` itself, so a
model registered at run time also runs on remote workers.
"""

import importlib
import pkgutil
from importlib.metadata import entry_points

from .errors import InputError, did_you_mean

_REGISTRY = {}


def register(model):
    """Add ``model`` to the registry and return it.

    A model registered from a script or a notebook runs on Dask workers that never
    imported it: tasks carry only its :class:`~mc_twolevel.model.TaskKernel`,
    whose numba kernel pickles its code by value.
    """
    _REGISTRY[model.name] = model
    return model


def _discover():
    from . import models as package

    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if hasattr(module, "MODEL"):
            _REGISTRY.setdefault(module.MODEL.name, module.MODEL)
    for entry in entry_points(group="mc_twolevel.models"):
        model = entry.load()
        _REGISTRY.setdefault(model.name, model)


def _built_in(name):
    """Import the built-in model module called ``name``, if there is one (and only it, so a
    run pays for its own model's imports alone)."""
    from . import models as package

    if name.isidentifier() and any(info.name == name for info in pkgutil.iter_modules(package.__path__)):
        module = importlib.import_module(f"{package.__name__}.{name}")
        if hasattr(module, "MODEL"):
            _REGISTRY.setdefault(module.MODEL.name, module.MODEL)


def get_model(name):
    """The model called ``name``; an unknown name is an :class:`InputError`."""
    if not isinstance(name, str):
        raise InputError(f"model = {name!r}: expected a model's name, one of {', '.join(model_names())}")
    if name not in _REGISTRY:
        _built_in(name)
    if name not in _REGISTRY:
        _discover()
    if name not in _REGISTRY:
        raise InputError(
            f"unknown model {name!r}{did_you_mean(name, model_names())}; the models are: {', '.join(model_names())}"
        )
    return _REGISTRY[name]


def model_names():
    _discover()
    return sorted(_REGISTRY)
