"""Interval calibration rules compared offline: record each fit's held-out and backtest errors once, score many rules.

Tail validation (`LSTM(tail_validation=True)`, the default) holds out the last h steps of every series, and
calibrates the intervals from there. This script records, for each data set of `bench/accuracy.py` (and `spec`, the
LSTM page's AirPassengers example: train to 1959, test on 1960), with one fit per seed:
  tail     every point the tail check forecasts (every origin with a known target and anchor, the held-out ones
           marked): the value, the forecast's median and 80%/90% bounds at the chosen correction weight, and the
           anchor's forecast, all in units of the origin's scale; the step and series
  test     every backtest point: the value and the refit model's own (uncalibrated) median and bounds, and the scale
and then scores rules that turn the tail into the 80% and 90% intervals of the test points:
  model    the model's own interval, uncalibrated
  tail     per horizon step, the conformal quantile of the held-out |error| / scale (never narrower at a later
           step); each bound halfway between the model's and that one (lstmcast before 2026-12-02)
  anchor   per step, the conformal quantile of the anchor's |error| / scale over every origin of the history,
           times r ** (n / (n + 1)), r the forecast's summed held-out error over the anchor's, n the series;
           halfway with the model's bounds (lstmcast now: `anchor_widths`)
  anchor-pure    the same, not averaged with the model's bounds
  anchor-r       the ratio not shrunk toward 1 (halfway)
  anchor-1       no ratio: the anchor's own quantiles (halfway)
printing, per data set and seed, each rule's 90% and 80% coverage and 90% interval score (Winkler, / mean |y|),
then a summary over all fits: mean coverage, mean |coverage - nominal|, the share of fits whose 90% coverage lies
in 0.80-0.97, and the geometric mean of the interval score relative to `tail`.
Run: OMP_NUM_THREADS=1 python bench/calibration.py record DATA[,DATA...] SEEDS FILE   (e.g. air,wine 1,2 r.pkl)
     python bench/calibration.py evaluate FILE [FILE ...]
"""
import logging, pickle, sys, time, warnings
from pathlib import Path
import numpy as np, pandas as pd

COLS = {90: (2, 5), 80: (3, 4)}            # forecast columns: mean, median, lo-90, lo-80, hi-80, hi-90
RULES = ['model', 'tail', 'anchor', 'anchor-pure', 'anchor-r', 'anchor-1']
REC = {}


def _hooks():
    "Record the tail check's points (keeping its choice) and return the raw forecasts from `_calibrate`."
    import torch
    import lstmcast.common._base_recurrent as br
    check = br.BaseRecurrent._tail_check

    @torch.inference_mode()
    def tail(self, dataset):
        shrink, widths = check(self, dataset)
        b = dataset.batch(np.arange(len(dataset)))
        temporal = b["temporal"]                       # the training view: a backtest's test steps are cut
        w = self._windows(br.pad_future(temporal, self.h), b['static'])
        seen = (w.mask > 0) & w.anchor_known
        bi, pos = torch.nonzero(seen.any(-1), as_tuple=True)
        s, keep = w.scale[bi, pos], seen[bi, pos]
        forecast = lambda weight: self.loss.forecast(self._to_original(
            br._take(self._outputs(w, weight), (bi, pos)), w.loc[bi, pos], s)) / s[..., None]
        step = torch.arange(self.h).expand(keep.shape)
        REC['tail'] = dict(y=(w.y[bi, pos] / s)[keep].numpy(), cols=forecast(shrink)[keep].numpy(),
                           anchor=forecast(0.)[..., 1][keep].numpy(), step=step[keep].numpy(),
                           series=bi[:, None].expand(keep.shape)[keep].numpy(),
                           held=(pos[:, None] >= temporal.shape[-1] - self.val_size - 1).expand(keep.shape)[keep].numpy())
        return shrink, widths

    def calibrate(self, cols, loss, scale):            # the raw columns, the scale in the mean's place
        cols = cols.clone()
        cols[..., 0] = scale.to(cols).reshape(len(cols), 1).expand(cols.shape[:2])
        return cols
    br.BaseRecurrent._tail_check, br.BaseRecurrent._calibrate = tail, calibrate


def record(name, seed, steps=1000):
    "One fit of data set `name`: its tail points and its backtest frame (raw quantiles, the scale in column LSTM)."
    sys.path.insert(0, str(Path(__file__).parent))
    import accuracy
    from lstmcast import NeuralForecast
    from lstmcast.models import LSTM
    from lstmcast.losses.pytorch import DistributionLoss
    loss = DistributionLoss('Normal', level=[80, 90])
    if name == 'spec':
        from lstmcast.utils import AirPassengersPanel as P, AirPassengersStatic
        tr, te = P[P.ds < P['ds'].values[-12]], P[P.ds >= P['ds'].values[-12]].reset_index(drop=True)
        nf = NeuralForecast([LSTM(h=12, loss=loss, scaler_type='robust', encoder_n_layers=2, encoder_hidden_size=128,
                                  context_size=10, decoder_hidden_size=128, decoder_layers=2, max_steps=200,
                                  futr_exog_list=['y_[lag12]'], stat_exog_list=['airline1'],
                                  enable_progress_bar=False, random_seed=seed)], freq='M')
        nf.fit(tr, static_df=AirPassengersStatic)
        cv = nf.predict(futr_df=te).merge(te[['unique_id', 'ds', 'y']]).assign(cutoff=tr['ds'].max())
    else:
        df, freq, h, _, windows = accuracy.load(name)
        nf = NeuralForecast([LSTM(h=h, loss=loss, max_steps=steps, random_seed=seed, enable_progress_bar=False)],
                            freq=freq)
        cv = nf.cross_validation(df, n_windows=windows, step_size=h, refit=False)
    return dict(name=name, seed=seed, tail=REC.pop('tail'), test=cv)


def _cq(x, level):
    "Conformal quantile: the ceil((n+1) level)-th smallest."
    x = np.sort(x)
    return x[min(max(int(np.ceil(level * (len(x) + 1))), 1), len(x)) - 1]


def _step_widths(e, step, h, level):
    "Per step conformal quantiles of `e`, never narrower at a later step."
    return np.maximum.accumulate([_cq(e[step == k], level) if (step == k).any() else 0. for k in range(h)])


def bounds(t, cv, level):
    "lo, hi of the `level`% interval at the backtest points of `cv`, by each rule."
    il, ih = COLS[level]
    med, scale = cv['LSTM-median'].to_numpy(), cv['LSTM'].to_numpy()
    lo, hi = cv[f'LSTM-lo-{level}'].to_numpy(), cv[f'LSTM-hi-{level}'].to_numpy()
    k = cv.groupby(['unique_id', 'cutoff']).cumcount().to_numpy()
    h, a, held = int(k.max()) + 1, level / 100, t['held']
    e, e0 = np.abs(t['y'] - t['cols'][:, 1]), np.abs(t['y'] - t['anchor'])
    n = len(np.unique(t['series'][held]))
    r = e[held].sum() / e0[held].sum() if e0[held].sum() > 0 else 1.
    half = lambda wd: ((lo + med - wd) / 2, (hi + med + wd) / 2)
    base = _step_widths(e0, t['step'], h, a)[k] * scale
    return {'model': (lo, hi), 'tail': half(_step_widths(e[held], t['step'][held], h, a)[k] * scale),
            'anchor': half(base * r ** (n / (n + 1))), 'anchor-pure': (med - base * r ** (n / (n + 1)),
                                                                       med + base * r ** (n / (n + 1))),
            'anchor-r': half(base * r), 'anchor-1': half(base)}


def evaluate(results):
    rows = []
    for res in results:
        cv = res['test']; y = cv['y'].to_numpy()
        for level in (80, 90):
            for rule, (lo, hi) in bounds(res['tail'], cv, level).items():
                miss = np.maximum(lo - y, 0) + np.maximum(y - hi, 0)
                rows.append(dict(data=f"{res['name']}{res['seed']}", rule=rule, level=level,
                                 cov=np.mean((lo <= y) & (y <= hi)),
                                 score=np.mean(hi - lo + 2 / (1 - level / 100) * miss) / np.mean(np.abs(y))))
    d = pd.DataFrame(rows)
    for level in (90, 80):
        print(f'--- {level}% coverage')
        print(d[d.level == level].pivot(index='data', columns='rule', values='cov')[RULES].round(2).to_string())
    s90 = d[d.level == 90].pivot(index='data', columns='rule', values='score')[RULES]
    print('--- 90% interval score relative to tail')
    print(s90.div(s90['tail'], axis=0).round(2).to_string())
    c = {lv: d[d.level == lv].pivot(index='data', columns='rule', values='cov')[RULES] for lv in (80, 90)}
    print(f'--- summary over {len(s90)} fits')
    print(pd.DataFrame({'cov90': c[90].mean(), '|cov90 - 0.9|': (c[90] - .9).abs().mean(),
                        'cov90 in 0.80-0.97': ((c[90] >= .8) & (c[90] <= .97)).mean(), 'cov80': c[80].mean(),
                        '|cov80 - 0.8|': (c[80] - .8).abs().mean(),
                        'score90 / tail': np.exp(np.log(s90.div(s90['tail'], axis=0)).mean())}).round(3).to_string())


if __name__ == '__main__':
    warnings.filterwarnings('ignore'); logging.disable(logging.WARNING)
    if sys.argv[1] == 'record':
        _hooks()
        out = []
        for name in sys.argv[2].split(','):
            for seed in map(int, sys.argv[3].split(',')):
                t0 = time.time(); out.append(record(name, seed))
                print(name, seed, f'{time.time() - t0:.0f} s', flush=True)
                pickle.dump(out, open(sys.argv[4], 'wb'))
    else: evaluate([r for f in sys.argv[2:] for r in pickle.load(open(f, 'rb'))])
