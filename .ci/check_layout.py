#!/usr/bin/env python3
"""Checks the layout invariants ARCHITECTURE.md states, over crates/peregrine/src.

Each invariant is an absence, checked on the code with comments stripped:
  1. No import cycle between the crate's top-level modules (server/ and routing/ count as one each).
  2. routing/ imports nothing else from the crate.
  3. Nothing outside server/ names sockets, hyper's connections or server types, or the server's timers.
  4. Only pipeline.rs calls middleware, responders, hooks' wrappers and error handlers.
  5. testing.rs imports no crate module that server/ does not import too (no private shortcut).
Exits 1 with one line per violation.
"""
import pathlib
import re
import sys

SRC = pathlib.Path(__file__).resolve().parent.parent / "crates" / "peregrine" / "src"


def code(path):
    """The file's text without comments and string contents (so docs and messages never count)."""
    text = path.read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    text = re.sub(r"//[^\n]*", "", text)
    return text


def unit(path):
    """The top-level module a file belongs to: 'server', 'routing', or the file's stem."""
    rel = path.relative_to(SRC)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def crate_modules(text):
    """Top-level modules a file refers to through `crate::` (in `use` trees and paths)."""
    found = set(re.findall(r"\bcrate::([a-z_]+)", text))
    for group in re.findall(r"\bcrate::\{([^}]*)\}", text):
        found.update(re.findall(r"(?:^|,)\s*([a-z_]+)", group))
    return found


def main():
    files = sorted(p for p in SRC.rglob("*.rs"))
    top = {unit(p) for p in files} - {"lib"}
    # Items re-exported at the root (`crate::App`) stand for the module that defines them, read off lib.rs.
    root_items = {}
    for module, items in re.findall(r"^pub use ([a-z_]+)::\{?([^;}]*)\}?;", code(SRC / "lib.rs"), flags=re.M):
        if module in top:
            for item in re.findall(r"\w+", items):
                root_items[item] = module
    problems = []
    graph = {u: set() for u in top}
    texts = {p: code(p) for p in files}
    for path, text in texts.items():
        u = unit(path)
        if u == "lib":
            continue
        refs = crate_modules(text) & top
        for item, module in root_items.items():
            if re.search(rf"\bcrate::{item}\b", text) or re.search(rf"\bcrate::\{{[^}}]*\b{item}\b", text):
                refs.add(module)
        graph[u].update(r for r in refs if r != u)

    # 1. cycles
    state = {}
    stack = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                problems.append("import cycle: " + " -> ".join(stack[stack.index(m):] + [m]))
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n)

    # 2. routing imports nothing else from the crate
    for m in sorted(graph.get("routing", ())):
        problems.append(f"routing/ imports crate::{m}")

    # 3. transport stays in server/
    transport = re.compile(
        r"\btokio::net\b|\bTcpStream\b|\bTcpListener\b|\bUnixStream\b|\bUnixListener\b|\bhyper::server\b"
        r"|\bhyper_util::server\b|\bhyper_util::rt\b|\bhyper::body::Incoming\b|\bserver::header_timer\b"
        r"|\bWatchdog\b|\bSweeper\b|\bsocket2\b")
    for path, text in texts.items():
        if unit(path) in ("server", "lib"):
            continue
        for m in sorted(set(transport.findall(text))):
            problems.append(f"{path.relative_to(SRC)} names {m}, which belongs to server/")

    # 4. only the pipeline runs the request's stages
    stage = re.compile(r"\.(process_request|process_resource|process_response)\s*\(|\.respond(_unboxed)?\s*\(|\(h\.call\)")
    allowed = {"pipeline.rs", "middleware.rs", "resource.rs"}
    for path, text in texts.items():
        rel = str(path.relative_to(SRC))
        if rel in allowed:
            continue
        for m in sorted(set(mm.group(0) for mm in stage.finditer(text))):
            problems.append(f"{rel} calls {m.strip()}, which only pipeline.rs may")

    # 5. the test client uses what the server uses
    server_refs = set()
    for path, text in texts.items():
        if unit(path) == "server":
            server_refs |= crate_modules(text)
    testing = texts.get(SRC / "testing.rs", "")
    for m in sorted(crate_modules(testing) & top - server_refs - {"testing"}):
        problems.append(f"testing.rs imports crate::{m}, which the server does not use")

    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print(f"layout ok: {len(graph)} modules, no cycles; routing/ self-contained; transport only in server/; "
          "stages only in pipeline.rs; testing.rs uses what server/ uses")


if __name__ == "__main__":
    main()
