"""grpc and the generated stubs (pathwise.v1, and grpc.health.v1 as pathwise._grpc.health.v1),
imported on first use."""

from __future__ import annotations

import types
from typing import Optional


_modules: Optional[types.SimpleNamespace] = None


def _load() -> types.SimpleNamespace:
    global _modules
    if _modules is not None:
        return _modules
    try:
        import grpc
    except ImportError as error:
        raise ImportError("pathwise.Client needs grpcio and protobuf (Debian: apt-get install "
                          f"python3-grpcio python3-protobuf): {error}") from error
    try:
        from .._grpc.health.v1 import health_pb2, health_pb2_grpc
        from ..v1 import (curriculum_service_pb2, curriculum_service_pb2_grpc, learner_service_pb2,
                          learner_service_pb2_grpc, model_service_pb2, model_service_pb2_grpc,
                          recommendation_service_pb2, recommendation_service_pb2_grpc,
                          standards_service_pb2, standards_service_pb2_grpc)
    except ImportError as error:
        raise ImportError(
            f"pathwise.Client: the generated gRPC stubs (pathwise.v1.*_pb2, pathwise._grpc.health.v1) "
            f"cannot be imported "
            f"({error}). Build them with CMake (PATHWISE_BUILD_SERVICE=ON and grpc_python_plugin, "
            "Debian package protobuf-compiler-grpc; they land in build/python/pathwise/v1/), or "
            "pip install ./python with protoc and grpc_python_plugin on PATH; importing them needs "
            "python3-protobuf") from error
    _modules = types.SimpleNamespace(
        grpc=grpc,
        curriculum=curriculum_service_pb2, curriculum_grpc=curriculum_service_pb2_grpc,
        learner=learner_service_pb2, learner_grpc=learner_service_pb2_grpc,
        model=model_service_pb2, model_grpc=model_service_pb2_grpc,
        recommendation=recommendation_service_pb2,
        recommendation_grpc=recommendation_service_pb2_grpc,
        standards=standards_service_pb2, standards_grpc=standards_service_pb2_grpc,
        health=health_pb2, health_grpc=health_pb2_grpc)
    return _modules
