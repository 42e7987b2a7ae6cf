"""One training step of the default LSTM on long hourly histories, with denormal floats flushed to zero and without.

Backpropagating through hundreds of LSTM steps shrinks the gradient below float32's smallest normal number, and x86
CPUs compute with such denormal numbers through a slow path. `fit` and `predict` run inside
`lstmcast.common._machine.flush_denormals`; this script times `training_loss` + backward + Adam on the same batch
both ways, interleaved, and prints the median of each and their ratio. The batch is shaped like M4 Hourly's: 32
series of 960 hours (a daily cycle and noise), h=48, the 'auto' lags of hourly data (24 and 168), Normal loss.

Run: python bench/denormals.py [--threads 1] [--steps 960] [--rounds 3]
"""
import argparse
import os
import statistics
import time

import numpy as np
import pandas as pd
import torch

from lstmcast.common._machine import denormals_flushed, flush_denormals
from lstmcast.losses.pytorch import DistributionLoss
from lstmcast.models import LSTM
from lstmcast.tsdataset import TimeSeriesDataset


def batch(series, steps, seed=0):
    "A `TimeSeriesDataset` batch of `series` hourly series of `steps` hours: a daily cycle, a level each, noise."
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    y = rng.uniform(50, 500, (series, 1)) * (1 + 0.3 * np.sin(2 * np.pi * t / 24)) + rng.normal(0, 5, (series, steps))
    df = pd.DataFrame({'unique_id': np.repeat(np.arange(series), steps),
                       'ds': np.tile(pd.date_range('2000-01-01', periods=steps, freq='h'), series), 'y': y.ravel()})
    ds = TimeSeriesDataset.from_df(df)[0]
    return ds, ds.batch(np.arange(series))


def model(ds, h=48):
    "The default LSTM with a Normal loss, its lags set as `NeuralForecast(freq='h')` and `fit` would set them."
    m = LSTM(h=h, loss=DistributionLoss('Normal', level=[80, 90]), random_seed=1)
    m.season_length, m.seasons, m.auto_season, m._anchor_seasons = 24, [24, 168], 24, 1
    m._set_columns(ds)
    m._build()
    return m


def step(m, opt, b):
    "Seconds of one training step: loss, backward, optimiser."
    t0 = time.perf_counter()
    m.training_loss(b).backward()
    opt.step(); opt.zero_grad()
    return time.perf_counter() - t0


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--steps', type=int, default=960, help='hours of history per series')
    ap.add_argument('--rounds', type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(f'threads {a.threads}, 32 series x {a.steps} hours, h=48, load {os.getloadavg()[0]:.2f}')
    ds, b = batch(32, a.steps)
    m = model(ds)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    for _ in range(3): step(m, opt, b)           # past the first steps, where gradients are not yet small
    plain, flushed = [], []
    for _ in range(a.rounds):                    # interleaved: the machine's load changes both alike
        assert not denormals_flushed()
        plain.append(step(m, opt, b))
        with flush_denormals(): flushed.append(step(m, opt, b))
    p, f = statistics.median(plain), statistics.median(flushed)
    print(f'training step: {p:.2f} s as torch computes by default, {f:.2f} s with denormals flushed: {p / f:.1f}x')
    print(f'load at the end {os.getloadavg()[0]:.2f}')
