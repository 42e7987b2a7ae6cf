"""Open every page of the built docs site `_site/` in headless Chromium and check what a reader would see.

`_site/` is served on 127.0.0.1 (a free port) and opened in Chromium (`/usr/bin/chromium`, Debian's package), headless
with a fresh profile, driven through the DevTools protocol (`websocket-client`). For each page of `_site/_pages.json`
(written by tools/build_docs.py, in sidebar order) it checks that:

- the page loads (HTTP 200), every request it makes to the site succeeds (CSS, scripts, search index), no script
  throws, and it has a title heading;
- no output cell holds a traceback;
- every image has loaded (`complete` and `naturalWidth > 0`) and the page shows as many plots as its notebook made;
- MathJax (served from the site) has typeset the math: no `$\\command...$` is left as text;
- (home page) the navigation lists every page, in the sidebar's order;
- every link of the pages' content that stays inside the site leads to a page that exists, and to an element of it
  when it names one (`core.html#NeuralForecast`);
- what a reader sees is clean: no progress bar (`45%|####`, `it/s]`, `Epoch 3:`), no absolute path of the machine
  that built the site (its checkout, home, temporary or Python folders), no traceback anywhere on the page, no code
  cell that draws a plot but shows none (`_pages.json`'s `empty_plots`), and no code cut at the right edge (a block
  wider than its box that does not scroll, or a page wider than the window).

A full-page screenshot of every page (1280 wide) is saved in `_site/_screenshots/`, named after the page
(`models.lstm.png`, `tutorials_m4_hourly.png`); a page taller than 16,000 pixels continues in `core-2.png`, ...
Chromium is told that no other host exists (`--host-resolver-rules`): the check never touches the network; requests
to other hosts (e.g. MathJax from a CDN, which these pages do not need) are counted, not failed.

Usage: python tools/check_docs.py [--site _site] [--chromium /usr/bin/chromium]
Exit status: 0 if every page passes, 1 otherwise.
"""
import argparse, base64, json, os, re, shutil, signal, subprocess, sys, tempfile, threading, time
import urllib.parse, urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import websocket

ROOT = Path(__file__).resolve().parent.parent
# Text a reader must not see: a progress bar (tqdm's `45%|####  | 9/20 [00:01<00:02, 5.1it/s]`, Lightning's
# `Epoch 3:` and `Sanity Checking`), and the folders of the machine that built the site
PROGRESS = re.compile(r'\d+%\|[^|\n]*\||\d+(\.\d+)?\s?it/s\]|\bEpoch \d+:|Sanity Checking')
MACHINE_PATHS = [re.compile(re.escape(p)) for p in (str(ROOT), str(Path.home()).rstrip('/') + '/') if len(p) > 1]
MACHINE_PATHS += [re.compile(r'(%s|/tmp)/tmp[a-z0-9_]{8}\b' % re.escape(tempfile.gettempdir()))]   # tempfile's folders
MACHINE_PATHS += [re.compile(r'/(site|dist)-packages/')]                              # the Python it ran with
MACHINE_PATHS += [re.compile(re.escape(p)) for p in {sys.prefix, sys.base_prefix} if p.count('/') >= 2]
CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync', '--no-first-run', '--hide-scrollbars', '--mute-audio',
                  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1', '--remote-debugging-port=0']

# What the page shows, measured inside it once its images are decoded
PAGE_FACTS = r'''
(async () => {
  await Promise.all([...document.images].map(i => i.decode().catch(() => null)));
  if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
  const outputs = [...document.querySelectorAll('.jupyter-wrapper .jp-OutputArea-output')];
  return JSON.stringify({
    h1: (document.querySelector('.md-content h1') || {}).textContent || '',
    images: [...document.images].map(i => ({src: i.src.slice(0, 80), ok: i.complete && i.naturalWidth > 0})),
    plots: document.querySelectorAll('.jupyter-wrapper .jp-OutputArea-output img').length,
    tracebacks: outputs.filter(o => o.textContent.includes('Traceback (most recent call last)'))
                       .map(o => o.textContent.trim().slice(0, 400)),
    math: document.querySelectorAll('mjx-container').length,
    rawtex: [...document.querySelectorAll('.jp-RenderedMarkdown')].map(e => e.textContent)
              .filter(t => /\$[^$]*\\[a-zA-Z]+[^$]*\$/.test(t)).map(t => t.trim().slice(0, 200)),
    ids: [...document.querySelectorAll('[id]')].map(e => e.id),
    text: (document.querySelector('.md-content') || document.body).innerText,
    cut: [...document.querySelectorAll('.md-content pre')].filter(p => {
           const s = getComputedStyle(p);
           return p.scrollWidth > p.clientWidth + 1 && !['auto', 'scroll'].includes(s.overflowX);
         }).map(p => p.textContent.split('\n').sort((a, b) => b.length - a.length)[0].slice(0, 120)),
    overflow: document.documentElement.scrollWidth > window.innerWidth + 1,
    links: [...new Set([...document.querySelectorAll('.md-content a[href]')].map(a => a.href)
                        .filter(h => h.startsWith(location.origin + '/')))],
    nav: [...new Set([...document.querySelectorAll('.md-nav--primary a.md-nav__link[href]')]
                     .map(a => a.href.split('#')[0]))],
  });
})()
'''


class Site:
    "`_site/` served on 127.0.0.1 in a background thread; `failed` collects the paths answered with an error."
    def __init__(self, folder):
        self.failed = []
        site = self
        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, fmt, *args): pass
            def send_error(self, code, *args, **kw):
                site.failed.append(f'{code} {self.path}')
                super().send_error(code, *args, **kw)
        self.server = ThreadingHTTPServer(('127.0.0.1', 0), partial(Handler, directory=str(folder)))
        self.url = f'http://127.0.0.1:{self.server.server_port}/'
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self): self.server.shutdown(); self.server.server_close()


class Chromium:
    "Headless Chromium with a fresh profile, and one page driven through the DevTools protocol."
    def __init__(self, exe):
        self.profile = tempfile.mkdtemp(prefix='lstmcast-chromium-')
        self.proc = subprocess.Popen([exe, *CHROMIUM_FLAGS, f'--user-data-dir={self.profile}', 'about:blank'],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        port_file, deadline = Path(self.profile)/'DevToolsActivePort', time.time() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.proc.poll() is not None: raise RuntimeError(f'chromium exited: {self.proc.stderr.read().decode()[-2000:]}')
            if time.time() > deadline: raise RuntimeError('chromium did not open its DevTools port within 30 s')
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        targets = json.load(urllib.request.urlopen(f'http://127.0.0.1:{port}/json/list', timeout=10))
        page = next(t for t in targets if t['type'] == 'page')
        self.ws = websocket.create_connection(page['webSocketDebuggerUrl'], timeout=60, suppress_origin=True)
        self.n, self.events = 0, []

    def call(self, method, **params):
        "Send a DevTools command and return its result; events received meanwhile are kept in `events`."
        self.n += 1
        self.ws.send(json.dumps({'id': self.n, 'method': method, 'params': params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get('id') == self.n:
                if 'error' in msg: raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get('result', {})
            if 'method' in msg: self.events.append(msg)

    def wait_for(self, event, timeout=60):
        "Wait for the DevTools event `event` (kept in `events`)."
        deadline = time.time() + timeout
        while not any(e['method'] == event for e in self.events):
            if time.time() > deadline: raise TimeoutError(f'no {event} within {timeout} s')
            self.ws.settimeout(max(0.1, deadline - time.time()))
            msg = json.loads(self.ws.recv())
            if 'method' in msg: self.events.append(msg)

    def close(self):
        try: self.call('Browser.close')
        except Exception: pass
        try: self.proc.wait(10)
        except subprocess.TimeoutExpired: os.killpg(self.proc.pid, signal.SIGKILL); self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def check_page(browser, site, page, shots):
    "Open one page of `_pages.json`; return (problems, facts)."
    url = site.url + page['page']
    browser.events.clear()
    browser.call('Page.navigate', url=url)
    browser.wait_for('Page.loadEventFired')
    facts = json.loads(browser.call('Runtime.evaluate', expression=PAGE_FACTS, awaitPromise=True, returnByValue=True)['result']['value'])
    ev = lambda name: [e['params'] for e in browser.events if e['method'] == name]
    requests = {p['requestId']: p['request']['url'] for p in ev('Network.requestWillBeSent')}
    status = [p['response']['status'] for p in ev('Network.responseReceived') if p['response']['url'] == url]
    failed = [f"{p['errorText']} {requests.get(p['requestId'], '?')}" for p in ev('Network.loadingFailed')]
    bad_http = [f"{p['response']['status']} {p['response']['url']}" for p in ev('Network.responseReceived') if p['response']['status'] >= 400]
    facts['external'] = [f for f in failed if not f.split()[-1].startswith(site.url)]
    problems = [f'HTTP {status[0] if status else "no response"}'] if status != [200] else []
    problems += [f'request failed: {f}' for f in failed if f.split()[-1].startswith(site.url)] + [f'HTTP {b}' for b in bad_http]
    problems += [f"script error: {p['exceptionDetails'].get('exception', {}).get('description', p['exceptionDetails'].get('text'))}"
                 for p in ev('Runtime.exceptionThrown')]
    if not facts['h1'].strip(): problems.append('no title heading')
    problems += [f'traceback in an output: {t!r}' for t in facts['tracebacks']]
    problems += [f"image not loaded: {i['src']}" for i in facts['images'] if not i['ok']]
    problems += [f'math left as TeX: {t!r}' for t in facts['rawtex']]
    if facts['plots'] != page['images']: problems.append(f"{facts['plots']} plots on the page, {page['images']} in the notebook")
    problems += clean_text_problems(facts['text'])
    problems += [f"a code cell draws a plot but shows none: {src!r}" for src in page.get('empty_plots', [])]
    problems += [f'code cut at the right edge: {line!r}' for line in facts['cut']]
    if facts['overflow']: problems.append('the page is wider than the window (scrolls sideways)')
    (site_dir := Path(shots['_dir'])).mkdir(exist_ok=True)
    for i, png in enumerate(full_page_pngs(browser)):      # page.png, then page-2.png, ... for a long page
        (site_dir/screenshot_name(page['page'], i)).write_bytes(png)
    return problems, facts


def clean_text_problems(text):
    "Progress bars, build-machine paths and tracebacks in a page's text, one problem each (with its line)."
    lines = text.splitlines()
    def first(pred): return next((l.strip()[:160] for l in lines if pred(l)), None)
    found = [('progress bar', first(PROGRESS.search))]
    found += [('path of the build machine', first(p.search)) for p in MACHINE_PATHS]
    found += [('traceback', first(lambda l: 'Traceback (most recent call last)' in l))]
    return list(dict.fromkeys(f'{what}: {line!r}' for what, line in found if line))


def screenshot_name(page, part=0): return page[:-len('.html')].replace('/', '_') + (f'-{part + 1}' if part else '') + '.png'


def full_page_pngs(browser, width=1280, tile=16000):
    "Screenshots of the whole page, as tall as its content: one, or several of `tile` pixels for a longer page."
    height = int(browser.call('Page.getLayoutMetrics')['cssContentSize']['height']) + 1
    shots = []
    for top in range(0, height, tile):
        clip = {'x': 0, 'y': top, 'width': width, 'height': min(tile, height - top), 'scale': 1}
        data = browser.call('Page.captureScreenshot', format='png', captureBeyondViewport=True, clip=clip)['data']
        shots.append(base64.b64decode(data))
    return shots


def link_ok(link, seen, folder, base):
    "Whether a link inside the site leads to a page (or file) that exists, and to an element of it if it names one."
    url, _, frag = link.partition('#')
    if url in seen: return not frag or frag in seen[url][0] or urllib.parse.unquote(frag) in seen[url][0]
    path = folder/urllib.parse.unquote(url[len(base):].split('?')[0])
    return path.is_file() or (path/'index.html').is_file()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--site', default=str(ROOT/'_site'), help='the built site (default: _site/)')
    found = next(filter(None, map(shutil.which, ['chromium', 'chromium-browser', 'google-chrome'])), '/usr/bin/chromium')
    ap.add_argument('--chromium', default=found, help='Chromium executable')
    args = ap.parse_args()
    folder = Path(args.site)
    if not (folder/'_pages.json').is_file(): sys.exit(f'{folder}/_pages.json not found: run python tools/build_docs.py first')
    if not Path(args.chromium).exists(): sys.exit(f'no Chromium at {args.chromium}: apt-get install -y chromium')
    pages = json.loads((folder/'_pages.json').read_text())
    shutil.rmtree(folder/'_screenshots', ignore_errors=True)
    shots = {'_dir': str(folder/'_screenshots')}
    site, browser, failures, page_failures, start, seen = Site(folder), None, 0, 0, time.time(), {}
    try:
        browser = Chromium(args.chromium)
        for domain in ('Page', 'Network', 'Runtime'): browser.call(f'{domain}.enable')
        browser.call('Emulation.setDeviceMetricsOverride', width=1280, height=900, deviceScaleFactor=1, mobile=False)
        for page in pages:
            t = time.time()
            problems, facts = check_page(browser, site, page, shots)
            if page['page'] == 'index.html':
                want = [site.url + p['page'] for p in pages]
                if facts['nav'] != want: problems.append(f"navigation {[n.replace(site.url, '') for n in facts['nav']]} is not the sidebar's {[p['page'] for p in pages]}")
            ext = f", {len(facts['external'])} request(s) to other hosts refused" if facts['external'] else ''
            math = f", {facts['math']} formulas" if facts['math'] else ''
            print(f"{'ok  ' if not problems else 'FAIL'} {page['page']} ({facts['plots']} plots{math}, {time.time() - t:.1f}s{ext})")
            for p in problems: print(f'     {p}')
            failures += bool(problems); page_failures += bool(problems)
            seen[site.url + page['page']] = (set(facts['ids']), facts['links'])
        broken = sorted({f"{src.replace(site.url, '')} -> {link.replace(site.url, '')}" for src, (_, links) in seen.items()
                         for link in links if not link_ok(link, seen, folder, site.url)})
        if broken: print(f'FAIL {len(broken)} link(s) inside the site lead nowhere:\n     ' + '\n     '.join(broken[:20])); failures += 1
        missing = [screenshot_name(p['page']) for p in pages
                   if not (folder/'_screenshots'/screenshot_name(p['page'])).is_file()]
        if missing: print(f'FAIL screenshots not taken: {missing}'); failures += 1
    finally:
        if browser: browser.close()
        site.close()
    print(f"{len(pages) - page_failures} of {len(pages)} pages passed in Chromium "
          f"({time.time() - start:.0f}s); screenshots in {os.path.relpath(folder/'_screenshots')}/")
    return 1 if failures else 0


if __name__ == '__main__': sys.exit(main())
