"""Models: storing and reading BKT models, and fitting them on the server as background jobs."""

from __future__ import annotations

import time
import types
from dataclasses import dataclass
from typing import Any, Optional, Union

from .. import _core
from .._util import check_choice
from ._connection import _Connection
from ._convert import _definition_json, _enum_label


@dataclass(frozen=True)
class PutModelResult:
    name: str
    version: int
    active: bool  # the server now uses this model
    learners_rescored: int


@dataclass(frozen=True)
class StoredModel:
    name: str
    version: int
    model: Any  # pathwise.BktModel
    model_json: str


@dataclass(frozen=True)
class FitJob:
    job_id: str
    state: str  # "queued", "running", "succeeded", "failed" or "cancelled"
    progress: float  # in [0, 1]
    error_message: str
    model_name: str
    model_version: int  # of the stored model; 0 until the job succeeds
    created_ms: int
    updated_ms: int
    log_likelihood: float  # set when the job succeeded
    rows: int
    learners: int

    @property
    def done(self) -> bool:
        return self.state in ("succeeded", "failed", "cancelled")

    @property
    def succeeded(self) -> bool:
        return self.state == "succeeded"


def _fit_job(pb: types.SimpleNamespace, j: Any) -> FitJob:
    state = _enum_label(pb.model.JobState, j.state, "JOB_STATE_", "unspecified")
    return FitJob(j.job_id, state, j.progress, j.error_message, j.model_name, j.model_version,
                  j.created_ms, j.updated_ms, j.log_likelihood, j.rows, j.learners)


class _ModelCalls(_Connection):
    """Models: storing and reading BKT models, fitting them as server jobs."""

    def put_model(self, model: Any, name: str = "active") -> PutModelResult:
        """Stores a new version of the model ``name``; the model named "active" is the one the server
        uses, and putting it re-derives every learner's mastery. ``model``: a file path, JSON text,
        a dict, a ``pathwise.BktModel`` or a ``pathwise.v1.model_pb2.Model``."""
        request = self._pb.curriculum.PutModelRequest(name=name)
        kind, value = _definition_json(model, "model")
        if kind == "json":
            request.model_json = value
        else:
            request.model.CopyFrom(value)
        r = self._call(self._curriculum.PutModel, request)
        return PutModelResult(r.name, r.version, r.active, r.learners_rescored)

    def get_model(self, name: str = "active", version: int = 0) -> StoredModel:
        """A version of the model ``name`` (0: the latest) as a ``pathwise.BktModel`` and model JSON.
        NotFoundError when there is none."""
        r = self._call(self._curriculum.GetModel, self._pb.curriculum.GetModelRequest(
            name=name, version=int(version), include_json=True))
        return StoredModel(r.name, r.version, _core.BktModel.from_json(r.model_json, "<server>"),
                           r.model_json)

    def fit(self, model_name: str = "active", *, job_id: Optional[str] = None,
            restarts: Optional[int] = None, seed: Optional[int] = None,
            max_iterations: Optional[int] = None, tolerance: Optional[float] = None,
            forgets: bool = False, multigs: bool = False, multilearn: bool = False,
            multiprior: Union[bool, str, None] = None, ibkt: bool = False,
            ibkt_l2: Optional[float] = None, wait: bool = False,
            wait_timeout: Optional[float] = None) -> FitJob:
        """Starts fitting a BKT model to the tenant's stored events, as a background job on the
        server; the result is stored as ``model_name`` ("active": the server then uses it). The
        options are ``pathwise.fit``'s (absent: the library defaults). Returns the queued job, or
        with ``wait`` the finished one (see :meth:`wait_for_job`)."""
        pb = self._pb
        options = pb.model.FitOptions(forgets=forgets, multigs=multigs, multilearn=multilearn,
                                      ibkt=ibkt)
        for name, value, cast in (("restarts", restarts, int), ("seed", seed, int),
                                  ("max_iterations", max_iterations, int),
                                  ("tolerance", tolerance, float), ("ibkt_l2", ibkt_l2, float)):
            if value is not None:
                setattr(options, name, cast(value))
        if multiprior is True:
            multiprior = "first_response"
        if multiprior not in (None, False):
            choice = check_choice("multiprior", multiprior, ("first_response", "learner_group"))
            options.multiprior = pb.model.PriorGroupSource.Value(
                "PRIOR_GROUP_SOURCE_" + choice.upper())
        request = pb.model.FitModelRequest(model_name=model_name, options=options,
                                           job_id=job_id or "")
        job = _fit_job(pb, self._call(self._models.FitModel, request))
        return self.wait_for_job(job, timeout=wait_timeout) if wait else job

    def job(self, job_id: str) -> FitJob:
        """A fit job's state. NotFoundError for an unknown job (or another tenant's)."""
        return _fit_job(self._pb, self._call(self._models.GetFitJob,
                                             self._pb.model.GetFitJobRequest(job_id=job_id)))

    def cancel_job(self, job: Union[str, FitJob]) -> FitJob:
        """Cancels a queued or running fit job and returns it once it stopped: "cancelled" (no
        model is stored), or the state it reached if it finished before the server saw the request.
        NotFoundError for an unknown job (or another tenant's); FailedPreconditionError for a job
        that had already finished."""
        job_id = job.job_id if isinstance(job, FitJob) else job
        return _fit_job(self._pb, self._call(self._models.CancelFitJob,
                                             self._pb.model.CancelFitJobRequest(job_id=job_id)))

    def wait_for_job(self, job: Union[str, FitJob], *, timeout: Optional[float] = None,
                     poll_interval: float = 0.05) -> FitJob:
        """Polls a job until it succeeded, failed or was cancelled, and returns it (a failed job's
        ``error_message`` says why). TimeoutError after ``timeout`` seconds (None: no limit)."""
        job_id = job.job_id if isinstance(job, FitJob) else job
        deadline = None if timeout is None else time.monotonic() + timeout
        interval = poll_interval
        while True:
            current = self.job(job_id)
            if current.done:
                return current
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"fit job {job_id!r} is still {current.state} after {timeout} s "
                                   f"(progress {current.progress:.0%})")
            time.sleep(interval)
            interval = min(interval * 1.5, 1.0)
