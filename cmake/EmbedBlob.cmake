# Turns a binary file into a C source defining
#   const unsigned char <SYMBOL>[];  const size_t <SYMBOL>_size;
# Run in script mode at build time (cmake -DIN=... -DOUT=... -DSYMBOL=... -P
# EmbedBlob.cmake), so the build re-runs it when the file changes; the
# library never reads the file at run time.
file(READ "${IN}" _hex HEX)
string(LENGTH "${_hex}" _len)
math(EXPR _size "${_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," _bytes "${_hex}")
# 16 bytes a line.
string(REGEX REPLACE "((0x..,){16})" "\\1\n  " _bytes "${_bytes}")
file(WRITE "${OUT}.tmp"
  "/* Generated from ${IN} by cmake/EmbedBlob.cmake: do not edit. */\n"
  "#include <stddef.h>\n\n"
  "extern const unsigned char ${SYMBOL}[];\n"
  "extern const size_t ${SYMBOL}_size;\n"
  "const unsigned char ${SYMBOL}[${_size} + 1] = {\n  ${_bytes}0x00};\n"
  "const size_t ${SYMBOL}_size = ${_size};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
