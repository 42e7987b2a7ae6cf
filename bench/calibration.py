"""Interval calibration rules compared offline: record each fit's held-out and backtest errors once, score many rules.

Tail validation (`LSTM(tail_validation=True)`, the default) holds out the last h steps of every series, and
calibrates the intervals on the errors there. This script records, for each data set of `bench/accuracy.py` (and
`spec`, the spec's AirPassengers example: train to 1959, test on 1960), with one fit per seed:
  tail   every held-out point: its value, the model's mean and sigma (Normal loss), its origin's scale, its step
  test   every backtest point, the same, from the refit model's own (uncalibrated) forecasts
and then scores rules that turn the tail into half-widths of the 80% and 90% intervals on the test points:
  A  per horizon step: the conformal quantile of |error| / scale, never narrower at a later step (lstmcast before)
  B  pooled over steps: the conformal quantile of |error| / sigma, times the model's sigma
  C  pooled: the conformal quantile of |error| / (scale * sqrt(step)), times scale * sqrt(step)
  E  the model's own interval, uncalibrated
  F  pooled: the conformal quantile of |error| / scale, the same at every step
  K  the mean of A and E (lstmcast now)
  N  the larger of A and E
  P  A shrunk toward E with weight n / (n + 10), n the held-out errors of that step
printing each rule's coverage and interval score (Winkler, / mean |y|, x100; lower is better), mean over seeds.
Run: OMP_NUM_THREADS=1 python bench/calibration.py record DATA[,DATA...] SEEDS FILE   (e.g. air,wine 1,2,3 r.pkl)
     python bench/calibration.py evaluate FILE [FILE ...]
"""
import logging, pickle, sys, time, warnings
from collections import defaultdict
from pathlib import Path
import numpy as np

Z = {80: 1.2815516, 90: 1.6448536}
REC = {'tail': [], 'test': []}


def _hooks():
    "Record instead of calibrating: the held-out errors in `_tail_check` (its correction weight kept at 1), the raw
    forecasts in `_calibrate`."
    import torch
    from lstmcast.common._base_recurrent import BaseRecurrent, _take, pad_future

    @torch.inference_mode()
    def tail(self, dataset):
        b = dataset.batch(np.arange(len(dataset)))
        temporal = b['temporal'][..., :-self.test_size] if self.test_size else b['temporal']
        w = self._windows(pad_future(temporal, self.h), b['static'])
        held = w['mask'] > 0
        held[:, :temporal.shape[-1] - self.val_size - 1] = False
        bi, pos = torch.nonzero(held.any(-1), as_tuple=True)
        mu, sig = self._forecast_params(w, lambda p: _take(p, (bi, pos)), w['loc'][bi, pos], w['scale'][bi, pos])
        keep, y = held[bi, pos], w['y'][bi, pos]
        sc, k = w['scale'][bi, pos].expand(y.shape), torch.arange(self.h).expand(y.shape)
        REC['tail'].append({n: v[keep].numpy() for n, v in dict(y=y, mu=mu, sig=sig, sc=sc, k=k).items()})
        return 1., None

    def cal(self, cols, loss, scale):
        REC['test'].append(dict(cols=cols.numpy().copy(), sc=scale.expand(cols.shape[:-1]).numpy().copy()))
        return cols
    BaseRecurrent._tail_check, BaseRecurrent._calibrate = tail, cal


def record(name, seed, steps=1000):
    "One fit of data set `name`: its held-out and test points."
    sys.path.insert(0, str(Path(__file__).parent))
    import accuracy
    from lstmcast import NeuralForecast
    from lstmcast.models import LSTM
    from lstmcast.losses.pytorch import DistributionLoss
    REC['tail'].clear(); REC['test'].clear()
    loss = DistributionLoss('Normal', level=[80, 90])
    if name == 'spec':
        from lstmcast.utils import AirPassengersPanel as P, AirPassengersStatic
        tr, te = P[P.ds < P['ds'].values[-12]], P[P.ds >= P['ds'].values[-12]].reset_index(drop=True)
        nf = NeuralForecast([LSTM(h=12, loss=loss, encoder_n_layers=2, encoder_hidden_size=128, context_size=10,
                                  decoder_hidden_size=128, decoder_layers=2, max_steps=200,
                                  futr_exog_list=['y_[lag12]'], stat_exog_list=['airline1'],
                                  enable_progress_bar=False, random_seed=seed)], freq='M')
        nf.fit(tr, static_df=AirPassengersStatic)
        y = nf.predict(futr_df=te).merge(te[['unique_id', 'ds', 'y']])['y'].to_numpy()
        k = np.tile(np.arange(12), 2)
    else:
        df, freq, h, _, windows = accuracy.load(name)
        nf = NeuralForecast([LSTM(h=h, loss=loss, max_steps=steps, random_seed=seed, enable_progress_bar=False)],
                            freq=freq)
        cv = nf.cross_validation(df, n_windows=windows, step_size=h, refit=False)
        cv = cv.sort_values(['unique_id', 'cutoff', 'ds'])
        y, k = cv['y'].to_numpy(), cv.groupby(['unique_id', 'cutoff']).cumcount().to_numpy()
    C = np.stack([c['cols'] for c in REC['test']])                     # [windows, series, h, columns]
    S = np.stack([c['sc'] for c in REC['test']])
    cols, sc = C.transpose(1, 0, 2, 3).reshape(-1, C.shape[-1]), S.transpose(1, 0, 2).reshape(-1)
    sig = (cols[:, 5] - cols[:, 2]) / (2 * Z[90])                     # [mean, median, lo90, lo80, hi80, hi90]
    tail = {n: np.concatenate([r[n] for r in REC['tail']]) for n in REC['tail'][0]}
    return dict(name=name, seed=seed, tail=tail, test=dict(y=y, mu=cols[:, 1], sig=sig, sc=sc, k=k))


def _cq(x, level):
    "Conformal quantile: the ceil((n+1) level)-th smallest."
    x = np.sort(x)
    return x[min(int(np.ceil(level / 100 * (len(x) + 1))), len(x)) - 1]


def rules(t, s, level):
    "Half-widths of the `level` interval at the test points `s`, from the held-out points `t`, by each rule."
    e, k, kt = np.abs(t['y'] - t['mu']), t['k'], s['k']
    steps = range(kt.max() + 1)
    w = np.maximum.accumulate([_cq(e[k == j] / t['sc'][k == j], level) if (k == j).any() else 0 for j in steps])
    out = {'A': w[kt] * s['sc'], 'B': _cq(e / t['sig'], level) * s['sig'],
           'C': _cq(e / (t['sc'] * np.sqrt(k + 1)), level) * s['sc'] * np.sqrt(kt + 1),
           'E': Z[level] * s['sig'], 'F': _cq(e / t['sc'], level) * s['sc']}
    n = np.array([(k == j).sum() for j in steps])[kt]
    out.update(K=(out['A'] + out['E']) / 2, N=np.maximum(out['A'], out['E']),
               P=n / (n + 10) * out['A'] + 10 / (n + 10) * out['E'])
    return out


def evaluate(results):
    table = defaultdict(lambda: defaultdict(list))
    for r in results:
        s = r['test']
        e = np.abs(s['y'] - s['mu'])
        for level in (80, 90):
            for rule, hw in rules(r['tail'], s, level).items():
                score = np.mean(2 * hw + 2 / (1 - level / 100) * np.maximum(e - hw, 0)) / np.mean(np.abs(s['y']))
                table[level, r['name']][rule].append((np.mean(e <= hw), 100 * score))
    for level in (80, 90):
        names = list(next(v for (lv, _), v in table.items() if lv == level))
        print(f'--- {level}% interval: coverage / interval score, mean over seeds')
        print(f"{'data':9}" + ''.join(f'{n:>14}' for n in names))
        for (lv, data), v in table.items():
            if lv == level:
                cells = [f'{np.mean([c for c, _ in v[n]]):5.2f} /{np.mean([w for _, w in v[n]]):6.1f}' for n in names]
                print(f'{data:9}' + ''.join(f'{c:>14}' for c in cells) + f'   ({len(v[names[0]])} seeds)')


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
