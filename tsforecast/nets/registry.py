"""The net registry: one decorator makes a network a forecaster.

::

    @register_net("lstm", forecaster="LSTMForecaster", config=LSTMConfig,
                  capabilities=recurrent_capabilities,
                  defaults={"normalization": "last_value"})
    class LSTMNet(nn.Module): ...

registers the net for :func:`build_net` and creates ``LSTMForecaster`` (see
:mod:`tsforecast.forecasters.neural`, reachable as ``tsforecast.LSTMForecaster``) whose
constructor takes the fields of the config dataclass as arguments, next to the shared
training arguments; ``defaults`` overrides the defaults of training arguments for this
net's forecaster (chosen on validation data, see ``benchmarks/RESULTS.md``).

What a net can do (:class:`NetCapabilities`: covariates, masks, channel independence, the
start test) is declared at registration, as a constant or as a function of the config, and
read through :meth:`NetSpec.capabilities_of` only: generic code never asks the net object.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from .common import Dims, NetCapabilities
from .revin import NORMALIZATIONS, InstanceNormWrapper

__all__ = ["NETS", "NetSpec", "build_net", "register_net"]


@dataclass(frozen=True)
class NetSpec:
    """A registered net: its class, its config dataclass, its forecaster's public name, its
    capabilities (a :class:`NetCapabilities` or a function ``config -> NetCapabilities``)
    and that forecaster's own defaults for training arguments."""

    name: str
    net: type[nn.Module]
    config: type
    forecaster: str
    summary: str
    capabilities: NetCapabilities | Callable[[Any], NetCapabilities]
    defaults: dict[str, Any] = field(default_factory=dict)

    def capabilities_of(self, config: Any) -> NetCapabilities:
        """The capabilities of this net built with ``config`` (an instance of ``self.config``):
        the one place they are read."""
        if isinstance(self.capabilities, NetCapabilities):
            return self.capabilities
        caps = self.capabilities(config)
        if not isinstance(caps, NetCapabilities):
            raise TypeError(f"capabilities of net {self.name!r} must return NetCapabilities, "
                            f"got {type(caps).__name__}")
        return caps


#: name -> :class:`NetSpec`, in registration order.
NETS: dict[str, NetSpec] = {}


def register_net(name: str, *, forecaster: str, config: type,
                 capabilities: NetCapabilities | Callable[[Any], NetCapabilities],
                 defaults: dict[str, Any] | None = None) -> Callable[[type], type]:
    """Class decorator registering a net (``forward(batch) -> [B, H, T(, Q)]``).

    ``forecaster``: the public name of its forecaster class (``tsforecast.<forecaster>``),
    ending in ``"Forecaster"``. ``capabilities``: what the net does (:class:`NetCapabilities`),
    or a function of the config returning them when config fields switch them.
    ``defaults``: training arguments whose default differs for this net's forecaster, e.g.
    ``{"normalization": "last_value"}``.
    """
    if not dataclasses.is_dataclass(config):
        raise TypeError(f"config of net {name!r} must be a dataclass, got {config!r}")
    if not (isinstance(forecaster, str) and forecaster.isidentifier()
            and forecaster.endswith("Forecaster")):
        raise ValueError(f"forecaster of net {name!r} must be a class name ending in "
                         f"'Forecaster', got {forecaster!r}")
    if not (isinstance(capabilities, NetCapabilities) or callable(capabilities)):
        raise TypeError(f"capabilities of net {name!r} must be NetCapabilities or a function "
                        f"of the config, got {capabilities!r}")

    def wrap(net_cls: type) -> type:
        known = NETS.get(name)
        if known is not None and known.net.__qualname__ != net_cls.__qualname__:
            raise ValueError(f"net name {name!r} is already taken by {known.net.__name__}")
        clash = [s.name for s in NETS.values() if s.forecaster == forecaster and s.name != name]
        if clash:
            raise ValueError(f"forecaster name {forecaster!r} is already taken by net {clash[0]!r}")
        summary = (net_cls.__doc__ or name).strip().splitlines()[0]
        NETS[name] = NetSpec(name, net_cls, config, forecaster, summary, capabilities,
                             dict(defaults or {}))
        return net_cls

    return wrap


def build_net(name: str, dims: Dims, normalization: str = "revin", masked: bool = False,
              season: int = 1, **kwargs) -> nn.Module:
    """Build registered net ``name`` for ``dims``; ``kwargs`` are fields of its config.

    ``normalization`` (one of :data:`~.revin.NORMALIZATIONS`): ``"revin"`` (default) or
    ``"last_value"`` wrap the net in :class:`InstanceNormWrapper` (per-window normalisation of
    the target inputs, forecasts mapped back to the input scale); ``"none"`` returns the net.
    ``masked``: batches carry ``mask [B, L]`` (left-padded windows); the net is built for one
    more input channel (the mask) and always wrapped, whatever ``normalization``.
    ``season``: the period of ``normalization="seasonal"`` (ignored by the others).

    Raises ``ValueError`` for an unknown name, an unknown config key, or an invalid value.
    """
    if name not in NETS:
        raise ValueError(f"unknown net {name!r}; available nets: {sorted(NETS)}")
    if not isinstance(dims, Dims):
        raise TypeError(f"dims must be a Dims instance, got {type(dims).__name__}")
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {list(NORMALIZATIONS)}, "
                         f"got {normalization!r}")
    spec = NETS[name]
    valid = [f.name for f in dataclasses.fields(spec.config)]
    unknown = [key for key in kwargs if key not in valid]
    if unknown:
        raise ValueError(f"unknown option(s) {unknown} for net {name!r}; valid options: {valid}")
    if not isinstance(masked, bool):
        raise ValueError(f"masked must be True or False, got {masked!r}")
    config = spec.config(**kwargs)  # validates values (ValueError naming field and value)
    inner = dataclasses.replace(dims, n_inputs=dims.n_inputs + 1) if masked else dims
    net = spec.net(inner, config)
    if normalization != "none" or masked:
        net = InstanceNormWrapper(net, dims.n_targets, dims.n_inputs, method=normalization,
                                  masked=masked, season=season)
    return net
