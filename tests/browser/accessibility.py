"""axe-core in a test's browser page: `assert_accessible(page, context="…")` fails on any critical or serious finding
of the WCAG 2.0 A/AA rules (GB/T 37668-2019, SPEC R-OPS-9) and axe's best practices, listing each finding.

axe-core is vendored in app/static/vendor/axe-core/ for the tests only: no page of the portal loads it. It is put
into the page as source through the DevTools protocol (page.evaluate), because the portal's Content-Security-Policy
(app/headers.py) rightly refuses an inline <script> without the request's nonce, which page.add_script_tag(path=…)
would add. Once per document: a later call on the same document reuses it.
"""
import json
from pathlib import Path

AXE = Path(__file__).resolve().parents[2] / "app/static/vendor/axe-core/axe.min.js"
_source = None

FAILING_IMPACTS = ("critical", "serious")

OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "best-practice"]},
    "resultTypes": ["violations"],  # passes and incomplete results are not needed: less to compute and send back
}

# The findings as plain data: what failed, how bad, where (CSS selectors of at most a few nodes) and the fix in
# axe's words, with its help page.
_RUN_JS = """async (options) => {
  const results = await axe.run(document, options);
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), impact: n.impact, summary: n.failureSummary,
                              html: n.html.slice(0, 200)})),
  }));
}"""


def _axe_source() -> str:
    global _source
    if _source is None:
        _source = AXE.read_text(encoding="utf-8")
    return _source


def axe_violations(page, options=None) -> list[dict]:
    """Every axe violation on the page's current document (all impacts), as dicts: id, impact, help, nodes."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    return page.evaluate(_RUN_JS, options or OPTIONS)


def describe(violations, context="") -> str:
    lines = [f"{len(violations)} accessibility violation(s){f' on {context}' if context else ''}:"]
    for v in violations:
        lines.append(f"- {v['id']} [{v['impact']}] {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            lines.append(f"    {node['target']}  {node['html']}")
            if node.get("summary"):
                lines.append("      " + node["summary"].replace("\n", "\n      "))
        if len(v["nodes"]) > 8:
            lines.append(f"    … and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


def assert_accessible(page, context=""):
    """No critical or serious axe finding (WCAG 2.0 A/AA and best practices) on the page as it is now. Returns the
    milder findings (moderate, minor), which do not fail the test."""
    violations = axe_violations(page)
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    where = f"{context} ({page.url})" if context else page.url
    assert not failing, describe(failing, where) + "\n" + json.dumps([v["id"] for v in failing])
    return [v for v in violations if v["impact"] not in FAILING_IMPACTS]
