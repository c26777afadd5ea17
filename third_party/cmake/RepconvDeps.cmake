# How repconv finds its dependencies (Debian 12 packages). Each missing one
# stops the configure step with the package to install; third_party/install-deps.sh
# installs them all.
find_package(PkgConfig QUIET)

function(repconv_missing what package)
  message(FATAL_ERROR "repconv: ${what} not found. Install the Debian package '${package}' "
                      "(or run third_party/install-deps.sh).")
endfunction()

# pthreadpool: no pkg-config file in Debian; header + library.
find_path(PTHREADPOOL_INCLUDE_DIR pthreadpool.h)
find_library(PTHREADPOOL_LIBRARY pthreadpool)
if(NOT PTHREADPOOL_INCLUDE_DIR OR NOT PTHREADPOOL_LIBRARY)
  repconv_missing("pthreadpool" "libpthreadpool-dev")
endif()
add_library(repconv::pthreadpool INTERFACE IMPORTED)
set_target_properties(repconv::pthreadpool PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${PTHREADPOOL_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES "${PTHREADPOOL_LIBRARY}")

# XNNPACK: no pkg-config file in Debian; header xnnpack.h + library XNNPACK
# (libxnnpack-dev, the 2022-02 snapshot ae108ef: create/setup/run API without
# weights caches). It links pthreadpool and cpuinfo itself.
find_path(XNNPACK_INCLUDE_DIR xnnpack.h)
find_library(XNNPACK_LIBRARY XNNPACK)
if(NOT XNNPACK_INCLUDE_DIR OR NOT XNNPACK_LIBRARY)
  repconv_missing("XNNPACK (xnnpack.h and libXNNPACK)" "libxnnpack-dev")
endif()
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
add_library(repconv::xnnpack INTERFACE IMPORTED)
set_target_properties(repconv::xnnpack PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${XNNPACK_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES "${XNNPACK_LIBRARY}")

# cpuinfo: pkg-config module libcpuinfo.
set(_cpuinfo_found FALSE)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(CPUINFO QUIET IMPORTED_TARGET libcpuinfo)
  if(CPUINFO_FOUND)
    set(_cpuinfo_found TRUE)
    add_library(repconv::cpuinfo INTERFACE IMPORTED)
    set_target_properties(repconv::cpuinfo PROPERTIES INTERFACE_LINK_LIBRARIES PkgConfig::CPUINFO)
  endif()
endif()
if(NOT _cpuinfo_found)
  find_path(CPUINFO_INCLUDE_DIR cpuinfo.h)
  find_library(CPUINFO_LIBRARY cpuinfo)
  if(NOT CPUINFO_INCLUDE_DIR OR NOT CPUINFO_LIBRARY)
    repconv_missing("cpuinfo" "libcpuinfo-dev")
  endif()
  add_library(repconv::cpuinfo INTERFACE IMPORTED)
  set_target_properties(repconv::cpuinfo PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${CPUINFO_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "${CPUINFO_LIBRARY}")
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

# ONNX import: protobuf-c runtime, the protoc-c compiler and onnx.proto from
# libonnx-dev; the C code is generated at build time (repconv_onnx_proto).
if(REPCONV_ONNX)
  set(_onnx_hint "(or configure with -DREPCONV_ONNX=OFF to build without ONNX import)")
  set(_pbc_found FALSE)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(PROTOBUF_C QUIET IMPORTED_TARGET libprotobuf-c)
    if(PROTOBUF_C_FOUND)
      set(_pbc_found TRUE)
      add_library(repconv::protobuf_c INTERFACE IMPORTED)
      set_target_properties(repconv::protobuf_c PROPERTIES INTERFACE_LINK_LIBRARIES PkgConfig::PROTOBUF_C)
    endif()
  endif()
  if(NOT _pbc_found)
    repconv_missing("protobuf-c ${_onnx_hint}" "libprotobuf-c-dev")
  endif()
  find_program(PROTOC_C_EXECUTABLE NAMES protoc-c)
  if(NOT PROTOC_C_EXECUTABLE)
    repconv_missing("protoc-c ${_onnx_hint}" "protobuf-c-compiler")
  endif()
  find_path(ONNX_PROTO_INCLUDE_DIR onnx/onnx.proto)
  if(NOT ONNX_PROTO_INCLUDE_DIR)
    repconv_missing("onnx/onnx.proto ${_onnx_hint}" "libonnx-dev")
  endif()
endif()
