# The one suffix -> ISA rule (DESIGN.md, "Kernels"): ISA code lives in files
# named *__<isa>.c, compiled with that ISA's flags and dispatched at run time
# from cpuinfo, so the library still runs on any CPU of the architecture.
#   *__avx2.c             x86-64 only, -mavx2 -mfma -mf16c (AVX2, FMA3 and F16C)
#   *__avx512f.c          x86-64 only, -mavx512f
#   *__neon.c             AArch64 only (Advanced SIMD is baseline: no flag)
#   anything else         every architecture
# repconv_isa_sources(OUT src...) sets the flags and stores in OUT the sources
# that belong to this build's architecture.
function(repconv_isa_sources out)
  set(x86 FALSE)
  set(arm64 FALSE)
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
    set(x86 TRUE)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
    set(arm64 TRUE)
  endif()
  set(kept)
  foreach(src IN LISTS ARGN)
    if(src MATCHES "__avx2\\.c$")
      if(x86)
        set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma;-mf16c")
        list(APPEND kept ${src})
      endif()
    elseif(src MATCHES "__avx512f\\.c$")
      if(x86)
        set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "-mavx512f")
        list(APPEND kept ${src})
      endif()
    elseif(src MATCHES "__neon\\.c$")
      if(arm64)
        list(APPEND kept ${src})
      endif()
    else()
      list(APPEND kept ${src})
    endif()
  endforeach()
  set(${out} ${kept} PARENT_SCOPE)
endfunction()
