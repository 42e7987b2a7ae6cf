"""Run every lstmcast test with one command: the last line says `N passed, N failed, N skipped`.

The skipped count names the flags whose cells were not run, e.g.
`40 passed, 0 failed, 14 skipped (12 cells: slow 8, spark 3, ddp 1; 2 docs checks: --docs)`.

One test each: the package is in sync with the notebooks (`nbdev_export` changes nothing under lstmcast/),
the notebooks are clean (`nbdev_clean` changes nothing under nbs/), README.md is in step with nbs/index.ipynb,
no import circle among lstmcast's modules (`tools/check_imports.py`: lazy imports in functions count too).
Both nbdev checks run on a temporary copy of the project, so this command never modifies the working tree.
Then every notebook under nbs/ (names starting with `_` or `.` excluded) runs through nbdev's `test_nb`, two at a
time, each in a fresh process with `nbs/` as working directory, the longest first so that no long notebook starts
last: each notebook's seconds in the last run with the same flags are kept in the user's cache folder
(`$XDG_CACHE_HOME/lstmcast/test_times.json`, by default `~/.cache/lstmcast/`, never in the project); a notebook not
found there is estimated by the size of its code. Their results are printed in alphabetical order. Cells flagged
with one of settings.ini's `tst_flags` are not run unless the flag is named in `--flags`; each notebook's line and
the last line count them, by flag:

- `slow`: long checks (many fits, big panels, memory bounds) that are not the only test of what they check;
- `spark`: cells that start a Spark session (pyspark and Java); `ddp`: cells that start 2-process DDP training;
- `gpu`: cells that need CUDA; `m4`: cells that need the M4 Hourly files (`LSTMCAST_M4_DIR`, or ../shared/data/m4);
- `notest`: cells never run by the tests.

CI=true runs every flag but `notest`: `slow`, `spark` and `ddp` always, `gpu` only where CUDA is available and `m4`
only where the M4 files are found; otherwise their cells are reported as skipped, with the reason. A flag named in
`--flags` always runs, so a missing dependency fails loudly. A notebook may not skip its own cells: a cell that an
IPython input transformer blanks (the old way to skip the rest of a notebook when a dependency was missing) fails
the notebook. Then pytest runs on tests/ if it holds tests.
Last, two checks of the docs site, slow (they execute every notebook again), so they run only with `--docs` or when
CI=true and are otherwise reported as skipped: `tools/build_docs.py` builds the site into the git-ignored `_site/`,
and `tools/check_docs.py` opens every page in headless Chromium (Debian's `chromium` package).

Usage: python tools/run_tests.py [--flags slow spark ...] [--docs] [--slowest N] [NOTEBOOK_OR_GLOB ...]
Exit status: 0 if nothing failed, 1 otherwise.
"""
import argparse, configparser, glob, hashlib, json, os, re, shutil, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_imports import import_cycles   # tools/check_imports.py

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT/'nbs'
BIN = Path(sys.executable).parent  # nbdev's console scripts live beside this interpreter
ENV = {**os.environ, 'MPLBACKEND': 'Agg', 'OMP_NUM_THREADS': '1'}  # two notebooks at a time on two cores: one thread each
# nbdev's test_nb, with a shell that times every cell (wall clock, and CPU seconds of the process and of the
# processes it waited for) and notes the cells its input transformers blank
RUN_ONE = '''import json, os, sys, time
from pathlib import Path
import nbdev.test
from execnb.shell import CaptureShell

class TimedShell(CaptureShell):
    cells = []
    def cell(self, cell, *args, **kwargs):
        lines = cell.source.splitlines(keepends=True)
        for t in self.input_transformers_post: lines = t(lines)
        blanked = bool(cell.source.strip()) and not ''.join(lines).strip()
        start, cpu = time.time(), sum(os.times()[:4])
        try: return super().cell(cell, *args, **kwargs)
        finally: TimedShell.cells.append(dict(idx=getattr(cell, 'idx_', None), id=cell.get('id'),
                                               secs=time.time() - start, cpu=sum(os.times()[:4]) - cpu,
                                               blanked=blanked, source=cell.source))

nbdev.test.CaptureShell = TimedShell
nb, skip, force, base, log = sys.argv[1:]
ok, _ = nbdev.test.test_nb(Path(nb), skip_flags=skip.split(), force_flags=force.split(), basepath=base)
Path(log).write_text(json.dumps(TimedShell.cells))
sys.exit(0 if ok else 1)'''

def hashes(folder, pattern):
    "Content hash of each file matching `pattern` under `folder`, keyed by relative path"
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.rglob(pattern) if p.is_file() and '__pycache__' not in p.parts}

def changed_by(tool, folder, pattern):
    "What running nbdev's `tool` would change under `folder` ('' if nothing), found on a temporary copy of the project"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        shutil.copy2(ROOT/'settings.ini', tmp)
        for d in ('nbs', 'lstmcast'):
            shutil.copytree(ROOT/d, tmp/d, ignore=shutil.ignore_patterns('__pycache__', '.ipynb_checkpoints'))
        before = hashes(tmp/folder, pattern)
        r = subprocess.run([str(BIN/tool)], cwd=tmp, env=ENV, capture_output=True, text=True)
        if r.returncode: return f'{tool} failed:\n{r.stdout}{r.stderr}'
        after = hashes(tmp/folder, pattern)
    changed = sorted(f'{folder}/{p}' for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    return changed and f'{tool} would change: ' + ', '.join(changed)

def project_checks():
    "Yield (name, problem or None) for the four project checks"
    yield 'package in sync with notebooks', changed_by('nbdev_export', 'lstmcast', '*.py')
    yield 'notebooks are clean', changed_by('nbdev_clean', 'nbs', '*.ipynb')
    r = subprocess.run([sys.executable, str(ROOT/'tools'/'make_readme.py'), '--check'], cwd=ROOT, capture_output=True, text=True)
    yield 'README.md in step with nbs/index.ipynb', r.returncode and (r.stdout + r.stderr).strip()
    cycles = import_cycles(ROOT/'lstmcast')                      # lazy imports inside functions count too
    yield 'no import circle in lstmcast/', cycles and '\n'.join(' -> '.join(c + c[:1]) for c in cycles)

def notebooks(patterns):
    "Notebooks named by `patterns` (paths or globs), or every notebook under nbs/ not starting with `_` or `.`"
    if patterns: return sorted({Path(p).resolve() for pat in patterns for p in (glob.glob(pat, recursive=True) or [pat])})
    return sorted(p for p in NBS.rglob('*.ipynb') if not any(s.startswith(('_', '.')) for s in p.relative_to(NBS).parts))

def cell_flags(cell, flags):
    "The `flags` a notebook cell carries as nbdev directives (`#| slow`), in the order of `flags`"
    src = cell['source'] if isinstance(cell['source'], str) else ''.join(cell['source'])
    words = {line[2:].split()[0] for line in src.splitlines() if line.startswith('#|') and line[2:].split()}
    return [f for f in flags if f in words]

def skipped_cells(nb, not_run):
    "How many code cells of `nb` carry a flag of `not_run`: {flag: count}, each cell counted once, for its first flag"
    counts = {}
    for cell in json.loads(Path(nb).read_text())['cells']:
        if cell['cell_type'] == 'code' and (fs := cell_flags(cell, not_run)): counts[fs[0]] = counts.get(fs[0], 0) + 1
    return counts

def m4_dir():
    "Where the M4 Hourly tutorial reads its files (as nbs/tutorials/m4_hourly.ipynb looks for them)"
    return Path(os.environ.get('LSTMCAST_M4_DIR', ROOT.parent/'shared'/'data'/'m4'))

def missing_here():
    "{flag: why its cells cannot run on this machine} for the flags that need CUDA or data"
    cuda = 'import torch; print(torch.cuda.is_available())'
    r = subprocess.run([sys.executable, '-c', cuda], capture_output=True, text=True)
    missing = {} if r.stdout.strip() == 'True' else {'gpu': 'no CUDA here'}
    if not all((m4_dir()/f).is_file() for f in ('Hourly-train.csv', 'Hourly-test.csv')):
        missing['m4'] = 'M4 Hourly files not found (set LSTMCAST_M4_DIR)'
    return missing

def times_file():
    "Where each notebook's seconds in the last run are kept: the user's cache folder, never the project"
    return Path(os.environ.get('XDG_CACHE_HOME') or Path.home()/'.cache')/'lstmcast'/'test_times.json'

def read_times():
    "{flags run: {notebook: seconds}} from the last runs, or {} when there is none or it cannot be read"
    try: return json.loads(times_file().read_text())
    except (OSError, ValueError): return {}

def save_times(times, key, secs):
    "Keep the seconds of this run's notebooks (`secs`) under `key`, the flags run; never fails the tests"
    times[key] = {**times.get(key, {}), **secs}
    try:
        times_file().parent.mkdir(parents=True, exist_ok=True)
        part = times_file().with_suffix(f'.{os.getpid()}.part')       # then renamed: a reader never sees half a file
        part.write_text(json.dumps(times, indent=1, sort_keys=True))
        os.replace(part, times_file())
    except OSError as e: print(f'note: could not save the notebooks\' times to {times_file()}: {e}')

def code_size(nb, not_run=()):
    "Characters of code in `nb`'s cells that run (none of the flags `not_run`): its run time's estimate when untimed"
    try: cells = json.loads(Path(nb).read_text())['cells']
    except (OSError, ValueError): return 0
    return sum(len(c['source'] if isinstance(c['source'], str) else ''.join(c['source']))
               for c in cells if c['cell_type'] == 'code' and not cell_flags(c, not_run))

def longest_first(nbs, last, not_run=()):
    """`nbs` in the order to start them, the longest first: a notebook's seconds in `last` ({name: seconds}), or, for
    one not timed there, its code size times the seconds per character of those timed"""
    names = {nb: os.path.relpath(nb, ROOT) for nb in nbs}
    timed = {nb: last[names[nb]] for nb in nbs if names[nb] in last}
    # untimed notebooks: their code size, in seconds at the rate of the timed ones (1 s per 1,000 characters if none)
    rate = (sum(timed.values()) / max(1, sum(code_size(nb, not_run) for nb in timed))) if timed else 1e-3
    est = {nb: timed[nb] if nb in timed else code_size(nb, not_run) * rate for nb in nbs}
    return sorted(nbs, key=lambda nb: (-est[nb], names[nb]))

def run_notebook(nb, skip_flags, force_flags):
    "Run `nb`'s cells with nbdev's `test_nb` in a fresh process: (passed, seconds, output, cells run with their times)"
    start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp)/'cells.json'
        r = subprocess.run([sys.executable, '-c', RUN_ONE, str(nb), skip_flags, force_flags, str(ROOT), str(log)],
                           cwd=NBS, env=ENV, capture_output=True, text=True)
        cells = json.loads(log.read_text()) if log.exists() else []
    out, ok = r.stdout + r.stderr, r.returncode == 0
    if blanked := [c for c in cells if c['blanked']]:
        first = blanked[0]
        ok, out = False, out + (f"{len(blanked)} cell(s) ran as empty cells, blanked by an IPython input transformer, "
                                f"first cell {first['idx']} (id {first['id']}): a notebook may not skip its own cells; "
                                "give them a flag of settings.ini's tst_flags instead\n")
    return ok, time.time() - start, out, cells

def run_pytest():
    "Run pytest on tests/ if it holds tests: (passed, failed)"
    if not any((ROOT/'tests').rglob('test_*.py')) and not any((ROOT/'tests').rglob('*_test.py')): return 0, 0
    r = subprocess.run([sys.executable, '-m', 'pytest', '-q', 'tests'], cwd=ROOT, env=ENV, capture_output=True, text=True)
    counts = {k: int(n) for n, k in re.findall(r'(\d+) (passed|failed|errors?)\b', r.stdout.strip().splitlines()[-1] if r.stdout.strip() else '')}
    passed, failed = counts.get('passed', 0), counts.get('failed', 0) + counts.get('error', 0) + counts.get('errors', 0)
    if r.returncode not in (0, 5) and not failed: failed = 1  # pytest missing, interrupted or failed to collect
    print(f"{'FAIL' if failed else 'PASS'} pytest tests/ ({passed} passed, {failed} failed)")
    if failed: print(r.stdout + r.stderr)
    return passed, failed

def docs_checks(run):
    "Yield (name, problem, skipped) for the docs site: the build, then the browser check; with a reason when skipped"
    names = ['docs site builds from the notebooks (tools/build_docs.py)', 'docs site works in Chromium (tools/check_docs.py)']
    if not run:
        for n in names: yield n, 'slow: runs with --docs, or when CI=true', True
        return
    for name, script in zip(names, ['build_docs.py', 'check_docs.py']):
        start = time.time()
        r = subprocess.run([sys.executable, str(ROOT/'tools'/script)], cwd=ROOT, env=ENV, capture_output=True, text=True)
        out = (r.stdout + r.stderr).rstrip()
        yield f'{name} ({time.time() - start:.0f}s)', r.returncode and out[-8000:], False
        if r.returncode:
            yield names[1], 'not run: the docs build failed', True
            return

def first_line(source):
    "The first line of a cell's code, after its `#|` directives"
    return next((l for l in source.splitlines() if l.strip() and not l.startswith('#|')), '')[:80]

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--flags', nargs='*', default=[], help='test flags whose cells run too, e.g. --flags slow spark')
    ap.add_argument('--docs', action='store_true', help='also build the docs site and check it in Chromium (default when CI=true)')
    ap.add_argument('--slowest', type=int, default=0, metavar='N', help='list the N slowest cells run')
    ap.add_argument('notebooks', nargs='*', help='notebook paths or globs (default: every notebook under nbs/)')
    args = ap.parse_args()
    cfg = configparser.ConfigParser(); cfg.read(ROOT/'settings.ini')
    all_flags = cfg['DEFAULT'].get('tst_flags', '').split()
    flags = [f for s in args.flags for f in s.split()]                 # --flags "slow spark" works too
    args.notebooks += [f for f in flags if f not in all_flags and (glob.glob(f) or f.endswith('.ipynb'))]
    flags = [f for f in flags if f not in args.notebooks]               # `--flags slow nbs/x.ipynb`: x is a notebook
    if unknown := [f for f in flags if f not in all_flags]:
        ap.error(f"unknown flag(s) {' '.join(unknown)}: settings.ini's tst_flags are {' '.join(all_flags)}")
    in_ci = os.environ.get('CI', '').lower() == 'true' and not args.notebooks
    why = {f: f'run them with --flags {f}' for f in all_flags}
    why['notest'] = 'never run by the tests'
    if in_ci:                                                           # CI runs every flag that can run here
        missing = missing_here()
        why.update(missing)
        flags += [f for f in all_flags if f != 'notest' and f not in missing]
    flags = list(dict.fromkeys(flags))
    not_run = [f for f in all_flags if f not in flags]
    passed = failed = 0
    for name, problem in project_checks():
        print(f'FAIL {name}\n{problem}' if problem else f'PASS {name}', flush=True)
        passed, failed = passed + (not problem), failed + bool(problem)
    nbs, skipped, timed, start = notebooks(args.notebooks), {}, [], time.time()
    times, key, secs_now = read_times(), ' '.join(sorted(flags)) or '(none)', {}
    with ThreadPoolExecutor(max_workers=2) as pool:                     # started longest first, printed by name
        runs = {nb: pool.submit(run_notebook, nb, ' '.join(all_flags), ' '.join(flags))
                for nb in longest_first(nbs, times.get(key, {}), not_run)}
        for nb in nbs:
            ok, secs, out, cells = runs[nb].result()
            name = os.path.relpath(nb, ROOT)
            secs_now[name] = round(secs, 1)
            counts = skipped_cells(nb, not_run)
            for f, n in counts.items(): skipped[f] = skipped.get(f, 0) + n
            timed += [(c['secs'], name, c) for c in cells]
            note = f', cpu {sum(c["cpu"] for c in cells):.1f}s'
            note += f'; not run: {", ".join(f"{f} {n}" for f, n in counts.items())}' if counts else ''
            print(f'PASS {name} ({secs:.1f}s{note})' if ok else f'FAIL {name} ({secs:.1f}s{note})\n{out.rstrip()}',
                  flush=True)
            passed, failed = passed + ok, failed + (not ok)
    if nbs: save_times(times, key, secs_now)
    print(f'notebooks: {time.time() - start:.0f}s, cells {sum(c["cpu"] for _, _, c in timed):.0f} CPU seconds')
    for secs, name, c in sorted(timed, key=lambda t: -t[0])[:args.slowest]:
        cell = f"{name} cell {c['idx']} (id {c['id']})"
        print(f"     {secs:6.1f}s (cpu {c['cpu']:5.1f}s) {cell}: {first_line(c['source'])}")
    p, f = run_pytest()
    passed, failed, docs_skipped = passed + p, failed + f, 0
    for name, problem, skip in docs_checks(args.docs or in_ci):
        print(f'SKIP {name}: {problem}' if skip else f'FAIL {name}\n{problem}' if problem else f'PASS {name}', flush=True)
        passed, failed, docs_skipped = passed + (not problem), failed + bool(problem and not skip), docs_skipped + skip
    skipped = {f: skipped[f] for f in all_flags if f in skipped}        # in settings.ini's order
    for f, n in skipped.items(): print(f'SKIP {n} cell{"s" * (n > 1)} flagged {f}: {why[f]}')
    n_cells = sum(skipped.values())
    by_flag = ', '.join(f'{f} {n}' for f, n in skipped.items())
    parts = [f'{n_cells} cell{"s" * (n_cells != 1)}: {by_flag}'] * bool(n_cells)
    parts += [f'{docs_skipped} docs check{"s" * (docs_skipped != 1)}: --docs'] * bool(docs_skipped)
    total = f'{passed} passed, {failed} failed, {n_cells + docs_skipped} skipped'
    print(total + (f' ({"; ".join(parts)})' if parts else ''))
    return 1 if failed else 0

if __name__ == '__main__': sys.exit(main())
