"""grpc.health.v1 (proto/grpc/health/v1/health.proto): ``health_pb2`` (messages) by protoc and
``health_pb2_grpc`` (the Health stub) by grpc_python_plugin, generated beside this file as
pathwise/v1's modules are; never edited."""
