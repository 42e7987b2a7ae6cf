"""The weight of the network's correction, chosen on the held-out tail, replayed offline for any margin.

Tail validation (`LSTM(tail_validation=True)`, the default) forecasts the last h steps of every series with the
network's correction to its anchor times each weight of `SHRINKS` (0, 0.25, ... 1), and `choose_shrink` keeps the
weight with the lowest error relative to the anchor's, each weight w charged `SHRINK_MARGIN` * w / sqrt(n) in log
error on n series. This script records, for each data set of `bench/accuracy.py` and each seed, one fit:
  tail     what `choose_shrink` saw: the tail's absolute errors at every weight, and the series of each
  test     the backtest's sMAPE and MASE relative to seasonal naive at every weight: the same fitted network
           re-predicts the backtest with `model.shrink` set to each weight (its fit is skipped)
and then replays the choice with several margins, printing per fit the MASE ratio each margin leads to, and over all
fits the geometric mean of the ratio, the fits below and above 1 (beyond ±0.5%), the worst; with the anchor alone,
the network alone and the best weight in hindsight beside them. The replay of the library's own margin gives the
library's choices (column `lib`, the weight the fit chose).
Run: OMP_NUM_THREADS=1 python bench/weights.py record DATA[,DATA...] SEEDS FILE [TAIL]   (e.g. air,wine 1,2 w.pkl)
     (TAIL: horizons tail validation holds out, `TAIL_WINDOWS`; the library's own by default)
     python bench/weights.py evaluate FILE [FILE ...] [--margins 0,0.2,0.6]
"""
import argparse, logging, pickle, sys, time, warnings
from pathlib import Path
import numpy as np, pandas as pd

sys.path.insert(0, str(Path(__file__).parent))


def record(names, seeds, path, tail=None):
    "One fit per data set and seed: the tail's errors per weight and the backtest's ratios per weight."
    import accuracy
    import lstmcast.common._base_recurrent as br
    from lstmcast import NeuralForecast
    from lstmcast.models import LSTM
    from lstmcast.losses.pytorch import DistributionLoss
    seen, choose, fit = {}, br.choose_shrink, br.BaseRecurrent.fit
    if tail: br.TAIL_WINDOWS = tail                                   # horizons the tail holds out, where it can

    def spy(errors, series):
        seen['errors'], seen['series'] = errors.numpy().copy(), series.numpy().copy()
        return choose(errors, series)
    br.choose_shrink = spy
    out = []
    for name in names:
        df, freq, h, season, windows = accuracy.load(name)
        for seed in seeds:
            t0 = time.time()
            model = LSTM(h=h, loss=DistributionLoss('Normal', level=[80, 90]), max_steps=1000, random_seed=seed,
                         enable_progress_bar=False)
            nf = NeuralForecast([model], freq=freq)
            cv = nf.cross_validation(df, n_windows=windows, step_size=h, refit=False)
            chosen, b = model.shrink, accuracy.baselines(df, cv, season)
            y, scale = cv['y'].to_numpy(), b['scale'].to_numpy()
            groups = (cv['unique_id'].astype(str) + cv['cutoff'].astype(str)).to_numpy()
            naive = accuracy.scores(y, b['snaive'].to_numpy(), scale, groups)
            test = {}
            br.BaseRecurrent.fit = lambda self, *a, **k: self          # the same network, re-predicting
            try:
                for w in br.SHRINKS.tolist():
                    model.shrink = float(w)
                    s = accuracy.scores(y, nf.cross_validation(df, n_windows=windows, step_size=h, refit=False)
                                        ['LSTM'].to_numpy(), scale, groups)
                    test[float(w)] = (s['sMAPE'] / naive['sMAPE'], s['MASE'] / naive['MASE'])
            finally: br.BaseRecurrent.fit, model.shrink = fit, chosen
            cover = {lv: float(((cv[f'LSTM-lo-{lv}'] <= cv['y']) & (cv['y'] <= cv[f'LSTM-hi-{lv}'])).mean())
                     for lv in (80, 90)}                                # the library's intervals, as fitted
            out.append(dict(name=name, seed=seed, tail=br.TAIL_WINDOWS, chosen=chosen, errors=seen['errors'],
                            series=seen['series'], test=test, cover=cover))
            print(name, seed, 'chosen', chosen, 'MASE ratio by weight',
                  {w: round(float(r[1]), 3) for w, r in test.items()}, 'coverage', cover, f'{time.time() - t0:.0f} s',
                  flush=True)
            pickle.dump(out, open(path, 'wb'))


def choice(errors, series, margin):
    "The library's `choose_shrink`, with `margin` in place of `SHRINK_MARGIN`."
    import torch
    import lstmcast.common._base_recurrent as br
    kept, br.SHRINK_MARGIN = br.SHRINK_MARGIN, margin
    try: return br.choose_shrink(torch.from_numpy(errors), torch.from_numpy(series))
    finally: br.SHRINK_MARGIN = kept


def evaluate(fits, margins):
    rows = []
    for f in fits:
        mase = {w: r[1] for w, r in f['test'].items()}
        row = dict(data=f['name'], seed=f['seed'], series=len(np.unique(f['series'])))
        row.update({f'margin {m}': mase[choice(f['errors'], f['series'], m)] for m in margins})
        row.update(anchor=mase[0.], network=mase[1.], hindsight=min(mase.values()), lib=mase[f['chosen']])
        rows.append(row)
    d = pd.DataFrame(rows)
    print('MASE relative to seasonal naive, per fit:')
    print(d.round(3).to_string(index=False))
    cols = d.columns[3:]
    print(f'\nover {len(d)} fits:')
    print(pd.DataFrame({'geometric mean': np.exp(np.log(d[cols]).mean()), 'below 1': (d[cols] < .995).sum(),
                        'above 1': (d[cols] > 1.005).sum(), 'worst': d[cols].max()}).round(3).to_string())


if __name__ == '__main__':
    warnings.filterwarnings('ignore'); logging.disable(logging.WARNING)
    if len(sys.argv) > 1 and sys.argv[1] == 'record':
        record(sys.argv[2].split(','), [int(s) for s in sys.argv[3].split(',')], sys.argv[4],
               int(sys.argv[5]) if len(sys.argv) > 5 else None)
    else:
        ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        ap.add_argument('mode', choices=['evaluate']); ap.add_argument('files', nargs='+')
        ap.add_argument('--margins', default='0,0.2,0.4,0.6,0.8')
        a = ap.parse_args()
        evaluate([f for p in a.files for f in pickle.load(open(p, 'rb'))], [float(m) for m in a.margins.split(',')])
