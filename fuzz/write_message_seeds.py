#!/usr/bin/python3
"""Writes the seed inputs of the wire-message fuzz targets (fuzz/corpus/*_message/seed-*): a valid
graph, model and RecordEventsRequest of the fractions example's shape, serialized as a client would
send them. Run from the repository root after a build: /usr/bin/python3 fuzz/write_message_seeds.py"""
import pathlib
import sys

sys.path.insert(0, "build/python")
from pathwise.v1 import graph_pb2, learner_service_pb2, model_pb2  # noqa: E402

graph = graph_pb2.Graph()
graph.groups.add(id="fractions", name="Fractions")
for cid in ("unit", "equivalent", "add_like", "add_unlike"):
    c = graph.competencies.add(id="fractions." + cid, name=cid, group="fractions")
    if cid == "add_unlike":
        c.mastery_threshold = 0.9
        c.mastery_min_opportunities = 3
        c.mastery_recent_correct = 2
        c.params.prior = 0.1
        c.params.learn = 0.2
        c.params.guess = 0.2
        c.params.slip = 0.1
for a, b in (("unit", "equivalent"), ("unit", "add_like"), ("equivalent", "add_unlike"),
             ("add_like", "add_unlike")):
    p = graph.prerequisites.add()
    setattr(p, "from", "fractions." + a)
    p.to = "fractions." + b
    if b == "add_like":
        p.strength = 0.5
for cid in ("unit", "equivalent", "add_like", "add_unlike"):
    a = graph.activities.add(id="act." + cid, name=cid, kind="problem", tags=["x"])
    a.competencies.add(competency_id="fractions." + cid, weight=1.0)
    a.expected_minutes = 4
    a.difficulty = 0.5

model = model_pb2.Model()
model.defaults.prior, model.defaults.learn = 0.2, 0.15
model.defaults.guess, model.defaults.slip, model.defaults.forget = 0.2, 0.1, 0.0
model.competencies["fractions.unit"].prior = 0.4
model.competencies["fractions.unit"].learn = 0.3
model.competencies["fractions.unit"].guess = 0.25
model.competencies["fractions.unit"].slip = 0.1
model.activities["act.unit"].guess = 0.3
model.competency_activities["fractions.unit"].activities["act.unit"].slip = 0.05
model.prior_groups = model_pb2.PRIOR_GROUP_SOURCE_LEARNER_GROUP
model.group_priors["fractions.unit"].priors["evening"] = 0.3
model.learner_factors["ann"].prior_offset = 0.5
model.competency_learn_classes["fractions.unit"].learns["fast"] = 0.4

events = learner_service_pb2.RecordEventsRequest(return_mastery=True)
for i, (learner, activity, outcome) in enumerate(
        [("ann", "act.unit", 1.0), ("ann", "act.add_like", 0.0), ("bob", "fractions.unit", 0.5)]):
    e = events.events.add(event_id=f"e{i}", learner_id=learner, activity_id=activity,
                          timestamp_ms=1700000000000 + i)
    e.outcome = outcome

for name, message in (("graph_message", graph), ("model_message", model),
                      ("events_message", events)):
    path = pathlib.Path("fuzz/corpus") / name / "seed-valid"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(message.SerializeToString())
    print(path, len(message.SerializeToString()), "bytes")
