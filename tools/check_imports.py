"""Find import circles between lstmcast's modules: print each one and exit 1, or say there is none and exit 0.

The graph is read from the AST of every `.py` file under the package folder: every `import` and `from ... import`
statement counts, wherever it sits (module level, inside a function or method, under `if`/`try`), relative or
absolute. A lazy import inside a function is still an edge: it hides a circle from the interpreter, not from a reader.
Imports under `if TYPE_CHECKING:` are not edges: they never run (type hints only, as strings).
`from PKG import NAME` is an edge to the module `PKG.NAME` when that module exists, to `PKG` otherwise.
An import of a module's own package (or one above it) is not an edge: Python runs a package's `__init__` before any
module in it, so that dependency holds for every module; the package's own imports are edges like any other.

Usage: python tools/check_imports.py [PACKAGE_DIR]   (default: lstmcast/ next to this tools/ folder)
From Python: `import_cycles(root)` returns the circles, each a list of module names starting at its smallest name.
"""
import ast, sys
from pathlib import Path

def module_names(root) -> dict:
    "Map each dotted module name under the package folder `root` to its file."
    root = Path(root); pkg = root.name
    names = {}
    for f in sorted(root.rglob('*.py')):
        parts = [pkg, *f.relative_to(root).with_suffix('').parts]
        if parts[-1] == '__init__': parts = parts[:-1]
        names['.'.join(parts)] = f
    return names

def _resolve(mod, is_pkg, node, known) -> list:
    "The modules of `known` that one import node `node` in module `mod` names."
    if isinstance(node, ast.Import): return [a.name for a in node.names]
    if node.level:   # relative: `.` is the module's own package (the package itself for an `__init__`)
        base = mod.split('.') if is_pkg else mod.split('.')[:-1]
        base = base[:len(base) - (node.level - 1)]
        target = '.'.join(base + ([node.module] if node.module else []))
    else: target = node.module
    subs = [f'{target}.{a.name}' for a in node.names if f'{target}.{a.name}' in known]
    return subs if len(subs) == len(node.names) else subs + [target]

def _type_checking(node) -> bool:
    "Whether `node` is `if TYPE_CHECKING:` (or `if typing.TYPE_CHECKING:`)."
    t = node.test if isinstance(node, ast.If) else None
    return (isinstance(t, ast.Name) and t.id == 'TYPE_CHECKING') or (isinstance(t, ast.Attribute) and
                                                                      t.attr == 'TYPE_CHECKING')

def _imports(tree):
    "Every import node of `tree`, at any depth, except those in the body of an `if TYPE_CHECKING:`."
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)): yield node
        kids = node.orelse if _type_checking(node) else ast.iter_child_nodes(node)
        todo.extend(kids)

def import_graph(root) -> dict:
    "For each module of the package at `root`, the set of the package's modules it imports (anywhere in its file)."
    known = module_names(root)
    graph = {}
    for mod, f in known.items():
        is_pkg = f.name == '__init__.py'
        deps = set()
        for node in _imports(ast.parse(f.read_text(), str(f))):
            for t in _resolve(mod, is_pkg, node, known):
                while t and t not in known: t = t.rpartition('.')[0]   # `import a.b.c`: the deepest module that exists
                if t and t != mod and not mod.startswith(t + '.'): deps.add(t)   # an ancestor package: no edge
        graph[mod] = deps
    return graph

def import_cycles(root) -> list:
    "Every elementary circle of imports between the modules under `root`, each as a list starting at its least name."
    graph = import_graph(root)
    cycles = []
    for start in sorted(graph):   # circles through `start` whose other modules all sort after it: each found once
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None: stack.pop(); path.pop(); continue
            if nxt == start: cycles.append(list(path))
            elif nxt > start and nxt not in path:
                path.append(nxt); stack.append((nxt, iter(sorted(graph.get(nxt, ())))))
    return cycles

def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent/'lstmcast'
    cycles = import_cycles(root)
    for c in cycles: print('import circle: ' + ' -> '.join(c + [c[0]]))
    n = len(import_graph(root))
    print(f'{len(cycles)} import circle(s) among {n} modules of {root.name}' if cycles
          else f'no import circle among {n} modules of {root.name}')
    return 1 if cycles else 0

if __name__ == '__main__': sys.exit(main())
