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

// nlohmann keeps the last of two equal keys without a word; in a hand-edited file that hides a
// mistake, so this parser callback remembers the field path of every key given twice.
/// Use as the callback of nlohmann::json::parse.
class DuplicateKeyFinder {
 public:
  bool OnEvent(nlohmann::json::parse_event_t event, const nlohmann::json& parsed) {
    using json = nlohmann::json;
    switch (event) {
      case json::parse_event_t::object_start:
        BeginElement();
        frames_.emplace_back(/*is_object=*/true);
        break;
      case json::parse_event_t::array_start:
        BeginElement();
        frames_.emplace_back(/*is_object=*/false);
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!frames_.empty()) frames_.pop_back();
        break;
      case json::parse_event_t::key:
        if (!frames_.empty() && parsed.is_string()) {
          Frame& frame = frames_.back();
          const std::string& key = parsed.get_ref<const std::string&>();
          if (!frame.keys.insert(key).second) {
            duplicates_.emplace_back(PathOfFrame(frames_.size() - 1),
                                     "key '" + key + "' given twice");
          }
          frame.current_key = key;
        }
        break;
      case json::parse_event_t::value:
        BeginElement();
        break;
    }
    return true;
  }

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

  void BeginElement() {
    if (!frames_.empty() && !frames_.back().is_object) ++frames_.back().elements_begun;
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
