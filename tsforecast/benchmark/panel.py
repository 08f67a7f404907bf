"""What the neural nets of a panel (holdout) run get unless told otherwise: one rule for
every frequency, chosen on validation windows of M3 and Tourism (each training part's last
horizon; the competitions' hold-outs never read), ``benchmarks/RESULTS.md``.

============  ======================================================================
season        from the frequency (yearly 1, quarterly 4, monthly 12, weekly 52, daily
              7, hourly 24), else ``--season-length``; integer positions: 1 unless
              ``--season-length`` / ``--mase-season`` say otherwise. The seasonal
              models use it and MASE is scaled by the seasonal naive of that period.
lookback      :data:`LOOKBACK_HORIZONS` horizons, at most the median training part;
              shorter series left-padded and masked down to the shortest one.
segments      the recurrent nets' own default (``segment_length`` 24: one segment
              for lookbacks up to 24, e.g. M3 yearly, quarterly and other).
per series    :data:`PANEL_NET_PARAMS`: scaled by the largest absolute training value,
              each window normalised by its last value and mean absolute level, trained
              on the competitions' sMAPE.
ensembles     :data:`PANEL_ENSEMBLE` nets per model: lookbacks of 3, 2 and 4 horizons x
              the sMAPE and MAE losses x two normalisations (the level one, and the
              level one with each seasonal window's own profile taken out), each from
              its own seed, their median forecast.
intervals     every model (classical, nets, combinations), with ``--level``: conformal
              scores from the last 20% of each training series, at least a horizon
              (:data:`PANEL_CALIBRATION`), where every series can hold it.
============  ======================================================================

Plain data: the command line's help reads it without importing the benchmark.
"""

from __future__ import annotations

__all__ = ["HOLDOUT_SCALER", "LOOKBACK_HORIZONS", "PANEL_CALIBRATION", "PANEL_CALIBRATION_KEEP",
           "PANEL_ENSEMBLE", "PANEL_NET_PARAMS"]

#: The neural nets' lookback, in horizons, when ``lookback`` is not set (M3: 18 yearly,
#: capped at the median training part, 24 quarterly and other, 54 monthly). On M3's
#: validation windows 3 beat 2 for the LSTM and the LSTM with attention (3 seeds) and tied
#: for the linear and patch nets.
LOOKBACK_HORIZONS = 3

#: The neural nets' per-series scaler: "maxabs" beat "standard" in every M3 group
#: (validation, NLinear 14.52 vs 14.74 overall sMAPE).
HOLDOUT_SCALER = "maxabs"

#: The nets each model of a panel run trains and combines (``n_ensemble``): the members
#: cycle through lookbacks of 3, 2 and 4 horizons (the ``ensemble_lookbacks`` default) and
#: the sMAPE and MAE losses. On M3's validation windows (seed 0) six such members took the
#: LSTM from 14.16 (one net) to 13.95 overall sMAPE and the LSTM with attention from 14.22
#: to 13.98; five members of one lookback and loss gave 14.07 / 14.08; twelve (each
#: combination twice) did no better than six on the yearly and quarterly groups, and
#: nine with MSE as a third loss did worse on the yearly. With ``--jobs`` the members
#: run in parallel.
#: Since 2026-12-03 twice that: the six under each of two normalisations, ``"level"``
#: and ``"seasonal"`` (``ensemble_normalizations``). Of the two six-net ensembles alone,
#: the seasonal one was better on M3's quarterly and monthly validation windows (LSTM
#: 9.72 / 14.48 -> 9.50 / 14.15) and worse on Tourism's and M1's monthly ones; the mean of
#: the two was as good as the better one or within 0.05 of it on every group of the three.
PANEL_ENSEMBLE = 12

#: Parameters every net of a panel run gets unless ``model_params`` set them: windows of
#: every scale look alike (``normalization="level"``) and the loss is the metric (sMAPE).
#: On M3's validation windows they took the LSTM from 15.25 to 14.15 overall sMAPE and
#: every other net by 0.5 or more; then the ensemble of :data:`PANEL_ENSEMBLE` nets.
PANEL_NET_PARAMS = {"scaler": HOLDOUT_SCALER, "normalization": "level", "loss": "smape",
                    "n_ensemble": PANEL_ENSEMBLE, "ensemble_losses": ("smape", "mae"),
                    "ensemble_normalizations": ("level", "seasonal")}

#: The conformal calibration of every model of a panel run (``--level``): the last
#: ``fraction`` of each training series, at least ``horizons`` horizons of the data set
#: (each model's ``calibration_size`` is ``(fraction, horizons x horizon)``), so that every
#: series gives at least one calibration window at its end, as the competitions' hold-out
#: is one window at the end of every series. The forecasters' own 20% alone over-covered
#: the 80% intervals of the short series' panels: a series shorter than five horizons
#: holds out less than a horizon and gives no calibration forecast, so on M3 yearly only
#: the longest series calibrated (132 of 645 on the validation windows, median 35 rows
#: against 13; 162 of 645 on the hold-out) and their scaled errors were the larger ones.
#: On the validation windows of M3 and Tourism (naive, seasonal naive, ETS, Theta;
#: ``benchmarks/notes/2026-12-03-panel-intervals.md``) this rule had all 28 cells (model x
#: group x competition) within 5 points of 80% and 95% (mean distance 1.7 points against
#: 2.2 for 20%, worst 4.9 against 10.5; MSIS within 2%), where one, two or three horizons
#: alone did worse (2.1, 2.2, 2.8: one window is noisy, reaching farther back fits the copy
#: on fewer rows). ``model_params`` with ``calibration_size`` win.
PANEL_CALIBRATION = (0.2, 1)

#: Rows every training series keeps beside its calibration rows (what the classical
#: models need to fit, ``ETSForecaster.MIN_ROWS``); a data set with a shorter series keeps
#: the forecasters' default (a note says so).
PANEL_CALIBRATION_KEEP = 3
