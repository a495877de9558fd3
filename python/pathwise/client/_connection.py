"""The connection every area's calls go through: channel, credentials, stubs, error mapping."""

from __future__ import annotations

import os
from typing import Any, Optional, Sequence, Tuple, TypeVar, Union

from ._errors import _raise_rpc_error
from ._stubs import _load


def _pem(value: Union[None, bytes, str, os.PathLike]) -> Optional[bytes]:
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str) and value.lstrip().startswith("-----BEGIN"):
        return value.encode("ascii")
    with open(value, "rb") as f:
        return f.read()


_Self = TypeVar("_Self", bound="_Connection")


class _Connection:
    """The channel, the stubs and the one way calls are made; the areas add their methods."""

    def __init__(self, address: str, api_key: Optional[str] = None, *, tls: bool = False,
                 root_certificates: Any = None, certificate_chain: Any = None,
                 private_key: Any = None, timeout: Optional[float] = 30.0,
                 options: Sequence[Tuple[str, Any]] = ()) -> None:
        self._pb = pb = _load()
        grpc = pb.grpc
        self.address = address
        self.timeout = timeout
        self._metadata: Tuple[Tuple[str, str], ...] = (
            (("authorization", "Bearer " + api_key),) if api_key else ())
        channel_options = [("grpc.max_receive_message_length", -1)] + list(options)
        self.tls = bool(tls or root_certificates is not None or certificate_chain is not None
                        or private_key is not None)
        if self.tls:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=_pem(root_certificates), private_key=_pem(private_key),
                certificate_chain=_pem(certificate_chain))
            self._channel = grpc.secure_channel(address, credentials, options=channel_options)
        else:
            self._channel = grpc.insecure_channel(address, options=channel_options)
        self._curriculum = pb.curriculum_grpc.CurriculumServiceStub(self._channel)
        self._learners = pb.learner_grpc.LearnerServiceStub(self._channel)
        self._recommendations = pb.recommendation_grpc.RecommendationServiceStub(self._channel)
        self._models = pb.model_grpc.ModelServiceStub(self._channel)
        self._standards = pb.standards_grpc.StandardsServiceStub(self._channel)
        self._health = pb.health_grpc.HealthStub(self._channel)

    # --- lifetime ----------------------------------------------------------------------------------

    def close(self) -> None:
        """Closes the channel; calls in flight are cancelled."""
        self._channel.close()

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"pathwise.Client({self.address!r}, tls={self.tls})"

    def _call(self, method: Any, request: Any, timeout: Any = ..., renumber_events_from: int = 0
              ) -> Any:
        try:
            return method(request, timeout=self.timeout if timeout is ... else timeout,
                          metadata=self._metadata)
        except self._pb.grpc.RpcError as error:
            _raise_rpc_error(error, renumber_events_from)

    # --- health ------------------------------------------------------------------------------------

    def health(self, service: str = "") -> str:
        """The server's health (grpc.health.v1): "SERVING", or "NOT_SERVING" while it shuts down.
        Needs no API key. Raises :class:`UnavailableError` when the server cannot be reached."""
        r = self._call(self._health.Check, self._pb.health.HealthCheckRequest(service=service))
        try:
            return self._pb.health.HealthCheckResponse.ServingStatus.Name(r.status)
        except ValueError:  # a value newer than these stubs
            return str(r.status)
