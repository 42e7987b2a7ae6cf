"""Backtest cost: cross_validation(refit=False) beyond its fit, against one predict() over the same histories.

What it measures, on the synthetic monthly panel of bench/panel.py (N series x 240 points, default 2,000) with its
small LSTM (h=12, hidden 64, MAE), in one process, after a warm-up predict:
  * cv: `nf.cross_validation(df, n_windows=W, step_size=1, refit=False)` (default W=10), wall time, and the part of it
    spent in the model's `fit` (timed by wrapping the model's own `fit`); beyond fit = cv - fit
  * predict: `nf.predict()` of the N series over their whole history (the data cross_validation kept), median of
    `--repeats`; also `nf.predict(df=df)`, which checks and prepares the frame as cross_validation does
  * the same backtest one `predict` per window (`nf._one_pass = False`, the path before one-pass backtests), and
    the largest difference between the two paths' forecasts
The ratio the issue asks for is (cv - fit) / predict(); it prints each ratio and the load average.
Run: python bench/backtest.py [--series 2000] [--windows 10] [--steps 20] [--input-size -1] [--threads N]
"""
import argparse, logging, os, statistics, sys, time, warnings
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from panel import CONFIG, panel


def timed_fit(model):
    "Wrap `model.fit` (on the instance) so that the seconds spent in it add up in the list returned."
    spent, inner = [], model.fit
    def fit(*a, **k):
        t = time.perf_counter(); r = inner(*a, **k); spent.append(time.perf_counter() - t); return r
    model.fit = fit
    return spent


def backtest(nf, df, windows, one_pass):
    "(cv frame, seconds, seconds in fit) of one cross_validation, one pass or one predict per window."
    nf._one_pass = one_pass
    spent = timed_fit(nf.models[0])
    t = time.perf_counter()
    cv = nf.cross_validation(df, n_windows=windows, step_size=1, refit=False)
    return cv, time.perf_counter() - t, sum(spent)


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--series', type=int, default=2000)
    ap.add_argument('--windows', type=int, default=10)
    ap.add_argument('--steps', type=int, default=20, help='max_steps of the fit (its time is subtracted)')
    ap.add_argument('--input-size', type=int, default=-1)
    ap.add_argument('--repeats', type=int, default=3, help='predict() calls, median taken')
    ap.add_argument('--threads', type=int, default=0, help='torch.set_num_threads (default: lstmcast chooses)')
    a = ap.parse_args()
    warnings.filterwarnings('ignore'); logging.disable(logging.WARNING)
    import numpy as np, torch
    if a.threads: torch.set_num_threads(a.threads)
    from lstmcast import NeuralForecast
    from lstmcast.models import LSTM
    import pytorch_lightning                                   # imported by the first fit: outside the timers
    df = panel(a.series)
    nf = NeuralForecast([LSTM(input_size=a.input_size, max_steps=a.steps, **CONFIG)], freq='MS')
    print(f'model: LSTM(input_size={a.input_size}, max_steps={a.steps}, '
          f'{", ".join(f"{k}={v}" for k, v in CONFIG.items())}); {a.series} series x 240 points, '
          f'n_windows={a.windows}, step_size=1, refit=False', flush=True)
    cv, cv_s, fit_s = backtest(nf, df, a.windows, one_pass=True)
    nf.predict()                                               # warm-up
    pred = []
    for _ in range(a.repeats):
        t = time.perf_counter(); nf.predict(); pred.append(time.perf_counter() - t)
    pred_s = statistics.median(pred)
    t = time.perf_counter(); nf.predict(df=df); pred_df_s = time.perf_counter() - t
    slow, slow_s, slow_fit_s = backtest(nf, df, a.windows, one_pass=False)
    cols = [c for c in cv.columns if c.startswith('LSTM')]
    diff = float(np.abs(cv[cols].to_numpy() - slow[cols].to_numpy()).max())
    print(f'predict() over the same histories: {pred_s:.2f} s (median of {a.repeats}: '
          f'{", ".join(f"{p:.2f}" for p in pred)}); predict(df=df): {pred_df_s:.2f} s')
    for name, total, fit in (('one pass', cv_s, fit_s), ('one predict per window', slow_s, slow_fit_s)):
        print(f'cross_validation, {name}: {total:.2f} s, of which fit {fit:.2f} s; beyond fit {total - fit:.2f} s '
              f'= {(total - fit) / pred_s:.2f}x predict() ({(total - fit) / pred_df_s:.2f}x predict(df=df))')
    print(f'largest difference between the two paths\' forecasts: {diff:.2e}; '
          f'torch threads {torch.get_num_threads()}; load avg {os.getloadavg()[0]:.1f}')
