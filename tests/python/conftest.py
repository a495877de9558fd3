"""Shared fixtures of the Python test suite: where the data, the CLI and the demo are.

ctest runs this suite with PYTHONPATH pointing at the built package (build/python) and sets
PATHWISE_CLI, PATHWISE_DEMO and PATHWISE_SHARED_DATA_DIR (and, for test_client.py, PATHWISED and
PATHWISE_GRPC_STUBS); run by hand, the defaults below find the README's build/ and ../shared/data.
"""

import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
DATA = pathlib.Path(os.environ.get("PATHWISE_SHARED_DATA_DIR", REPO.parent / "shared" / "data"))
AS_CSV = DATA / "assistments2009_pybkt_subset" / "as.csv"
CT_TSV = DATA / "cognitive_tutor_pybkt" / "ct_cahlr_2020.tsv"
ASSIST2015 = DATA / "assistments_dkvmn" / "assist2015"
FRACTIONS = REPO / "examples" / "curriculum" / "fractions.json"
FRACTIONS_EVENTS = REPO / "examples" / "curriculum" / "fractions_events.csv"


def _binary(variable: str, name: str) -> pathlib.Path:
    path = pathlib.Path(os.environ.get(variable, REPO / "build" / "bin" / name))
    if not path.is_file():
        # Under ctest the path is given: a missing binary is a failure, not a reason to skip.
        (pytest.fail if variable in os.environ else pytest.skip)(f"{name} is not built ({path})")
    return path


@pytest.fixture(scope="session")
def cli() -> pathlib.Path:
    return _binary("PATHWISE_CLI", "pathwise")


@pytest.fixture(scope="session")
def demo() -> pathlib.Path:
    return _binary("PATHWISE_DEMO", "pathwise_demo")


@pytest.fixture(scope="session")
def pathwised_binary() -> pathlib.Path:
    return _binary("PATHWISED", "pathwised")


def require(path: pathlib.Path) -> pathlib.Path:
    if not path.exists():
        missing = pytest.fail if "PATHWISE_SHARED_DATA_DIR" in os.environ else pytest.skip
        missing(f"missing data file {path}")
    return path


@pytest.fixture(scope="session")
def as_csv() -> pathlib.Path:
    return require(AS_CSV)


@pytest.fixture(scope="session")
def ct_tsv() -> pathlib.Path:
    return require(CT_TSV)
