"""Compare recommendation policies on simulated learners and plot their learning curves.

Usage (after the README's build):

    PYTHONPATH=build/python /usr/bin/python3 examples/python/compare_policies.py [OUT.png]

Every policy meets the same synthetic learners (learner i is the same person under each policy), drawn
from two cohort groups; the ground truth uses the curriculum's authored BKT parameters, a penalty on
learning before prerequisites, and forgetting between daily sessions.
"""

import pathlib
import sys

import pathwise as pw

REPO = pathlib.Path(__file__).resolve().parents[2]
OUT = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path("policy_comparison.png")


def main() -> None:
    graph = pw.CompetencyGraph.read(str(REPO / "examples" / "curriculum" / "fractions.json"))
    goal = graph.topological_order()[-1]
    report = pw.simulate(
        graph,
        policies=["mastery", "zpdes", "random", "curriculum"],
        goals=[goal],
        learners=300,
        steps=250,
        seed=7,
        threads=2,
        groups=[{"name": "typical", "weight": 2.0},
                {"name": "slower", "learn_offset": -1.0, "prior_offset": -0.5}],
        truth={"prerequisite_penalty": 0.4, "forget_per_day": 0.02},
        schedule={"steps_per_session": 25},
    )
    print(f"goal: {goal} (scope of {report.result.goal_scope_size} competencies), "
          f"{report.result.learners} learners x {report.result.steps} steps\n")
    columns = ["learners", "mean_steps_to_goal", "median_steps_to_goal", "reached_goal_share",
               "mean_final_scope_learned", "prediction_auc"]
    try:
        print(report.summary()[columns].round(3).to_string())
    except ImportError:  # no pandas: plain records
        for record in report.summary_records():
            print({k: record[k] for k in ["policy", "group"] + columns})

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("\nmatplotlib is not installed: no plot")
        return
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    report.plot("scope_learned", ax=axes[0])
    report.plot("reached_share", by_group=True, ax=axes[1])
    fig.tight_layout()
    fig.savefig(OUT, dpi=120)
    print(f"\nwrote {OUT}")


if __name__ == "__main__":
    main()
