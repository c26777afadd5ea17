# How repconv finds its dependencies (Debian 12 packages). Each missing one
# stops the configure step with the package to install; third_party/install-deps.sh
# installs them all.
find_package(PkgConfig QUIET)

function(repconv_missing what package)
  message(FATAL_ERROR "repconv: ${what} not found. Install the Debian package '${package}' "
                      "(or run third_party/install-deps.sh).")
endfunction()

# The libraries librepconv links (repconv::pthreadpool, ::xnnpack, ::cpuinfo,
# ::protobuf_c): one file, installed with the package config too.
function(repconv_link_dep_missing what package)
  if(package STREQUAL "libprotobuf-c-dev")
    string(APPEND what " (or configure with -DREPCONV_ONNX=OFF to build without ONNX import)")
  endif()
  repconv_missing("${what}" "${package}")
endfunction()
set(REPCONV_LINK_DEPS_ONNX ${REPCONV_ONNX})
include(${CMAKE_CURRENT_LIST_DIR}/RepconvLinkDeps.cmake)

# XNNPACK must be the 2022-02 snapshot ae108ef of Debian 12's libxnnpack-dev
# (create/setup/run API without weights caches).
include(CheckSymbolExists)
set(CMAKE_REQUIRED_INCLUDES ${XNNPACK_INCLUDE_DIR} ${PTHREADPOOL_INCLUDE_DIR})
set(CMAKE_REQUIRED_LIBRARIES ${XNNPACK_LIBRARY} ${PTHREADPOOL_LIBRARY})
check_symbol_exists(xnn_create_depth_to_space_nhwc_x32 xnnpack.h REPCONV_XNNPACK_HAS_D2S)
unset(CMAKE_REQUIRED_INCLUDES)
unset(CMAKE_REQUIRED_LIBRARIES)
if(NOT REPCONV_XNNPACK_HAS_D2S)
  message(FATAL_ERROR "repconv: ${XNNPACK_INCLUDE_DIR}/xnnpack.h is not the XNNPACK API repconv uses "
                      "(Debian 12's libxnnpack-dev, 2022-02).")
endif()

# cmocka (tests only).
if(REPCONV_BUILD_TESTS)
  set(_cmocka_found FALSE)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(CMOCKA QUIET IMPORTED_TARGET cmocka)
    if(CMOCKA_FOUND)
      set(_cmocka_found TRUE)
      add_library(repconv::cmocka INTERFACE IMPORTED)
      set_target_properties(repconv::cmocka PROPERTIES INTERFACE_LINK_LIBRARIES PkgConfig::CMOCKA)
    endif()
  endif()
  if(NOT _cmocka_found)
    find_path(CMOCKA_INCLUDE_DIR cmocka.h)
    find_library(CMOCKA_LIBRARY cmocka)
    if(NOT CMOCKA_INCLUDE_DIR OR NOT CMOCKA_LIBRARY)
      repconv_missing("cmocka (for the tests; -DREPCONV_BUILD_TESTS=OFF skips them)" "libcmocka-dev")
    endif()
    add_library(repconv::cmocka INTERFACE IMPORTED)
    set_target_properties(repconv::cmocka PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${CMOCKA_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES "${CMOCKA_LIBRARY}")
  endif()
endif()

# ONNX import: the protoc-c compiler and onnx.proto from libonnx-dev (the
# protobuf-c runtime is a link dependency, above); the C code is generated at
# build time (repconv_onnx_proto).
if(REPCONV_ONNX)
  set(_onnx_hint "(or configure with -DREPCONV_ONNX=OFF to build without ONNX import)")
  find_program(PROTOC_C_EXECUTABLE NAMES protoc-c)
  if(NOT PROTOC_C_EXECUTABLE)
    repconv_missing("protoc-c ${_onnx_hint}" "protobuf-c-compiler")
  endif()
  find_path(ONNX_PROTO_INCLUDE_DIR onnx/onnx.proto)
  if(NOT ONNX_PROTO_INCLUDE_DIR)
    repconv_missing("onnx/onnx.proto ${_onnx_hint}" "libonnx-dev")
  endif()
endif()

# Pictures for `repconv upscale` (the program only, never the library):
# libpng (libpng-dev) and libjpeg-turbo (libjpeg62-turbo-dev). Optional: a
# build without them (the AArch64 cross sysroot has neither) leaves the
# command's picture code out, and `repconv upscale` says what to install.
find_package(PNG QUIET)
find_package(JPEG QUIET)
if(PNG_FOUND AND JPEG_FOUND)
  set(REPCONV_IMAGES ON)
else()
  set(REPCONV_IMAGES OFF)
  message(STATUS "repconv: libpng-dev or libjpeg62-turbo-dev not found: 'repconv upscale' is built without pictures")
endif()
