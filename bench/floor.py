"""Training-step floor: the spec's network in a bare PyTorch loop vs. lstmcast's `fit`, same data and config.

What it measures
  * floor: the layers of `lstmcast.models.LSTM` as configured in the spec's example (nn.LSTM 2 layers x 128,
    batch_first; context adapter Linear(128 + 12 futr, 10 x 12); MLP decoder 2 hidden layers of 128 + ReLU;
    Normal head: 2 outputs -> loc, softplus(scale) + 1e-4), trained with Adam(lr 1e-3) and grad-norm clipping 1.0
    (as lstmcast's Trainer) on in-memory tensors: AirPassengersPanel's 2 x 132 training months, target and
    futr exog `y_[lag12]` robust-scaled once up front (median of the last h points, MAD of all), static
    `airline1`, every origin forecasting h=12 steps, Normal NLL in the original space, batch = both series.
    ms/step = median of the single-step times (50 per round), after 20 warm-up steps.
  * lstmcast: `NeuralForecast.fit` with the spec's config at max_steps=50 and max_steps=250;
    ms/step = (t250 - t50) / 200, so data set-up, Trainer creation and first-step costs cancel out; they are
    reported separately as set-up = t50 - 50 x ms/step.  As a cross-check robust to load bursts, a callback
    also times every step inside those fits (batch end to batch end): their median is printed too, and
    set-up = fit time minus the time from `on_train_start` to the last batch end (median over the fits).
The measurements are interleaved for --rounds rounds (default 3) so that load from other processes hits both
sides.  On a shared 2-core machine, 2 OpenMP threads slow down 10-30x while another process is busy (measured):
the medians resist that; the difference method uses the best fit of each length.  Load average is printed.
Run: python bench/floor.py [--rounds 3] [--threads N]
"""
import argparse, os, time, statistics
import numpy as np, pytorch_lightning as pl, torch, torch.nn as nn, torch.nn.functional as F
from lstmcast import NeuralForecast
from lstmcast.models import LSTM
from lstmcast.losses.pytorch import DistributionLoss
from lstmcast.utils import AirPassengersPanel, AirPassengersStatic

H, HID, CTX = 12, 128, 10
train = AirPassengersPanel[AirPassengersPanel.ds < AirPassengersPanel['ds'].values[-12]]


def robust(x, level_window=H):
    "Shift = median of the last `level_window` points, scale = MAD around the median of all (lstmcast's 'robust')."
    med = np.median(x)
    return np.median(x[-level_window:]), max(np.median(np.abs(x - med)), 1e-6)


def floor_tensors():
    ys, fs, st = [], [], []
    for uid, g in train.groupby('unique_id', sort=True):
        y, lag = g['y'].to_numpy(np.float32), g['y_[lag12]'].to_numpy(np.float32)
        (ly, sy), (lf, sf) = robust(y), robust(lag)
        ys.append((y, ly, sy)); fs.append(np.r_[(lag - lf) / sf, np.zeros(H, np.float32)])  # unknown future: 0
        st.append(AirPassengersStatic.set_index('unique_id').loc[uid, 'airline1'])
    T = len(ys[0][0])
    y = torch.tensor(np.stack([v[0] for v in ys]))                                        # [B, T]
    loc = torch.tensor([[v[1]] for v in ys]).float(); scale = torch.tensor([[v[2]] for v in ys]).float()
    z = (y - loc) / scale
    stat = torch.tensor(st, dtype=torch.float32)[:, None, None].expand(-1, T, 1)
    enc_in = torch.cat([z[..., None], stat], -1)                                          # [B, T, 2]
    futr = torch.tensor(np.stack(fs)).float()[:, 1:].unfold(-1, H, 1)                     # [B, T, h]
    y_pad = F.pad(y, (0, H)); m_pad = F.pad(torch.ones_like(y), (0, H))
    target, mask = y_pad[:, 1:].unfold(-1, H, 1), m_pad[:, 1:].unfold(-1, H, 1)           # [B, T, h]
    return enc_in, futr, target, mask, loc[..., None], scale[..., None]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(2, HID, num_layers=2, batch_first=True)
        self.adapter = nn.Linear(HID + H, CTX * H)
        self.mlp = nn.Sequential(nn.Linear(CTX + 1, HID), nn.ReLU(), nn.Linear(HID, HID), nn.ReLU(), nn.Linear(HID, 2))
    def forward(self, enc_in, futr):
        B, T = enc_in.shape[:2]
        hs, _ = self.lstm(enc_in)
        ctx = self.adapter(torch.cat([hs, futr], -1)).reshape(B, T, H, CTX)
        raw = self.mlp(torch.cat([ctx, futr[..., None]], -1))
        return raw[..., 0], F.softplus(raw[..., 1]) + 1e-4


def make_floor_step():
    "One training step of the bare loop (forward, Normal NLL, backward, clip, Adam) as a closure."
    torch.manual_seed(1)
    enc_in, futr, target, mask, loc, scale = floor_tensors()
    net = Net(); opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    def step():
        mu, sigma = net(enc_in, futr)
        nll = -torch.distributions.Normal(mu * scale + loc, sigma * scale).log_prob(torch.where(mask > 0, target, 0.))
        loss = (nll * mask).sum() / mask.sum()
        opt.zero_grad(set_to_none=True); loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 1.0); opt.step()
        return loss.detach()
    for _ in range(20): step()                                                 # warm-up
    return step


def floor_step_times(step, n=50):
    "Wall time of each of `n` steps, in ms."
    out = []
    for _ in range(n):
        t = time.perf_counter(); step(); out.append((time.perf_counter() - t) * 1e3)
    return out


class StepTimes(pl.Callback):
    "Wall time between consecutive training-batch ends (a whole step: data, Lightning, model), in ms."
    def __init__(self): self.ends = []
    def on_train_start(self, *a): self.ends.append(time.perf_counter())
    def on_train_batch_end(self, *a): self.ends.append(time.perf_counter())
    @property
    def ms(self): return list(np.diff(self.ends) * 1e3)


def lstmcast_fit(max_steps):
    "Seconds of `NeuralForecast.fit` with the spec's config, and the per-step times inside it."
    cb = StepTimes()
    model = LSTM(h=H, input_size=-1, loss=DistributionLoss(distribution='Normal', level=[80, 90]),
                 scaler_type='robust', encoder_n_layers=2, encoder_hidden_size=HID, context_size=CTX,
                 decoder_hidden_size=HID, decoder_layers=2, max_steps=max_steps, futr_exog_list=['y_[lag12]'],
                 stat_exog_list=['airline1'], enable_progress_bar=False, callbacks=[cb])
    nf = NeuralForecast(models=[model], freq='M')
    t = time.perf_counter()
    nf.fit(df=train, static_df=AirPassengersStatic)
    total = time.perf_counter() - t
    return total, cb.ms, total - (cb.ends[-1] - cb.ends[0])


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--threads', type=int, help='torch.set_num_threads (default: torch default)')
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    print(f'torch {torch.__version__}, threads {torch.get_num_threads()}, load avg {os.getloadavg()[0]:.1f}')
    step = make_floor_step(); lstmcast_fit(5)                                  # warm imports, caches, oneDNN
    floor, t, steps, setup = [], {50: [], 250: []}, [], []
    for r in range(a.rounds):                                                  # interleaved, so noise hits both
        floor += floor_step_times(step)
        for n in t:
            secs, ms, su = lstmcast_fit(n); t[n].append(secs); steps += ms; setup.append(su)
        print(f'  round {r}: floor {statistics.median(floor[-50:]):6.2f} ms/step (median), lstmcast fit '
              f'50 steps {t[50][-1]:.2f} s, 250 steps {t[250][-1]:.2f} s', flush=True)
    print(f'final floor NLL {float(step()):.2f}; load avg {os.getloadavg()[0]:.1f}')
    diff = (min(t[250]) - min(t[50])) / 200 * 1e3
    fl, ls = statistics.median(floor), statistics.median(steps)
    print(f'floor (bare PyTorch loop):       {fl:7.2f} ms/step (median of {len(floor)} steps)')
    print(f'lstmcast, (t250 - t50) / 200:    {diff:7.2f} ms/step (best of {a.rounds} fits each); '
          f'set-up t50 - 50 x that = {min(t[50]) - 50 * diff / 1e3:.3f} s')
    print(f'lstmcast, per-step timer:        {ls:7.2f} ms/step (median of {len(steps)} steps); '
          f'set-up (fit minus its steps) {statistics.median(setup):.3f} s')
    print(f'ratio lstmcast / floor:          {diff / fl:.2f}x (difference method), {ls / fl:.2f}x (per-step medians)')
