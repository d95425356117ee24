"""Accessibility of one page of every kind, in every language, checked by axe-core in
Chromium: WCAG 2.0 and 2.1 at levels A and AA, and axe's best practices, in the light and
the dark colour scheme, at phone and desktop width. At phone width a page must also not
scroll sideways (WCAG 1.4.10 Reflow, which axe does not check).

axe-core's script comes inside axe-playwright-python (requirements-browser.txt), so nothing
is fetched. Run with `make test-browser`.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from .browsing import PAGE_IDS, ServedSite, Tab, sideways_scrolling

pytestmark = pytest.mark.browser

# Best practices are included: on this site they hold (landmarks, one h1, heading order,
# unique landmark names), and they catch what a screen-reader user notices first.
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    "resultTypes": ["violations"],  # passes and incomplete results are not collected: faster
}
_START_AXE = """options => {
  window._axeRun = new Promise((go) => setTimeout(go)).then(() => axe.run(options)).then((r) => r.violations);
}"""


@pytest.mark.parametrize("page_id", PAGE_IDS)
def test_page_has_no_accessibility_violations(tabs: dict[str, Tab], served_site: ServedSite, page_id: str):
    for tab in tabs.values():
        tab.open(served_site, page_id)
    # axe runs in all variants at once, each context being its own renderer process: it is
    # started after this call returns (axe.run works synchronously for most of its time),
    # then every result is awaited.
    for tab in tabs.values():
        tab.page.evaluate(_START_AXE, AXE_OPTIONS)
    violations = {variant: tab.page.evaluate("() => window._axeRun") for variant, tab in tabs.items()}

    # (rule, selector, element, message) → the variants it occurs in, so a finding shared by
    # all variants is listed once.
    findings: dict[tuple[str, str, str, str], list[str]] = defaultdict(list)
    rules: dict[str, dict] = {}
    for variant, found in violations.items():
        for violation in found:
            rules[violation["id"]] = violation
            for node in violation["nodes"]:
                target = " ".join(" >>> ".join(part) if isinstance(part, list) else part for part in node["target"])
                findings[violation["id"], target, node["html"][:200], _failed_checks(node)].append(variant)
    # Script errors, missing files, foreign requests and sideways scrolling, likewise.
    other: dict[str, list[str]] = defaultdict(list)
    for variant, tab in tabs.items():
        for problem in tab.problems(served_site):
            other[problem].append(variant)
        if variant.endswith("/phone") and (scrolling := sideways_scrolling(tab.page)):
            other[scrolling].append(variant)
    assert not findings and not other, _report(served_site.describe(page_id), rules, findings, other)


def _failed_checks(node: dict) -> str:
    """What axe says is wrong with one element: the messages of its failed checks."""
    checks = node.get("any", []) + node.get("all", []) + node.get("none", [])
    return "; ".join(check["message"] for check in checks) or node.get("failureSummary", "")


def _report(page: str, rules: dict[str, dict], findings: dict, other: dict[str, list[str]]) -> str:
    lines = [f"accessibility problems on {page}:"]
    for rule_id, rule in sorted(rules.items()):
        lines.append(f"  {rule_id} ({rule['impact']}): {rule['help']} — {rule['helpUrl']}")
        for (finding_rule, target, element, message), variants in sorted(findings.items()):
            if finding_rule == rule_id:
                lines += [f"    {target}   [{', '.join(variants)}]", f"        {element}", f"        {message}"]
    lines += [f"  [{', '.join(variants)}] {problem}" for problem, variants in other.items()]
    return "\n".join(lines)
