/* Writes the committed fuzz seeds that C makes best (tests/fuzz/gen_corpus.sh
 * runs it; the ONNX ones come from gen_onnx_corpus.py):
 *   fuzz_rcm/      small graphs over every op, the ECBSR built-in folded and
 *                  not, and the .rcm reproducers of issue 11 (items 3, 4, 6, 8);
 *   fuzz_builder/  call programs in fuzz_builder.c's encoding, among them the
 *                  builder reproducers of items 3 and 6;
 *   fuzz_npy/      .npy variants the fixtures lack (v2.0, big-endian, f8,
 *                  rank 0, odd headers).
 * Usage: fuzz_gen_corpus CORPUS_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repconv.h"
#include "runtime/graph/graph.h"
#include "runtime/rcm/rcm.h"

static const char* root;

static void write_bytes(const char* dir, const char* name, const void* data, size_t size) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/%s/%s", root, dir, name);
  FILE* f = fopen(path, "wb");
  if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
    fprintf(stderr, "gen_corpus: cannot write %s\n", path);
    exit(1);
  }
}

static void must(rc_status s, const char* what) {
  if (s != REPCONV_OK) {
    fprintf(stderr, "gen_corpus: %s: %s\n", what, rc_error_message());
    exit(1);
  }
}

static void save_rcm(const rc_graph* g, const char* name) {
  void* img = NULL;
  size_t size = 0;
  must(rc_rcm_save_memory(g, &img, &size), name);
  write_bytes("fuzz_rcm", name, img, size);
  free(img);
}

static rc_shape shp(int ndim, int64_t a, int64_t b, int64_t c, int64_t d) {
  rc_shape s;
  memset(&s, 0, sizeof(s));
  s.ndim = ndim;
  s.d[0] = a, s.d[1] = b, s.d[2] = c, s.d[3] = d;
  return s;
}

static int32_t cst(rc_graph* g, const char* name, rc_shape s) {
  int64_t n = rc_shape_numel(&s);
  float* d = malloc((size_t)n * sizeof(float));
  for (int64_t i = 0; i < n; i++) d[i] = (float)((i * 7) % 11 - 5) * 0.125f;
  int32_t id;
  must(rc_graph_add_const(g, name, &s, d, &id), name);
  free(d);
  return id;
}

static int32_t node(rc_graph* g, rc_op op, const char* name, const int32_t* in, int32_t n, const rc_attrs* a) {
  int32_t id;
  must(rc_graph_add_node(g, op, name, in, n, a, name, &id), name);
  return id;
}

/* One small graph per family of ops: conv branches summed (RepVGG), pooling
 * and padding, pixel shuffle and upsampling, a classifier head. */
static void rcm_seeds(void) {
  rc_graph g;
  rc_attrs a;
  int32_t x, in[5];

  rc_graph_init(&g);
  rc_shape xs = shp(4, 1, 4, 6, 5);
  must(rc_graph_add_input(&g, "x", &xs, &x), "x");
  a = rc_attrs_default();
  a.kernel[0] = a.kernel[1] = 3;
  a.pad[0] = a.pad[1] = a.pad[2] = a.pad[3] = 1;
  in[0] = x, in[1] = cst(&g, "w3", shp(4, 4, 4, 3, 3)), in[2] = cst(&g, "b3", shp(1, 4, 0, 0, 0));
  int32_t c3 = node(&g, RC_OP_CONV2D, "conv3", in, 3, &a);
  a = rc_attrs_default();
  a.kernel[0] = a.kernel[1] = 1;
  in[1] = cst(&g, "w1", shp(4, 4, 4, 1, 1)), in[2] = -1;
  int32_t c1 = node(&g, RC_OP_CONV2D, "conv1", in, 3, &a);
  a = rc_attrs_default();
  a.eps = 1e-5f;
  in[0] = c1, in[1] = cst(&g, "g", shp(1, 4, 0, 0, 0)), in[2] = cst(&g, "be", shp(1, 4, 0, 0, 0));
  in[3] = cst(&g, "m", shp(1, 4, 0, 0, 0)), in[4] = cst(&g, "v", shp(1, 4, 0, 0, 0));
  for (int k = 0; k < 4; k++) g.tensors[in[4]].data[k] = 1.0f + (float)k; /* variances > 0 */
  int32_t bn = node(&g, RC_OP_BATCHNORM, "bn", in, 5, &a);
  int32_t sum_in[2] = {c3, bn};
  int32_t sum = node(&g, RC_OP_ADD, "add", sum_in, 2, NULL);
  int32_t id_in[2] = {sum, x};
  sum = node(&g, RC_OP_ADD, "identity_branch", id_in, 2, NULL);
  int32_t r = node(&g, RC_OP_RELU, "relu", &sum, 1, NULL);
  must(rc_graph_add_output(&g, r), "out");
  save_rcm(&g, "repvgg_like.rcm");
  rc_graph_free(&g);

  rc_graph_init(&g);
  xs = shp(4, 1, 4, 8, 8);
  must(rc_graph_add_input(&g, "x", &xs, &x), "x");
  a = rc_attrs_default();
  a.pad[0] = 1, a.pad[3] = 2;
  in[0] = x, in[1] = cst(&g, "pv", shp(1, 4, 0, 0, 0));
  int32_t p = node(&g, RC_OP_PAD, "pad", in, 2, &a);
  a = rc_attrs_default();
  a.kernel[0] = a.kernel[1] = 3;
  a.stride[0] = a.stride[1] = 2;
  a.ceil_mode = 1;
  int32_t mp = node(&g, RC_OP_MAXPOOL, "maxpool", &p, 1, &a);
  a.count_include_pad = 1;
  a.pad[0] = a.pad[1] = a.pad[2] = a.pad[3] = 1;
  int32_t ap = node(&g, RC_OP_AVGPOOL, "avgpool", &p, 1, &a);
  a = rc_attrs_default();
  a.axis = 1;
  int32_t cat_in[2] = {mp, ap};
  int32_t cat = node(&g, RC_OP_CONCAT, "cat", cat_in, 2, &a);
  a = rc_attrs_default();
  a.min = -1.0f, a.max = 1.0f;
  int32_t cl = node(&g, RC_OP_CLIP, "clip", &cat, 1, &a);
  int32_t gap = node(&g, RC_OP_GLOBAL_AVGPOOL, "gap", &cl, 1, NULL);
  a = rc_attrs_default();
  a.axis = 1;
  int32_t fl = node(&g, RC_OP_FLATTEN, "flatten", &gap, 1, &a);
  a = rc_attrs_default();
  in[0] = fl, in[1] = cst(&g, "fc.w", shp(2, 3, 8, 0, 0)), in[2] = cst(&g, "fc.b", shp(1, 3, 0, 0, 0));
  int32_t fc = node(&g, RC_OP_GEMM, "fc", in, 3, &a);
  int32_t sg = node(&g, RC_OP_SIGMOID, "sigmoid", &fc, 1, NULL);
  must(rc_graph_add_output(&g, sg), "out");
  save_rcm(&g, "pool_head.rcm");
  rc_graph_free(&g);

  rc_graph_init(&g);
  xs = shp(4, 1, 8, 4, 6);
  must(rc_graph_add_input(&g, "x", &xs, &x), "x");
  a = rc_attrs_default();
  a.block = 2;
  int32_t d2s = node(&g, RC_OP_DEPTH_TO_SPACE, "d2s", &x, 1, &a);
  a = rc_attrs_default();
  a.scale[0] = 2, a.scale[1] = 3;
  int32_t up = node(&g, RC_OP_UPSAMPLE_NEAREST, "up", &d2s, 1, &a);
  in[0] = up, in[1] = cst(&g, "slope", shp(1, 2, 0, 0, 0));
  int32_t pr = node(&g, RC_OP_PRELU, "prelu", in, 2, NULL);
  a = rc_attrs_default();
  a.scale[0] = 2, a.scale[1] = 2;
  int32_t part = node(&g, RC_OP_PATCH_PARTITION, "part", &pr, 1, &a);
  a.alpha = 0.1f;
  int32_t lr = node(&g, RC_OP_LEAKY_RELU, "leaky", &part, 1, &a);
  a = rc_attrs_default();
  a.scale[0] = 2, a.scale[1] = 2;
  int32_t merge = node(&g, RC_OP_PATCH_MERGE, "merge", &lr, 1, &a);
  in[0] = merge, in[1] = cst(&g, "k", shp(0, 0, 0, 0, 0));
  int32_t dv = node(&g, RC_OP_DIV, "div", in, 2, NULL);
  in[0] = cst(&g, "k2", shp(4, 1, 2, 1, 1)), in[1] = dv;
  int32_t sb = node(&g, RC_OP_SUB, "sub", in, 2, NULL);
  a = rc_attrs_default();
  a.reshape_ndim = 2, a.reshape[0] = 0, a.reshape[1] = -1;
  int32_t rs = node(&g, RC_OP_RESHAPE, "reshape", &sb, 1, &a);
  must(rc_graph_add_output(&g, rs), "out");
  must(rc_graph_add_output(&g, dv), "out2");
  save_rcm(&g, "shuffle_patch.rcm");
  rc_graph_free(&g);
}

/* Issue 11's .rcm reproducers (crash on the main of the day they were made). */
static void rcm_repro(void) {
  rc_graph g;
  rc_attrs a;
  int32_t x, in[3];

  /* Item 3: Reshape target {2^24, 2^24, 2^24, -1}: the known product
   * overflows to 0, then total % known divides by zero. */
  rc_graph_init(&g);
  rc_shape xs = shp(4, 1, 2, 2, 2);
  must(rc_graph_add_input(&g, "x", &xs, &x), "x");
  a = rc_attrs_default();
  a.reshape_ndim = 4;
  a.reshape[0] = a.reshape[1] = a.reshape[2] = (int64_t)1 << 24;
  a.reshape[3] = -1;
  int32_t rs = node(&g, RC_OP_RESHAPE, "reshape", &x, 1, &a);
  must(rc_graph_add_output(&g, rs), "out");
  save_rcm(&g, "item03_reshape_overflow.rcm");
  rc_graph_free(&g);

  /* Item 4: a concat whose input 1 is absent (-1). */
  rc_graph_init(&g);
  xs = shp(4, 1, 2, 3, 3);
  must(rc_graph_add_input(&g, "x", &xs, &x), "x");
  a = rc_attrs_default();
  a.axis = 1;
  in[0] = x, in[1] = -1;
  int32_t cat = node(&g, RC_OP_CONCAT, "cat", in, 2, &a);
  must(rc_graph_add_output(&g, cat), "out");
  save_rcm(&g, "item04_concat_absent_input.rcm");
  rc_graph_free(&g);

  /* Item 6: upsample ×4096 (a 256 MiB activation from a tiny file), and an
   * input of 2^72 elements (the element count wraps with folding off). */
  rc_graph_init(&g);
  xs = shp(4, 1, 1, 2, 2);
  must(rc_graph_add_input(&g, "x", &xs, &x), "x");
  a = rc_attrs_default();
  a.scale[0] = a.scale[1] = 4096;
  int32_t up = node(&g, RC_OP_UPSAMPLE_NEAREST, "up", &x, 1, &a);
  must(rc_graph_add_output(&g, up), "out");
  save_rcm(&g, "item06_upsample_4096.rcm");
  rc_graph_free(&g);

  /* The same input in a file, which the loader refuses (item 6's wrap
   * comes through the options: see fuzz_builder's item06_input_shape_2p72). */
  rc_graph_init(&g);
  xs = shp(4, 1, 2, 2, 2);
  must(rc_graph_add_input(&g, "x", &xs, &x), "x");
  int32_t rl = node(&g, RC_OP_RELU, "relu", &x, 1, NULL);
  must(rc_graph_add_output(&g, rl), "out");
  void* img = NULL;
  size_t size = 0;
  must(rc_rcm_save_memory(&g, &img, &size), "item06 input");
  uint8_t* b = img;
  size_t rec = 0; /* tensor 0 ('x'): its record's dims at +8, +16, ... */
  for (int k = 0; k < 8; k++) rec |= (size_t)b[72 + k] << (8 * k);
  for (int d = 1; d < 4; d++) {
    for (int k = 0; k < 8; k++) b[rec + 8 + 8 * (size_t)d + (size_t)k] = (uint8_t)(((uint64_t)1 << 24) >> (8 * k));
  }
  write_bytes("fuzz_rcm", "huge_input_refused.rcm", img, size);
  free(img);
  rc_graph_free(&g);

  /* Item 8: a graph output that no node writes. */
  rc_graph_init(&g);
  xs = shp(4, 1, 2, 3, 3);
  must(rc_graph_add_input(&g, "x", &xs, &x), "x");
  rl = node(&g, RC_OP_RELU, "relu", &x, 1, NULL);
  int32_t orphan;
  must(rc_graph_add_value(&g, "orphan", &orphan), "orphan");
  must(rc_graph_add_output(&g, rl), "out");
  must(rc_graph_add_output(&g, orphan), "out2");
  save_rcm(&g, "item08_output_unwritten.rcm");
  rc_graph_free(&g);
}

/* The ECBSR built-in at 1x1x16x16, folded and as built. */
static void builtin_seeds(void) {
  for (int fold = 0; fold < 2; fold++) {
    repconv_options_t* o = NULL;
    repconv_model_t* m = NULL;
    int64_t d[4] = {1, 1, 16, 16};
    if (repconv_options_create(&o) != REPCONV_OK || repconv_options_set_fold(o, fold) != REPCONV_OK ||
        repconv_options_set_input_shape(o, NULL, 4, d) != REPCONV_OK ||
        repconv_model_load("ecbsr-m4c16-x2", o, &m) != REPCONV_OK) {
      fprintf(stderr, "gen_corpus: ecbsr-m4c16-x2: %s\n", repconv_last_error());
      exit(1);
    }
    char path[1024];
    snprintf(path, sizeof(path), "%s/fuzz_rcm/builtin_ecbsr_m4c16_x2%s.rcm", root, fold ? "_folded" : "");
    if (repconv_model_save(m, path) != REPCONV_OK) {
      fprintf(stderr, "gen_corpus: %s: %s\n", path, repconv_last_error());
      exit(1);
    }
    repconv_model_destroy(m);
    repconv_options_destroy(o);
  }
}

/* Builder programs, in fuzz_builder.c's encoding: the input (rank, N, C, H,
 * W), then per call: name byte, op byte, fields. 0xff then k: extreme k. */
static void builder_seeds(void) {
  /* input 1x4x8x8; conv 3x3 pad 1 → 4 ch; bn; add(conv, input); relu. */
  static const uint8_t repvgg[] = {
      4, 0,  3, 7,  7,                                               /* input rank 4: 1x4x8x8 */
      0, 0,  0, 3,  2,  2,  0,  0,   0, 0, 1, 1, 1, 1, 0, 1, 40, 40, /* conv: x, 4 out, 3x3, pads 1, bias */
      0, 1,  1, 40, 40, 40, 40, 130,                                 /* bn on the conv */
      0, 2,  0, 2,  0,                                               /* add(bn, input) */
      0, 11, 0, 3,  0,  0,                                           /* relu */
  };
  write_bytes("fuzz_builder", "repvgg_block.bin", repvgg, sizeof(repvgg));
  /* input 1x8x6x6; depth_to_space 2; upsample 2x1; maxpool 2 stride 2; gap; flatten; gemm. */
  static const uint8_t head[] = {
      4, 0,  7, 5, 5, 0,        13,       0,  1,  0,       /* depth_to_space block 2 CRD */
      0, 14, 1, 1, 0,                                      /* upsample 2x1 */
      0, 6,  2, 1, 1, 2,        2,        0,  0,  0, 0, 1, /* maxpool 2x2 s2, ceil */
      0, 7,  3,                                            /* global avgpool */
      0, 9,  4, 2,                                         /* flatten axis 1 */
      0, 8,  5, 2, 1, 128 + 32, 128 + 32, 40, 40,          /* gemm 3 out, bias */
      0, 18, 6, 0,                                         /* output */
  };
  write_bytes("fuzz_builder", "classifier_head.bin", head, sizeof(head));
  /* input 1x2x4x4; constant per channel; sub, mul, div; pad; concat; clip. */
  static const uint8_t arith[] = {
      4, 0,  1, 3, 3,  0,   17, 0, 1,  60, /* constant [1,2,1,1] */
      0, 2,  1, 0, 1,                      /* sub(input, const) */
      0, 2,  2, 1, 2,                      /* mul(const, sub) */
      0, 2,  3, 3, 1,                      /* div(mul, const) */
      0, 4,  4, 1, 0,  2,   1,  1, 40,     /* pad 0,-1,1,0 with values */
      0, 3,  1, 0, 3,                      /* concat(input, div) */
      0, 11, 2, 6, 96, 160,                /* clip(-1, 1) */
      0, 15, 7, 1, 1,                      /* patch partition 2x2 */
      0, 16, 8, 1, 1,                      /* patch merge 2x2 */
  };
  write_bytes("fuzz_builder", "arith_pad_concat.bin", arith, sizeof(arith));

  /* Item 3: reshape of a 1x1x2x2 input to {2^24, 2^24, 2^24, -1}. */
  static const uint8_t item3[] = {4, 0, 0, 1, 1, 0, 10, 0, 3, 0xff, 0, 0xff, 0, 0xff, 0, 0};
  write_bytes("fuzz_builder", "item03_reshape_overflow.bin", item3, sizeof(item3));
  /* Item 6: upsample ×4096 of a 1x1x2x2 input; a ReLU model whose input is
   * given as 1x2^24x2^24x2^24 through the options (OP_SHAPE = 20); the same
   * input straight to the builder, which refuses it. */
  static const uint8_t item6a[] = {4, 0, 0, 1, 1, 0, 14, 0, 0xff, 1, 0xff, 1};
  write_bytes("fuzz_builder", "item06_upsample_4096.bin", item6a, sizeof(item6a));
  static const uint8_t item6s[] = {4, 0, 0, 1, 1, 0, 11, 0, 0, 0, 0, 0, 20, 3, 0, 0xff, 0, 0xff, 0, 0xff, 0};
  write_bytes("fuzz_builder", "item06_input_shape_2p72.bin", item6s, sizeof(item6s));
  static const uint8_t item6b[] = {4, 0, 0xff, 0, 0xff, 0, 0xff, 0, 0, 11, 0, 0, 0, 0};
  write_bytes("fuzz_builder", "huge_input_refused.bin", item6b, sizeof(item6b));
}

/* .npy variants: v1.0 '<f4' 2x3, v2.0 '>f4' rank 0, '<f8' 1x1x2x2 with odd
 * spacing and key order, a tuple with a trailing comma. */
static void npy_one(const char* name, int major, const char* dict, const uint8_t* data, size_t n) {
  uint8_t buf[512];
  size_t hl = strlen(dict), pre = major == 1 ? 10 : 12;
  memcpy(buf, "\x93NUMPY", 6);
  buf[6] = (uint8_t)major, buf[7] = 0;
  buf[8] = (uint8_t)hl, buf[9] = (uint8_t)(hl >> 8);
  if (major > 1) buf[10] = buf[11] = 0;
  memcpy(buf + pre, dict, hl);
  memcpy(buf + pre + hl, data, n);
  write_bytes("fuzz_npy", name, buf, pre + hl + n);
}

static void npy_seeds(void) {
  uint8_t f4[24], f8[32];
  for (int i = 0; i < 6; i++) {
    float v = (float)i - 2.5f;
    memcpy(f4 + 4 * i, &v, 4);
  }
  for (int i = 0; i < 4; i++) {
    double v = (double)i * 1e39; /* beyond FLT_MAX from 1 on */
    memcpy(f8 + 8 * i, &v, 8);
  }
  npy_one("v1_f4_2x3.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", f4, 24);
  uint8_t be[4] = {0x3f, 0x80, 0, 0};
  npy_one("v2_be_scalar.npy", 2, "{'shape': (), 'fortran_order': False, 'descr': '>f4'}\n", be, 4);
  npy_one("v3_f8_odd_spacing.npy", 3, "{ \"descr\" :\"<f8\",\t'shape':(1,1,2L,2,),'fortran_order':False}    \n", f8,
          32);
  npy_one("v1_rank1_trailing_comma.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }\n", f4, 24);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: fuzz_gen_corpus CORPUS_DIR\n");
    return 2;
  }
  root = argv[1];
  rcm_seeds();
  rcm_repro();
  builtin_seeds();
  builder_seeds();
  npy_seeds();
  return 0;
}
