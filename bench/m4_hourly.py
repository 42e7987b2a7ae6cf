"""M4 Hourly: accuracy (sMAPE, MASE) and time of lstmcast's LSTM on a real public panel (414 series, h=48).

What it measures
  Reads ../shared/data/m4/Hourly-{train,test}.csv (wide: V1 = id, then values; see that folder's README), builds
  the long frame with integer ds (1, 2, ...), fits `LSTM(h=48, ...)` with each recipe below, predicts the 48 hours
  after each training series and scores them as the README defines:
    sMAPE = mean over series and horizons of 200|y - yhat| / (|y| + |yhat|)
    MASE  = mean over series of  mean_h |y - yhat| / mean_t |y_t - y_{t-24}|  (in-sample, seasonal naive m=24)
  The seasonal-naive forecast (repeat the last 24 hours) is scored by the same code as a check (README: sMAPE
  13.912, MASE 1.193).  Reported per recipe: fit s, predict s, sMAPE, MASE.
  Full histories (input_size=-1) are ~960 steps and the decoder runs at every step x 48 horizons (~5 s/step at
  batch 32, hidden 128), so the recipes train on truncated windows (input_size=192 or 336) with a small LSTM (1 x 64,
  decoder 1 x 32) and read inference_input_size = input_size steps to predict.  Data preparation (keys of a recipe
  that are not LSTM arguments): log: train on log(y), forecast exp(.) (M4 values are positive); diff=24: train on
  the day-on-day change y_t - y_{t-24} (a zero forecast is seasonal naive), summed back after predict; prep='center'
  subtracts each series' mean of its last 168 training steps, 'standardize' also divides by the series' std (both
  undone after predict; use them with scaler_type='identity'); futr_exog_list may name y_[lag48], y_[lag168] (the
  transformed target 48 / 168 steps before: known for all 48 future hours) and hour_sin, hour_cos, week_sin,
  week_cos (sin/cos of t mod 24 and t mod 168, with t counted from each series' last training step: the daily
  cycles of the series line up that way, so they all end at the same hour of day).  Recipes:
    raw      y as is, lr 1e-3, 300 steps: negative night-time forecasts of the peaky series wreck sMAPE;
    fast     log(y) in, exp out, futr exog y_[lag48] (as the spec's y_[lag12] for h=12), lr 3e-3 halved 3 times,
             300 steps;
    long     as fast with 1000 steps;
    level336 log, robust scaler with level_window=-1 (the shift is the median of the whole window, not of its last
             h steps), input_size 336, futr y_[lag48], y_[lag168], hour and week sin/cos, 300 steps;
    level336s  level336 with scale_like_target=[y_[lag48], y_[lag168]] (the lags take the target's statistics);
    centred  log, prep='center', scaler_type='identity', input_size 192, futr y_[lag48], y_[lag168], hour, 300 steps;
    diff24   log, diff=24, prep='standardize', scaler_type='identity', same futr and size as centred, 300 steps;
    ens3     (the default) the median of level336, centred and diff24, forecast by forecast; its fit time is the
             sum of theirs.
  Skips with a message if the data folder is absent.
Run: python bench/m4_hourly.py [--recipes raw,fast,long,level336,level336s,centred,diff24,ens3] [--threads N]
"""
import argparse, logging, os, sys, time, warnings
from pathlib import Path
import numpy as np, pandas as pd

DATA = Path(__file__).resolve().parents[2] / 'shared' / 'data' / 'm4'
H, M = 48, 24
COMMON = dict(h=H, scaler_type='robust', context_size=10, batch_size=32, random_seed=1,
              enable_progress_bar=False)
_SMALL = dict(input_size=4 * H, inference_input_size=4 * H, encoder_n_layers=1, encoder_hidden_size=64,
              decoder_hidden_size=32, decoder_layers=1)
_CAL = ['y_[lag48]', 'y_[lag168]', 'hour_sin', 'hour_cos']
RECIPES = {  # name: LSTM arguments beyond COMMON, and the data preparation keys log, diff, prep (see the docstring)
    'raw':  dict(_SMALL, learning_rate=1e-3, max_steps=300),
    'fast': dict(_SMALL, log=True, futr_exog_list=['y_[lag48]'], learning_rate=3e-3, num_lr_decays=3, max_steps=300),
    'long': dict(_SMALL, log=True, futr_exog_list=['y_[lag48]'], learning_rate=3e-3, num_lr_decays=3, max_steps=1000),
    'level336': dict(_SMALL, input_size=7 * H, inference_input_size=7 * H, level_window=-1, log=True,
                     futr_exog_list=_CAL + ['week_sin', 'week_cos'], learning_rate=3e-3, num_lr_decays=3, max_steps=300),
    'level336s': dict(_SMALL, input_size=7 * H, inference_input_size=7 * H, level_window=-1, log=True,
                      futr_exog_list=_CAL + ['week_sin', 'week_cos'], scale_like_target=['y_[lag48]', 'y_[lag168]'],
                      learning_rate=3e-3, num_lr_decays=3, max_steps=300),
    'centred': dict(_SMALL, scaler_type='identity', log=True, prep='center', futr_exog_list=_CAL,
                    learning_rate=3e-3, num_lr_decays=3, max_steps=300),
    'diff24': dict(_SMALL, scaler_type='identity', log=True, diff=M, prep='standardize', futr_exog_list=_CAL,
                   learning_rate=3e-3, num_lr_decays=3, max_steps=300),
}
ENSEMBLES = {'ens3': ['level336', 'centred', 'diff24']}  # name: recipes whose forecasts are combined by their median


def load():
    "Training series (list of arrays), test block [414, 48] and ids, from the wide CSVs."
    train, test = pd.read_csv(DATA / 'Hourly-train.csv'), pd.read_csv(DATA / 'Hourly-test.csv')
    assert (train['V1'] == test['V1']).all()
    ids = train['V1'].to_numpy()
    series = [r[~np.isnan(r)] for r in train.drop(columns='V1').to_numpy(np.float64)]
    return ids, series, test.drop(columns='V1').to_numpy(np.float64)[:, :H]


def scores(series, y, yhat):
    "sMAPE and MASE (seasonal-naive m=24 in-sample scale), averaged as in the M4 competition."
    smape = np.mean(200 * np.abs(y - yhat) / (np.abs(y) + np.abs(yhat)))
    scale = np.array([np.mean(np.abs(s[M:] - s[:-M])) for s in series])
    return smape, np.mean(np.mean(np.abs(y - yhat), axis=1) / scale)


def lag(x, k=H):
    "`x` shifted by k steps; the first k steps keep their own value (as the spec's y_[lag12])."
    return np.concatenate([x[:k], x[:-k]])


def features(z, names):
    "Future exogenous columns of one (transformed) series `z` for its n training steps and the H after: [n + H] each."
    full, t = np.concatenate([z, np.full(H, np.nan)]), np.arange(len(z) + H) - len(z)   # t: 0 at the first future step
    make = {'y_[lag48]': lambda: lag(full, H), 'y_[lag168]': lambda: lag(full, 7 * M),
            'hour_sin': lambda: np.sin(2 * np.pi * t / M), 'hour_cos': lambda: np.cos(2 * np.pi * t / M),
            'week_sin': lambda: np.sin(2 * np.pi * t / (7 * M)), 'week_cos': lambda: np.cos(2 * np.pi * t / (7 * M))}
    return {c: make[c]() for c in names}


def fit_predict(ids, series, recipe):
    "Fit the recipe's LSTM on the long frame (integer ds), forecast the 48 steps after each series: [414, 48]."
    if recipe in ENSEMBLES:
        runs = [fit_predict(ids, series, r) for r in ENSEMBLES[recipe]]
        return np.median([r[0] for r in runs], axis=0), sum(r[1] for r in runs), sum(r[2] for r in runs)
    from lstmcast import NeuralForecast
    from lstmcast.models import LSTM
    kw = dict(RECIPES[recipe]); log, diff, prep = kw.pop('log', False), kw.pop('diff', 0), kw.pop('prep', None)
    z = [np.log(s) for s in series] if log else list(series)          # M4 values are positive; back with exp
    base = z
    if diff: z = [s[diff:] - s[:-diff] for s in z]                     # back: cumulative sums from the last day
    shift, scale = np.zeros(len(z)), np.ones(len(z))
    if prep: shift = np.array([s[-7 * M:].mean() for s in z])         # level of the last training week
    if prep == 'standardize': scale = np.array([max(s.std(), 1e-3) for s in z])
    z = [(s - a) / b for s, a, b in zip(z, shift, scale)]
    futr_cols = kw.get('futr_exog_list') or []
    cols = [features(s, futr_cols) for s in z]
    n = [len(s) for s in z]
    df = pd.DataFrame({'unique_id': np.repeat(ids, n), 'ds': np.concatenate([np.arange(1, k + 1) for k in n]),
                       'y': np.concatenate(z), **{c: np.concatenate([f[c][:k] for f, k in zip(cols, n)]) for c in futr_cols}})
    futr = pd.DataFrame({'unique_id': np.repeat(ids, H), 'ds': np.concatenate([k + np.arange(1, H + 1) for k in n]),
                         **{c: np.concatenate([f[c][k:] for f, k in zip(cols, n)]) for c in futr_cols}})
    nf = NeuralForecast(models=[LSTM(**{**COMMON, **kw})], freq=1)
    t = time.perf_counter(); nf.fit(df); fit_s = time.perf_counter() - t
    t = time.perf_counter(); fc = nf.predict(futr_df=futr if futr_cols else None); pred_s = time.perf_counter() - t
    block = fc.set_index(['unique_id', 'ds'])['LSTM']
    yhat = block.reindex(pd.MultiIndex.from_frame(futr[['unique_id', 'ds']])).to_numpy().reshape(len(ids), H)
    yhat = yhat * scale[:, None] + shift[:, None]
    if diff:                                                           # y_{T+j} = change_{T+j} + y_{T+j-diff}
        for j in range(H): yhat[:, j] += np.array([s[j - diff] for s in base]) if j < diff else yhat[:, j - diff]
    return (np.exp(yhat) if log else yhat), fit_s, pred_s

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--recipes', default='ens3', help=f'comma-separated, from {", ".join([*RECIPES, *ENSEMBLES])}')
    ap.add_argument('--threads', type=int, help='torch.set_num_threads (default: torch default)')
    a = ap.parse_args()
    if not DATA.is_dir():
        print(f'SKIPPED: M4 data folder {DATA} is absent: it needs Hourly-train.csv and '
              'Hourly-test.csv from the public Mcompetitions/M4-methods repository (Dataset/Train, Dataset/Test)'); sys.exit()
    warnings.filterwarnings('ignore'); logging.disable(logging.WARNING)
    import torch
    if a.threads: torch.set_num_threads(a.threads)
    ids, series, y = load()
    print(f'M4 Hourly: {len(ids)} series, {min(map(len, series))}-{max(map(len, series))} steps, h={H}; '
          f'torch threads {torch.get_num_threads()}')
    naive = np.stack([np.tile(s[-M:], H // M) for s in series])
    print(f"{'recipe':16} {'fit s':>7} {'predict s':>10} {'sMAPE':>7} {'MASE':>6}")
    print(f"{'seasonal naive':16} {'':>7} {'':>10} {scores(series, y, naive)[0]:7.3f} {scores(series, y, naive)[1]:6.3f}")
    for name in a.recipes.split(','):
        yhat, fit_s, pred_s = fit_predict(ids, series, name)
        smape, mase = scores(series, y, yhat)
        print(f'{name:16} {fit_s:7.1f} {pred_s:10.2f} {smape:7.3f} {mase:6.3f}', flush=True)
    for name in a.recipes.split(','):
        if name in ENSEMBLES: print(f'  {name}: median of ' + ', '.join(ENSEMBLES[name])); continue
        print(f'  {name}: ' + ', '.join(f'{k}={v}' for k, v in {**RECIPES[name], 'batch_size': 32}.items()))
    print(f'load avg {os.getloadavg()[0]:.1f}')
