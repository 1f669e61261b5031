"""Headless Chromium (Debian's `chromium`) measuring cards as a phone shows them.

Each card side is a complete page in its own 390×844 frame; a test-only
script measures every frame after layout and writes the figures into the DOM,
which `--dump-dom` hands back. No browser driver is needed.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--virtual-time-budget=20000",
]
INSTALL = "install Debian's Chromium to run them: apt-get install -y chromium"

MEASURE = r"""
<script>
function rgba(text) {
  const parts = text.match(/rgba?\(([^)]+)\)/)[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
  return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
}
function luminance(c) {
  const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
}
function background(win, el) {
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = rgba(win.getComputedStyle(e).backgroundColor);
    if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
  }
  let base = [255, 255, 255];
  for (const c of layers.reverse()) base = [0, 1, 2].map(i => c[i] * c[3] + base[i] * (1 - c[3]));
  return base;
}
function visibleTexts(doc) {
  const nodes = [], walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    if (walker.currentNode.parentElement.getClientRects().length) nodes.push(walker.currentNode);
  }
  return nodes;
}
function charRect(doc, node, i) {
  const range = doc.createRange();
  range.setStart(node, i);
  range.setEnd(node, i + 1);
  return range.getBoundingClientRect();
}
// Every "·" that ends a line (the next visible character sits lower, or there is none): a separator left hanging.
function hanging(doc) {
  const nodes = visibleTexts(doc), found = [];
  nodes.forEach((node, n) => {
    for (let i = node.data.indexOf("·"); i >= 0; i = node.data.indexOf("·", i + 1)) {
      const dot = charRect(doc, node, i);
      let next = null;
      for (let m = n, j = i + 1; m < nodes.length && !next; m++, j = 0) {
        for (; j < nodes[m].data.length; j++) {
          if (/\S/.test(nodes[m].data[j])) { next = charRect(doc, nodes[m], j); break; }
        }
      }
      if (!next || next.top >= dot.bottom - 1) found.push(node.data.slice(Math.max(0, i - 30), i + 1));
    }
  });
  return found;
}
function measure(frame) {
  const win = frame.contentWindow, doc = frame.contentDocument;
  const result = {label: frame.dataset.label, details: [], small: [], lowContrast: []};
  for (const details of doc.querySelectorAll("details")) {  // folded parts of the transcript: open each
    const closed = !details.open, summary = details.querySelector("summary");
    const label = summary.textContent.trim() || win.getComputedStyle(summary, "::before").content.replace(/^"|"$/g, "");
    summary.click();
    const content = [...details.children].filter(e => e.tagName !== "SUMMARY");
    result.details.push({label, closedAtFirst: closed, openAfterClick: details.open,
                         contentHeight: content.reduce((h, e) => h + e.getBoundingClientRect().height, 0)});
  }
  result.hanging = hanging(doc);
  result.scrollWidth = doc.documentElement.scrollWidth;
  result.width = win.innerWidth;
  const walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
  let fontMin = 1000, contrastMin = 1000, texts = 0;
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el.getClientRects().length) continue;
    const style = win.getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none") continue;
    texts += 1;
    const size = parseFloat(style.fontSize);
    fontMin = Math.min(fontMin, size);
    if (size < 16) result.small.push([node.textContent.trim().slice(0, 40), size]);
    const fg = rgba(style.color), bg = background(win, el);
    const blended = [0, 1, 2].map(i => fg[i] * fg[3] + bg[i] * (1 - fg[3]));
    const [a, b] = [luminance(blended), luminance(bg)];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    contrastMin = Math.min(contrastMin, ratio);
    if (ratio < 4.5) result.lowContrast.push([node.textContent.trim().slice(0, 40), ratio]);
  }
  for (const summary of doc.querySelectorAll("summary")) {  // a label the CSS writes (::before) is text too
    const style = win.getComputedStyle(summary, "::before");
    if (summary.textContent.trim()) continue;
    if (style.content === "none" || style.content === '""') {
      result.small.push(["an unlabelled fold", 0]);
      fontMin = 0;
      continue;
    }
    const size = parseFloat(style.fontSize), fg = rgba(style.color), bg = background(win, summary);
    const [a, b] = [luminance(fg), luminance(bg)];
    fontMin = Math.min(fontMin, size);
    contrastMin = Math.min(contrastMin, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05));
    texts += 1;
  }
  Object.assign(result, {fontMin, contrastMin, texts});
  return result;
}
window.addEventListener("load", () => {
  const results = [...document.querySelectorAll("iframe")].map(measure);
  const out = document.createElement("pre");
  out.id = "measurements";
  out.textContent = JSON.stringify(results);
  document.body.appendChild(out);
});
</script>
"""


def chromium() -> str:
    """The Chromium binary, or skip (fail under CI=true) saying how to install it."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail(f"Chromium is missing and CI=true: the browser tests must run; {INSTALL}")
    pytest.skip(f"Chromium is not installed; {INSTALL}")


def measure_pages(pages: list[tuple[str, str]], width: int = 390, height: int = 844) -> list[dict]:
    """Measure (label, full card page) pairs in phone-sized frames, in one browser run."""
    binary = chromium()
    frames = "".join(
        f'<iframe data-label="{html.escape(label)}" width="{width}" height="{height}" '
        f'srcdoc="{html.escape(page, quote=True)}"></iframe>'
        for label, page in pages
    )
    with tempfile.TemporaryDirectory(prefix="cards-chromium-") as folder:
        page = Path(folder) / "cards.html"
        page.write_text(f"<!doctype html><html><body>{frames}{MEASURE}</body></html>", encoding="utf-8")
        done = subprocess.run(
            [binary, *FLAGS, f"--user-data-dir={folder}/profile", f"--window-size={width},{height}",
             "--dump-dom", page.as_uri()],
            capture_output=True, text=True, timeout=300,
        )
    found = re.search(r'<pre id="measurements">(.*?)</pre>', done.stdout, re.S)
    assert found, f"Chromium gave no measurements: {done.stderr[-2000:]}"
    return json.loads(html.unescape(found.group(1)))


def screenshot(page_html: str, out: Path, width: int, height: int) -> None:
    """A PNG of a page, as the phone-sized window shows it."""
    binary = chromium()
    with tempfile.TemporaryDirectory(prefix="cards-chromium-") as folder:
        page = Path(folder) / "page.html"
        page.write_text(page_html, encoding="utf-8")
        subprocess.run(
            [binary, *FLAGS, f"--user-data-dir={folder}/profile", f"--window-size={width},{height}",
             f"--screenshot={out}", page.as_uri()],
            capture_output=True, timeout=120, check=True,
        )
