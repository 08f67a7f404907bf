"""Training throughput: the full ``fit`` path vs a minimal hand-written PyTorch loop.

For each net, on the bundled hourly weather (target TEMP), both paths train the same
network on the same lazy windows with the same batch size and optimiser:

* ``fit``: ``make_forecaster(name, ...).fit(df)`` — validation, scaler, Lightning
  Trainer, logging, DataModule — with validation and early stopping off so both paths
  do the same work; timed end to end (Trainer construction included).
* ``loop``: ``for batch in loader: zero_grad; loss = mse(net(batch), y); backward; step``.
* ``lightning``: the least a Lightning user writes for that loop — a ``LightningModule``
  whose ``training_step`` returns the MSE, Adam, a ``Trainer`` with logging, checkpoints,
  progress bar and model summary off — on the same loader and net. ``lightning / loop``
  is the floor that Lightning's automatic optimisation sets for ``fit / loop``.

Throughput is training windows per second (windows x epochs / seconds); the target is
``fit >= 0.9 x loop`` (framework overhead under 10%). Each model trains with its
forecaster's defaults (net hyperparameters, normalisation, batch size unless
``--batch-size`` is given). ``lstm_stepwise`` is the step-wise LSTM of before the
segment LSTM (``segment_length=1``, 2 layers of 64, the direct head, RevIN), for the
segment LSTM's speed-up in the same run.

    python benchmarks/bench_training.py [--rows 20000] [--epochs 2] [--models lstm,nlinear]
        [--batch-size 256] [--threads 2] [--accelerator cpu] [--precision 32-true] [--repeats 3]

With ``--repeats N`` both paths run N times, interleaved, and the fastest run of each is
reported (as ``timeit`` does: the other runs measured the machine's noise, not the code;
a fit of a linear net takes under a second, and single runs vary by 20% here).
"""

from __future__ import annotations

import argparse
import logging
import time
import warnings

import lightning as L
import torch

import tsforecast as tsf
from tsforecast.data import SeriesScaler, WindowDataset, make_loader, to_series
from tsforecast.nets import NETS, Dims, build_net, count_parameters

#: Variants of registered nets, by name: (net, constructor arguments).
VARIANTS = {
    "lstm_stepwise": ("lstm", {"segment_length": 1, "hidden_size": 64, "num_layers": 2,
                               "decoder": "direct", "channel_independent": False,
                               "normalization": "revin"}),
}


def forecaster(name, args):
    """The forecaster ``name`` (a net or a variant) as ``fit`` runs it."""
    net, extra = VARIANTS.get(name, (name, {}))
    batch = {} if args.batch_size is None else {"batch_size": args.batch_size}
    return tsf.make_forecaster(
        net, lookback=args.lookback, horizon=args.horizon, target=args.target,
        fill_missing="interpolate", max_epochs=args.epochs, val_fraction=0.0, random_state=0,
        accelerator=args.accelerator, devices=1, precision=args.precision, verbose=False,
        trainer_kwargs={"logger": False}, **batch, **extra,
    )


def _same_work(df, name, args, device):
    """The windows, a shuffled loader over them and a fresh net, as ``fit`` builds them."""
    f = forecaster(name, args)
    net_name = f.net
    config = {k: getattr(f, k) for k in NETS[net_name].config.__dataclass_fields__}
    torch.manual_seed(0)
    layout, series = to_series(df, args.target, fill_missing="interpolate")
    arr = series[0].values
    sc = SeriesScaler("standard").fit(["series"], [arr], [len(arr)])
    ds = WindowDataset([arr], args.lookback, args.horizon, n_targets=1,
                       loc=[sc.loc_["series"]], scale=[sc.scale_["series"]])
    loader = make_loader(ds, f.batch_size, shuffle=True, seed=0,
                         pin_memory=device.type == "cuda")
    dims = Dims(args.lookback, args.horizon, layout.n_targets, layout.n_inputs)
    net = build_net(net_name, dims, normalization=f.normalization, **config).to(device)
    return ds, loader, net


def hand_loop(df, name, args, device) -> float:
    """Windows/second of a bare PyTorch loop over the same windows and net."""
    ds, loader, net = _same_work(df, name, args, device)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    amp = args.precision.startswith("bf16")
    start = time.perf_counter()
    for _ in range(args.epochs):
        for batch in loader:
            batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
            opt.zero_grad(set_to_none=True)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                pred = net(batch)
            loss = torch.nn.functional.mse_loss(pred.float(), batch["y"])
            loss.backward()
            opt.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return len(ds) * args.epochs / (time.perf_counter() - start)


class _Minimal(L.LightningModule):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def training_step(self, batch, batch_idx):
        return torch.nn.functional.mse_loss(self.net(batch).float(), batch["y"])

    def configure_optimizers(self):
        return torch.optim.Adam(self.net.parameters(), lr=1e-3)


def lightning_loop(df, name, args, device) -> float:
    """Windows/second of the minimal LightningModule over the same windows and net."""
    ds, loader, net = _same_work(df, name, args, device)
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)  # its device banner
    warnings.filterwarnings("ignore", message=".*(does not have many workers|LeafSpec).*")
    trainer = L.Trainer(
        max_epochs=args.epochs, accelerator=args.accelerator, devices=1,
        precision=args.precision, logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False,
    )
    start = time.perf_counter()
    trainer.fit(_Minimal(net), loader)
    return len(ds) * args.epochs / (time.perf_counter() - start)


def fit_path(df, name, args) -> tuple[float, int, int]:
    f = forecaster(name, args)
    start = time.perf_counter()
    f.fit(df)
    seconds = time.perf_counter() - start
    return f.train_windows_ * args.epochs / seconds, count_parameters(f.net_), f.batch_size


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rows", type=int, default=20_000, help="most recent rows of the weather data")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--lookback", type=int, default=168)
    p.add_argument("--horizon", type=int, default=24)
    p.add_argument("--batch-size", type=int, default=None,
                   help="default: each forecaster's own default batch size")
    p.add_argument("--target", default="TEMP")
    p.add_argument("--models", default=",".join([*tsf.list_forecasters(tag="neural"), *VARIANTS]))
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    p.add_argument("--accelerator", default="cpu")
    p.add_argument("--precision", default="32-true")
    p.add_argument("--repeats", type=int, default=1, help="runs of each path; the fastest counts")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    df = tsf.datasets.load_weather().iloc[-args.rows :][[args.target]]
    device = torch.device("cuda" if args.accelerator in ("gpu", "cuda") else "cpu")
    print(f"weather[{args.target}] last {len(df):,} rows, lookback {args.lookback}, "
          f"horizon {args.horizon}, {args.epochs} epochs, "
          f"{args.accelerator} {args.precision}, torch threads {torch.get_num_threads()}, "
          f"best of {max(1, args.repeats)}")
    print(f"{'model':<18} {'params':>9} {'batch':>5} {'loop win/s':>11} {'fit win/s':>10} "
          f"{'fit/loop':>9} {'lightning/loop':>15}")
    for name in args.models.split(","):
        loop = fit = lit = 0.0
        for _ in range(max(1, args.repeats)):
            loop = max(loop, hand_loop(df, name, args, device))
            lit = max(lit, lightning_loop(df, name, args, device))
            speed, n_params, batch = fit_path(df, name, args)
            fit = max(fit, speed)
        print(f"{name:<18} {n_params:>9,} {batch:>5} {loop:>11,.0f} {fit:>10,.0f} "
              f"{fit / loop:>9.2f} {lit / loop:>15.2f}", flush=True)


if __name__ == "__main__":
    main()
