"""`pathwise report class` in a real browser: headless Chromium renders the page, and the numbers of a
small class (tests/data/report) must be in the DOM it built, where a teacher would read them.

Usage: class_report_browser_test.py PATHWISE_BINARY SOURCE_DIR OUTPUT_DIR
Exits 77 (ctest's SKIP_RETURN_CODE) when chromium is not installed; scripts/install-deps.sh, which
./dev test runs, installs it.
"""

import html.parser
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile

SKIP = 77


def bkt_after(p, correct, guess=0.2, slip=0.1, learn=0.2):
    """bkt.h by hand: Bayes on the answer, then the learning transition (model.json's values)."""
    if correct:
        posterior = p * (1 - slip) / (p * (1 - slip) + (1 - p) * guess)
    else:
        posterior = p * slip / (p * slip + (1 - p) * (1 - guess))
    return posterior + (1 - posterior) * learn


def shown(p):
    """The report writes P(learned) rounded down to two decimals (0.949 must not read as 0.95)."""
    return "%.2f" % (math.floor(p * 100 + 1e-9) / 100)


def replay(answers, prior=0.5):
    p = prior
    for correct in answers:
        p = bkt_after(p, correct)
    return p


class DomCells(html.parser.HTMLParser):
    """Text of the heatmap cells (data-learner + data-competency), the per-learner and per-cohort
    columns, the summary, headings and table captions, from the DOM Chromium serialised."""

    def __init__(self):
        super().__init__()
        self.cells, self.columns, self.cohort, self.summary = {}, {}, {}, {}
        self.headings, self.captions = [], []
        self._key, self._text, self._depth = None, [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        key = None
        if "data-competency" in a:
            key = ("cell", a["data-learner"], a["data-competency"])
        elif "data-learner" in a and "data-column" in a:
            key = ("column", a["data-learner"], a["data-column"])
        elif "data-cohort" in a:
            key = ("cohort", a["data-cohort"], a["data-column"])
        elif "data-summary" in a:
            key = ("summary", a["data-summary"])
        elif tag in ("h1", "h2", "h3", "caption"):
            key = (tag,)
        if key is not None and self._key is None:
            self._key, self._text, self._depth = key, [], 0
        elif self._key is not None:
            self._depth += 1

    def handle_endtag(self, tag):
        if self._key is None:
            return
        if self._depth > 0:
            self._depth -= 1
            return
        text = " ".join("".join(self._text).split())
        kind = self._key[0]
        if kind == "cell":
            self.cells[self._key[1:]] = text
        elif kind == "column":
            self.columns[self._key[1:]] = text
        elif kind == "cohort":
            self.cohort[self._key[1:]] = text
        elif kind == "summary":
            self.summary[self._key[1]] = text
        elif kind == "caption":
            self.captions.append(text)
        else:
            self.headings.append((int(kind[1]), text))
        self._key = None

    def handle_data(self, data):
        if self._key is not None:
            self._text.append(data)


def check(condition, message):
    if not condition:
        print("FAILED: " + message)
        sys.exit(1)


def chromium(args, profile):
    command = ["chromium", "--headless", "--disable-gpu", "--no-sandbox",
               "--user-data-dir=" + profile] + args
    return subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=180,
                          check=False)


def main():
    pathwise, source, out = sys.argv[1:4]
    if shutil.which("chromium") is None:
        print("SKIPPED: chromium is not installed, so the class report was not rendered in a "
              "browser (scripts/install-deps.sh installs it; ./dev test runs that script)")
        return SKIP
    data = os.path.join(source, "tests", "data", "report")
    page = os.path.join(out, "class_report_fixture.html")
    run = subprocess.run(
        [pathwise, "report", "class", "--graph", os.path.join(data, "graph.json"),
         "--model", os.path.join(data, "model.json"), "--events", os.path.join(data, "events.csv"),
         "--roster", os.path.join(data, "roster"), "--cohorts", os.path.join(data, "cohorts.csv"),
         "--cohort-column", "support", "--goal", "add", "--title", "Year 2 maths",
         "--stall-min-attempts", "4", "-o", page],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    check(run.returncode == 0, "pathwise report class failed: " + run.stderr)

    with tempfile.TemporaryDirectory() as profile:
        dom = chromium(["--dump-dom", "file://" + os.path.abspath(page)], profile)
        check(dom.returncode == 0, "chromium --dump-dom failed: " + dom.stderr.decode()[-2000:])
        parsed = DomCells()
        parsed.feed(dom.stdout.decode("utf-8"))

        # Every learner of the roster is a row, s5 at the prior (no events).
        expected = {
            ("s1", "count"): replay([1, 1]), ("s2", "count"): replay([1]),
            ("s3", "count"): replay([0, 0, 0, 0]), ("s4", "count"): replay([1, 1]),
            ("s4", "add"): replay([1, 1]), ("s5", "count"): 0.5, ("s1", "add"): 0.5,
        }
        for (learner, competency), p in expected.items():
            text = parsed.cells.get((learner, competency))
            check(text is not None, "no heatmap cell for %s/%s" % (learner, competency))
            check(text.startswith(shown(p)),
                  "%s/%s shows %r, expected %s" % (learner, competency, text, shown(p)))
            # Mastery is written, never only coloured (threshold 0.95).
            check(("mastered" in text) == (p >= 0.95),
                  "%s/%s: mastered mark wrong in %r" % (learner, competency, text))
        check("stalled" in parsed.cells[("s3", "count")], "s3 is stalled on count: 4 wrong answers")
        check(parsed.columns[("s4", "mastered")] == "2 of 3", "s4 mastered 2 of 3")
        mean_s1 = (replay([1, 1]) + 0.5 + 0.5) / 3
        check(parsed.columns[("s1", "mean")] == shown(mean_s1), "s1's mean")

        # Cohorts: the two OneRoster classes and the support column, then the whole class.
        class_a = [replay([1, 1]), replay([1]), replay([0, 0, 0, 0])] + [0.5] * 6
        check(parsed.cohort[("Maths 2A (cls-a)", "mean")] == shown(sum(class_a) / 9),
              "mean of class A: %r" % parsed.cohort.get(("Maths 2A (cls-a)", "mean")))
        check(parsed.cohort[("Maths 2B (cls-b)", "share-mastered")] == "33%",
              "class B: 2 of 6 cells mastered")
        check(parsed.cohort[("support none", "at-goal")] == "33%",
              "support none: s4 of s2, s4, s5 reached the goal 'add'")
        check(parsed.summary["at-goal"] == "1 of 5", "one learner at the goal")
        check(parsed.summary["stalled"] == "1", "one stalled pair")

        # Structure a screen reader relies on.
        levels = [level for level, _ in parsed.headings]
        check(levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:])),
              "heading levels skip: %r" % levels)
        check(any(c.startswith("P(learned) of 5 learners") for c in parsed.captions),
              "heatmap caption: %r" % parsed.captions)

        # A picture and a printout: the page renders to pixels and to paper.
        png = os.path.join(out, "class_report_fixture.png")
        shot = chromium(["--screenshot=" + png, "--window-size=1280,1400",
                         "--hide-scrollbars", "file://" + os.path.abspath(page)], profile)
        check(shot.returncode == 0 and os.path.exists(png), "chromium --screenshot failed")
        with open(png, "rb") as f:
            header = f.read(24)
        check(header[:8] == b"\x89PNG\r\n\x1a\n", "the screenshot is not a PNG")
        width, height = struct.unpack(">II", header[16:24])
        check((width, height) == (1280, 1400), "screenshot size %dx%d" % (width, height))
        pdf = os.path.join(out, "class_report_fixture.pdf")
        printed = chromium(["--print-to-pdf=" + pdf, "--no-pdf-header-footer",
                            "file://" + os.path.abspath(page)], profile)
        check(printed.returncode == 0 and os.path.exists(pdf), "chromium --print-to-pdf failed")
        with open(pdf, "rb") as f:
            check(f.read(5) == b"%PDF-", "the printout is not a PDF")
    print("class report rendered by chromium; %d heatmap cells checked" % len(expected))
    return 0


if __name__ == "__main__":
    sys.exit(main())
