// Helpers shared by the graph readers and writers of pathwise::io. Private.
#ifndef PATHWISE_SRC_IO_GRAPH_IO_INTERNAL_H_
#define PATHWISE_SRC_IO_GRAPH_IO_INTERNAL_H_

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <pathwise/status.h>

namespace pathwise::io_internal {

/// The same status with "<prefix>: " in front of every line of its message (a validation status
/// lists one problem per line, and each should name the file). OK stays OK.
Status PrefixEachLine(const Status& status, std::string_view prefix);

/// Deepest nesting of arrays and objects a JSON document of ours may have. The deepest legitimate
/// document (graph or model) nests 4 levels; a parsed level costs about 100 bytes, so a 4 MiB
/// document of 2M levels would cost 400 MiB before any check could run.
inline constexpr int kMaxJsonDepth = 64;

/// InvalidArgument "<source>:<line>:<column>: nesting deeper than <max_depth> levels of arrays and
/// objects (the limit)" at the bracket that goes past `max_depth`, found by one pass over the text
/// before anything is parsed; OK otherwise (syntax errors are left to the parser).
Status CheckJsonDepth(std::string_view text, std::string_view source, int max_depth);

// nlohmann keeps the last of two equal keys without a word; in a hand-edited file that hides a
// mistake, so this SAX handler remembers the field path of every key given twice. Run it as a
// second pass, json::sax_parse(text, &finder), after json::parse: nlohmann's callback parser could
// do it while building the document, but it rescans the parent container at the end of every
// object, which makes a list of n objects cost O(n^2).
class DuplicateKeyFinder {
 public:
  using json = nlohmann::json;
  bool null() { return BeginElement(); }
  bool boolean(bool) { return BeginElement(); }
  bool number_integer(json::number_integer_t) { return BeginElement(); }
  bool number_unsigned(json::number_unsigned_t) { return BeginElement(); }
  bool number_float(json::number_float_t, const std::string&) { return BeginElement(); }
  bool string(std::string&) { return BeginElement(); }
  bool binary(json::binary_t&) { return BeginElement(); }
  bool start_object(size_t) {
    BeginElement();
    frames_.emplace_back(/*is_object=*/true);
    return true;
  }
  bool start_array(size_t) {
    BeginElement();
    frames_.emplace_back(/*is_object=*/false);
    return true;
  }
  bool end_object() { return EndContainer(); }
  bool end_array() { return EndContainer(); }
  bool key(std::string& key) {
    if (frames_.empty()) return true;
    Frame& frame = frames_.back();
    if (!frame.keys.insert(key).second) {
      duplicates_.emplace_back(PathOfFrame(frames_.size() - 1), "key '" + key + "' given twice");
    }
    frame.current_key = key;
    return true;
  }
  // Syntax errors are reported by json::parse, which runs first.
  bool parse_error(size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

  // (field path of the object, message) for each key given twice.
  const std::vector<std::pair<std::string, std::string>>& duplicates() const { return duplicates_; }

 private:
  struct Frame {
    explicit Frame(bool object) : is_object(object) {}
    bool is_object;
    size_t elements_begun = 0;  // arrays: how many elements have started
    std::string current_key;    // objects: the key whose value is being read
    std::set<std::string> keys;
  };

  bool BeginElement() {
    if (!frames_.empty() && !frames_.back().is_object) ++frames_.back().elements_begun;
    return true;
  }
  bool EndContainer() {
    if (!frames_.empty()) frames_.pop_back();
    return true;
  }

  std::string PathOfFrame(size_t depth) const {
    std::string path;
    for (size_t i = 0; i < depth; ++i) {
      const Frame& frame = frames_[i];
      if (frame.is_object) {
        path = path.empty() ? frame.current_key : path + "." + frame.current_key;
      } else {
        path +=
            "[" + std::to_string(frame.elements_begun == 0 ? 0 : frame.elements_begun - 1) + "]";
      }
    }
    return path;
  }

  std::vector<Frame> frames_;
  std::vector<std::pair<std::string, std::string>> duplicates_;
};

}  // namespace pathwise::io_internal

#endif  // PATHWISE_SRC_IO_GRAPH_IO_INTERNAL_H_
