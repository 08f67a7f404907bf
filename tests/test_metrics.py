"""Tests for tsforecast.evaluation: hand-computed values, NaN/shape handling, DM test, evaluate()."""

import doctest
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from tsforecast import evaluation as M
from tsforecast.evaluation import (
    METRICS,
    VALID_METRICS,
    coverage,
    diebold_mariano,
    directional_accuracy,
    evaluate,
    mae,
    mape,
    mase,
    mse,
    pinball,
    rmse,
    skill,
    smape,
)

Y = [1.0, 2.0, 3.0, 4.0]
Y_HAT = [2.0, 2.0, 1.0, 5.0]  # errors y - y_hat: -1, 0, 2, -1

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
pairs = st.lists(st.tuples(finite, finite), min_size=1, max_size=40)


# --------------------------------------------------------------------------- point metrics


def test_mae_mse_rmse_hand_computed():
    # |e| = 1, 0, 2, 1 -> sum 4 -> MAE 4/4 = 1
    assert mae(Y, Y_HAT) == pytest.approx(1.0)
    # e^2 = 1, 0, 4, 1 -> sum 6 -> MSE 6/4 = 1.5, RMSE sqrt(1.5)
    assert mse(Y, Y_HAT) == pytest.approx(1.5)
    assert rmse(Y, Y_HAT) == pytest.approx(math.sqrt(1.5))
    assert isinstance(mae(Y, Y_HAT), float)


def test_mape_hand_computed():
    # |e|/|y| = 10/100, 20/200, 25/50 = 0.1, 0.1, 0.5 -> mean 0.7/3 -> 23.33 %
    assert mape([100, 200, -50], [110, 180, -25]) == pytest.approx(100 * 0.7 / 3)


def test_mape_zero_actuals_raise_with_count():
    with pytest.raises(ValueError, match="2 zero actual"):
        mape([0.0, 1.0, 0.0], [1.0, 1.0, 1.0])


def test_mape_zero_actual_at_nan_forecast_is_ignored():
    # the zero actual is paired with a NaN forecast, so it is dropped: |1-2|/1 = 100 %
    assert mape([0.0, 1.0], [np.nan, 2.0]) == pytest.approx(100.0)


def test_smape_hand_computed_and_zero_over_zero():
    # 200*|1-3|/(1+3) = 100; 0/0 -> 0; 200*|0-2|/(0+2) = 200; 200*|-1-1|/(1+1) = 200
    # mean = (100 + 0 + 200 + 200) / 4 = 125
    assert smape([1, 0, 0, -1], [3, 0, 2, 1]) == pytest.approx(125.0)
    assert smape([0, 0], [0, 0]) == 0.0


@settings(max_examples=200, deadline=None)
@given(pairs)
def test_smape_bounds_property(data):
    y, y_hat = zip(*data, strict=True)
    value = smape(y, y_hat)
    assert 0.0 <= value <= 200.0


def test_mase_hand_computed():
    # y_train 1, 3, 2, 4: naive |diffs| 2, 1, 2 -> scale 5/3; MAE of (5,6) vs (4,6) = 0.5
    # MASE = 0.5 / (5/3) = 0.3
    assert mase([5, 6], [4, 6], y_train=[1, 3, 2, 4]) == pytest.approx(0.3)


def test_mase_seasonal_and_nan_in_train():
    # season 2 on 1, 5, 2, 7, 4: |2-1|=1, |7-5|=2, |4-2|=2 -> scale 5/3; MAE |3-2| = 1 -> 0.6
    assert mase([3], [2], y_train=[1, 5, 2, 7, 4], season=2) == pytest.approx(0.6)
    # NaN in y_train: diffs |nan-1|, |2-nan|, |4-2| -> only 2 survives -> scale 2
    assert mase([3], [2], y_train=[1, np.nan, 2, 4], season=1) == pytest.approx(0.5)


def test_mase_short_train_names_both_numbers():
    with pytest.raises(ValueError, match=r"3 values.*season=4.*at least 5"):
        mase([1], [1], y_train=[1, 2, 3], season=4)


def test_mase_constant_train_raises():
    with pytest.raises(ValueError, match="constant"):
        mase([1, 2], [1, 1], y_train=[5, 5, 5, 5])
    # periodic with period == season is also a zero scale
    with pytest.raises(ValueError, match="scale 0"):
        mase([1, 2], [1, 1], y_train=[1, 2, 1, 2], season=2)


@pytest.mark.parametrize("season", [0, -1, 1.5, True])
def test_mase_invalid_season(season):
    with pytest.raises(ValueError, match="season"):
        mase([1], [1], y_train=[1, 2, 3], season=season)


def test_pinball_hand_computed():
    # q=0.9, y=10: q_hat 8 -> under-forecast 0.9*2 = 1.8; q_hat 12 -> 0.1*2 = 0.2; q_hat 10 -> 0
    # mean = 2.0 / 3
    assert pinball([10, 10, 10], [8, 12, 10], q=0.9) == pytest.approx(2.0 / 3)


@settings(max_examples=100, deadline=None)
@given(pairs)
def test_pinball_median_is_half_mae(data):
    y, y_hat = zip(*data, strict=True)
    assert pinball(y, y_hat, 0.5) == pytest.approx(mae(y, y_hat) / 2, rel=1e-12, abs=1e-9)


@pytest.mark.parametrize("q", [0.0, 1.0, -0.1, 1.5, float("nan")])
def test_pinball_invalid_q(q):
    with pytest.raises(ValueError, match="q must be"):
        pinball([1.0], [1.0], q)


def test_coverage_hand_computed_bounds_inclusive():
    # 1 in [0,2] yes; 5 in [0,4] no; 9 in [0,10] yes; 3 in [3,4] yes (closed) -> 3/4
    assert coverage([1, 5, 9, 3], [0, 0, 0, 3], [2, 4, 10, 4]) == pytest.approx(0.75)


def test_coverage_lo_above_hi_raises():
    with pytest.raises(ValueError, match="lo > hi at 1"):
        coverage([1, 2], [0, 3], [2, 2])


def test_skill_sign_and_zero_naive():
    assert skill(0.8, 1.0) == pytest.approx(0.2)  # better than naive -> positive
    assert skill(1.5, 1.0) == pytest.approx(-0.5)  # worse -> negative
    assert skill(1.0, 1.0) == 0.0
    with pytest.raises(ValueError, match="naive metric is 0"):
        skill(0.5, 0.0)


def test_directional_accuracy_hand_computed_ties_excluded():
    # y_last 10: actual moves +, -, 0 (tie, dropped), +; forecast moves +, +, -, +
    # kept: (+,+) ok, (-,+) wrong, (+,+) ok -> 2/3
    assert directional_accuracy([11, 9, 10, 12], [12, 11, 9, 10.5], 10) == pytest.approx(2 / 3)
    # "no change" forecast when the actual moved counts as wrong: 0/1
    assert directional_accuracy([11], [10], 10) == 0.0


def test_directional_accuracy_broadcast_and_errors():
    # 2 origins x 2 steps, y_last per origin (column vector)
    y = [[11, 12], [19, 21]]
    y_hat = [[12, 9], [18, 18]]
    last = [[10], [20]]
    # signs actual: (+,+), (-,+); forecast: (+,-), (-,-) -> matches 1,0,1,0 -> 0.5
    assert directional_accuracy(y, y_hat, last) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="every actual change is zero"):
        directional_accuracy([10, 10], [11, 9], 10)
    with pytest.raises(ValueError, match="cannot be broadcast"):
        directional_accuracy([1, 2, 3], [1, 2, 3], [1, 2])


# --------------------------------------------------------------------------- shared validation

POINT_CALLS = {
    **{name: fn for name, fn in METRICS.items()},
    "mase": lambda y, y_hat: mase(y, y_hat, y_train=[1.0, 3.0, 2.0, 4.0]),
    "pinball": lambda y, y_hat: pinball(y, y_hat, 0.3),
    "coverage": lambda y, y_hat: coverage(y, y_hat, np.asarray(y_hat, dtype=float) + 1.0),
    "directional_accuracy": lambda y, y_hat: directional_accuracy(y, y_hat, 0.0),
}


@pytest.mark.parametrize("name", sorted(POINT_CALLS))
def test_nan_positions_are_ignored(name):
    fn = POINT_CALLS[name]
    y = np.array([1.0, np.nan, 3.0, 4.0, 2.0])
    y_hat = np.array([2.0, 5.0, np.nan, 3.5, 2.5])
    # positions 1 (NaN actual) and 2 (NaN forecast) are dropped
    assert fn(y, y_hat) == pytest.approx(fn([1.0, 4.0, 2.0], [2.0, 3.5, 2.5]))


@pytest.mark.parametrize("name", sorted(POINT_CALLS))
def test_all_nan_shape_mismatch_and_empty_raise(name):
    fn = POINT_CALLS[name]
    with pytest.raises(ValueError, match="no valid positions"):
        fn([np.nan, 1.0], [1.0, np.nan])
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        fn([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="empty"):
        fn([], [])


def test_two_dimensional_inputs_are_pooled():
    # errors 1, 2 / 3, 0 -> MAE 6/4
    assert mae([[1, 2], [3, 4]], [[0, 0], [0, 4]]) == pytest.approx(1.5)


# --------------------------------------------------------------------------- Diebold-Mariano

E1 = [1.0, -2.0, 3.0, 0.0, 2.0]
E2 = [0.0, 1.0, 1.0, -1.0, 1.0]
# d = e1^2 - e2^2 = [1, 3, 8, -1, 3], n = 5, mean 2.8
# deviations [-1.8, 0.2, 5.2, -3.8, 0.2]
# gamma0 = (3.24 + 0.04 + 27.04 + 14.44 + 0.04) / 5 = 44.8 / 5 = 8.96
# gamma1 = (0.2*-1.8 + 5.2*0.2 + -3.8*5.2 + 0.2*-3.8) / 5 = -19.84 / 5 = -3.968


def test_dm_hand_computed_horizon_1():
    # V = 8.96, DM = 2.8 / sqrt(8.96/5); HLN factor sqrt((5 + 1 - 2 + 0) / 5) = sqrt(0.8)
    expected = 2.8 / math.sqrt(8.96 / 5) * math.sqrt(0.8)  # = 1.8708...
    stat, p = diebold_mariano(E1, E2, horizon=1)
    assert stat == pytest.approx(expected, rel=1e-12)
    assert p == pytest.approx(2 * stats.t.sf(expected, df=4), rel=1e-12)


def test_dm_hand_computed_horizon_2():
    # Newey-West: V = 8.96 + 2 * (1 - 1/2) * (-3.968) = 4.992, DM = 2.8 / sqrt(4.992/5)
    # HLN factor sqrt((5 + 1 - 4 + 2*1/5) / 5) = sqrt(2.4/5) = sqrt(0.48)
    expected = 2.8 / math.sqrt(4.992 / 5) * math.sqrt(0.48)
    stat, p = diebold_mariano(E1, E2, horizon=2)
    assert stat == pytest.approx(expected, rel=1e-12)
    assert p == pytest.approx(2 * stats.t.sf(expected, df=4), rel=1e-12)


def test_dm_groups_lag_within_a_series_only():
    # groups (2, 3): series [1, 3] and [8, -1, 3]; of gamma1's four products only the one
    # across the boundary (5.2 * 0.2, pairs t=2, t-1=1) goes: (-19.84 - 1.04) / 5 = -4.176
    v = 8.96 + 2 * (1 - 1 / 2) * (-4.176)
    expected = 2.8 / math.sqrt(v / 5) * math.sqrt(0.48)
    stat, p = diebold_mariano(E1, E2, horizon=2, groups=[2, 3])
    assert stat == pytest.approx(expected, rel=1e-12)
    assert p == pytest.approx(2 * stats.t.sf(expected, df=4), rel=1e-12)
    # one group, or lag 1 (variance only), is the plain test
    assert diebold_mariano(E1, E2, horizon=2, groups=[5]) == diebold_mariano(E1, E2, horizon=2)
    assert diebold_mariano(E1, E2, groups=[2, 3]) == diebold_mariano(E1, E2)
    # a NaN pair is dropped from its group: [1, 3] | [8, 3] -> the lag-1 product within
    # the second series now pairs 8 and 3 (as the plain test on the four values would)
    e1n, e2n = [*E1[:3], np.nan, E1[4]], [*E2[:3], 0.0, E2[4]]
    four = diebold_mariano(e1n, e2n, horizon=2, groups=[2, 3])
    assert four != diebold_mariano(e1n, e2n, horizon=2)
    for bad in ([2, 2], [2, -1, 4], [2.5, 2.5], [[5]]):
        with pytest.raises(ValueError, match="groups must be"):
            diebold_mariano(E1, E2, groups=bad)


def test_dm_mae_loss_hand_computed_and_antisymmetry():
    # d = |e1| - |e2| = [1, 1, 2, -1, 1], mean 0.8, deviations [0.2, 0.2, 1.2, -1.8, 0.2]
    # gamma0 = (0.04 + 0.04 + 1.44 + 3.24 + 0.04) / 5 = 4.8 / 5 = 0.96
    expected = 0.8 / math.sqrt(0.96 / 5) * math.sqrt(0.8)
    stat, p = diebold_mariano(E1, E2, loss="mae")
    assert stat == pytest.approx(expected, rel=1e-12)
    stat_rev, p_rev = diebold_mariano(E2, E1, loss="mae")
    assert stat_rev == pytest.approx(-stat)
    assert p_rev == pytest.approx(p)


def test_dm_identical_errors():
    e = np.random.default_rng(0).normal(size=50)
    assert diebold_mariano(e, e) == (0.0, 1.0)
    assert diebold_mariano(e, -e, horizon=3) == (0.0, 1.0)  # same squared loss


def test_dm_clearly_different_errors_significant():
    rng = np.random.default_rng(42)
    good = rng.normal(scale=1.0, size=500)
    bad = rng.normal(scale=2.0, size=500)
    stat, p = diebold_mariano(good, bad, horizon=1)
    assert p < 0.01
    assert stat < 0  # negative: e1 (good) has the lower loss
    assert diebold_mariano(good, bad, horizon=5)[1] < 0.01


def test_dm_validation():
    with pytest.raises(ValueError, match="at least 2"):
        diebold_mariano([1.0], [2.0])
    with pytest.raises(ValueError, match="at least 2"):
        diebold_mariano([1.0, np.nan], [2.0, 3.0])
    with pytest.raises(ValueError, match="horizon=3"):
        diebold_mariano([1.0, 2.0, 3.0], [0.0, 1.0, 5.0], horizon=3)
    with pytest.raises(ValueError, match="loss"):
        diebold_mariano(E1, E2, loss="mape")
    # documented edge cases instead of errors
    assert diebold_mariano([2.0, 2.0, 2.0], [1.0, 1.0, 1.0]) == (np.inf, 0.0)
    assert diebold_mariano([1.0, 1.0, 1.0], [2.0, 2.0, 2.0]) == (-np.inf, 0.0)
    e = np.random.default_rng(1).normal(size=40)
    assert diebold_mariano(e, e * (1 + 1e-13)) == (0.0, 1.0)  # rounding-level difference
    with pytest.raises(ValueError, match="1-D"):
        diebold_mariano([[1.0, 2.0]], [[1.0, 3.0]])


# --------------------------------------------------------------------------- evaluate

# Two models x two series x two steps; target "close", one cutoff.
# y_train a: 10, 12, 11, 13 -> naive |diffs| 2, 1, 2 -> scale 5/3
# y_train b: 100, 100, 104, 102 -> naive |diffs| 0, 4, 2 -> scale 2
Y_TRAIN = {"a": np.array([10.0, 12, 11, 13]), "b": np.array([100.0, 100, 104, 102])}
ROWS = [  # series, step, y, m1, m2
    ("a", 1, 14.0, 13.0, 15.0),
    ("a", 2, 16.0, 16.0, 13.0),
    ("b", 1, 103.0, 101.0, 103.0),
    ("b", 2, 101.0, 104.0, 100.0),
]
# abs errors m1: a 1, 0; b 2, 3.    m2: a 1, 3; b 0, 1


def _tidy() -> pd.DataFrame:
    records = [
        {
            "model": model,
            "series": series,
            "target": "close",
            "cutoff": pd.Timestamp("2024-01-05"),
            "timestamp": pd.Timestamp("2024-01-05") + pd.Timedelta(days=step),
            "step": step,
            "y": y,
            "y_hat": m1 if model == "m1" else m2,
        }
        for model in ("m2", "m1")  # deliberately unsorted
        for series, step, y, m1, m2 in reversed(ROWS)
    ]
    return pd.DataFrame(records)


def test_evaluate_by_model_series():
    out = evaluate(_tidy(), metrics=("mae", "rmse", "smape", "mase"), y_train=Y_TRAIN)
    assert list(out.columns) == ["model", "series", "target", "mae", "rmse", "smape", "mase"]
    assert list(zip(out["model"], out["series"], strict=True)) == [
        ("m1", "a"),
        ("m1", "b"),
        ("m2", "a"),
        ("m2", "b"),
    ]
    # MAE: m1a (1+0)/2, m1b (2+3)/2, m2a (1+3)/2, m2b (0+1)/2
    np.testing.assert_allclose(out["mae"], [0.5, 2.5, 2.0, 0.5])
    # RMSE: sqrt(1/2), sqrt(13/2), sqrt(10/2), sqrt(1/2)
    np.testing.assert_allclose(out["rmse"], np.sqrt([0.5, 6.5, 5.0, 0.5]))
    # MASE: 0.5/(5/3) = 0.3, 2.5/2 = 1.25, 2/(5/3) = 1.2, 0.5/2 = 0.25
    np.testing.assert_allclose(out["mase"], [0.3, 1.25, 1.2, 0.25])
    # sMAPE m1a: (200*1/27 + 0) / 2 = 100/27
    assert out["smape"].iloc[0] == pytest.approx(100 / 27)


def test_evaluate_per_step_pools_series_with_own_scales():
    out = evaluate(_tidy(), metrics=["mae", "mase"], y_train=Y_TRAIN, by=("model",), per_step=True)
    assert list(out.columns) == ["model", "step", "mae", "mase"]
    assert list(zip(out["model"], out["step"], strict=True)) == [
        ("m1", 1),
        ("m1", 2),
        ("m2", 1),
        ("m2", 2),
    ]
    # m1 step1: |e| a=1, b=2 -> MAE 1.5, MASE mean(1/(5/3), 2/2) = mean(0.6, 1.0) = 0.8
    # m1 step2: a=0, b=3 -> 1.5, mean(0, 1.5) = 0.75
    # m2 step1: a=1, b=0 -> 0.5, mean(0.6, 0) = 0.3
    # m2 step2: a=3, b=1 -> 2.0, mean(1.8, 0.5) = 1.15
    np.testing.assert_allclose(out["mae"], [1.5, 1.5, 0.5, 2.0])
    np.testing.assert_allclose(out["mase"], [0.8, 0.75, 0.3, 1.15])


def test_evaluate_mase_matches_function_and_tuple_keys():
    frame = _tidy()
    y_train = {("a", "close"): Y_TRAIN["a"], "b": Y_TRAIN["b"]}  # (series, target) key wins
    out = evaluate(frame, metrics="mase", y_train=y_train, season=1)
    sub = frame[(frame.model == "m2") & (frame.series == "a")]
    assert out["mase"].iloc[2] == pytest.approx(mase(sub.y, sub.y_hat, Y_TRAIN["a"]))


def test_evaluate_quantile_metrics():
    frame = pd.DataFrame(
        {
            "series": ["a", "a"],
            "step": [1, 2],
            "y": [10.0, 10.0],
            "y_hat": [10.0, 10.0],
            "q0.1": [9.0, 8.0],
            "q0.5": [10.0, 10.0],
            "q0.9": [12.0, 9.0],
        }
    )
    out = evaluate(frame, metrics=["pinball", "coverage"])
    # pinball q0.1: y-q = 1, 2 -> 0.1, 0.2 -> 0.15; q0.5: 0; q0.9: y-q = -2, 1 -> 0.2, 0.9 -> 0.55
    # average over the three levels: (0.15 + 0 + 0.55) / 3
    assert out["pinball"].iloc[0] == pytest.approx(0.7 / 3)
    # outermost pair [q0.1, q0.9]: 10 in [9, 12] yes, 10 in [8, 9] no -> 0.5
    assert out["coverage"].iloc[0] == pytest.approx(0.5)


def test_evaluate_ignores_nan_rows_and_missing_by_columns():
    frame = _tidy().drop(columns=["model", "target"])
    frame.loc[0, "y_hat"] = np.nan
    out = evaluate(frame, metrics=["mae"], by=("model", "series"))
    assert list(out.columns) == ["series", "mae"]
    assert len(out) == 2


def test_evaluate_errors():
    frame = _tidy()
    with pytest.raises(ValueError, match="y_train"):
        evaluate(frame)  # default metrics include MASE
    with pytest.raises(ValueError, match="valid names: mae, mse, rmse"):
        evaluate(frame, metrics=["mae", "r2"])
    with pytest.raises(ValueError, match="no entry for series 'b'"):
        evaluate(frame, metrics=["mase"], y_train={"a": Y_TRAIN["a"]})
    with pytest.raises(ValueError, match="quantile"):
        evaluate(frame, metrics=["pinball"])
    with pytest.raises(ValueError, match="coverage"):
        evaluate(frame.assign(**{"q0.1": 1.0}), metrics=["coverage"])
    zero = frame.assign(y=0.0)
    with pytest.raises(ValueError, match="mape failed for group"):
        evaluate(zero, metrics=["mape"])
    with pytest.raises(ValueError, match="missing"):
        evaluate(frame.drop(columns="y_hat"), metrics=["mae"])


def test_registry():
    assert set(METRICS) == {"mae", "mse", "rmse", "mape", "smape"}
    assert set(VALID_METRICS) == set(METRICS) | {"mase", "pinball", "coverage"}
    for fn in METRICS.values():
        assert isinstance(fn(Y, Y_HAT), float)


def test_docstring_examples():
    failures, _ = doctest.testmod(M, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert failures == 0


def test_dm_long_run_variance_is_never_negative_at_long_horizons():
    # strongly negatively autocorrelated differentials made the unweighted estimate
    # negative (NaN p-values in real ltsf runs at horizon 24)
    rng = np.random.default_rng(3)
    for _ in range(50):
        e1 = rng.normal(size=60) * np.tile([1.0, 3.0], 30)
        e2 = rng.normal(size=60)
        stat, p = diebold_mariano(e1, e2, horizon=24)
        assert np.isfinite(stat) and 0.0 <= p <= 1.0


# --------------------------------------------------------------------------- interval scores


def test_winkler_width_and_crps_hand_computed():
    from tsforecast.evaluation import crps_from_quantiles, interval_width, winkler_score

    y, lo, hi = [1.0, 5.0, -1.0], [0.0, 0.0, 0.0], [2.0, 4.0, 1.0]
    assert interval_width(lo, hi) == pytest.approx((2 + 4 + 1) / 3)
    # 95%: alpha 0.05 -> penalty 40 per unit outside: 2, 4 + 40, 1 + 40
    assert winkler_score(y, lo, hi, 95) == pytest.approx((2 + 44 + 41) / 3)
    # CRPS from the median alone is the MAE
    assert crps_from_quantiles([1.0, 3.0], [[2.0], [2.0]], [0.5]) == pytest.approx(1.0)
    # a Gaussian forecast: quantile CRPS approaches the closed form sigma*(1/sqrt(pi) - ...)
    rng = np.random.default_rng(0)
    qs = np.linspace(0.01, 0.99, 99)
    yy = rng.normal(size=4000)
    q_hat = np.tile(stats.norm.ppf(qs), (yy.size, 1))
    # closed form of the CRPS of N(0, 1) at y (Gneiting & Raftery 2007)
    expected = np.mean(yy * (2 * stats.norm.cdf(yy) - 1) + 2 * stats.norm.pdf(yy)
                       - 1 / math.sqrt(math.pi))
    assert crps_from_quantiles(yy, q_hat, qs) == pytest.approx(expected, rel=0.03)
    with pytest.raises(ValueError, match="lo > hi"):
        winkler_score([1.0], [2.0], [1.0], 80)
    with pytest.raises(ValueError, match="level must be"):
        winkler_score([1.0], [0.0], [2.0], 100)
