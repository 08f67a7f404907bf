"""The net registry: one decorator makes a network a forecaster.

::

    @register_net("lstm", forecaster="LSTMForecaster", config=LSTMConfig)
    class LSTMNet(nn.Module): ...

registers the net for :func:`build_net` and creates ``LSTMForecaster`` (see
:mod:`tsforecast.forecasters.neural`) whose constructor takes the fields of the config
dataclass as arguments, next to the shared training arguments.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from .common import Dims
from .revin import InstanceNormWrapper

__all__ = ["NETS", "NetSpec", "build_net", "register_net"]


@dataclass(frozen=True)
class NetSpec:
    """A registered net: its class, its config dataclass and its forecaster's name."""

    name: str
    net: type[nn.Module]
    config: type
    forecaster: str
    summary: str


#: name -> :class:`NetSpec`, in registration order.
NETS: dict[str, NetSpec] = {}


def register_net(name: str, *, forecaster: str, config: type) -> Callable[[type], type]:
    """Class decorator registering a net (``forward(batch) -> [B, H, T(, Q)]``)."""
    if not dataclasses.is_dataclass(config):
        raise TypeError(f"config of net {name!r} must be a dataclass, got {config!r}")

    def wrap(net_cls: type) -> type:
        known = NETS.get(name)
        if known is not None and known.net.__qualname__ != net_cls.__qualname__:
            raise ValueError(f"net name {name!r} is already taken by {known.net.__name__}")
        summary = (net_cls.__doc__ or name).strip().splitlines()[0]
        NETS[name] = NetSpec(name, net_cls, config, forecaster, summary)
        return net_cls

    return wrap


def build_net(name: str, dims: Dims, revin: bool = True, **kwargs) -> nn.Module:
    """Build registered net ``name`` for ``dims``; ``kwargs`` are fields of its config.

    With ``revin=True`` (default) the net is wrapped in :class:`InstanceNormWrapper`
    (per-window normalisation of the inputs, forecasts mapped back to the input scale).

    Raises ``ValueError`` for an unknown name, an unknown config key, or an invalid value.
    """
    if name not in NETS:
        raise ValueError(f"unknown net {name!r}; available nets: {sorted(NETS)}")
    if not isinstance(dims, Dims):
        raise TypeError(f"dims must be a Dims instance, got {type(dims).__name__}")
    spec = NETS[name]
    valid = [f.name for f in dataclasses.fields(spec.config)]
    unknown = [key for key in kwargs if key not in valid]
    if unknown:
        raise ValueError(f"unknown option(s) {unknown} for net {name!r}; valid options: {valid}")
    config = spec.config(**kwargs)  # validates values (ValueError naming field and value)
    net = spec.net(dims, config)
    if revin:
        net = InstanceNormWrapper(net, n_targets=dims.n_targets, n_inputs=dims.n_inputs)
    return net
