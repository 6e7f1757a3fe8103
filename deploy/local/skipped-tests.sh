#!/usr/bin/env bash
# Lists every test the last build skipped, with the reason it gave (from the surefire and failsafe reports), so that a
# skip is never silent in a green run: a machine without a tool skips what needs it, and says so here.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REPO_ROOT"
python3 - <<'PY'
import glob, xml.etree.ElementTree as ET
skipped = []
for report in sorted(glob.glob("*/target/surefire-reports/TEST-*.xml") + glob.glob("*/target/failsafe-reports/TEST-*.xml")):
    try:
        root = ET.parse(report).getroot()
    except ET.ParseError:
        continue
    for case in root.iter("testcase"):
        skip = case.find("skipped")
        if skip is not None:
            text = (skip.get("message") or skip.text or "").strip()  # the reason, or the exception with its stack
            reason = " ".join(text.splitlines()[0].split()) if text else "no reason given"
            skipped.append(f"  {case.get('classname', '?')}#{case.get('name', '?')}: {reason[:300]}")
print(f"[affect] {len(skipped)} test(s) skipped" + (":" if skipped else ""))
if skipped:
    print("\n".join(skipped))
PY
