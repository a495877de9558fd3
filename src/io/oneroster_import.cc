// OneRoster 1.2 CSV bulk export -> classes and their learners.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <pathwise/io/oneroster_import.h>

#include "csv_reader.h"

namespace pathwise {
namespace {

using io_internal::CsvRow;
using io_internal::CsvTable;
using io_internal::TrimSpaces;

struct Problems {
  std::vector<std::string> lines;
  void Add(const std::string& file, size_t line, const std::string& message) {
    lines.push_back(file + ":" + std::to_string(line) + ": " + message);
  }
};

// One file of the export with its sourcedId index.
struct RosterFile {
  std::string path;
  CsvTable table;
  size_t id_column = 0;
  int status_column = -1;
  std::unordered_map<std::string, size_t> row_of_id;  // active rows only
  std::unordered_set<std::string> deleted_ids;        // status tobedeleted

  std::string Field(const CsvRow& row, size_t column) const {
    return std::string(TrimSpaces(row.fields[column]));
  }
  bool Deleted(const CsvRow& row) const {
    return status_column >= 0 && Field(row, static_cast<size_t>(status_column)) == "tobedeleted";
  }
};

// Where the export's files come from: a directory, or texts handed over (a service request).
struct RosterSource {
  std::function<std::string(const std::string& name)> path_of;
  std::function<bool(const std::string& name)> exists;
  std::function<Result<std::string>(const std::string& name)> read;
};

Result<RosterFile> LoadFile(const RosterSource& source, const std::string& name,
                            std::initializer_list<std::string_view> columns, Problems* problems,
                            std::vector<std::string>* notes) {
  RosterFile file;
  const std::string path = source.path_of(name);
  file.path = path;
  PATHWISE_ASSIGN_OR_RETURN(std::string text, source.read(name));
  PATHWISE_ASSIGN_OR_RETURN(file.table, io_internal::ParseCsv(text, path));
  PATHWISE_ASSIGN_OR_RETURN(std::vector<size_t> indices, file.table.RequireColumns(path, columns));
  file.id_column = indices[0];
  file.status_column = file.table.ColumnIndex("status");
  std::unordered_map<std::string, size_t> first_line;
  for (size_t r = 0; r < file.table.rows.size(); ++r) {
    const CsvRow& row = file.table.rows[r];
    const std::string id = file.Field(row, file.id_column);
    if (id.empty()) {
      problems->Add(path, row.line, "sourcedId is empty");
      continue;
    }
    auto [it, inserted] = first_line.emplace(id, row.line);
    if (!inserted) {
      problems->Add(
          path, row.line,
          "duplicate sourcedId '" + id + "' (first at line " + std::to_string(it->second) + ")");
      continue;
    }
    if (file.Deleted(row)) {
      file.deleted_ids.insert(id);
      notes->push_back(path + ":" + std::to_string(row.line) + ": '" + id +
                       "' has status tobedeleted; not imported");
      continue;
    }
    file.row_of_id.emplace(id, r);
  }
  return file;
}

Result<Roster> BuildRoster(const RosterSource& source) {
  const auto& path_of = source.path_of;
  Roster roster;
  Problems problems;
  // manifest.csv says which files the export has; without one, the optional files are read when
  // they exist.
  std::unordered_map<std::string, std::string> manifest;
  const std::string manifest_path = path_of("manifest.csv");
  if (source.exists("manifest.csv")) {
    PATHWISE_ASSIGN_OR_RETURN(std::string text, source.read("manifest.csv"));
    PATHWISE_ASSIGN_OR_RETURN(CsvTable table, io_internal::ParseCsv(text, manifest_path));
    PATHWISE_ASSIGN_OR_RETURN(std::vector<size_t> columns,
                              table.RequireColumns(manifest_path, {"propertyName", "value"}));
    for (const CsvRow& row : table.rows) {
      const std::string name(TrimSpaces(row.fields[columns[0]]));
      const std::string value(TrimSpaces(row.fields[columns[1]]));
      if (name.rfind("file.", 0) == 0) {
        manifest[name.substr(5)] = value;
        if (value == "delta") {
          problems.Add(manifest_path, row.line,
                       name + " is delta: only bulk exports are supported");
        }
      }
      if (name == "oneroster.version" && value != "1.2") {
        roster.notes.push_back(manifest_path + ":" + std::to_string(row.line) +
                               ": oneroster.version is '" + value + "', read as 1.2");
      }
    }
  }
  auto present = [&](const std::string& name, bool needed) {
    auto it = manifest.find(name);
    if (it != manifest.end() && it->second == "absent") {
      if (needed) {
        problems.Add(manifest_path, 1,
                     "file." + name + " is absent, but " + name + ".csv is needed");
      } else {
        roster.notes.push_back(manifest_path + ": file." + name + " is absent");
      }
      return false;
    }
    return needed || source.exists(name + ".csv");
  };

  std::optional<RosterFile> orgs, courses;
  if (present("orgs", false)) {
    PATHWISE_ASSIGN_OR_RETURN(orgs, LoadFile(source, "orgs.csv", {"sourcedId", "name", "type"},
                                             &problems, &roster.notes));
  }
  if (present("courses", false)) {
    PATHWISE_ASSIGN_OR_RETURN(
        courses, LoadFile(source, "courses.csv", {"sourcedId", "title", "orgSourcedId"}, &problems,
                          &roster.notes));
  }
  if (!present("classes", true) || !present("users", true) || !present("enrollments", true)) {
    std::string message;
    for (const std::string& line : problems.lines) message += (message.empty() ? "" : "\n") + line;
    return Status::InvalidArgument(message);
  }
  PATHWISE_ASSIGN_OR_RETURN(
      RosterFile classes,
      LoadFile(source, "classes.csv", {"sourcedId", "title", "courseSourcedId", "schoolSourcedId"},
               &problems, &roster.notes));
  PATHWISE_ASSIGN_OR_RETURN(RosterFile users,
                            LoadFile(source, "users.csv", {"sourcedId"}, &problems, &roster.notes));
  PATHWISE_ASSIGN_OR_RETURN(
      RosterFile enrollments,
      LoadFile(source, "enrollments.csv", {"sourcedId", "classSourcedId", "userSourcedId", "role"},
               &problems, &roster.notes));
  if (orgs) {
    roster.orgs = orgs->row_of_id.size();
    const int parent = orgs->table.ColumnIndex("parentSourcedId");
    for (const CsvRow& row : orgs->table.rows) {
      if (parent < 0 || orgs->Deleted(row)) continue;
      const std::string id = orgs->Field(row, static_cast<size_t>(parent));
      if (!id.empty() && orgs->row_of_id.count(id) == 0) {
        roster.notes.push_back(orgs->path + ":" + std::to_string(row.line) + ": parent org '" + id +
                               "' is not in orgs.csv");
      }
    }
  }
  if (courses) roster.courses = courses->row_of_id.size();
  roster.users = users.row_of_id.size();

  // Classes, in file order; their references to courses and schools are checked when those
  // files were read.
  std::unordered_map<std::string, size_t> class_index;
  const size_t title = static_cast<size_t>(classes.table.ColumnIndex("title"));
  const size_t course = static_cast<size_t>(classes.table.ColumnIndex("courseSourcedId"));
  const size_t school = static_cast<size_t>(classes.table.ColumnIndex("schoolSourcedId"));
  for (const CsvRow& row : classes.table.rows) {
    const std::string id = classes.Field(row, classes.id_column);
    auto it = classes.row_of_id.find(id);
    if (it == classes.row_of_id.end() || &classes.table.rows[it->second] != &row) continue;
    RosterClass cls;
    cls.sourced_id = id;
    cls.title = classes.Field(row, title);
    cls.course_sourced_id = classes.Field(row, course);
    cls.school_sourced_id = classes.Field(row, school);
    const std::string where =
        classes.path + ":" + std::to_string(row.line) + ": class '" + id + "'";
    if (courses && courses->row_of_id.count(cls.course_sourced_id) == 0) {
      roster.notes.push_back(where + " names course '" + cls.course_sourced_id +
                             "', which is not in courses.csv");
    }
    if (orgs && orgs->row_of_id.count(cls.school_sourced_id) == 0) {
      roster.notes.push_back(where + " names school '" + cls.school_sourced_id +
                             "', which is not in orgs.csv");
    }
    class_index.emplace(id, roster.classes.size());
    roster.classes.push_back(std::move(cls));
  }

  std::unordered_set<std::string> learner_seen;
  const size_t enrolled_class =
      static_cast<size_t>(enrollments.table.ColumnIndex("classSourcedId"));
  const size_t enrolled_user = static_cast<size_t>(enrollments.table.ColumnIndex("userSourcedId"));
  const size_t role_column = static_cast<size_t>(enrollments.table.ColumnIndex("role"));
  for (const CsvRow& row : enrollments.table.rows) {
    const std::string id = enrollments.Field(row, enrollments.id_column);
    auto own = enrollments.row_of_id.find(id);
    if (own == enrollments.row_of_id.end() || &enrollments.table.rows[own->second] != &row)
      continue;
    const std::string class_id = enrollments.Field(row, enrolled_class);
    const std::string user_id = enrollments.Field(row, enrolled_user);
    const std::string role = enrollments.Field(row, role_column);
    const std::string where = enrollments.path + ":" + std::to_string(row.line);
    if (classes.deleted_ids.count(class_id) || users.deleted_ids.count(user_id)) {
      roster.notes.push_back(where + ": enrollment '" + id +
                             "' is of a class or user with "
                             "status tobedeleted; not imported");
      continue;
    }
    bool ok = true;
    if (class_index.count(class_id) == 0) {
      problems.Add(
          enrollments.path, row.line,
          "enrollment '" + id + "' names class '" + class_id + "', which is not in classes.csv");
      ok = false;
    }
    if (users.row_of_id.count(user_id) == 0) {
      problems.Add(
          enrollments.path, row.line,
          "enrollment '" + id + "' names user '" + user_id + "', which is not in users.csv");
      ok = false;
    }
    if (!ok) continue;
    ++roster.enrollments;
    RosterClass& cls = roster.classes[class_index[class_id]];
    if (role == "student") {
      cls.learners.push_back(user_id);
      if (learner_seen.insert(user_id).second) roster.learners.push_back(user_id);
    } else if (role == "teacher") {
      cls.teachers.push_back(user_id);
    } else {
      ++roster.other_roles;
    }
  }
  if (!problems.lines.empty()) {
    std::string message;
    for (const std::string& line : problems.lines) message += (message.empty() ? "" : "\n") + line;
    return Status::InvalidArgument(message + "\nnothing imported");
  }
  return roster;
}

}  // namespace

Result<Roster> ReadOneRosterDirectory(const std::string& directory) {
  namespace fs = std::filesystem;
  const fs::path dir(directory);
  if (!fs::is_directory(dir)) return Status::NotFound(directory + ": no such directory");
  RosterSource source;
  source.path_of = [&dir](const std::string& name) { return (dir / name).string(); };
  source.exists = [&dir](const std::string& name) { return fs::exists(dir / name); };
  source.read = [&dir](const std::string& name) {
    return io_internal::ReadFileToString((dir / name).string());
  };
  return BuildRoster(source);
}

Result<Roster> ParseOneRosterFiles(const std::map<std::string, std::string>& files,
                                   std::string_view source_name) {
  const std::string prefix = source_name.empty() ? "" : std::string(source_name) + "/";
  RosterSource source;
  source.path_of = [&prefix](const std::string& name) { return prefix + name; };
  source.exists = [&files](const std::string& name) { return files.count(name) > 0; };
  source.read = [&files, &prefix](const std::string& name) -> Result<std::string> {
    auto it = files.find(name);
    if (it == files.end()) {
      return Status::InvalidArgument(prefix + name + ": the export has no such file (give " + name +
                                     ")");
    }
    return it->second;
  };
  return BuildRoster(source);
}

}  // namespace pathwise
