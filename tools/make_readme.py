"""Render nbs/index.ipynb to README.md, offline (nbdev_readme needs Quarto, which is not available here).

Markdown cells are copied as they are; code cells become ```python blocks without their leading `#|` directive
lines; cells starting with `#| hide` or `#| default_exp` are left out; a cell's text/markdown, text/plain and
stream outputs, if it has any, follow it.
Usage: python tools/make_readme.py [--check]   (--check writes nothing and exits 1 if README.md is out of date)
"""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC, DEST = ROOT/'nbs'/'index.ipynb', ROOT/'README.md'
HEADER = '<!-- Generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file. -->'
DIRECTIVE = re.compile(r'#\|\s*')

def text(x): return ''.join(x) if isinstance(x, list) else x
def fence(s, lang=''): return f'```{lang}\n{s.strip()}\n```'

def render_outputs(outputs):
    for o in outputs:
        data = o.get('data', {})
        if 'text/markdown' in data: yield text(data['text/markdown']).strip()
        elif 'text/plain' in data: yield fence(text(data['text/plain']))
        elif o.get('output_type') == 'stream': yield fence(text(o['text']))

def render(nb):
    "README text for notebook `nb` (a dict as stored in .ipynb)"
    parts = [HEADER]
    for cell in nb['cells']:
        src = text(cell['source']).strip()
        if not src or re.match(r'#\|\s*(hide|default_exp)\b', src): continue
        if cell['cell_type'] == 'markdown': parts.append(src)
        elif cell['cell_type'] == 'code':
            lines = src.splitlines()
            while lines and DIRECTIVE.match(lines[0]): lines.pop(0)
            if lines: parts.append(fence('\n'.join(lines), 'python'))
            parts.extend(render_outputs(cell.get('outputs', [])))
    return '\n\n'.join(parts) + '\n'

def main(check=False):
    new = render(json.loads(SRC.read_text(encoding='utf-8')))
    if not check: DEST.write_text(new, encoding='utf-8'); return 0
    if DEST.exists() and DEST.read_text(encoding='utf-8') == new: return 0
    print('README.md is out of step with nbs/index.ipynb: run `python tools/make_readme.py`', file=sys.stderr)
    return 1

if __name__ == '__main__': sys.exit(main('--check' in sys.argv[1:]))
