"""SegRNN's own ETTh2 recipe (lookback 96, horizon 96, all 7 columns) in a plain PyTorch loop.

The reference point for issue 10's LSTM target: SegRNN (Lin et al. 2023) reports test MSE
0.278 on ETTh2 at lookback 96, from one run (seed 2024) of its ``Lookback_96/etth2.sh``.
This script trains one of two nets with that script's settings, outside Lightning and the
forecaster, so that neither our training budget nor our net can hide what the recipe gives:

* ``--net reference``: SegRNN as its paper describes it, written here: subtract each
  channel's last value; cut the 96 steps into 4 segments of 24, each embedded by
  ``Linear(24, 512) + ReLU``; one GRU (512) over the 4 segments; parallel decoding: each
  of the 4 horizon segments gets a query of a position embedding (256) concatenated with
  a channel embedding (256), all decoded by one GRU step from the encoder's final state;
  ``Dropout(0.5) + Linear(512, 24)`` per decoded state; add the last value back.
* ``--net tsforecast``: tsforecast's ``lstm`` net with the same hyperparameters
  (``cell="gru"``, ``hidden_size=512``, ``segment_length=24``, ``dropout=0.5``, PMF decoder,
  channel independence, ``normalization="last_value"``); its channel embedding is added to
  the position embedding instead of concatenated.

Training, as the reference script: Adam at 2e-4, MSE, batches of 256 windows (the last
incomplete batch dropped), up to 30 epochs, the learning rate kept for the first three
epochs and then multiplied by 0.8 an epoch, early stopping after 10 epochs without a lower
validation MSE, and the best epoch's weights restored. Data as the ``ltsf`` protocol: ETT
borders (12/4/4 months, ``ltsf_borders``), z-scored with the training segment's mean and
standard deviation, every validation and test window at stride 1; MSE on the z-scored
values, all 7 columns. One thread: ~3 min an epoch here.

    python benchmarks/segrnn_recipe.py --seed 2024 --net reference [--data ETTh2.csv.gz]
        [--threads 1] [--out benchmarks/segrnn-recipe.jsonl]

Each epoch prints ``(epoch, val MSE, test MSE, seconds)``; the last line (also appended to
``--out``) holds the restored epoch's validation and test MSE.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import time

import numpy as np
import pandas as pd
import torch
from torch import nn

from tsforecast.benchmark.options import BenchmarkConfig
from tsforecast.benchmark.protocols.ltsf import ltsf_borders
from tsforecast.nets import Dims, build_net

LOOKBACK, HORIZON, SEGMENT, WIDTH = 96, 96, 24, 512
LR, BATCH, EPOCHS, PATIENCE = 2e-4, 256, 30, 10


class SegRNN(nn.Module):
    """SegRNN, PMF decoder, channel position embeddings: ``x [B, L, C]`` -> ``[B, H, C]``."""

    def __init__(self, n_channels: int):
        super().__init__()
        self.n_channels = n_channels
        self.embed = nn.Sequential(nn.Linear(SEGMENT, WIDTH), nn.ReLU())
        self.rnn = nn.GRU(WIDTH, WIDTH, 1, batch_first=True)
        self.position = nn.Parameter(torch.randn(HORIZON // SEGMENT, WIDTH // 2))  # [M, D/2]
        self.channel = nn.Parameter(torch.randn(n_channels, WIDTH // 2))  # [C, D/2]
        self.head = nn.Sequential(nn.Dropout(0.5), nn.Linear(WIDTH, SEGMENT))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, m = x.shape[0], self.n_channels, HORIZON // SEGMENT
        last = x[:, -1:, :].detach()  # [B, 1, C]
        series = (x - last).permute(0, 2, 1)  # [B, C, L]
        segments = series.reshape(-1, LOOKBACK // SEGMENT, SEGMENT)  # [B*C, N, W]
        _, state = self.rnn(self.embed(segments))  # [1, B*C, D]
        queries = torch.cat([self.position.unsqueeze(0).repeat(c, 1, 1),
                             self.channel.unsqueeze(1).repeat(1, m, 1)], -1)  # [C, M, D]
        queries = queries.view(-1, 1, WIDTH).repeat(n, 1, 1)  # [B*C*M, 1, D]
        _, decoded = self.rnn(queries, state.repeat(1, 1, m).view(1, -1, WIDTH))  # [1, B*C*M, D]
        y = self.head(decoded).view(-1, c, HORIZON)  # [B, C, H]
        return y.permute(0, 2, 1) + last  # [B, H, C]


class TsforecastNet(nn.Module):
    """tsforecast's ``lstm`` net with the recipe's hyperparameters, on ``x [B, L, C]``."""

    def __init__(self, n_channels: int):
        super().__init__()
        dims = Dims(LOOKBACK, HORIZON, n_channels, n_channels)
        self.net = build_net("lstm", dims, normalization="last_value", segment_length=SEGMENT,
                             hidden_size=WIDTH, cell="gru", dropout=0.5, decoder="pmf",
                             channel_independent=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net({"x": x, "x_future": x.new_zeros(x.shape[0], HORIZON, 0)})


def segments(path: str) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``(x [N, L, C], y [N, H, C])`` of the train, val and test segments, z-scored."""
    values = pd.read_csv(path).iloc[:, 1:].to_numpy(np.float32)  # every column but the date
    train_end, val_end, test_end, _ = ltsf_borders(len(values), path, BenchmarkConfig())
    mean, std = values[:train_end].mean(0), values[:train_end].std(0)
    z = (values - mean) / std
    out = []
    for start, end in ((0, train_end), (train_end - LOOKBACK, val_end),
                       (val_end - LOOKBACK, test_end)):
        part = z[start:end]
        origins = np.arange(len(part) - LOOKBACK - HORIZON + 1)
        rows = origins[:, None] + np.arange(LOOKBACK + HORIZON)  # [N, L + H]
        windows = torch.from_numpy(part[rows])  # [N, L + H, C]
        out.append((windows[:, :LOOKBACK], windows[:, LOOKBACK:]))
    return out


def mse(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Mean squared error over every window, step and channel."""
    model.eval()
    with torch.no_grad():
        errors = [((model(x[i:i + BATCH]) - y[i:i + BATCH]) ** 2).mean((1, 2))
                  for i in range(0, len(x), BATCH)]
    model.train()
    return torch.cat(errors).mean().item()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--net", choices=("reference", "tsforecast"), default="reference")
    p.add_argument("--data", default=os.environ.get("ETTH2_PATH", "/work/shared/data/ETTh2.csv.gz"))
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default=None, help="JSON-lines file the result is appended to")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = segments(args.data)
    n_channels = x_train.shape[2]
    model = SegRNN(n_channels) if args.net == "reference" else TsforecastNet(n_channels)
    print(f"{args.net}: {sum(w.numel() for w in model.parameters()):,} parameters, "
          f"{len(x_train):,} training windows", flush=True)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = nn.MSELoss()
    order = torch.Generator().manual_seed(args.seed)
    best, best_state, waited, epochs = np.inf, None, 0, 0
    for epoch in range(1, EPOCHS + 1):
        start = time.time()
        perm = torch.randperm(len(x_train), generator=order)
        for i in range(0, len(perm) - BATCH + 1, BATCH):  # the last incomplete batch dropped
            batch = perm[i:i + BATCH]
            opt.zero_grad()
            loss_fn(model(x_train[batch]), y_train[batch]).backward()
            opt.step()
        val, test = mse(model, x_val, y_val), mse(model, x_test, y_test)
        epochs = epoch
        print((epoch, round(val, 4), round(test, 4), round(time.time() - start)), flush=True)
        if val < best:
            best, best_state, waited = val, copy.deepcopy(model.state_dict()), 0
        else:
            waited += 1
            if waited >= PATIENCE:
                break
        for group in opt.param_groups:  # the rate of the next epoch
            group["lr"] = LR if epoch < 3 else LR * 0.8 ** (epoch - 3)
    model.load_state_dict(best_state)
    result = {"net": args.net, "seed": args.seed, "val_mse": best,
              "test_mse": mse(model, x_test, y_test), "epochs": epochs}
    print(json.dumps(result), flush=True)
    if args.out:
        with open(args.out, "a") as fh:
            fh.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
