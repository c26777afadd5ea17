/* Error messages (runtime/graph/status.c), issue 11 item 10: names taken from a
 * file must not put terminal control bytes into a caller's terminal or log.
 * rc_escape_text's cases one by one, then the message buffer (rc_error,
 * rc_error_context: no double escaping, no truncated tail when a long name
 * is escaped), then an .rcm image whose node name holds an escape sequence,
 * a newline and a byte that is not UTF-8, loaded after its op code is
 * corrupted so that rcm.c's message names the node. (The ONNX importer's
 * case is tests/fixtures/onnx_bad/control_bytes_name.onnx, in test_onnx.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/graph/graph.h"
#include "runtime/rcm/rcm.h"
#include "runtime/graph/status.h"

static void expect_escape(const char* in, const char* want) {
  char buf[256];
  rc_escape_text(in, buf, sizeof(buf));
  if (strcmp(buf, want) != 0) fail_msg("escaping gave '%s', expected '%s'", buf, want);
  /* Escaping an escaped string changes nothing. */
  char again[256];
  rc_escape_text(buf, again, sizeof(again));
  if (strcmp(again, buf) != 0) fail_msg("escaping twice gave '%s', once '%s'", again, buf);
}

static void test_escape_text(void** state) {
  (void)state;
  expect_escape("conv_1.weight", "conv_1.weight");
  expect_escape("a\\b 'q' \"d\"", "a\\b 'q' \"d\""); /* printable ASCII, backslash included */
  expect_escape("evil\x1b[2J\nname", "evil\\x1b[2J\\nname");
  expect_escape("\r\t\a\x7f", "\\r\\t\\x07\\x7f");
  /* Invalid UTF-8: stray continuation, lone lead byte, overlong '/', a
   * surrogate, past U+10FFFF, a truncated sequence at the end. */
  expect_escape("x\x80y", "x\\x80y");
  expect_escape("\xff\xfe", "\\xff\\xfe");
  expect_escape("\xc0\xaf", "\\xc0\\xaf");
  expect_escape("\xed\xa0\x80", "\\xed\\xa0\\x80");
  expect_escape("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
  expect_escape("ab\xe2\x82", "ab\\xe2\\x82");
  /* Valid UTF-8 passes: é, €, 日本, an emoji. */
  expect_escape("caf\xc3\xa9 \xe2\x82\xac \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80",
                "caf\xc3\xa9 \xe2\x82\xac \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80");
  /* C1 CSI (U+009B), line separator, right-to-left override. */
  expect_escape(
      "a\xc2\x9b"
      "2Jb",
      "a\\u009b2Jb");
  expect_escape("\xe2\x80\xa8", "\\u2028");
  expect_escape(
      "abc\xe2\x80\xae"
      "fdp.exe",
      "abc\\u202efdp.exe");
  expect_escape(NULL, "");
}

/* Truncation keeps whole characters and whole escapes. */
static void test_escape_truncates_between_characters(void** state) {
  (void)state;
  char buf[8];
  rc_escape_text("abcde\x1b", buf, sizeof(buf)); /* "abcde\x1b" needs 9 bytes + NUL */
  assert_string_equal(buf, "abcde");
  rc_escape_text("abcdef\xe2\x82\xac", buf, sizeof(buf)); /* the euro sign does not fit */
  assert_string_equal(buf, "abcdef");
  rc_escape_text("abc\xe2\x82\xac", buf, sizeof(buf));
  assert_string_equal(buf, "abc\xe2\x82\xac");
  char one[1];
  rc_escape_text("x", one, sizeof(one));
  assert_string_equal(one, "");
}

static void test_error_messages_are_escaped(void** state) {
  (void)state;
  rc_error(REPCONV_ERROR_FORMAT, "node '%s' (%s)", "a\x1b]0;title\x07", "Op\n");
  assert_string_equal(rc_error_message(), "node 'a\\x1b]0;title\\x07' (Op\\n)");
  /* Context is escaped too, and the inner message is not escaped twice. */
  rc_error_context(REPCONV_ERROR_FORMAT, "file\r%s", "x.onnx");
  assert_string_equal(rc_error_message(), "file\\rx.onnx: node 'a\\x1b]0;title\\x07' (Op\\n)");
  /* A message passed on through "%s" (as the importers do) stays as it is. */
  char copy[512];
  snprintf(copy, sizeof(copy), "%s", rc_error_message());
  rc_error(REPCONV_ERROR_FORMAT, "%s", copy);
  assert_string_equal(rc_error_message(), copy);
  assert_string_equal(repconv_last_error(), copy);
  /* A 255-byte name of control bytes escapes to 1020 characters; the text
   * after it survives. */
  char name[256];
  memset(name, 0x1b, 255);
  name[255] = '\0';
  rc_error(REPCONV_ERROR_FORMAT, "node '%s' has op code %d", name, 999);
  const char* m = rc_error_message();
  assert_int_equal(strlen(m), strlen("node '' has op code 999") + 4 * 255);
  assert_non_null(strstr(m, "' has op code 999"));
}

/* rcm.c's messages name nodes and tensors from the file: escaped. */
static void test_rcm_node_name_escaped(void** state) {
  (void)state;
  static const char evil[] = "evil\x1b[2J\nnode\xff";
  rc_graph g;
  rc_graph_init(&g);
  rc_shape s = {4, {1, 2, 3, 3}};
  int32_t x, y;
  assert_int_equal(rc_graph_add_input(&g, "in\x07put", &s, &x), REPCONV_OK);
  assert_int_equal(rc_graph_add_node(&g, RC_OP_RELU, evil, &x, 1, NULL, "y", &y), REPCONV_OK);
  assert_int_equal(rc_graph_add_output(&g, y), REPCONV_OK);
  void* data = NULL;
  size_t size = 0;
  assert_int_equal(rc_rcm_save_memory(&g, &data, &size), REPCONV_OK);
  rc_graph_free(&g);
  unsigned char* b = data;
  /* Header field 80: the node records' offset (u64, little-endian); the
   * first record starts with its op code (u32). See docs/rcm-format.md. */
  uint64_t nodes = 0;
  for (int k = 7; k >= 0; k--) nodes = nodes << 8 | b[80 + k];
  assert_true(nodes + 4 <= size);
  b[nodes] = 0xe7; /* op 999 */
  b[nodes + 1] = 0x03;
  rc_graph_init(&g);
  assert_int_equal(rc_rcm_load_memory(b, size, &g), REPCONV_ERROR_FORMAT);
  const char* m = rc_error_message();
  printf("  %s\n", m);
  assert_non_null(strstr(m, "node 0 ('evil\\x1b[2J\\nnode\\xff') has op code 999"));
  for (const char* p = m; *p; p++) assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
  rc_graph_free(&g);
  free(data);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_escape_text),
      cmocka_unit_test(test_escape_truncates_between_characters),
      cmocka_unit_test(test_error_messages_are_escaped),
      cmocka_unit_test(test_rcm_node_name_escaped),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
