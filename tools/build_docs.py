"""Build the documentation site `_site/` from the notebooks, offline: the pages nbdev's Quarto site has, rendered by mkdocs.

Quarto (what `nbdev_docs` uses) cannot be installed here, so this command renders the same notebooks, in the same order,
with mkdocs and its Material theme. The pages are the notebooks listed in `nbs/sidebar.yml`, the file Quarto's sidebar
reads. Each notebook goes through three steps, in a fresh process, two notebooks at a time:

1. execute: every code cell runs in an IPython shell, as `nbdev_test` runs it, and the outputs (tables, plots) are
   kept in the notebook. Cells flagged with settings.ini's `tst_flags` run too, as with CI=true in
   tools/run_tests.py: all but `notest`, and `gpu` (CUDA) and `m4` (the M4 Hourly files) only where they can;
2. nbdev's own docs processors, `nbdev.processors.FilterDefaults`, exactly what `nbdev_docs` applies before Quarto:
   a `show_doc` API reference after every exported function and class (run in a fresh shell, as nbdev does), hidden
   and exported cells removed, backticked names linked to their reference;
3. a small adaptation for mkdocs-jupyter: the front matter becomes the page's title, Quarto cell options
   (`#| echo: false` on show_doc cells) become nbconvert tags, links to the published site become relative.

mkdocs (mkdocs-material, mkdocs-jupyter) then renders the processed notebooks, with the navigation in sidebar order,
into `_site/` (git-ignored). `_site/_pages.json` lists the pages, how many plots each has and the cells that
draw a plot but show none, for `tools/check_docs.py`.
The intermediate files are in `_proc/mkdocs/` (git-ignored).

It fails (exit status 1) if a notebook raises, if sidebar.yml and the notebooks under nbs/ disagree (a notebook that is
not in the sidebar, or a sidebar entry without a notebook), or if a page of the sidebar is missing from the site.

Usage: python tools/build_docs.py                  build _site/
       python tools/build_docs.py --fill-outputs   execute the notebooks and store their outputs in nbs/ itself, for
                                                   `nbdev_docs` (the deploy workflow does this on its own checkout)
"""
import argparse, configparser, html, json, os, re, shutil, subprocess, sys, time, warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
NBS, SITE, STAGE = ROOT/'nbs', ROOT/'_site', ROOT/'_proc'/'mkdocs'
# one torch thread per notebook: two notebooks run at once on this 2-core machine, and tiny networks gain nothing from more
ENV = {'OMP_NUM_THREADS': '1', **os.environ, 'MPLBACKEND': 'Agg', 'IN_TEST': '1'}


def settings():
    "settings.ini's [DEFAULT] section"
    cfg = configparser.ConfigParser(); cfg.read(ROOT/'settings.ini')
    return cfg['DEFAULT']


def sidebar_pages(path=NBS/'sidebar.yml'):
    "The pages of Quarto's sidebar, in order, as (section or None, notebook path relative to nbs/)."
    def walk(items, section):
        for it in items:
            if isinstance(it, str): yield section, it
            elif isinstance(it, dict) and 'section' in it: yield from walk(it.get('contents', []), it['section'])
            elif isinstance(it, dict) and 'href' in it: yield section, it['href']
            else: raise ValueError(f"{path}: cannot read sidebar entry {it!r}")
    return list(walk(yaml.safe_load(path.read_text())['website']['sidebar']['contents'], None))


def notebooks_on_disk():
    "Every notebook under nbs/ that nbdev documents (no part of its path starts with `_` or `.`), relative to nbs/."
    return sorted(str(p.relative_to(NBS)) for p in NBS.rglob('*.ipynb')
                  if not any(s.startswith(('_', '.')) for s in p.relative_to(NBS).parts))


def sidebar_problems(pages):
    "Disagreements between the sidebar's pages and the notebooks on disk ([] if none)."
    listed, on_disk = [p for _, p in pages], notebooks_on_disk()
    probs = [f'nbs/sidebar.yml lists {p}, which is not a notebook under nbs/' for p in listed if p not in on_disk]
    probs += [f'nbs/{p} is not in nbs/sidebar.yml: add it to its section (Tutorials, API, Benchmarks or Internals)'
              for p in on_disk if p not in listed]
    probs += [f'nbs/sidebar.yml lists {p} twice' for p in sorted({p for p in listed if listed.count(p) > 1})]
    return probs


# ---- one notebook, in its own process ----

def execute(nb, path, skip_flags):
    "Run the code cells of `nb` (read from `path`) as `nbdev_test` does, keeping the outputs; raise on an error."
    from execnb.shell import CaptureShell
    from fastcore.xtras import working_directory
    from nbdev.process import extract_directives
    not_run = set()   # ids of the cells skipped for their flags
    def _no_eval(cell):
        if cell.cell_type != 'code' or 'nbdev_export' + '(' in cell.source: return True
        d = extract_directives(cell, remove=False)
        if skip_flags & d.keys(): not_run.add(cell.get('id'))
        return d.get('eval:', [''])[0].lower() == 'false' or bool(skip_flags & d.keys())
    shell = CaptureShell(path)
    try:
        with working_directory(path.parent): shell.run_all(nb, exc_stop=True, preproc=_no_eval)
    except Exception:
        sys.stderr.write(shell.prettytb(fname=path) + '\n')
        raise
    return not_run


SHOW_DOC_HINT = '''
This cell failed in nbdev's show_doc pass (`exec_show_docs`, which nbdev_docs runs too): it runs only the exported
cells, the cells with an import statement and the show_doc cells, in a fresh shell. A cell that has an import *and*
uses names defined in other cells fails there: move its import into a cell of imports only.
'''

_re_front_matter = re.compile(r'^---\s*\n(.*?\S+.*?)\n---\s*$', re.DOTALL)

def front_matter(text):
    "The YAML front matter of a raw cell (`---`, YAML lines, `---`) as a dict; {} if `text` has none."
    m = _re_front_matter.match(text.strip())
    return (yaml.safe_load(m[1]) or {}) if m else {}


_re_cell_opt = re.compile(r'^#\|\s*([\w-]+):\s*(.*?)\s*$')
_re_attr_link = re.compile(r'\[([^\]]*)\]\(([^)\s]*)\)\{([^}]*)\}')

def for_mkdocs(nb, rel, site_url):
    "Adapt a notebook processed by nbdev for Quarto to mkdocs-jupyter (see step 3 in this file's docstring)."
    import markdown
    from markdown.extensions.toc import slugify
    from execnb.nbio import mk_cell
    up = '../' * rel.count('/')
    def relink(text):  # links to the published site (from nbdev's add_links) point into this site instead
        return re.sub(re.escape(site_url) + r'([\w./-]*\.html)(?:#([\w.-]+))?',
                      lambda m: up + m[1] + (f'#{slugify(m[2], "-")}' if m[2] else ''), text)  # mkdocs' heading ids
    def html_links(text):  # Quarto's link attributes (show_doc's `[source](url){target="_blank" ...}`) as HTML
        return _re_attr_link.sub(lambda m: f'<a href="{m[2]}" {m[3]}>{m[1]}</a>', text)
    cells, fm = [], {}
    for c in nb.cells:
        if c.cell_type == 'raw' and c.source.lstrip().startswith('---'):
            fm = front_matter(c.source); continue
        if c.cell_type == 'markdown': c.source = html_links(relink(c.source))
        if c.cell_type == 'code':
            lines, opts = c.source.splitlines(), {}
            while lines and (m := _re_cell_opt.match(lines[0])): opts[m[1]] = m[2].strip('"'); lines.pop(0)
            c.source = '\n'.join(lines).strip()
            if opts.get('include') == 'false': continue
            if opts.get('output') == 'false': c.outputs = []
            if opts.get('echo') == 'false' or not c.source:
                c.metadata['tags'] = list(c.metadata.get('tags', [])) + ['remove_input']
            if not c.source and not c.get('outputs'): continue
            for o in c.get('outputs', []):
                if 'text/markdown' in o.get('data', {}):
                    md = o['data']['text/markdown']
                    o['data']['text/markdown'] = html_links(relink(md if isinstance(md, str) else ''.join(md)))
        cells.append(c)
    if fm.get('title'):
        desc = f'\n\n<div class="description">{markdown.markdown(fm["description"])}</div>' if fm.get('description') else ''
        # the title as HTML with an id of its own: `# NeuralForecast` would take the id `neuralforecast`, which the
        # reference of `NeuralForecast` below has too, and links to it would land on the title (the nav gets the title
        # from mkdocs_config, as this heading is not in the table of contents)
        title = html.escape(fm['title'])
        cells.insert(0, mk_cell(f'<h1 id="page-title">{title}</h1>{desc}', 'markdown'))
    nb.cells = cells
    return fm


_re_draws = re.compile(r'^(plot_series\(|plt\.(subplots|figure)\(|fig, axe?s? = plt\.subplots\()', re.MULTILINE)

def empty_plots(nb, not_run=()):
    """The code cells meant to show a plot that show none (a bare `plot_series(...)` call, or a new figure not closed),
    but those in `not_run`, the ids of the cells not run for their flags"""
    has_image = lambda c: any(k in o.get('data', {}) for o in c.get('outputs', [])
                              for k in ('image/png', 'image/svg+xml'))
    return [c.source.strip().splitlines()[0][:100] for c in nb.cells if c.cell_type == 'code'
            and c.get('id') not in not_run
            and _re_draws.search(c.source) and 'plt.close(' not in c.source and not has_image(c)]


def count_images(nb):
    "How many plots (PNG, JPEG or SVG outputs) a notebook shows."
    return sum(any(k in o.get('data', {}) for k in ('image/png', 'image/jpeg', 'image/svg+xml'))
               for c in nb.cells for o in c.get('outputs', []))


def skipped_flags():
    "The test flags whose cells the site does not run: `notest`, and those that need what this machine lacks"
    sys.path.insert(0, str(ROOT/'tools'))
    from run_tests import missing_here   # CUDA for `gpu`, the M4 Hourly files for `m4`
    return ['notest', *missing_here()]


def process_one(src, dst, fill_outputs, skip_flags):
    "Execute `src` and write it to `dst`: processed for the site, or (`fill_outputs`) with its outputs only."
    from execnb.nbio import read_nb, write_nb
    from nbdev.processors import FilterDefaults
    src, dst = Path(src), Path(dst)
    nb = read_nb(src)
    not_run = execute(nb, src, set(skip_flags.split()))
    if fill_outputs: return write_nb(nb, dst)
    with warnings.catch_warnings(record=True) as mixed:  # nbdev warns of each cell with imports and other code
        warnings.filterwarnings('always', message='Found cells containing imports', module='nbdev')
        try: FilterDefaults()(nb)
        except Exception as e:
            if str(e).startswith('Error in notebook'): sys.stderr.write(SHOW_DOC_HINT)
            raise
    if mixed: print(f'note: {len(mixed)} cell(s) mix imports and other code; nbdev runs them again for show_doc')
    cfg = settings()
    site_url = cfg['doc_host'].replace('%(user)s', cfg['user']) + cfg['doc_baseurl'].replace('%(repo)s', cfg['repo']) + '/'
    rel = str(src.relative_to(NBS))
    fm = for_mkdocs(nb, rel, site_url)
    dst.parent.mkdir(parents=True, exist_ok=True)
    write_nb(nb, dst)
    meta = STAGE/'pages'/Path(rel).with_suffix('.json')
    meta.parent.mkdir(parents=True, exist_ok=True)
    meta.write_text(json.dumps({'title': fm.get('title', dst.stem), 'images': count_images(nb),
                                'empty_plots': empty_plots(nb, not_run)}))


# ---- the site ----

def run_notebooks(pages, fill_outputs, jobs, skip_flags):
    "Process every page in its own process, `jobs` at a time: {page: problem or None}, printing as they finish."
    def one(rel):
        dst = (NBS/rel) if fill_outputs else STAGE/'docs'/rel
        start = time.time()
        r = subprocess.run([sys.executable, __file__, '--one', str(NBS/rel), str(dst), '--skip', ' '.join(skip_flags)]
                           + ['--fill-outputs'] * fill_outputs,
                           cwd=ROOT, env=ENV, capture_output=True, text=True)
        return rel, time.time() - start, r
    problems = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for rel, secs, r in pool.map(one, [p for _, p in pages]):
            ok = r.returncode == 0
            print(f"{'ok  ' if ok else 'FAIL'} nbs/{rel} ({secs:.1f}s)", flush=True)
            if not ok: print((r.stdout + r.stderr).rstrip()[-6000:], flush=True)
            else: print(''.join(f'     {l}\n' for l in r.stdout.splitlines() if l.startswith('note:')), end='', flush=True)
            problems[rel] = None if ok else f'nbs/{rel} failed to execute or process'
    return problems


def mkdocs_config(pages):
    "The mkdocs configuration: Material theme, mkdocs-jupyter, navigation in sidebar order."
    cfg, nav, sections = settings(), [], {}
    for section, rel in pages:
        entry = {json.loads((STAGE/'pages'/rel).with_suffix('.json').read_text())['title']: rel}   # the page's title
        if section is None: nav.append(entry)
        else:
            if section not in sections: sections[section] = []; nav.append({section: sections[section]})
            sections[section].append(entry)
    user, repo = cfg['user'], cfg['repo']
    return {
        'site_name': cfg.get('title', cfg['lib_name']).replace('%(lib_name)s', cfg['lib_name']),
        'site_description': cfg['description'],
        'repo_url': cfg['git_url'].replace('%(user)s', user).replace('%(repo)s', repo),
        'docs_dir': 'docs', 'use_directory_urls': False,  # core.ipynb -> core.html, as on the Quarto site
        'theme': {'name': 'material', 'font': False,  # no web fonts: the site needs no network
                  'features': ['navigation.sections', 'navigation.top', 'toc.follow', 'content.code.copy'],
                  'palette': {'primary': 'indigo'}},
        'extra_css': ['styles.css'],
        'extra_javascript': ['assets/mathjax-config.js', 'assets/mathjax/tex-svg.js'],
        'nav': nav,
        'plugins': ['search', {'mkdocs-jupyter': {
            'include': ['*.ipynb'], 'execute': False, 'no_prompt': True, 'cache': False, 'include_requirejs': False,
            'remove_tag_config': {'remove_input_tags': ['remove_input']}}}],
        'validation': {'nav': {'omitted_files': 'warn', 'not_found': 'warn'}},
    }


MATHJAX_CONFIG = '''window.MathJax = {  // Jupyter's $...$ and $$...$$; code is skipped, outputs too unless markdown (show_doc)
  tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']], displayMath: [['$$', '$$'], ['\\\\[', '\\\\]']], processEscapes: true},
  options: {ignoreHtmlClass: 'jp-OutputArea-output', processHtmlClass: 'jp-RenderedMarkdown'}
};
'''

def copy_mathjax(assets):
    "MathJax 3 (from the django-static-mathjax package, static files only) into the site, so math renders offline."
    import importlib.util
    spec = importlib.util.find_spec('mathjax')
    src = Path(next(iter(spec.submodule_search_locations)))/'static'/'mathjax' if spec else None
    if not (src and (src/'es5'/'tex-svg.js').is_file()): raise SystemExit("MathJax not found: pip install django-static-mathjax (in settings.ini's dev_requirements)")
    (assets/'mathjax').mkdir(parents=True, exist_ok=True)
    for f in ['es5/tex-svg.js', 'LICENSE']: shutil.copy2(src/f, assets/'mathjax'/Path(f).name)
    (assets/'mathjax-config.js').write_text(MATHJAX_CONFIG)


def build_site(pages):
    "Render the processed notebooks with mkdocs into _site/, and write _site/_pages.json: [] or a list of problems."
    (STAGE/'mkdocs.yml').write_text(yaml.safe_dump(mkdocs_config(pages), sort_keys=False))
    shutil.copy2(NBS/'styles.css', STAGE/'docs'/'styles.css')
    copy_mathjax(STAGE/'docs'/'assets')
    shutil.rmtree(SITE, ignore_errors=True)
    r = subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '--strict', '--quiet', '-f', str(STAGE/'mkdocs.yml'),
                        '-d', str(SITE)], cwd=STAGE, env=ENV, capture_output=True, text=True)
    if r.returncode: return [f'mkdocs build failed:\n{r.stdout}{r.stderr}']
    manifest, problems = [], []
    for section, rel in pages:
        url = rel[:-len('.ipynb')] + '.html'
        meta = json.loads((STAGE/'pages'/rel).with_suffix('.json').read_text())
        manifest.append({'page': url, 'notebook': f'nbs/{rel}', 'section': section, **meta})
        if not (SITE/url).is_file(): problems.append(f'nbs/{rel} has no page {url} in _site/')
    (SITE/'_pages.json').write_text(json.dumps(manifest, indent=1))
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--fill-outputs', action='store_true', help="execute the notebooks and store their outputs in nbs/ (for nbdev_docs)")
    ap.add_argument('--jobs', type=int, default=2, help='notebooks processed at once (default 2)')
    ap.add_argument('--one', nargs=2, metavar=('SRC', 'DST'), help=argparse.SUPPRESS)  # a worker process
    ap.add_argument('--skip', default='notest', help=argparse.SUPPRESS)                 # the worker's flags not run
    args = ap.parse_args()
    if args.one:
        try: process_one(*args.one, args.fill_outputs, args.skip)
        except Exception as e: sys.exit(f'{type(e).__name__}: {e}')
        return 0
    start = time.time()
    pages = sidebar_pages()
    problems = sidebar_problems(pages)
    if problems:
        print('FAIL the sidebar and the notebooks disagree:\n  ' + '\n  '.join(problems))
        return 1
    if not args.fill_outputs:
        shutil.rmtree(STAGE, ignore_errors=True); (STAGE/'docs').mkdir(parents=True)
    skip = skipped_flags()
    print(f"cells flagged {', '.join(skip)} are not run (settings.ini's tst_flags; this machine runs the others)")
    problems = [p for p in run_notebooks(pages, args.fill_outputs, args.jobs, skip).values() if p]
    if not problems and not args.fill_outputs: problems = build_site(pages)
    what = 'outputs stored in nbs/' if args.fill_outputs else f'{len(pages)} pages in {os.path.relpath(SITE)}/'
    if problems: print('FAIL docs build:\n  ' + '\n  '.join(problems))
    else: print(f'docs built: {what} ({time.time() - start:.0f}s)')
    return 1 if problems else 0


if __name__ == '__main__': sys.exit(main())
