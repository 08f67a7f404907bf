"""Neural forecasters: glue between the forecaster contract and :mod:`tsforecast.training`.

:class:`NeuralForecaster` builds the registered net from the data at ``fit`` (sizes are
inferred), fits per-series scalers on the training rows only, hands lazy window datasets
to :func:`tsforecast.training.train` and forecasts in the original units.

Every net registered with :func:`tsforecast.nets.register_net` gets its own forecaster
class (``LSTMForecaster``, ...), made here by :func:`neural_forecaster`: its constructor
takes the net's config fields (``hidden_size``, ``num_layers``, ...) as arguments next
to the shared ones, so ``get_params()``, ``help()`` and tuners see them.
"""

from __future__ import annotations

import dataclasses
import warnings
from numbers import Integral

import numpy as np
import torch

from .. import progress
from ..data import Layout, SeriesData, SeriesScaler, check_min_context
from ..data.scaling import SCALERS, UNSHIFTED_SCALERS
from ..data.timeindex import resolve_season
from ..data.windows import WindowDataset, window_batches
from ..nets import NETS, NORMALIZATIONS, Dims, NetCapabilities, build_net, count_parameters
from ..resources import cpu_cores
from ..training import TrainOptions, seed, train
from ..training.options import (
    ACCELERATORS,
    PRECISIONS,
    TRAIN_PARAMS,
    WINDOW_PARAMS,
    check_devices,
)
from .base import BaseForecaster, check_quantiles
from .combination import combine_forecasts, members_state, restore_members
from .ensembling import ENSEMBLE_PARAMS
from .params import Interval, Options, Param, params_from_config
from .registry import register

#: Windows per forward pass when forecasting (of one series or of many together).
_FORECAST_BATCH = 1024

__all__ = ["ACCELERATORS", "PRECISIONS", "NeuralForecaster", "neural_forecaster", "register_all"]

LOOKBACK = Param("lookback", 96, "input window length (steps).", (Interval(Integral, 1),))
MIN_CONTEXT = Param("min_context", None, "fewest observed steps a window needs (1 .. lookback; "
                    "None: lookback). Below lookback, series shorter than the lookback are "
                    "used too: their windows are left-padded with zeros and a mask marks the "
                    "padding, which the per-window normalisation ignores and the net gets as "
                    "an extra input channel; a series with min_context + horizon rows trains, "
                    "one with min_context rows can be forecast.")

#: The neural forecasters' training parameters: their own (data scaling, normalisation,
#: the net's keyword arguments), the training call's (declared in
#: :mod:`tsforecast.training.options`, passed on to :func:`train` by name), and the
#: windows' (validation tail, stride; declared there too).
TRAINING_PARAMS = (
    Param("scaler", "standard", 'per-series scaler fitted on the training rows: "standard", '
          '"robust", "maxabs" (by the largest absolute value, no centring: the loss weighs '
          "errors relative to each series' level) or " '"none".', (Options(SCALERS),)),
    Param("normalization", "revin", 'per-window normalisation around the net: "revin" (each '
          'window by its own mean and std), "last_value" (subtract the last observed value, add '
          'it back: the net learns the change, zero output is the random walk), "level" '
          "(last_value, then divided by the window's mean absolute level), \"seasonal\" "
          "(level, and each window's own seasonal profile at season_length taken out and put "
          'back into the forecast) or "none". Levels that drift outside the training range, '
          "like prices, need one of the first four.", (Options(NORMALIZATIONS),)),
    Param("season_length", None, 'the season in steps of normalization="seasonal"; None '
          "infers it from the frequency (1, no season, when it has none).",
          (Interval(Integral, 1), None)),
    *TRAIN_PARAMS,
    *WINDOW_PARAMS,
)


class NeuralForecaster(BaseForecaster):
    """A registered net trained with Lightning behind the fit/predict API.

    ``model`` names the net, built with its default hyperparameters; the per-net classes
    (``LSTMForecaster``, ...) fix it and take its hyperparameters as arguments.
    ``n_ensemble > 1`` trains that many nets (seeds, lookbacks and losses varied as the
    ``ensemble_*`` parameters say) and forecasts their median: one class, one flag.

    Examples
    --------
    >>> import tsforecast as tsf
    >>> df = tsf.datasets.load_weather().iloc[-600:]
    >>> f = tsf.NLinearForecaster(lookback=48, horizon=12, target="TEMP", max_epochs=1,
    ...                           fill_missing="interpolate", random_state=0, verbose=False)
    >>> f.fit(df).predict().shape
    (12, 1)
    """

    tags = {"scope": "global", "neural": True, "quantiles": True, "covariates": True,
            "family": "neural"}
    params = (Param("model", "lstm", "registered net name."), LOOKBACK, MIN_CONTEXT,
              *TRAINING_PARAMS, *ENSEMBLE_PARAMS)
    history_name = "lookback"
    #: The net this class trains (None: the ``model`` argument).
    net_name: str | None = None
    net_spec = None

    @property
    def net(self) -> str:
        return self.net_name or self.model

    # -- validation ------------------------------------------------------------------------
    @property
    def season_length_(self) -> int:
        """The season of ``normalization="seasonal"``: ``season_length``, else the fitted
        frequency's (1 when it has none)."""
        return resolve_season(self.season_length, getattr(self, "freq_", None))

    def _net_kwargs(self) -> dict:
        """The net's hyperparameters: the per-net class's own arguments (none for the
        generic class, which builds the net with its defaults)."""
        if self.net_name is None:
            return {}
        return {p.name: getattr(self, p.name) for p in params_from_config(self.net_spec.config)}

    @property
    def net_capabilities(self) -> NetCapabilities:
        """What the net does with these hyperparameters, as declared at its registration
        (covariates, masks, channel independence, the start test)."""
        spec = NETS[self.net]
        return spec.capabilities_of(spec.config(**self._net_kwargs()))

    def _check_params(self) -> None:
        super()._check_params()  # every declared constraint
        check_min_context(self.min_context, self.lookback)
        if self.net not in NETS:
            raise ValueError(f"unknown model {self.net!r}; available: {sorted(NETS)}")
        if self.max_epochs is None and self.max_steps is None and self.max_time is None:
            raise ValueError("max_epochs=None needs a budget: set max_steps or max_time")
        if self.num_workers > (_cores := cpu_cores()):
            raise ValueError(f"num_workers={self.num_workers} but this machine has {_cores} cores")
        check_devices(self.devices, self.accelerator)
        overridden = set(self.trainer_kwargs or {}) & {"max_epochs", "max_steps", "devices",
                                                        "accelerator", "num_nodes"}
        for key in sorted(overridden):
            raise ValueError(f"trainer_kwargs must not set {key!r}; pass {key}= to the forecaster")
        if self.loss == "smape" and self.scaler not in UNSHIFTED_SCALERS:
            raise ValueError(f"loss='smape' compares forecasts with actuals relative to their "
                             f"size, which scaler={self.scaler!r} changes by shifting the "
                             f"values: use scaler={' or '.join(map(repr, UNSHIFTED_SCALERS))}")
        if self.loss not in (None, "quantile") and self.quantiles is not None:
            raise ValueError(f"quantiles need loss='quantile' (or loss=None), got {self.loss!r}")
        check_quantiles(self.quantiles)
        if self._ensembled():
            for member in self._members():
                member._check_params()
        # the net's own validation (ValueError naming the field), before any data is read:
        # built on the meta device, which allocates nothing (lookback=10**9 is refused
        # against the data at fit, not by the memory allocator here)
        try:
            with torch.device("meta"):
                build_net(self.net, Dims(max(self.lookback, 1), 1, 1, 1), normalization="none",
                          **self._net_kwargs())
        except (NotImplementedError, RuntimeError):
            pass  # a net that cannot be built without memory: validated when built at fit
        if self._padded() and not self.net_capabilities.masks:
            raise ValueError(f"net {self.net!r} does not take left-padded windows: "
                             f"min_context={self.min_context} needs min_context=None")

    # -- ensembles -------------------------------------------------------------------------
    def _ensembled(self) -> bool:
        return self.n_ensemble > 1

    def _member_lookback(self, k: int) -> int:
        """Ensemble member ``k``'s lookback: its factor of ``ensemble_lookbacks`` times ours."""
        factors = tuple(self.ensemble_lookbacks)
        return max(1, round(factors[k % len(factors)] * self.lookback))

    def _member_context(self, k: int) -> int:
        """Ensemble member ``k``'s fewest observed rows: ``min_context`` capped at its
        lookback, else its lookback."""
        lookback = self._member_lookback(k)
        return lookback if self.min_context is None else min(self.min_context, lookback)

    def _member_params(self, k: int) -> dict:
        """Parameters of ensemble member ``k``: this forecaster's, one net, its own seed,
        lookback (and ``min_context``, capped at it), loss and normalisation."""
        losses = tuple(self.ensemble_losses or (self.loss,))
        norms = tuple(self.ensemble_normalizations or (self.normalization,))
        lookback = self._member_lookback(k)
        cycle = k // len(self.ensemble_lookbacks)  # lookbacks vary fastest, then losses
        return {**self.get_params(deep=False), "n_ensemble": 1, "lookback": lookback,
                "min_context": None if self.min_context is None else self._member_context(k),
                "loss": losses[cycle % len(losses)],
                "normalization": norms[(cycle // len(losses)) % len(norms)],
                "random_state": None if self.random_state is None else self.random_state + k,
                "level": None}

    def _members(self) -> list[NeuralForecaster]:
        """The unfitted ensemble members."""
        return [self.ensemble_member(k) for k in range(self.n_ensemble)]

    def ensemble_member(self, k: int) -> NeuralForecaster:
        """Ensemble member ``k`` (``0 <= k < n_ensemble``), unfitted: a single net with its
        own seed, lookback, loss and normalisation. Fitting every member and combining
        their forecasts with :func:`~tsforecast.forecasters.combination.combine_forecasts`
        (``ensemble_combine``) gives this forecaster's forecasts: how the benchmark runs
        members as pieces of work on its processes or Ray."""
        if not 0 <= k < self.n_ensemble:
            raise ValueError(f"ensemble member {k!r} out of range: n_ensemble={self.n_ensemble}")
        return type(self)(**self._member_params(k))

    def _context(self) -> int:
        """The fewest observed rows before an origin: ``min_context``, else ``lookback``."""
        return check_min_context(self.min_context, self.lookback)

    def _padded(self) -> bool:
        """Whether windows may be left-padded (``min_context < lookback``)."""
        return self._context() < self.lookback

    @property
    def min_history(self) -> int:
        if self._ensembled():
            return max(self._member_context(k) for k in range(self.n_ensemble))
        return self._context()

    @property
    def history_rows(self) -> int:
        if self._ensembled():
            return max(self._member_lookback(k) for k in range(self.n_ensemble))
        return self.lookback  # a full window where the series has it

    def _need_text(self) -> str:
        if not self._padded():
            return super()._need_text()
        return f"min_context {self._context()} + horizon {self.horizon}"

    # -- fit -------------------------------------------------------------------------------
    def _fit(self, layout: Layout, series: list[SeriesData]) -> None:
        if self._ensembled():
            return self._fit_members(layout, series)
        seed(self.random_state)  # before anything draws random numbers (weights, windows)
        loss = self._loss()
        self.quantiles_ = self._quantiles()
        L_, H, C = self.lookback, self.horizon, self._context()
        val_starts = []
        for s in series:
            n_val = int((len(s) - C - H + 1) * self.val_fraction)
            val_starts.append(len(s) - H + 1 - n_val if n_val > 0 else len(s))
        arrays = [s.values for s in series]
        self.scaler_ = SeriesScaler(self.scaler).fit([s.id for s in series], arrays, val_starts)
        common = dict(n_targets=layout.n_targets, n_future=layout.n_future, min_context=C,
                      loc=[self.scaler_.loc_[s.id] for s in series],
                      scale=[self.scaler_.scale_[s.id] for s in series])
        train_ds = WindowDataset(arrays, L_, H, stride=self.stride,
                                 bounds=[(0, v) for v in val_starts], **common)
        val_bounds = [(v, len(a)) for v, a in zip(val_starts, arrays, strict=True)]
        val_ds = WindowDataset(arrays, L_, H, bounds=val_bounds, **common)
        if self.max_val_windows is not None and len(val_ds) > self.max_val_windows:
            val_ds = WindowDataset(arrays, L_, H, bounds=val_bounds, **common,
                                   stride=-(-len(val_ds) // self.max_val_windows))
        if len(train_ds) == 0:
            raise ValueError(
                f"no training windows: {self._need_text()} is too long for the training "
                f"part of the series (rows {list(val_starts)})"
            )
        self.dims_ = self._dims(layout)
        net = build_net(self.net, self.dims_, normalization=self.normalization,
                        masked=self._padded(), season=self.season_length_,
                        **self._net_kwargs())
        caps = self.net_capabilities
        covs = list(layout.past_covariates + layout.future_covariates)
        if covs and not caps.covariates:
            hint = " (channel_independent=False uses them)" if caps.channel_independent else ""
            warnings.warn(f"{self.net!r} ignores covariates {covs}{hint}", UserWarning,
                          stacklevel=3)
        options = {p.name: getattr(self, p.name) for p in TRAIN_PARAMS}
        options.update(loss=loss, quantiles=self.quantiles_ if loss == "quantile" else None,
                       keep_initial=caps.start_test, max_epochs=self._epoch_budget())
        result = train(net, train_ds, val_ds, TrainOptions(**options),
                       label=progress.describe(self.net))
        self.net_ = result.net
        self.n_parameters_ = count_parameters(self.net_)
        self.epochs_, self.steps_ = result.epochs, result.steps
        self.fit_seconds_ = result.fit_seconds
        self.train_windows_ = len(train_ds)
        self.windows_per_second_ = result.windows_per_second
        self.is_global_zero_, self.world_size_ = result.is_global_zero, result.world_size
        self.kept_initial_, self.best_epochs_ = result.kept_initial, result.best_epochs

    def _epoch_budget(self) -> int | None:
        """``max_epochs``; a calibration copy trains at most the epochs that gave the net
        fitted on all rows its weights: what early stopping chose there (on fewer rows an
        epoch is fewer steps), not searched again over ``early_stopping_patience`` more."""
        full = getattr(self, "full_fit_", None)
        if full is None:
            return self.max_epochs
        return max(1, min(self.max_epochs or full.best_epochs_, full.best_epochs_))

    def _loss(self) -> str:
        return self.loss or ("quantile" if self.quantiles is not None else "mse")

    def _quantiles(self) -> tuple[float, ...] | None:
        """The quantiles forecast: ``quantiles``, or 0.1 and 0.9 with the quantile loss."""
        return check_quantiles(self.quantiles if self.quantiles is not None
                               or self._loss() != "quantile" else (0.1, 0.9))

    def _dims(self, layout: Layout) -> Dims:
        """The net's sizes: from the parameters, the column layout and ``quantiles_``."""
        return Dims(lookback=self.lookback, horizon=self.horizon, n_targets=layout.n_targets,
                    n_inputs=layout.n_inputs, n_future=layout.n_future,
                    n_quantiles=len(self.quantiles_ or ()))

    def _fit_members(self, layout: Layout, series: list[SeriesData]) -> None:
        """Fit every ensemble member on the same validated series, one after the other."""
        self.members_ = self._members()
        full = getattr(self, "full_fit_", None)  # a calibration copy: each member its twin's
        for k, m in enumerate(self.members_):
            if full is not None:
                m._calibrating(full.members_[k])
            with progress.stage(f"member {k + 1}/{len(self.members_)}"):
                m._fit_validated(self.spec_, layout, series, self.multi_series_, self.freq_)
            m.state_ = m._freeze()  # each member forecasts on its own too
        self.quantiles_ = self.members_[0].quantiles_
        self._member_stats()

    def _member_stats(self) -> None:
        """The fitted attributes of a single net, summed (or averaged) over the members."""
        ms = self.members_
        self.n_parameters_ = sum(m.n_parameters_ for m in ms)
        if all(hasattr(m, "fit_seconds_") for m in ms):  # fitted here, not loaded
            self.epochs_ = sum(m.epochs_ for m in ms)
            self.steps_ = sum(m.steps_ for m in ms)
            self.fit_seconds_ = sum(m.fit_seconds_ for m in ms)
            self.train_windows_ = sum(m.train_windows_ for m in ms)
            # the windows the members trained on, over their training time
            self.windows_per_second_ = sum(m.windows_per_second_ * m.fit_seconds_
                                           for m in ms) / max(self.fit_seconds_, 1e-9)
            self.kept_initial_ = all(m.kept_initial_ for m in ms)

    # -- forecast --------------------------------------------------------------------------
    def _forecast(self, values: np.ndarray, sid: str, origins: np.ndarray) -> np.ndarray:
        return self._forecast_many([(values, sid, origins)])[0]

    @torch.no_grad()
    def _forecast_many(self, items: list[tuple[np.ndarray, str, np.ndarray]]
                       ) -> list[np.ndarray]:
        """The windows of all ``items`` through the net together, ``_FORECAST_BATCH`` at a
        time (a global net forecasting many short series: one forward pass per batch, not
        per series)."""
        if self._ensembled():
            outs = [m._forecast_many(items) for m in self.members_]
            # per item: [M, n, H, T(, Q)] -> [n, H, T(, Q)]
            return [combine_forecasts(np.stack(member), self.ensemble_combine)
                    for member in zip(*outs, strict=True)]
        L_, F = self.lookback, self.layout_.n_future
        scaling = [self._scaling(sid, values, origins) for values, sid, origins in items]
        pieces: list[list[np.ndarray]] = [[] for _ in items]
        for owners, block, valid in window_batches(
                [(v, o, *sc) for (v, _, o), sc in zip(items, scaling, strict=True)],
                np.arange(-L_, self.horizon), self._padded(), _FORECAST_BATCH):
            batch = {"x": torch.from_numpy(np.ascontiguousarray(block[:, :L_])),  # [b, L, C]
                     "x_future": torch.from_numpy(  # [b, H, F]
                         np.ascontiguousarray(block[:, L_:, block.shape[-1] - F :]))}
            if valid is not None:
                batch["mask"] = torch.from_numpy(valid[:, :L_].astype(np.float32))  # [b, L]
            out = self.net_(batch).float().numpy()  # [b, H, T] or [b, H, T, Q]
            for (i, _), part in zip(owners, np.split(out, np.cumsum([n for _, n in owners])[:-1]),
                                    strict=True):
                pieces[i].append(part)
        forecasts = []
        for (loc, scale), parts in zip(scaling, pieces, strict=True):
            out = np.concatenate(parts)
            if self.quantiles_ is not None:
                out = np.sort(out, axis=-1)  # monotone in q
            forecasts.append(self._unscale(out, loc, scale))
        return forecasts

    # -- state -----------------------------------------------------------------------------
    def _get_state(self):
        if self._ensembled():
            return members_state(self.members_)
        state = {"scaler": self.scaler_.to_dict(), "dims": self.dims_.__dict__,
                 "quantiles": self.quantiles_}
        weights = {f"net.{k}": v.detach().cpu().numpy() for k, v in self.net_.state_dict().items()}
        return state, weights

    def _set_state(self, state: dict, arrays: dict) -> None:
        if self._ensembled():
            self.members_ = self._members()
            restore_members(self, self.members_, state, arrays)
            for m in self.members_:
                m.state_ = m._freeze()
            self.quantiles_ = self.members_[0].quantiles_
            self._member_stats()
            return
        self.scaler_ = SeriesScaler.from_dict(state["scaler"])
        self.quantiles_ = tuple(state["quantiles"]) if state["quantiles"] else None
        self.dims_ = Dims(**state["dims"])
        if self.quantiles_ != self._quantiles():
            raise ValueError(f"config.json: state quantiles {self.quantiles_} disagree with "
                             f"the parameters quantiles={self.quantiles!r}, loss={self.loss!r}")
        expected = self._dims(self.layout_)
        wrong = {k: v for k, v in self.dims_.__dict__.items() if expected.__dict__[k] != v}
        if wrong:
            raise ValueError(
                "saved weights do not fit the saved config: state dims "
                + ", ".join(f"{k}={v}" for k, v in wrong.items())
                + ", but the parameters and layout give "
                + ", ".join(f"{k}={expected.__dict__[k]}" for k in wrong)
            )
        net = build_net(self.net, self.dims_, normalization=self.normalization,
                        masked=self._padded(), season=self.season_length_,
                        **self._net_kwargs())
        weights = {k[4:]: torch.from_numpy(v) for k, v in arrays.items() if k.startswith("net.")}
        try:
            net.load_state_dict(weights)
        except RuntimeError as exc:
            raise ValueError(f"saved weights do not fit the saved config: {exc}") from exc
        self.net_ = net.eval()
        self.n_parameters_ = count_parameters(self.net_)


_CLASSES: dict[str, type] = {}


def neural_forecaster(name: str) -> type:
    """The forecaster class of registered net ``name`` (made once, then cached)."""
    spec = NETS[name]
    if name in _CLASSES and _CLASSES[name].net_spec is spec:
        return _CLASSES[name]
    own = params_from_config(spec.config)
    training = tuple(_with_default(p, spec.defaults) for p in TRAINING_PARAMS)
    unknown = set(spec.defaults) - {p.name for p in TRAINING_PARAMS}
    if unknown:
        raise TypeError(f"net {name!r} sets defaults for unknown training argument(s) "
                        f"{sorted(unknown)}")
    doc = (f"{spec.summary}\n\nNet: :class:`{spec.net.__module__}.{spec.net.__name__}`, "
           f"trained by :func:`tsforecast.training.train`; see :class:`NeuralForecaster`.")
    cls = type(spec.forecaster, (NeuralForecaster,), {
        "__doc__": doc,
        "__module__": __name__,
        "__qualname__": spec.forecaster,
        "net_name": name,
        "net_spec": spec,
        "params": (LOOKBACK, MIN_CONTEXT, *own, *training, *ENSEMBLE_PARAMS),
    })
    _CLASSES[name] = register(name)(cls)
    return cls


def _with_default(param: Param, defaults: dict) -> Param:
    if param.name not in defaults:
        return param
    return dataclasses.replace(param, default=defaults[param.name])


def register_all() -> None:
    """Make and register the forecaster of every registered net."""
    for name in NETS:
        neural_forecaster(name)


def __getattr__(name: str):
    for net, spec in NETS.items():
        if spec.forecaster == name:
            return neural_forecaster(net)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """The module's names and every registered net's forecaster class (``LSTMForecaster``,
    ...), which :func:`__getattr__` makes on first use: ``dir()``, completion and the API
    documentation list them."""
    return sorted({*globals(), *(spec.forecaster for spec in NETS.values())})
