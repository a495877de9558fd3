#!/usr/bin/python3
"""Paired bootstrap intervals for the sensitivity table of README.md.

Reads the per-learner CSV of `pathwise simulate --learners-csv` (or bench/simulate_junyi's
learners.csv) and prints the mean steps to the goal per policy, then the mastery policy's share of
steps saved against the curriculum and its speed-up against random, each with a 95 % percentile
interval over 2,000 resamples of learners (the same learners under every policy, seed 1).

    /usr/bin/python3 examples/simulation/ratio_intervals.py LEARNERS.csv
"""
import csv
import random
import sys


def main(path):
    steps = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            steps.setdefault(row["policy"], {})[int(row["learner"])] = int(row["steps_to_goal"])
    learners = sorted(steps["mastery"])
    n = len(learners)

    def totals(sample):
        return {p: sum(steps[p][i] for i in sample) for p in ("mastery", "random", "curriculum")}

    print(" ".join(f"{p} {sum(s.values()) / n:.1f}" for p, s in steps.items()))
    rng = random.Random(1)
    saved, speedup = [], []
    for _ in range(2000):
        t = totals([learners[rng.randrange(n)] for _ in range(n)])
        saved.append(1 - t["mastery"] / t["curriculum"])
        speedup.append(t["random"] / t["mastery"])
    saved.sort()
    speedup.sort()
    t = totals(learners)
    print(f"vs curriculum -{100 * (1 - t['mastery'] / t['curriculum']):.1f} % "
          f"({100 * saved[50]:.1f}-{100 * saved[1949]:.1f}); "
          f"vs random {t['random'] / t['mastery']:.2f}x ({speedup[50]:.2f}-{speedup[1949]:.2f})")


if __name__ == "__main__":
    main(sys.argv[1])
