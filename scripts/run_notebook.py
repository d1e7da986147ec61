#!/usr/bin/env python3
"""Execute a signlang notebook headless on the "Rust (signlang)" kernel and export it to HTML.

Unlike `jupyter nbconvert --execute`, a failing cell prints the compiler's or the
program's own error (evcxr reports compile errors as cell output), and each cell's
time is shown as it runs.

    run_notebook.py NOTEBOOK --html OUT.html [--in-place] [--check]

--in-place  save the executed notebook over NOTEBOOK (the committed notebook keeps
            the outputs of a real full run)
--check     after the run, check the HTML: every numbered section heading of the
            notebook is there, and at least as many inline SVG figures as cells
            tagged "figure"
"""
import argparse
import os
import re
import sys
import time
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def fail(msg):
    print(f"run_notebook: {msg}", file=sys.stderr)
    sys.exit(1)


def output_text(out):
    if out.get("output_type") == "stream":
        return out.get("text", "")
    if out.get("output_type") == "error":
        return "\n".join([f"{out.get('ename')}: {out.get('evalue')}"] + out.get("traceback", []))
    data = out.get("data", {})
    return data.get("text/plain", "")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebook")
    ap.add_argument("--html", required=True)
    ap.add_argument("--in-place", action="store_true")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--kernel", default="signlang")
    args = ap.parse_args()

    try:
        import nbformat
        from nbclient import NotebookClient
        from nbconvert import HTMLExporter
    except ImportError as e:
        fail(f"{e.name} is missing: run `make setup` (it installs Jupyter into .venv)")

    path = Path(args.notebook)
    if not path.exists():
        fail(f"{path} not found")
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {"name": args.kernel, "display_name": "Rust (signlang)", "language": "rust"}

    client = NotebookClient(
        nb,
        kernel_name=args.kernel,
        timeout=None,
        startup_timeout=900,
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    started = time.time()
    print(f"run_notebook: starting the kernel for {path} (the first start compiles the library and its dependencies: about 3 min on 2 cores)", flush=True)
    try:
        kernel = client.setup_kernel()
        kernel.__enter__()
    except Exception as e:
        fail(f"the kernel did not start ({e}); run `make setup`, then see the kernel's own error above")
    try:
        for n, cell in enumerate(code_cells, 1):
            index = nb.cells.index(cell)
            first = (cell.source.strip().splitlines() or [""])[0][:60]
            t0 = time.time()
            try:
                client.execute_cell(cell, index)
                # evcxr answers "ok" for a cell that panicked or returned Err(..)
                # through `?`; it prints those on stderr, which the study's cells
                # never use otherwise: any stderr output fails the cell.
                stderr = "".join(
                    o.get("text", "") for o in cell.get("outputs", [])
                    if o.get("output_type") == "stream" and o.get("name") == "stderr"
                )
                if stderr.strip():
                    raise RuntimeError(stderr)
            except Exception as e:  # CellExecutionError, DeadKernelError, timeouts, errors above
                print(f"\nrun_notebook: cell {n}/{len(code_cells)} failed: {first}", file=sys.stderr)
                print("---- cell source ----", file=sys.stderr)
                print(cell.source, file=sys.stderr)
                print("---- cell output ----", file=sys.stderr)
                for out in cell.get("outputs", []):
                    print(ANSI.sub("", output_text(out)), file=sys.stderr)
                if not cell.get("outputs"):
                    print(ANSI.sub("", str(e))[-4000:], file=sys.stderr)
                sys.exit(1)
            print(f"  [{n:2}/{len(code_cells)}] {time.time() - t0:6.1f} s  {first}", flush=True)
    finally:
        kernel.__exit__(None, None, None)
    print(f"run_notebook: all {len(code_cells)} cells ran in {time.time() - started:.0f} s", flush=True)

    if args.in_place:
        nbformat.write(nb, path)
        print(f"run_notebook: saved the outputs in {path}")
    html, _ = HTMLExporter().from_notebook_node(nb)
    out = Path(args.html)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    print(f"run_notebook: wrote {out} ({len(html) // 1024} KiB)")

    if args.check:
        problems = []
        if "\x1b[" in html:
            problems.append("raw ANSI escape codes in the HTML")
        headings = [
            line.strip("# ").strip()
            for c in nb.cells
            if c.cell_type == "markdown"
            for line in c.source.splitlines()
            if re.match(r"^##\s+\d+\.", line)
        ]
        for h in headings:
            title = re.sub(r"[*_`]", "", h)
            if title not in ANSI.sub("", html):
                problems.append(f"section heading missing from the HTML: {title!r}")
        want = sum(1 for c in code_cells if "figure" in c.metadata.get("tags", []))
        # nbconvert embeds SVG outputs as data: URIs inside the page.
        got = html.count('data-mime-type="image/svg+xml"')
        if got < want:
            problems.append(f"{got} inline SVG figures in the HTML, expected at least {want}")
        if problems:
            fail("HTML check failed:\n  " + "\n  ".join(problems))
        print(f"run_notebook: HTML check passed ({len(headings)} sections, {got} SVG figures, {want} expected)")


if __name__ == "__main__":
    main()
