"""Neural forecasters: any registered net, trained by the one Lightning module.

``NeuralForecaster`` builds the network from the data at ``fit`` (input sizes are
inferred), fits per-series scalers on the training rows only, trains with Lightning
(early stopping on the validation tail, best checkpoint restored) and predicts in the
original units. ``LSTMForecaster`` & co. are the same class with the net fixed.
"""

from __future__ import annotations

import contextlib
import logging
import math
import numbers
import sys
import tempfile
from pathlib import Path

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint

from ..data import Layout, SeriesData, SeriesScaler, WindowDataset, check_sizes
from ..data.scaling import SCALERS
from ..nets import NETS, Dims, build_net, count_parameters
from ..training import LOSSES, OPTIMIZERS, SCHEDULERS, ForecastModule, WindowDataModule
from .base import BaseForecaster, check_quantiles

PRECISIONS = ("32-true", "32", "64-true", "16-mixed", "bf16-mixed", "16-true", "bf16-true")
ACCELERATORS = ("auto", "cpu", "gpu", "cuda", "mps", "tpu")


class NeuralForecaster(BaseForecaster):
    """A neural forecaster trained with Lightning behind a fit/predict API.

    Parameters
    ----------
    model : net name (``"lstm"``, ``"lstm_attention"``, ``"patch_transformer"``,
        ``"dlinear"``, ``"nlinear"``); fixed by the subclasses.
    lookback, horizon : input and output window lengths (steps).
    target : target column(s); ``None`` takes every numeric non-covariate column.
    past_covariates, future_covariates : covariate column names (future ones must be
        passed to ``predict(future_covariates=...)``).
    calendar_features : add generated calendar features as known-future covariates.
    id_col, time_col : long-format series id column and time column.
    fill_missing : ``None`` (NaN is an error), ``"ffill"`` or ``"interpolate"``.
    freq : frequency for future timestamps; inferred when ``None``.
    scaler : per-series scaler fitted on the training rows: ``"standard"``, ``"robust"``,
        ``"none"``.
    revin : reversible per-window instance normalisation (strongly recommended; on by
        default: levels that drift outside the training range, like prices, need it).
    model_kwargs : structural hyperparameters of the net (e.g. ``{"hidden_size": 128}``).
    quantiles : quantiles to forecast (trained with the pinball loss; the median is
        always added and is the point forecast).
    loss : ``"mse"``, ``"mae"`` or ``"quantile"``; default: quantile when ``quantiles``
        is set, else MSE.
    optimizer, learning_rate, weight_decay, lr_scheduler : optimisation.
    batch_size, max_epochs, max_time : training budget (``max_time`` as ``"DD:HH:MM:SS"``
        or seconds).
    val_fraction : the last fraction of each series' windows used for early stopping
        (0 disables validation and early stopping).
    early_stopping_patience : epochs without validation improvement before stopping.
    stride : step between training windows.
    accelerator, devices, precision, strategy : passed to ``lightning.Trainer``.
    num_workers : DataLoader workers (batches are assembled vectorised, so 0 is fast).
    random_state : seed; a CPU run with the same seed predicts the same numbers.
    trainer_kwargs : anything else for ``lightning.Trainer``.
    verbose : progress bar and Lightning's messages; default: only in a terminal.

    Examples
    --------
    >>> import tsforecast as tsf
    >>> df = tsf.datasets.load_weather()
    >>> f = tsf.LSTMForecaster(lookback=168, horizon=24, target="TEMP", max_epochs=1)
    >>> fc = f.fit(df.iloc[-3000:]).predict()  # doctest: +SKIP
    """

    _model: str | None = None
    _global = True

    def __init__(
        self,
        model: str | None = None,
        lookback: int = 96,
        horizon: int = 24,
        target=None,
        past_covariates=None,
        future_covariates=None,
        calendar_features: bool = False,
        id_col: str | None = None,
        time_col: str | None = None,
        fill_missing: str | None = None,
        freq=None,
        scaler: str = "standard",
        revin: bool = True,
        model_kwargs: dict | None = None,
        quantiles=None,
        loss: str | None = None,
        optimizer: str = "adam",
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        lr_scheduler: str | None = None,
        batch_size: int = 256,
        max_epochs: int = 20,
        max_time=None,
        val_fraction: float = 0.1,
        early_stopping_patience: int = 5,
        stride: int = 1,
        accelerator: str = "auto",
        devices="auto",
        precision: str = "32-true",
        strategy: str = "auto",
        num_workers: int = 0,
        random_state: int | None = None,
        trainer_kwargs: dict | None = None,
        verbose: bool | None = None,
    ):
        self.model = model
        self.lookback = lookback
        self.horizon = horizon
        self.target = target
        self.past_covariates = past_covariates
        self.future_covariates = future_covariates
        self.calendar_features = calendar_features
        self.id_col = id_col
        self.time_col = time_col
        self.fill_missing = fill_missing
        self.freq = freq
        self.scaler = scaler
        self.revin = revin
        self.model_kwargs = model_kwargs
        self.quantiles = quantiles
        self.loss = loss
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.lr_scheduler = lr_scheduler
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.max_time = max_time
        self.val_fraction = val_fraction
        self.early_stopping_patience = early_stopping_patience
        self.stride = stride
        self.accelerator = accelerator
        self.devices = devices
        self.precision = precision
        self.strategy = strategy
        self.num_workers = num_workers
        self.random_state = random_state
        self.trainer_kwargs = trainer_kwargs
        self.verbose = verbose

    # -- validation ------------------------------------------------------------------------
    @property
    def net_name(self) -> str:
        return self.model if self.model is not None else (self._model or "lstm")

    def _check_params(self) -> None:
        super()._check_params()
        check_sizes(self.lookback, self.horizon, self.stride)
        name = self.net_name
        if name not in NETS:
            raise ValueError(f"unknown model {name!r}; available: {sorted(NETS)}")
        if self._model is not None and name != self._model:
            raise ValueError(f"{type(self).__name__} trains {self._model!r}, got model={name!r}")
        checks = {
            "scaler": (self.scaler, SCALERS),
            "optimizer": (self.optimizer, OPTIMIZERS),
            "lr_scheduler": (self.lr_scheduler, SCHEDULERS),
            "precision": (str(self.precision), PRECISIONS),
            "accelerator": (self.accelerator, ACCELERATORS),
            "loss": (self.loss, (None, *LOSSES)),
        }
        for field, (value, valid) in checks.items():
            if value not in valid:
                raise ValueError(f"{field} must be one of {valid}, got {value!r}")
        for field in ("batch_size", "max_epochs"):
            v = getattr(self, field)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{field} must be an integer >= 1, got {v!r}")
        for field, low in (("learning_rate", None), ("weight_decay", 0.0), ("val_fraction", 0.0)):
            v = getattr(self, field)
            ok = isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)
            ok = ok and (v > 0 if low is None else v >= low)
            if not ok or (field == "val_fraction" and v >= 1):
                raise ValueError(f"{field} must be a finite number "
                                 f"{'> 0' if low is None else '>= 0'}"
                                 f"{' and < 1' if field == 'val_fraction' else ''}, got {v!r}")
        if self.model_kwargs is not None and not isinstance(self.model_kwargs, dict):
            raise TypeError(f"model_kwargs must be a dict, got {type(self.model_kwargs).__name__}")
        if self.trainer_kwargs is not None and not isinstance(self.trainer_kwargs, dict):
            raise TypeError(
                f"trainer_kwargs must be a dict, got {type(self.trainer_kwargs).__name__}"
            )
        if self.loss not in (None, "quantile") and self.quantiles is not None:
            raise ValueError(f"quantiles need loss='quantile' (or loss=None), got {self.loss!r}")

    @property
    def _min_history(self) -> int:
        return self.lookback

    def _min_fit_rows(self) -> int:
        return self.lookback + self.horizon

    def _fit_need_text(self) -> str:
        return f"lookback {self.lookback} + horizon {self.horizon}"

    def _history_rows(self) -> int:
        return self.lookback

    # -- fit -------------------------------------------------------------------------------
    def _fit_series(self, layout: Layout, series: list[SeriesData]) -> None:
        loss = self.loss or ("quantile" if self.quantiles is not None else "mse")
        self.quantiles_ = check_quantiles(
            self.quantiles if self.quantiles is not None or loss != "quantile" else (0.1, 0.9)
        )
        if self.random_state is not None:
            L.seed_everything(self.random_state, workers=True, verbose=False)
        L_, H = self.lookback, self.horizon
        val_starts = []
        for s in series:
            n = len(s)
            n_val_windows = int((n - L_ - H + 1) * self.val_fraction)
            val_starts.append(n - H + 1 - n_val_windows if n_val_windows > 0 else n)
        arrays = [s.values for s in series]
        self.scaler_ = SeriesScaler(self.scaler).fit([s.id for s in series], arrays, val_starts)
        loc = [self.scaler_.loc_[s.id] for s in series]
        scale = [self.scaler_.scale_[s.id] for s in series]
        common = dict(n_targets=layout.n_targets, n_future=layout.n_future, loc=loc, scale=scale)
        train = WindowDataset(
            arrays, L_, H, stride=self.stride, bounds=[(0, v) for v in val_starts], **common
        )
        val = WindowDataset(
            arrays, L_, H, bounds=[(v, len(a)) for v, a in zip(val_starts, arrays, strict=True)],
            **common,
        )
        if len(train) == 0:
            raise ValueError(
                f"no training windows: lookback {L_} + horizon {H} is too long for the training "
                f"part of the series (rows {[v for v in val_starts]})"
            )
        self.dims_ = Dims(
            lookback=L_, horizon=H, n_targets=layout.n_targets, n_inputs=layout.n_inputs,
            n_future=layout.n_future, n_quantiles=len(self.quantiles_ or ()),
        )
        self.net_ = build_net(self.net_name, self.dims_, revin=self.revin, **(self.model_kwargs or {}))
        self.n_parameters_ = count_parameters(self.net_)
        if layout.past_covariates + layout.future_covariates and not getattr(
            type(_unwrap(self.net_)), "uses_covariates", True
        ):
            import warnings

            warnings.warn(
                f"{self.net_name!r} is channel-independent and ignores covariates "
                f"{list(layout.past_covariates + layout.future_covariates)}",
                UserWarning,
                stacklevel=3,
            )
        module = ForecastModule(
            self.net_, loss=loss, quantiles=self.quantiles_ if loss == "quantile" else None,
            optimizer=self.optimizer, learning_rate=float(self.learning_rate),
            weight_decay=self.weight_decay, lr_scheduler=self.lr_scheduler,
            max_epochs=self.max_epochs,
        )
        has_val = len(val) > 0
        gpu = self.accelerator in ("gpu", "cuda") or (
            self.accelerator == "auto" and torch.cuda.is_available()
        )
        data = WindowDataModule(
            train, val if has_val else None, batch_size=self.batch_size,
            num_workers=self.num_workers, pin_memory=gpu, seed=self.random_state,
        )
        verbose = sys.stderr.isatty() if self.verbose is None else self.verbose
        with tempfile.TemporaryDirectory(prefix="tsforecast-ckpt-") as ckpt_dir, _quiet(not verbose):
            callbacks = []
            if has_val:
                callbacks.append(ModelCheckpoint(
                    dirpath=ckpt_dir, monitor="val_loss", mode="min", save_top_k=1,
                    save_weights_only=True,
                ))
                if self.early_stopping_patience:
                    callbacks.append(EarlyStopping(
                        monitor="val_loss", mode="min", patience=self.early_stopping_patience
                    ))
            kwargs = dict(
                accelerator=self.accelerator, devices=self.devices, precision=self.precision,
                strategy=self.strategy, max_epochs=self.max_epochs, max_time=self.max_time,
                callbacks=callbacks, enable_progress_bar=verbose, enable_model_summary=verbose,
                enable_checkpointing=has_val, num_sanity_val_steps=0,
                limit_val_batches=None if has_val else 0,
                deterministic=False,
            )
            kwargs.update(self.trainer_kwargs or {})
            trainer = L.Trainer(**kwargs)
            start = _now()
            trainer.fit(module, datamodule=data)
            self.fit_seconds_ = _now() - start
            best = trainer.checkpoint_callback.best_model_path if has_val else ""
            if best:
                state = torch.load(best, map_location="cpu", weights_only=True)["state_dict"]
                module.load_state_dict(state)
        self.net_ = module.net.cpu().eval()
        self.epochs_ = int(trainer.current_epoch)
        self.train_windows_ = len(train)
        self.windows_per_second_ = len(train) * max(self.epochs_, 1) / max(self.fit_seconds_, 1e-9)
        self.is_global_zero_ = trainer.is_global_zero
        self.world_size_ = trainer.world_size

    # -- predict ---------------------------------------------------------------------------
    @torch.no_grad()
    def _forecast(self, values: np.ndarray, sid: str, origins: np.ndarray) -> np.ndarray:
        loc, scale = self.scaler_.params_or_fit(
            sid, values, int(origins.min()), reuse_single=not self.multi_series_
        )
        L_, H, T = self.lookback, self.horizon, self.layout_.n_targets
        F = self.layout_.n_future
        net = self.net_.eval()
        past, fut = np.arange(-L_, 0), np.arange(H)
        outs = []
        for chunk in np.array_split(origins, max(1, int(np.ceil(len(origins) / 1024)))):
            x = (values[chunk[:, None] + past] - loc) / scale  # [b, L, C]
            xf = (values[chunk[:, None] + fut] - loc) / scale  # [b, H, C]
            batch = {
                "x": torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)),
                "x_future": torch.from_numpy(
                    np.ascontiguousarray(xf[..., xf.shape[-1] - F :], dtype=np.float32)
                ),
            }
            out = net(batch).float().numpy()  # [b, H, T] or [b, H, T, Q]
            outs.append(out)
        out = np.concatenate(outs)
        if self.quantiles_ is not None:
            out = np.sort(out, axis=-1)  # monotone in q
            return out * scale[:T, None] + loc[:T, None]
        return out * scale[:T] + loc[:T]

    # -- persistence -----------------------------------------------------------------------
    def _extra_state(self) -> dict:
        return {
            "scaler": self.scaler_.to_dict(),
            "dims": self.dims_.__dict__,
            "quantiles": self.quantiles_,
        }

    def _save_extra(self, path: Path) -> None:
        torch.save(self.net_.state_dict(), path / "weights.pt")

    def _load_extra(self, path: Path, state: dict) -> None:
        self.scaler_ = SeriesScaler.from_dict(state["scaler"])
        self.quantiles_ = tuple(state["quantiles"]) if state["quantiles"] else None
        self.dims_ = Dims(**state["dims"])
        self.net_ = build_net(self.net_name, self.dims_, revin=self.revin, **(self.model_kwargs or {}))
        weights = torch.load(path / "weights.pt", map_location="cpu", weights_only=True)
        self.net_.load_state_dict(weights)
        self.net_.eval()
        self.n_parameters_ = count_parameters(self.net_)


def _unwrap(net):
    return getattr(net, "net", net)


def _now() -> float:
    import time

    return time.perf_counter()


@contextlib.contextmanager
def _quiet(enabled: bool):
    """Silence Lightning's info messages (GPU available..., etc.) unless verbose."""
    if not enabled:
        yield
        return
    loggers = [logging.getLogger(n) for n in ("lightning.pytorch", "lightning.fabric", "lightning")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*does not have many workers.*")
            warnings.filterwarnings("ignore", message=".*GPU available but not used.*")
            warnings.filterwarnings("ignore", message=".*LeafSpec.*")
            yield
    finally:
        for lg, lvl in zip(loggers, levels, strict=True):
            lg.setLevel(lvl)


class LSTMForecaster(NeuralForecaster):
    """Stacked LSTM encoder with a direct multi-horizon head (see :class:`NeuralForecaster`)."""

    _model = "lstm"


class LSTMAttentionForecaster(NeuralForecaster):
    """LSTM encoder attended to by per-step horizon queries (see :class:`NeuralForecaster`)."""

    _model = "lstm_attention"


class PatchTransformerForecaster(NeuralForecaster):
    """PatchTST-style channel-independent patch Transformer (see :class:`NeuralForecaster`)."""

    _model = "patch_transformer"


class DLinearForecaster(NeuralForecaster):
    """DLinear: trend/seasonal decomposition + linear maps (see :class:`NeuralForecaster`)."""

    _model = "dlinear"


class NLinearForecaster(NeuralForecaster):
    """NLinear: last-value normalised linear map (see :class:`NeuralForecaster`)."""

    _model = "nlinear"
