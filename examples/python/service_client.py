"""Talk to pathwised from Python: load a curriculum, record a class's events, then read each learner's
mastery, next activities and pathway to a goal (the Python twin of examples/service/client.cc).

Usage (after the README's build, which generates the stubs in build/python/pathwise/v1/):

    build/bin/pathwised --data-dir "$(mktemp -d)" --listen 127.0.0.1:50051 \\
        --api-key demo=demo-key-change-me-0123456789 &
    PYTHONPATH=build/python /usr/bin/python3 examples/python/service_client.py \\
        [ADDRESS [API_KEY [GOAL]]]
"""

import pathlib
import sys

import pathwise as pw

CURRICULUM = pathlib.Path(__file__).resolve().parents[1] / "curriculum"


def main(address: str = "127.0.0.1:50051", api_key: str = "demo-key-change-me-0123456789",
         goal: str = "fractions.add_unlike") -> None:
    with pw.Client(address, api_key) as client:
        graph = client.put_graph(CURRICULUM / "fractions.json")
        print(f"graph version {graph.version}: {graph.competencies} competencies, "
              f"{graph.activities} activities")

        # Re-running the example re-sends the same event ids: all duplicates, nothing changes.
        events = pw.read_observations_csv(str(CURRICULUM / "fractions_events.csv"))
        recorded = client.record(events)
        print(f"events: {recorded.recorded} recorded, {recorded.duplicates} already there")

        for learner in sorted({e.learner_id for e in events}):
            print(f"\n== {learner}")
            for e in client.mastery(learner).competencies:
                if e.opportunities:
                    print(f"  {e.competency_id:26} P(learned) {e.p_learned:.2f}"
                          f"{'  mastered' if e.mastered else ''}")
            print("  next:")
            for r in client.recommend(learner, goals=[goal], k=3):
                print(f"    {r.activity_id:28} score {r.score:.2f}  {r.reasons[0] if r.reasons else ''}")
            pathway = client.plan(learner, [goal])
            print(f"  pathway to {goal}: {len(pathway.steps)} steps, about "
                  f"{pathway.total_expected_opportunities} opportunities "
                  f"({pathway.total_expected_minutes:.0f} min)")


if __name__ == "__main__":
    try:
        main(*sys.argv[1:4])
    except pw.UnavailableError as error:
        sys.exit(f"cannot reach pathwised: {error}")
    except PermissionError as error:
        sys.exit(f"the server refused the API key: {error}")
