# The libraries librepconv links, as imported targets: repconv::pthreadpool,
# repconv::xnnpack, repconv::cpuinfo and, when REPCONV_LINK_DEPS_ONNX is true,
# repconv::protobuf_c (Debian 12 packages). Read twice: by repconv's own build
# (RepconvDeps.cmake) and, installed beside repconvConfig.cmake, by an app's
# find_package(repconv), where repconv::repconv_static links these targets.
# A library not found calls repconv_link_dep_missing(<what> <Debian package>),
# which the includer defines (the build stops; the package config marks its
# static component not found). Also sets REPCONV_CPUINFO_PKGCONFIG and
# REPCONV_PROTOBUF_C_PKGCONFIG: found through a pkg-config module (repconv.pc
# names it in Requires.private) or not (an -l flag in Libs.private).
find_package(PkgConfig QUIET)

# pthreadpool: no pkg-config file in Debian; header + library.
if(NOT TARGET repconv::pthreadpool)
  find_path(PTHREADPOOL_INCLUDE_DIR pthreadpool.h)
  find_library(PTHREADPOOL_LIBRARY pthreadpool)
  if(PTHREADPOOL_INCLUDE_DIR AND PTHREADPOOL_LIBRARY)
    add_library(repconv::pthreadpool INTERFACE IMPORTED)
    set_target_properties(repconv::pthreadpool PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${PTHREADPOOL_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES "${PTHREADPOOL_LIBRARY}")
  else()
    repconv_link_dep_missing("pthreadpool" "libpthreadpool-dev")
  endif()
endif()

# XNNPACK: no pkg-config file in Debian; header xnnpack.h + library XNNPACK
# (libxnnpack-dev). It links pthreadpool and cpuinfo itself.
if(NOT TARGET repconv::xnnpack)
  find_path(XNNPACK_INCLUDE_DIR xnnpack.h)
  find_library(XNNPACK_LIBRARY XNNPACK)
  if(XNNPACK_INCLUDE_DIR AND XNNPACK_LIBRARY)
    add_library(repconv::xnnpack INTERFACE IMPORTED)
    set_target_properties(repconv::xnnpack PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${XNNPACK_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES "${XNNPACK_LIBRARY}")
  else()
    repconv_link_dep_missing("XNNPACK (xnnpack.h and libXNNPACK)" "libxnnpack-dev")
  endif()
endif()

# cpuinfo: pkg-config module libcpuinfo, else header + library.
if(NOT TARGET repconv::cpuinfo)
  set(REPCONV_CPUINFO_PKGCONFIG FALSE)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(CPUINFO QUIET IMPORTED_TARGET libcpuinfo)
    if(CPUINFO_FOUND)
      set(REPCONV_CPUINFO_PKGCONFIG TRUE)
      add_library(repconv::cpuinfo INTERFACE IMPORTED)
      set_target_properties(repconv::cpuinfo PROPERTIES INTERFACE_LINK_LIBRARIES PkgConfig::CPUINFO)
    endif()
  endif()
  if(NOT REPCONV_CPUINFO_PKGCONFIG)
    find_path(CPUINFO_INCLUDE_DIR cpuinfo.h)
    find_library(CPUINFO_LIBRARY cpuinfo)
    if(CPUINFO_INCLUDE_DIR AND CPUINFO_LIBRARY)
      add_library(repconv::cpuinfo INTERFACE IMPORTED)
      set_target_properties(repconv::cpuinfo PROPERTIES
        INTERFACE_INCLUDE_DIRECTORIES "${CPUINFO_INCLUDE_DIR}"
        INTERFACE_LINK_LIBRARIES "${CPUINFO_LIBRARY}")
    else()
      repconv_link_dep_missing("cpuinfo" "libcpuinfo-dev")
    endif()
  endif()
endif()

# protobuf-c runtime (ONNX import): pkg-config module libprotobuf-c, else
# header + library.
if(REPCONV_LINK_DEPS_ONNX AND NOT TARGET repconv::protobuf_c)
  set(REPCONV_PROTOBUF_C_PKGCONFIG FALSE)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(PROTOBUF_C QUIET IMPORTED_TARGET libprotobuf-c)
    if(PROTOBUF_C_FOUND)
      set(REPCONV_PROTOBUF_C_PKGCONFIG TRUE)
      add_library(repconv::protobuf_c INTERFACE IMPORTED)
      set_target_properties(repconv::protobuf_c PROPERTIES INTERFACE_LINK_LIBRARIES PkgConfig::PROTOBUF_C)
    endif()
  endif()
  if(NOT REPCONV_PROTOBUF_C_PKGCONFIG)
    find_path(PROTOBUF_C_INCLUDE_DIR protobuf-c/protobuf-c.h)
    find_library(PROTOBUF_C_LIBRARY protobuf-c)
    if(PROTOBUF_C_INCLUDE_DIR AND PROTOBUF_C_LIBRARY)
      add_library(repconv::protobuf_c INTERFACE IMPORTED)
      set_target_properties(repconv::protobuf_c PROPERTIES
        INTERFACE_INCLUDE_DIRECTORIES "${PROTOBUF_C_INCLUDE_DIR}"
        INTERFACE_LINK_LIBRARIES "${PROTOBUF_C_LIBRARY}")
    else()
      repconv_link_dep_missing("protobuf-c" "libprotobuf-c-dev")
    endif()
  endif()
endif()
