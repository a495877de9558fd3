# Fails when a source file of a layer includes a header the layer must not depend on, naming each
# offending file:line. The layers are kept apart by CMake targets too, but a header reached through
# a PUBLIC include directory (every generated *.pb.h is) would compile without complaint.
#
#   cmake -DLAYER=core -DDIRS=src/core,include/pathwise -DFORBIDDEN=<regex> -DSOURCE_DIR=<repo>
#         -P check_layer_includes.cmake
foreach(var LAYER DIRS FORBIDDEN SOURCE_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_layer_includes.cmake: -D${var}=... is required")
  endif()
endforeach()

string(REPLACE "," ";" DIRS "${DIRS}")
set(_files)
foreach(dir ${DIRS})
  file(GLOB_RECURSE _found ${SOURCE_DIR}/${dir}/*.h ${SOURCE_DIR}/${dir}/*.cc)
  list(APPEND _files ${_found})
endforeach()
if(NOT _files)
  message(FATAL_ERROR "layer ${LAYER}: no source files under ${DIRS}")
endif()

set(_offences)
foreach(file ${_files})
  # One list element per line: the characters CMake's lists treat specially go first (none can
  # appear in an include's header name that matters here).
  file(READ ${file} _text)
  string(REGEX REPLACE "[];[\\]" "" _text "${_text}")
  string(REPLACE "\n" ";" _lines "${_text}")
  set(_line_number 0)
  foreach(line IN LISTS _lines)
    math(EXPR _line_number "${_line_number} + 1")
    if(line MATCHES "^[ \t]*#[ \t]*include[ \t]*[<\"]([^>\"]+)[>\"]")
      set(_header ${CMAKE_MATCH_1})
      if(_header MATCHES "${FORBIDDEN}")
        file(RELATIVE_PATH _relative ${SOURCE_DIR} ${file})
        list(APPEND _offences "${_relative}:${_line_number}: includes ${_header}")
      endif()
    endif()
  endforeach()
endforeach()

list(LENGTH _files _count)
if(_offences)
  list(JOIN _offences "\n  " _report)
  message(FATAL_ERROR "layer ${LAYER} must not include headers matching '${FORBIDDEN}':\n  ${_report}")
endif()
message(STATUS "layer ${LAYER}: ${_count} files, none includes a header matching '${FORBIDDEN}'")
