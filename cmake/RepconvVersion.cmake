# The version is written once, in include/repconv.h (REPCONV_VERSION_MAJOR,
# _MINOR, _PATCH): the installed header must carry it without a generated
# file, so CMake reads it from there. Sets REPCONV_VERSION ("0.1.0"); included
# before project(), which takes it as its VERSION.
file(STRINGS "${CMAKE_CURRENT_LIST_DIR}/../include/repconv.h" _repconv_version_lines
     REGEX "^#define REPCONV_VERSION_(MAJOR|MINOR|PATCH) +[0-9]+ *$")
set(REPCONV_VERSION "")
foreach(_part MAJOR MINOR PATCH)
  set(_value "")
  foreach(_line IN LISTS _repconv_version_lines)
    if(_line MATCHES "^#define REPCONV_VERSION_${_part} +([0-9]+)")
      set(_value ${CMAKE_MATCH_1})
    endif()
  endforeach()
  if(_value STREQUAL "")
    message(FATAL_ERROR "repconv: no '#define REPCONV_VERSION_${_part} N' line in include/repconv.h")
  endif()
  if(REPCONV_VERSION STREQUAL "")
    set(REPCONV_VERSION ${_value})
  else()
    string(APPEND REPCONV_VERSION ".${_value}")
  endif()
endforeach()
unset(_repconv_version_lines)
unset(_part)
unset(_value)
unset(_line)
