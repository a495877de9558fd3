"""The wire contract pathwise.v1 (proto/pathwise/v1/*.proto) as generated Python modules.

The modules here are generated, never edited: ``*_pb2.py`` (messages, with ``.pyi`` types) by protoc
and ``*_pb2_grpc.py`` (service stubs) by grpc_python_plugin. The CMake build generates them beside
this file when the service is built (PATHWISE_BUILD_SERVICE) and grpc_python_plugin is found
(Debian: protobuf-compiler-grpc); ``pip install ./python`` does when protoc and grpc_python_plugin
are on PATH. Importing them needs grpcio and protobuf (Debian: python3-grpcio, python3-protobuf).

Most code wants :class:`pathwise.Client`, which wraps them in the core API's words.
"""
