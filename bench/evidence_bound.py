#!/usr/bin/python3
"""How much of the oracle's learning per answer a policy that reads only answers can keep.

One competency, a BKT learner whose parameters the policy knows exactly (the best case for a
model-based policy: the suite's `bkt` worlds with the population's parameters). The oracle sees the
hidden state and practises until the competency is learned. The policy practises until its
posterior P(learned) reaches X, then goes on; what it leaves unlearned it has spent answers on for
nothing. Reported per X: answers per competency of each, the share the policy leaves unlearned,
and the ratio of competencies learned per answer (policy / oracle), which is what the suite's
fixed-budget gain compares when every competency is alike and no prerequisite slows learning.

    /usr/bin/python3 bench/evidence_bound.py [--learners N] [--seed S]

Monte Carlo with a fixed seed (the same numbers on every run); the standard library only.
"""
import argparse
import random


def simulate(threshold, prior, learn, guess, slip, learners, seed, cap=500):
    rng = random.Random(seed)
    oracle_answers = policy_answers = left_unlearned = 0
    for _ in range(learners):
        known = rng.random() < prior
        learned_at = 0 if known else None
        p = prior
        answers = 0
        while p < threshold and answers < cap:
            correct = rng.random() < ((1.0 - slip) if known else guess)
            answers += 1
            # The tracker's update: the posterior given the answer, then the learning transition.
            if correct:
                p = p * (1.0 - slip) / (p * (1.0 - slip) + (1.0 - p) * guess)
            else:
                p = p * slip / (p * slip + (1.0 - p) * (1.0 - guess))
            p += (1.0 - p) * learn
            if not known and rng.random() < learn:
                known = True
                learned_at = answers
        policy_answers += answers
        if not known:
            left_unlearned += 1
            # The oracle would have gone on practising until the competency was learned.
            learned_at = answers
            while True:
                learned_at += 1
                if rng.random() < learn:
                    break
        oracle_answers += learned_at
    oracle = oracle_answers / learners
    policy = policy_answers / learners
    unlearned = left_unlearned / learners
    return oracle, policy, unlearned, (1.0 - unlearned) / policy * oracle


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--prior", type=float, default=0.15)
    parser.add_argument("--guess", type=float, default=0.2)
    parser.add_argument("--slip", type=float, default=0.1)
    args = parser.parse_args()
    print("| learn | X | answers (oracle) | answers (policy) | left unlearned "
          "| learned per answer, policy / oracle |")
    print("|---:|---:|---:|---:|---:|---:|")
    for learn in (0.2, 0.1, 0.05):
        for threshold in (0.7, 0.8, 0.85, 0.9, 0.95):
            oracle, policy, unlearned, ratio = simulate(threshold, args.prior, learn, args.guess,
                                                        args.slip, args.learners, args.seed)
            print("| %.2f | %.2f | %.2f | %.2f | %.1f %% | %.2f |"
                  % (learn, threshold, oracle, policy, 100.0 * unlearned, ratio))


if __name__ == "__main__":
    main()
