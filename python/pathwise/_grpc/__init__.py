"""gRPC's own protos (proto/grpc/...) as generated Python modules, for pathwise.Client: generated
here, under pathwise, because protoc would name them ``grpc.*``, which the grpc package shadows."""
