"""Where a training step and a predict call spend their time, from wall-clock timers wrapped around the library.

How: in this process only, the functions below are wrapped with `perf_counter` accumulators (the library files are
untouched).  Training is timed in steady state: the timers are reset at the end of step 10 and read at the end of
fit; "Lightning + rest" = wall time of those steps minus every timed part (the Trainer's loop, hooks, closure,
progress/metrics bookkeeping, DataLoader iteration).  `training_step` is `Trainee.training_step` (lstmcast.common._trainer);
`training_step: rest` is what it does besides the timed calls: `torch.isfinite(loss)` + the `if` on it (a host sync on
a GPU).  With the progress bar off, `self.log` is not called at all.
Cases: `example` = the spec's example (2 series x 132, h=12, hidden 128, Normal); `panel` = bench/panel.py's
10k-series panel and config (input_size=24).  Predict is profiled on the panel (10k series, inference_input_size=-1).
Run: python bench/profile_steps.py [example|panel|predict ...] [--steps N] [--threads N]
"""
import argparse, sys, time, warnings, logging
from collections import defaultdict
from pathlib import Path
import torch, torch.optim.adam as adam_mod, pytorch_lightning as pl
import lstmcast.common._base_recurrent as br
import lstmcast.common._trainer as tr
from lstmcast import NeuralForecast
from lstmcast.models import LSTM
from lstmcast.losses.pytorch import DistributionLoss
from lstmcast.tsdataset import TimeSeriesDataset
from lstmcast.utils import AirPassengersPanel as P, AirPassengersStatic
sys.path.insert(0, str(Path(__file__).parent)); from panel import panel, CONFIG

T = defaultdict(float)
def wrap(owner, name, key):
    orig = getattr(owner, name)
    def timed(*a, **k):
        t = time.perf_counter()
        try: return orig(*a, **k)
        finally: T[key] += time.perf_counter() - t
    setattr(owner, name, timed)

TRAIN = [(TimeSeriesDataset, 'batch', 'data: TimeSeriesDataset.batch'), (br, 'sample_windows', 'sample_windows/pad_future'),
         (br, 'pad_future', 'sample_windows/pad_future'), (br.BaseRecurrent, '_windows', '_windows (scale, unfold)'),
         (LSTM, 'forward', 'model forward'), (br.BaseRecurrent, '_loss_value', 'loss'),
         (tr.Trainee, 'log', 'self.log'), (tr.Trainee, 'training_step', 'training_step (all)'),
         (tr.Trainee, 'backward', 'backward'), (tr.Trainee, 'clip_gradients', 'clip_gradients'),
         (tr.Trainee, 'optimizer_zero_grad', 'zero_grad'), (adam_mod, 'adam', 'Adam update')]
INNER = ['sample_windows/pad_future', '_windows (scale, unfold)', 'model forward', 'loss', 'self.log']


class Steady(pl.Callback):
    "Reset the timers after step `skip`, and keep the wall time of the steps after it."
    def __init__(self, skip=10): self.skip = skip
    def on_train_batch_end(self, trainer, *a):
        if trainer.global_step == self.skip: T.clear(); self.t0, self.n0 = time.perf_counter(), trainer.global_step
    def on_train_end(self, trainer, pl_module): self.wall, self.steps = time.perf_counter() - self.t0, trainer.global_step - self.n0


def report(title, parts, wall, n, unit='ms/step'):
    print(f'\n{title}: {wall / n * 1e3:.2f} {unit} over {n}  (torch threads {torch.get_num_threads()})')
    for k, v in parts: print(f'  {k:34} {v / n * 1e3:9.3f}  {v / wall * 100:5.1f}%')


def train_case(name, steps):
    cb = Steady()
    if name == 'example':
        kw = dict(h=12, input_size=-1, loss=DistributionLoss(distribution='Normal', level=[80, 90]), encoder_n_layers=2,
                  encoder_hidden_size=128, context_size=10, decoder_hidden_size=128, decoder_layers=2,
                  futr_exog_list=['y_[lag12]'], stat_exog_list=['airline1'], enable_progress_bar=False)
        nf = NeuralForecast([LSTM(max_steps=steps, callbacks=[cb], **kw)], freq='M')
        nf.fit(P[P.ds < P['ds'].values[-12]], static_df=AirPassengersStatic)
    else:
        nf = NeuralForecast([LSTM(input_size=24, max_steps=steps, callbacks=[cb], **CONFIG)], freq='MS')
        nf.fit(panel(10_000))
    ts = T['training_step (all)'] - sum(T[k] for k in INNER)
    top = [k for _, _, k in TRAIN if k not in INNER and k != 'training_step (all)']
    parts = [(k, T[k]) for k in dict.fromkeys(top[:1] + INNER)] + [('training_step: rest (isfinite, ...)', ts)]
    parts += [(k, T[k]) for k in top[1:]]
    parts.append(('Lightning + rest', cb.wall - sum(v for _, v in parts)))
    report(f'training step, {name}', parts, cb.wall, cb.steps)
    return nf


def predict_case(nf, repeats=2):
    for owner, name, key in [(br.BaseRecurrent, '_to_original', '_to_original'),   # batch, _windows, forward: wrapped
                             (NeuralForecast, '_future_block', '_future_block'),
                             (TimeSeriesDataset, 'append_future', 'append_future'),
                             (NeuralForecast, 'make_future_dataframe', 'make_future_dataframe'),
                             (type(nf.models[0].loss), 'forecast', 'loss.forecast (columns)')]:
        wrap(owner, name, key)
    T.clear(); t = time.perf_counter()
    for _ in range(repeats): nf.predict()
    wall = time.perf_counter() - t
    parts = list(T.items()); parts.append(('rest (output frame, ...)', wall - sum(T.values())))
    report(f'predict, {len(nf.dataset)} series', parts, wall, repeats, 'ms/call')


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('cases', nargs='*', default=['example', 'panel', 'predict'])
    ap.add_argument('--steps', type=int, default=60)
    ap.add_argument('--threads', type=int, help='torch.set_num_threads; 1 gives stable shares on a busy machine')
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    warnings.filterwarnings('ignore'); logging.disable(logging.WARNING)
    for owner, name, key in TRAIN: wrap(owner, name, key)
    if 'example' in a.cases: train_case('example', a.steps)
    if 'panel' in a.cases or 'predict' in a.cases:
        nf = train_case('panel', a.steps if 'panel' in a.cases else 12)
        if 'predict' in a.cases: predict_case(nf)
