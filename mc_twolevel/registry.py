"""The registry of models: the built-in ones, entry points, and models registered at run time.

A module in :mod:`mc_twolevel.models` that defines ``MODEL`` is found alone; a
package elsewhere publishes one under the ``mc_twolevel.models`` entry-point
group; a script or notebook calls :func:`register`. The engine never looks a
model up by name: it receives the :class:`~mc_twolevel.model.Model` itself, so a
model registered at run time also runs on remote workers.
"""

import importlib
import pkgutil
import sys
from importlib.metadata import entry_points

from .errors import InputError

_REGISTRY = {}


def register(model):
    """Add ``model`` to the registry and return it.

    The module that defines its kernel (a script, a notebook, a test) is pickled by
    value when tasks are sent to worker processes, so remote workers run it without
    importing it; a model published in an installed package should use the
    ``mc_twolevel.models`` entry point instead, and is pickled by reference.
    """
    _REGISTRY[model.name] = model
    _pickle_by_value(getattr(model.kernel, "py_func", model.kernel).__module__)
    return model


def _pickle_by_value(module_name):
    module = sys.modules.get(module_name)
    if module is None or module_name == "__main__" or module_name.startswith("mc_twolevel."):
        return  # __main__ is pickled by value already; the package's own modules are importable
    import cloudpickle
    from numba import cloudpickle as numba_cloudpickle  # numba pickles a kernel's Python code with its own copy

    cloudpickle.register_pickle_by_value(module)
    numba_cloudpickle.register_pickle_by_value(module)


def _discover():
    from . import models as package

    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if hasattr(module, "MODEL"):
            _REGISTRY.setdefault(module.MODEL.name, module.MODEL)
    for entry in entry_points(group="mc_twolevel.models"):
        model = entry.load()
        _REGISTRY.setdefault(model.name, model)


def get_model(name):
    """The model called ``name``; an unknown name is an :class:`InputError`."""
    if not isinstance(name, str):
        raise InputError(f"model = {name!r}: expected a model's name, one of {', '.join(model_names())}")
    if name not in _REGISTRY:
        _discover()
    if name not in _REGISTRY:
        raise InputError(f"unknown model {name!r}; the models are: {', '.join(model_names())}")
    return _REGISTRY[name]


def model_names():
    _discover()
    return sorted(_REGISTRY)
