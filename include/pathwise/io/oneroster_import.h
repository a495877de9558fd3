// Reading OneRoster 1.2 CSV bulk exports: classes and who is in them. docs/standards.md documents
// every mapping rule.
#ifndef PATHWISE_IO_ONEROSTER_IMPORT_H_
#define PATHWISE_IO_ONEROSTER_IMPORT_H_

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <pathwise/result.h>

namespace pathwise {

/// A class and who is in it. Only identifiers and titles are kept: no names, e-mail addresses or
/// passwords are read from users.csv.
struct RosterClass {
  std::string sourced_id;  ///< the class's sourcedId: the key Pathwise keeps
  std::string title;
  std::string course_sourced_id;
  std::string school_sourced_id;
  std::vector<std::string> learners;  ///< user sourcedIds enrolled with role student, file order
  std::vector<std::string> teachers;  ///< user sourcedIds enrolled with role teacher
};

struct Roster {
  std::vector<RosterClass> classes;         ///< active classes, in classes.csv order
  std::vector<std::string> learners;        ///< every learner of some class, first seen first
  size_t orgs = 0, courses = 0, users = 0;  ///< active rows read
  size_t enrollments = 0;                   ///< active enrollments read
  size_t other_roles = 0;                   ///< enrollments neither student nor teacher
  /// "<file>:<line>: ..." for what was read but not used: rows with status tobedeleted (and the
  /// enrollments of such classes and users), references to orgs or courses that are not in the
  /// files, files the manifest marks absent.
  std::vector<std::string> notes;
};

/// Reads a OneRoster 1.2 CSV bulk export from a directory: classes.csv, users.csv and
/// enrollments.csv are needed, orgs.csv and courses.csv are read when present, and manifest.csv,
/// when present, says which files are there (file.X = bulk / absent; delta is not supported).
/// sourcedId is the key throughout; a blank status means active (bulk files leave it blank).
///
/// Returns NotFound for a needed file that does not exist; InvalidArgument "<file>:<line>[:col]:
/// ..." for malformed CSV, a missing column, an empty or duplicate sourcedId, an enrollment that
/// names no class or no user, a manifest that asks for delta processing; all listed.
Result<Roster> ReadOneRosterDirectory(const std::string& directory);

/// The same, from the files' text: `files` maps a file name as in the export ("classes.csv",
/// "manifest.csv", ...) to its content, as a service request carries them. Messages name the files
/// "<source_name>/<file>:<line>". A needed file that is not in `files` is InvalidArgument naming it
/// (there is no directory to be NotFound).
Result<Roster> ParseOneRosterFiles(const std::map<std::string, std::string>& files,
                                   std::string_view source_name);

}  // namespace pathwise

#endif  // PATHWISE_IO_ONEROSTER_IMPORT_H_
