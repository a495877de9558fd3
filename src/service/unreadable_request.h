// Requests whose bytes do not parse. gRPC parses the request of a unary or server-streaming method
// before the handler runs, and a message that does not parse then ends the call with INTERNAL and
// an empty message (sync handlers) or UNIMPLEMENTED (callback handlers): neither tells the caller
// that its request was at fault. The interceptor made here replaces that status.
#ifndef PATHWISE_SERVICE_UNREADABLE_REQUEST_H_
#define PATHWISE_SERVICE_UNREADABLE_REQUEST_H_

#include <memory>

#include <grpcpp/support/server_interceptor.h>

namespace pathwise::service {

/// An interceptor factory for ServerBuilder::experimental().SetInterceptorCreators: a call whose
/// request gRPC could not parse ends with INVALID_ARGUMENT "the request is not a readable
/// <message type> message". Methods that read their requests themselves (client-streaming,
/// streamed unary) get no interceptor; their handlers report unreadable messages.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
UnreadableRequestInterceptorFactory();

}  // namespace pathwise::service

#endif  // PATHWISE_SERVICE_UNREADABLE_REQUEST_H_
