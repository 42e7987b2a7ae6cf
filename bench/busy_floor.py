"""A bare one-thread PyTorch loop (an LSTM the size of the 10k-panel case: batch 1024 x 24 steps, hidden 128),
timed quiet and beside one busy process, interleaved: is the slowdown the machine's or the thread choice's?"""
import subprocess, sys, time, statistics, os
import torch
torch.set_num_threads(1)
torch.manual_seed(0)
net = torch.nn.LSTM(8, 128, batch_first=True)
head = torch.nn.Linear(128, 12)
opt = torch.optim.Adam([*net.parameters(), *head.parameters()], 1e-3)
x, y = torch.randn(1024, 24, 8), torch.randn(1024, 24, 12)
def steps(n=15):
    t = time.perf_counter()
    for _ in range(n):
        out, _ = net(x); loss = ((head(out) - y) ** 2).mean()
        opt.zero_grad(); loss.backward(); opt.step()
    return time.perf_counter() - t
steps(3)
quiet, busy = [], []
for r in range(4):
    quiet.append(steps())
    p = subprocess.Popen([sys.executable, '-c', 'while True: pass']); time.sleep(0.5)
    busy.append(steps()); p.kill(); p.wait(); time.sleep(0.5)
q, b = statistics.median(quiet), statistics.median(busy)
print(f'load {os.getloadavg()[0]:.2f}; quiet {q:.2f} s, beside one busy {b:.2f} s: {b / q:.2f}x '
      f'(rounds: {[round(v, 2) for v in quiet]} / {[round(v, 2) for v in busy]})')
