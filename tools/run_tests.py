"""Run every lstmcast test with one command and print `N passed, N failed` on the last line.

One test each: the package is in sync with the notebooks (`nbdev_export` changes nothing under lstmcast/),
the notebooks are clean (`nbdev_clean` changes nothing under nbs/), README.md is in step with nbs/index.ipynb.
Both nbdev checks run on a temporary copy of the project, so this command never modifies the working tree.
Then every notebook under nbs/ (names starting with `_` or `.` excluded) runs through nbdev's `test_nb`, two at a
time, each in a fresh process with `nbs/` as working directory; cells flagged with settings.ini's `tst_flags`
(`#| notest`, `#| slow`) are skipped unless named in `--flags` (CI=true adds `slow`); each notebook's line and the
last line say how many flagged cells were not run. Then pytest runs on tests/ if it holds tests.
Last, two checks of the docs site, slow (they execute every notebook again), so they run only with `--docs` or when
CI=true and are otherwise reported as skipped: `tools/build_docs.py` builds the site into the git-ignored `_site/`,
and `tools/check_docs.py` opens every page in headless Chromium (Debian's `chromium` package).

Usage: python tools/run_tests.py [--flags slow] [--docs] [NOTEBOOK_OR_GLOB ...]
Exit status: 0 if nothing failed, 1 otherwise.
"""
import argparse, configparser, glob, hashlib, os, re, shutil, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT/'nbs'
BIN = Path(sys.executable).parent  # nbdev's console scripts live beside this interpreter
ENV = {**os.environ, 'MPLBACKEND': 'Agg', 'OMP_NUM_THREADS': '1'}  # two notebooks at a time on two cores: one thread each
RUN_ONE = '''import sys
from pathlib import Path
from nbdev.test import test_nb
ok, _ = test_nb(Path(sys.argv[1]), skip_flags=sys.argv[2].split(), force_flags=sys.argv[3].split(), basepath=sys.argv[4])
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
    "Yield (name, problem or None) for the three project checks"
    yield 'package in sync with notebooks', changed_by('nbdev_export', 'lstmcast', '*.py')
    yield 'notebooks are clean', changed_by('nbdev_clean', 'nbs', '*.ipynb')
    r = subprocess.run([sys.executable, str(ROOT/'tools'/'make_readme.py'), '--check'], cwd=ROOT, capture_output=True, text=True)
    yield 'README.md in step with nbs/index.ipynb', r.returncode and (r.stdout + r.stderr).strip()

def notebooks(patterns):
    "Notebooks named by `patterns` (paths or globs), or every notebook under nbs/ not starting with `_` or `.`"
    if patterns: return sorted({Path(p).resolve() for pat in patterns for p in (glob.glob(pat, recursive=True) or [pat])})
    return sorted(p for p in NBS.rglob('*.ipynb') if not any(s.startswith(('_', '.')) for s in p.relative_to(NBS).parts))

def flagged_cells(nb, flags):
    "How many cells of `nb` carry each of `flags` (nbdev's `#| flag` directive): {flag: count} for the flags present"
    import json
    counts = {}
    for cell in json.loads(Path(nb).read_text())['cells']:
        if cell['cell_type'] != 'code': continue
        src = cell['source'] if isinstance(cell['source'], str) else ''.join(cell['source'])
        for line in src.splitlines():
            words = line[3:].split() if line.startswith('#|') else []
            for f in flags:
                if words and words[0] == f: counts[f] = counts.get(f, 0) + 1
    return counts

def run_notebook(nb, skip_flags, force_flags):
    "Run `nb`'s cells with nbdev's `test_nb` in a fresh process: (passed, seconds, output)"
    start = time.time()
    r = subprocess.run([sys.executable, '-c', RUN_ONE, str(nb), skip_flags, force_flags, str(ROOT)],
                       cwd=NBS, env=ENV, capture_output=True, text=True)
    return r.returncode == 0, time.time() - start, r.stdout + r.stderr

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

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--flags', default='', help='space-separated test flags to run, e.g. "slow"')
    ap.add_argument('--docs', action='store_true', help='also build the docs site and check it in Chromium (default when CI=true)')
    ap.add_argument('notebooks', nargs='*', help='notebook paths or globs (default: every notebook under nbs/)')
    args = ap.parse_args()
    cfg = configparser.ConfigParser(); cfg.read(ROOT/'settings.ini')
    skip_flags = cfg['DEFAULT'].get('tst_flags', '')
    passed = failed = 0
    for name, problem in project_checks():
        print(f'FAIL {name}\n{problem}' if problem else f'PASS {name}', flush=True)
        passed, failed = passed + (not problem), failed + bool(problem)
    nbs = notebooks(args.notebooks)
    in_ci = os.environ.get('CI', '').lower() == 'true' and not args.notebooks
    if in_ci: args.flags = ' '.join(dict.fromkeys(args.flags.split() + ['slow']))   # CI runs the slow cells too
    not_run = [f for f in skip_flags.split() if f not in args.flags.split()]    # flags whose cells are skipped
    skipped_cells = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        for nb, (ok, secs, out) in zip(nbs, pool.map(lambda nb: run_notebook(nb, skip_flags, args.flags), nbs)):
            name = os.path.relpath(nb, ROOT)
            cells = flagged_cells(nb, not_run)
            for f, n in cells.items(): skipped_cells[f] = skipped_cells.get(f, 0) + n
            note = ''.join(f', {n} cell{"s" * (n > 1)} flagged {f} skipped' for f, n in cells.items())
            print(f'PASS {name} ({secs:.1f}s{note})' if ok else f'FAIL {name} ({secs:.1f}s{note})\n{out.rstrip()}',
                  flush=True)
            passed, failed = passed + ok, failed + (not ok)
    p, f = run_pytest()
    passed, failed, skipped = passed + p, failed + f, 0
    for name, problem, skip in docs_checks(args.docs or in_ci):
        print(f'SKIP {name}: {problem}' if skip else f'FAIL {name}\n{problem}' if problem else f'PASS {name}', flush=True)
        passed, failed, skipped = passed + (not problem), failed + bool(problem and not skip), skipped + skip
    flagged = '; '.join(f'{n} cells flagged {f} (run them with --flags {f})' for f, n in skipped_cells.items())
    print(f'{passed} passed, {failed} failed' + (f', {skipped} skipped' if skipped else '')
          + (f'; not run: {flagged}' if flagged else ''))
    return 1 if failed else 0

if __name__ == '__main__': sys.exit(main())
