#include "service/reflection_v1.h"

#include <set>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

namespace pathwise::service {
namespace {

namespace v1r = grpc::reflection::v1;
using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptor;

// `file` and every file it imports, each once per stream (a client caches what it was sent).
void AddFileAndImports(const FileDescriptor* file, std::set<std::string>* sent,
                       v1r::FileDescriptorResponse* out) {
  if (!sent->insert(file->name()).second) return;
  google::protobuf::FileDescriptorProto proto;
  file->CopyTo(&proto);
  out->add_file_descriptor_proto(proto.SerializeAsString());
  for (int i = 0; i < file->dependency_count(); ++i) {
    AddFileAndImports(file->dependency(i), sent, out);
  }
}

void NotFound(const std::string& what, v1r::ServerReflectionResponse* response) {
  v1r::ErrorResponse* error = response->mutable_error_response();
  error->set_error_code(static_cast<int>(grpc::StatusCode::NOT_FOUND));
  error->set_error_message(what + " not found");
}

}  // namespace

grpc::Status ReflectionV1Service::ServerReflectionInfo(
    grpc::ServerContext* /*context*/,
    grpc::ServerReaderWriter<v1r::ServerReflectionResponse, v1r::ServerReflectionRequest>* stream) {
  const DescriptorPool* pool = DescriptorPool::generated_pool();
  std::set<std::string> sent;
  v1r::ServerReflectionRequest request;
  while (stream->Read(&request)) {
    v1r::ServerReflectionResponse response;
    response.set_valid_host(request.host());
    *response.mutable_original_request() = request;
    switch (request.message_request_case()) {
      case v1r::ServerReflectionRequest::kListServices:
        for (const std::string& name : services_) {
          response.mutable_list_services_response()->add_service()->set_name(name);
        }
        break;
      case v1r::ServerReflectionRequest::kFileByFilename:
        if (const FileDescriptor* file = pool->FindFileByName(request.file_by_filename())) {
          AddFileAndImports(file, &sent, response.mutable_file_descriptor_response());
        } else {
          NotFound("file '" + request.file_by_filename() + "'", &response);
        }
        break;
      case v1r::ServerReflectionRequest::kFileContainingSymbol:
        if (const FileDescriptor* file =
                pool->FindFileContainingSymbol(request.file_containing_symbol())) {
          AddFileAndImports(file, &sent, response.mutable_file_descriptor_response());
        } else {
          NotFound("symbol '" + request.file_containing_symbol() + "'", &response);
        }
        break;
      case v1r::ServerReflectionRequest::kFileContainingExtension: {
        const v1r::ExtensionRequest& wanted = request.file_containing_extension();
        const google::protobuf::Descriptor* type =
            pool->FindMessageTypeByName(wanted.containing_type());
        const google::protobuf::FieldDescriptor* extension =
            type == nullptr ? nullptr
                            : pool->FindExtensionByNumber(type, wanted.extension_number());
        if (extension != nullptr) {
          AddFileAndImports(extension->file(), &sent, response.mutable_file_descriptor_response());
        } else {
          NotFound("extension " + std::to_string(wanted.extension_number()) + " of '" +
                       wanted.containing_type() + "'",
                   &response);
        }
        break;
      }
      case v1r::ServerReflectionRequest::kAllExtensionNumbersOfType: {
        const google::protobuf::Descriptor* type =
            pool->FindMessageTypeByName(request.all_extension_numbers_of_type());
        if (type == nullptr) {
          NotFound("type '" + request.all_extension_numbers_of_type() + "'", &response);
          break;
        }
        std::vector<const google::protobuf::FieldDescriptor*> extensions;
        pool->FindAllExtensions(type, &extensions);
        v1r::ExtensionNumberResponse* numbers = response.mutable_all_extension_numbers_response();
        numbers->set_base_type_name(type->full_name());
        for (const google::protobuf::FieldDescriptor* e : extensions) {
          numbers->add_extension_number(e->number());
        }
        break;
      }
      case v1r::ServerReflectionRequest::MESSAGE_REQUEST_NOT_SET: {
        v1r::ErrorResponse* error = response.mutable_error_response();
        error->set_error_code(static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
        error->set_error_message("the request names nothing to reflect on");
        break;
      }
    }
    if (!stream->Write(response)) break;
  }
  return grpc::Status::OK;
}

}  // namespace pathwise::service
