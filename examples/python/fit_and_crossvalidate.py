"""Fit BKT models on a real data set, compare variants by cross-validation, and read the parameters.

Usage (after the README's build):

    PYTHONPATH=build/python /usr/bin/python3 examples/python/fit_and_crossvalidate.py \
        [../shared/data/assistments2009_pybkt_subset/as.csv]

Shows the native API (pathwise.fit / crossvalidate / evaluate) and the pyBKT-compatible Model on the same
file.
"""

import pathlib
import sys

import pathwise as pw
from pathwise.compat.pybkt import Model

REPO = pathlib.Path(__file__).resolve().parents[2]
DATA = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else (
    REPO.parent / "shared" / "data" / "assistments2009_pybkt_subset" / "as.csv")


def main() -> None:
    log = pw.read_log(DATA, "pybkt")
    print(f"{DATA.name}: {len(log)} rows, {len(log.learner_names)} learners, "
          f"{len(log.competency_names)} skills, {len(log.activity_names)} templates")

    # 1. Fit standard BKT: 5 restarts, bounded guess/slip (<= 0.3 by default), reproducible seed.
    result = pw.fit(log, restarts=5, seed=1, threads=2)
    print(f"\nstandard BKT: -log-likelihood {-result.log_likelihood:.1f}, "
          f"{result.iterations} EM iterations")
    for skill, params in result.model.competencies.items():
        print(f"  {skill:20s} prior {params.prior:.3f}  learn {params.learn:.3f}  "
              f"guess {params.guess:.3f}  slip {params.slip:.3f}")

    # 2. Cross-validate variants; folds split learners, never rows.
    variants = {
        "standard": {},
        "forgets": {"forgets": True},
        "multigs (per-template guess/slip)": {"multigs": True},
        "multilearn (per-template learn)": {"multilearn": True},
        "multiprior (first response)": {"multiprior": True},
        "iBKT (per-learner offsets)": {"ibkt": True},
    }
    print("\n5-fold cross-validation by learner (pooled held-out rows):")
    print(f"  {'variant':36s} {'AUC':>7s} {'RMSE':>7s} {'acc':>7s} {'ECE':>7s}")
    for name, options in variants.items():
        cv = pw.crossvalidate(log, folds=5, seed=1, restarts=3, threads=2, **options)
        m = cv.pooled
        print(f"  {name:36s} {m.auc:7.4f} {m.rmse:7.4f} {m.accuracy:7.4f} {m.ece:7.4f}")

    # 3. The same through the pyBKT-compatible API: a pyBKT script with only its import changed.
    model = Model(seed=42, num_fits=5)
    model.fit(data_path=str(DATA), forgets=True)
    print("\npyBKT-compatible Model, forgets=True:")
    print(model.params())
    print("training AUC:", round(model.evaluate(data_path=str(DATA), metric="auc"), 4))
    print(model.crossvalidate(data_path=str(DATA), metric=["auc", "rmse"]))


if __name__ == "__main__":
    main()
