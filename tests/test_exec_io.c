/* The executor's bindings (runtime/exec/exec.h: rc_exec_run_io,
 * rc_exec_load_input) and the plan option external_outputs:
 *
 *   - ecbsr-m4c16-x2 layer by layer (a small odd size) and as a chain: its
 *     output, computed by the Winograd tail (residual + pixel shuffle), gets
 *     no arena slot and is stored straight into a uint8 plane with a row
 *     stride, or a padded float plane; the bytes equal the default plan's
 *     arena output converted element by element (rc_float_to_u8), padding
 *     untouched; the arena holds the input only.
 *   - a builder graph with three outputs: one written by a Winograd step and
 *     read by nobody (stored by the step: BGR uint8, or padded float NHWC),
 *     one written by a Winograd step that another node reads, and an FC
 *     output (not Winograd): both kept in the arena and converted after the
 *     run, into NCHW float and uint8 bindings.
 *   - the same bindings on default plans (every output converted after the
 *     run) give the same bytes; rc_exec_run refuses a plan whose outputs
 *     need bindings; inputs load from uint8 (interleaved and planes) and
 *     strided float exactly as rc_u8_to_float says.
 *   - ecbsr-m4c16-x2 at 1080x1920 with external outputs: the arena is the
 *     float input's 8,294,400 bytes.
 *   - rc_exec_convert_nhwc to and from float planes (the float API's NCHW
 *     copies) of 2 to 100 channels, padded and reversed, 1-3 threads. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include "kernels/thread/pool.h"

#include "kernels/common/convert.h"
#include "repconv.h"
#include "runtime/api/handles.h"
#include "runtime/exec/exec.h"
#include "runtime/graph/layout.h"
#include "runtime/plan/plan.h"
#include "tests/support/test_util.h"

static void* xmalloc(size_t n) {
  void* p = malloc(n ? n : 1);
  assert_non_null(p);
  return p;
}

/* A plan of g with its arena (NaN-filled) and executor state. */
typedef struct planned {
  rc_plan plan;
  float* arena;
  rc_exec_state st;
} planned;

/* external: 1 external outputs, 2 external inputs and outputs (the frame API's plans). */
static void prepare(const rc_graph* g, int external, int winograd, rc_pool* pool, planned* pl) {
  rc_plan_options po = {.backend = REPCONV_BACKEND_AUTO, .winograd = winograd, .chains = 1};
  po.external_outputs = external != 0;
  po.external_inputs = external == 2;
  if (rc_plan_create(g, &po, &pl->plan) != REPCONV_OK) fail_msg("plan: %s", repconv_last_error());
  const size_t floats = pl->plan.arena_floats + 16;
  pl->arena = aligned_alloc(64, floats * sizeof(float));
  assert_non_null(pl->arena);
  for (size_t i = 0; i < floats; i++) pl->arena[i] = NAN;
  if (rc_exec_prepare(g, &pl->plan, pl->arena, pool, &pl->st) != REPCONV_OK)
    fail_msg("prepare: %s", repconv_last_error());
}

static void release(planned* pl) {
  rc_exec_release(&pl->st);
  rc_plan_free(&pl->plan);
  free(pl->arena);
}

/* N, H, W, C of tensor t (logical N×C×H×W). */
static void dims_of(const rc_graph* g, int32_t t, size_t d[4]) {
  int64_t l[4];
  rc_shape_dims4(&g->tensors[t].shape, l);
  d[0] = (size_t)l[0];
  d[1] = (size_t)l[2];
  d[2] = (size_t)l[3];
  d[3] = (size_t)l[1];
}

/* A binding over a fresh sentinel-filled buffer: `layout` 0 NCHW, 1 NHWC
 * with padded rows and images, 2 reversed interleaved channels (BGR: base +
 * C − 1, channel −1) with padded rows, 3 a plane with a row stride (C = 1). */
typedef struct bound {
  rc_binding b;
  unsigned char* buf;
  size_t bytes;
  ptrdiff_t off; /* base − buf, in elements */
} bound;

static void make_bound(bound* o, int layout, rc_elem_type type, const size_t d[4]) {
  const size_t N = d[0], H = d[1], W = d[2], C = d[3], esz = type == RC_ELEM_U8 ? 1 : sizeof(float);
  memset(o, 0, sizeof *o);
  rc_binding* b = &o->b;
  b->type = type;
  b->scale = 90.0f;
  b->bias = 100.0f;
  switch (layout) {
    case 0:
      b->pixel_stride = 1;
      b->row_stride = (ptrdiff_t)W;
      b->channel_stride = (ptrdiff_t)(H * W);
      b->image_stride = (ptrdiff_t)(C * H * W);
      break;
    case 1:
      b->channel_stride = 1;
      b->pixel_stride = (ptrdiff_t)C;
      b->row_stride = (ptrdiff_t)(W * C + 11);
      b->image_stride = (ptrdiff_t)H * b->row_stride + 5;
      break;
    case 2:
      o->off = (ptrdiff_t)C - 1;
      b->channel_stride = -1;
      b->pixel_stride = (ptrdiff_t)C;
      b->row_stride = (ptrdiff_t)(W * C + 4);
      b->image_stride = (ptrdiff_t)H * b->row_stride;
      break;
    default:
      assert_int_equal(C, 1);
      b->pixel_stride = 1;
      b->row_stride = (ptrdiff_t)(W + 13);
      b->image_stride = (ptrdiff_t)H * b->row_stride;
      break;
  }
  ptrdiff_t lo, hi;
  rc_binding_extent(b, N, H, W, C, &lo, &hi);
  assert_true(o->off + lo >= 0);
  o->bytes = ((size_t)(o->off + hi) + 1 + 7) * esz;
  o->buf = xmalloc(o->bytes);
  memset(o->buf, 0xA5, o->bytes);
  b->base = o->buf + (size_t)o->off * esz;
}

/* The bytes binding o must hold: y (NHWC floats) element by element. */
static void expect_bound(const char* what, const bound* o, const float* y, const size_t d[4]) {
  const rc_binding* b = &o->b;
  const size_t esz = b->type == RC_ELEM_U8 ? 1 : sizeof(float);
  unsigned char* want = xmalloc(o->bytes);
  memset(want, 0xA5, o->bytes);
  for (size_t n = 0; n < d[0]; n++)
    for (size_t yy = 0; yy < d[1]; yy++)
      for (size_t x = 0; x < d[2]; x++)
        for (size_t c = 0; c < d[3]; c++) {
          const ptrdiff_t at = o->off + (ptrdiff_t)n * b->image_stride + (ptrdiff_t)yy * b->row_stride +
                               (ptrdiff_t)x * b->pixel_stride + (ptrdiff_t)c * b->channel_stride;
          const float v = y[((n * d[1] + yy) * d[2] + x) * d[3] + c];
          if (esz == 1) {
            want[at] = rc_float_to_u8(v, b->scale, b->bias);
          } else {
            memcpy(want + (size_t)at * esz, &v, esz);
          }
        }
  for (size_t i = 0; i < o->bytes; i++) {
    if (o->buf[i] != want[i]) fail_msg("%s: byte %zu of %zu is %d, want %d", what, i, o->bytes, o->buf[i], want[i]);
  }
  free(want);
}

/* Loads every input of g from uint8 (layout 2 when it has 3 channels: BGR;
 * else a plane or NCHW), checks the arena against rc_u8_to_float. */
static void load_inputs(const rc_graph* g, planned* pl, const uint8_t* const* px, rc_pool* pool) {
  for (int32_t k = 0; k < g->n_inputs; k++) {
    const int32_t t = g->inputs[k];
    size_t d[4];
    dims_of(g, t, d);
    bound in;
    make_bound(&in, d[3] == 3 ? 2 : d[3] == 1 ? 3 : 0, RC_ELEM_U8, d);
    in.b.scale = 1.0f / 255.0f;
    in.b.bias = -0.25f;
    for (size_t n = 0; n < d[0]; n++)
      for (size_t y = 0; y < d[1]; y++)
        for (size_t x = 0; x < d[2]; x++)
          for (size_t c = 0; c < d[3]; c++) {
            uint8_t* p = (uint8_t*)in.b.base + (ptrdiff_t)n * in.b.image_stride + (ptrdiff_t)y * in.b.row_stride +
                         (ptrdiff_t)x * in.b.pixel_stride + (ptrdiff_t)c * in.b.channel_stride;
            *p = px[k][((n * d[1] + y) * d[2] + x) * d[3] + c];
          }
    assert_int_equal(rc_exec_load_input(g, &pl->plan, pl->arena, k, &in.b, pool), REPCONV_OK);
    const float* a = pl->arena + pl->plan.offset[t];
    const size_t total = d[0] * d[1] * d[2] * d[3];
    for (size_t i = 0; i < total; i++) {
      const float want = rc_u8_to_float(px[k][i], in.b.scale, in.b.bias);
      if (memcmp(&a[i], &want, sizeof want) != 0) fail_msg("input %d [%zu]: %.9g, want %.9g", k, i, a[i], want);
    }
    free(in.buf);
  }
  assert_int_equal(rc_exec_load_input(g, &pl->plan, pl->arena, g->n_inputs, NULL, pool),
                   REPCONV_ERROR_INVALID_ARGUMENT);
}

static uint8_t** random_inputs(const rc_graph* g, rc_test_rng* r) {
  uint8_t** px = xmalloc((size_t)g->n_inputs * sizeof(*px));
  for (int32_t k = 0; k < g->n_inputs; k++) {
    const size_t n = (size_t)rc_shape_numel(&g->tensors[g->inputs[k]].shape);
    px[k] = xmalloc(n);
    for (size_t i = 0; i < n; i++) px[k][i] = (uint8_t)rc_test_rng_int(r, 0, 255);
  }
  return px;
}

/* The default plan's outputs (NHWC copies), for inputs px. */
static float** reference_outputs(const rc_graph* g, int winograd, const uint8_t* const* px, rc_pool* pool) {
  planned ref;
  prepare(g, 0, winograd, pool, &ref);
  load_inputs(g, &ref, px, pool);
  assert_int_equal(rc_exec_run(g, &ref.plan, &ref.st, ref.arena, pool, NULL), REPCONV_OK);
  float** y = xmalloc((size_t)g->n_outputs * sizeof(*y));
  for (int32_t k = 0; k < g->n_outputs; k++) {
    const int32_t t = g->outputs[k];
    const size_t n = (size_t)rc_shape_numel(&g->tensors[t].shape);
    y[k] = xmalloc(n * sizeof(float));
    memcpy(y[k], ref.arena + ref.plan.offset[t], n * sizeof(float));
  }
  release(&ref);
  return y;
}

/* Runs g under plan options (external, winograd) with bindings of the given
 * layouts and types per output; checks them against want. Returns how many
 * outputs the steps stored directly. */
static int run_bound(const char* what, const rc_graph* g, int external, int winograd, const int* layouts,
                     const rc_elem_type* types, const uint8_t* const* px, float* const* want, rc_pool* pool) {
  planned pl;
  prepare(g, external, winograd, pool, &pl);
  load_inputs(g, &pl, px, pool);
  bound out[4];
  rc_binding b[4];
  assert_true(g->n_outputs <= 4);
  int direct = 0;
  for (int32_t k = 0; k < g->n_outputs; k++) {
    size_t d[4];
    dims_of(g, g->outputs[k], d);
    make_bound(&out[k], layouts[k], types[k], d);
    b[k] = out[k].b;
    direct += pl.plan.offset[g->outputs[k]] == RC_NO_OFFSET;
  }
  if (direct) { /* rc_exec_run has nowhere to store them */
    assert_int_equal(rc_exec_run(g, &pl.plan, &pl.st, pl.arena, pool, NULL), REPCONV_ERROR_INTERNAL);
  }
  if (rc_exec_run_io(g, &pl.plan, &pl.st, pl.arena, pool, NULL, b, NULL) != REPCONV_OK)
    fail_msg("%s: %s", what, repconv_last_error());
  for (int32_t k = 0; k < g->n_outputs; k++) {
    size_t d[4];
    dims_of(g, g->outputs[k], d);
    char msg[160];
    snprintf(msg, sizeof msg, "%s, output '%s' (layout %d, %s, %s)", what, g->tensors[g->outputs[k]].name, layouts[k],
             types[k] == RC_ELEM_U8 ? "u8" : "f32",
             pl.plan.offset[g->outputs[k]] == RC_NO_OFFSET ? "stored by its step" : "converted after the run");
    expect_bound(msg, &out[k], want[k], d);
    free(out[k].buf);
  }
  release(&pl);
  return direct;
}

static void free_io(const rc_graph* g, uint8_t** px, float** y) {
  for (int32_t k = 0; k < g->n_inputs; k++) free(px[k]);
  for (int32_t k = 0; k < g->n_outputs; k++) free(y[k]);
  free(px);
  free(y);
}

static repconv_model_t* load_ecbsr(int64_t h, int64_t w) {
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  const int64_t d[4] = {1, 1, h, w};
  assert_int_equal(repconv_options_set_input_shape(o, NULL, 4, d), REPCONV_OK);
  repconv_model_t* m;
  if (repconv_model_load("ecbsr-m4c16-x2", o, &m) != REPCONV_OK) fail_msg("load: %s", repconv_last_error());
  repconv_options_destroy(o);
  return m;
}

static void check_ecbsr(int64_t h, int64_t w, rc_pool* pool, int want_chain) {
  repconv_model_t* m = load_ecbsr(h, w);
  const rc_graph* g = &m->g;
  rc_test_rng r;
  rc_test_rng_seed(&r, (uint64_t)(h * w));
  uint8_t** px = random_inputs(g, &r);
  float** want = reference_outputs(g, REPCONV_WINOGRAD_AUTO, (const uint8_t* const*)px, pool);
  char what[64];
  snprintf(what, sizeof what, "ecbsr-m4c16-x2 %lldx%lld", (long long)h, (long long)w);
  static const int plane[1] = {3}, nchw[1] = {0};
  static const rc_elem_type u8[1] = {RC_ELEM_U8}, f32[1] = {RC_ELEM_F32};
  const uint8_t* const* in = (const uint8_t* const*)px;
  assert_int_equal(run_bound(what, g, 1, REPCONV_WINOGRAD_AUTO, plane, u8, in, want, pool), 1);
  assert_int_equal(run_bound(what, g, 1, REPCONV_WINOGRAD_AUTO, plane, f32, in, want, pool), 1);
  assert_int_equal(run_bound(what, g, 0, REPCONV_WINOGRAD_AUTO, plane, u8, in, want, pool), 0);
  assert_int_equal(run_bound(what, g, 0, REPCONV_WINOGRAD_AUTO, nchw, f32, in, want, pool), 0);
  /* The plan: the tail stores the output; the arena is the input. */
  planned pl;
  prepare(g, 1, REPCONV_WINOGRAD_AUTO, pool, &pl);
  const size_t in_floats = (size_t)(h * w + 15) / 16 * 16;
  if (want_chain) { /* the chain's rings are in its workspace */
    assert_int_equal(pl.plan.arena_floats, in_floats);
  } else { /* layer by layer: the activations between the layers stay (the
            * output reused one's room: no smaller) */
    assert_true(pl.plan.arena_floats <= m->plan.arena_floats);
  }
  int chained = 0, noted = 0;
  for (int32_t i = 0; i < pl.plan.n_order; i++) {
    const rc_step* st = &pl.plan.steps[i];
    chained |= st->chain_len > 1;
    if (st->out_external == 0) noted = strstr(st->note, "straight into the caller's binding") != NULL;
  }
  assert_int_equal(chained, want_chain);
  assert_true(noted);
  release(&pl);
  free_io(g, px, want);
  repconv_model_destroy(m);
}

static void test_ecbsr_layers(void** state) {
  (void)state;
  check_ecbsr(37, 53, NULL, 0);
}

static void test_ecbsr_chain(void** state) {
  (void)state;
  rc_pool* pool = rc_pool_create(2);
  assert_non_null(pool);
  check_ecbsr(270, 481, pool, 1);
  rc_pool_destroy(pool);
}

/* x → conv1+ReLU ("feat", also read by conv2 and the pool) → conv2 ("rgb",
 * read by nobody); feat → global pool → flatten → FC ("logits"). */
static repconv_model_t* three_outputs(void) {
  enum { CIN = 4, C1 = 16, H = 13, W = 18 };
  rc_test_rng r;
  rc_test_rng_seed(&r, 3);
  static float w1[C1 * CIN * 9], b1[C1], w2[3 * C1 * 9], b2[3], wf[5 * C1], bf[5];
  rc_test_fill_uniform(&r, w1, sizeof w1 / sizeof w1[0], -0.3f, 0.3f);
  rc_test_fill_uniform(&r, b1, C1, -0.1f, 0.1f);
  rc_test_fill_uniform(&r, w2, sizeof w2 / sizeof w2[0], -0.2f, 0.2f);
  rc_test_fill_uniform(&r, b2, 3, 0.2f, 0.6f);
  rc_test_fill_uniform(&r, wf, sizeof wf / sizeof wf[0], -0.5f, 0.5f);
  rc_test_fill_uniform(&r, bf, 5, -0.1f, 0.1f);
  repconv_builder_t* b;
  assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
  const int64_t d[4] = {1, CIN, H, W};
  repconv_id x, f, fr, rgb, gp, fl, lg;
  assert_int_equal(repconv_builder_input(b, "x", 4, d, &x), REPCONV_OK);
  repconv_conv2d_desc_t cd = {
      .out_channels = C1, .kernel_h = 3, .kernel_w = 3, .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1};
  assert_int_equal(repconv_builder_conv2d(b, "conv1", x, &cd, w1, b1, &f), REPCONV_OK);
  assert_int_equal(repconv_builder_activation(b, "feat", REPCONV_RELU, f, 0, 0, &fr), REPCONV_OK);
  cd.out_channels = 3;
  assert_int_equal(repconv_builder_conv2d(b, "rgb", fr, &cd, w2, b2, &rgb), REPCONV_OK);
  assert_int_equal(repconv_builder_global_avgpool(b, "gap", fr, &gp), REPCONV_OK);
  assert_int_equal(repconv_builder_flatten(b, "flat", gp, 1, &fl), REPCONV_OK);
  assert_int_equal(repconv_builder_gemm(b, "logits", fl, 5, wf, bf, 1.0f, 1.0f, &lg), REPCONV_OK);
  assert_int_equal(repconv_builder_output(b, rgb, "rgb"), REPCONV_OK);
  assert_int_equal(repconv_builder_output(b, fr, "feat"), REPCONV_OK);
  assert_int_equal(repconv_builder_output(b, lg, "logits"), REPCONV_OK);
  repconv_model_t* m;
  if (repconv_builder_finish(b, NULL, &m) != REPCONV_OK) fail_msg("finish: %s", repconv_last_error());
  repconv_builder_destroy(b);
  return m;
}

static void test_three_outputs(void** state) {
  (void)state;
  repconv_model_t* m = three_outputs();
  const rc_graph* g = &m->g;
  rc_test_rng r;
  rc_test_rng_seed(&r, 17);
  uint8_t** px = random_inputs(g, &r);
  float** want = reference_outputs(g, REPCONV_WINOGRAD_F43, (const uint8_t* const*)px, NULL);
  const uint8_t* const* in = (const uint8_t* const*)px;
  /* Winograd forced (F(4,3)) so that "rgb" is a Winograd step's. */
  static const int lay_a[3] = {2, 0, 1}, lay_b[3] = {1, 1, 0};
  static const rc_elem_type ty_a[3] = {RC_ELEM_U8, RC_ELEM_F32, RC_ELEM_U8};
  static const rc_elem_type ty_b[3] = {RC_ELEM_F32, RC_ELEM_U8, RC_ELEM_F32};
  assert_int_equal(run_bound("three outputs", g, 1, REPCONV_WINOGRAD_F43, lay_a, ty_a, in, want, NULL), 1);
  assert_int_equal(run_bound("three outputs", g, 1, REPCONV_WINOGRAD_F43, lay_b, ty_b, in, want, NULL), 1);
  assert_int_equal(run_bound("three outputs", g, 0, REPCONV_WINOGRAD_F43, lay_a, ty_a, in, want, NULL), 0);
  /* Without Winograd every output is converted after the run. */
  float** want_off = reference_outputs(g, REPCONV_WINOGRAD_OFF, in, NULL);
  assert_int_equal(run_bound("three outputs, no Winograd", g, 1, REPCONV_WINOGRAD_OFF, lay_a, ty_a, in, want_off, NULL),
                   0);
  for (int32_t k = 0; k < g->n_outputs; k++) free(want_off[k]);
  free(want_off);
  /* Which path each output took, in the notes. */
  planned pl;
  prepare(g, 1, REPCONV_WINOGRAD_F43, NULL, &pl);
  /* A NULL base leaves an output in the arena; not one the plan keeps out. */
  {
    load_inputs(g, &pl, in, NULL);
    bound o[3];
    rc_binding bs[3];
    for (int32_t k = 0; k < 3; k++) {
      size_t d[4];
      dims_of(g, g->outputs[k], d);
      make_bound(&o[k], lay_b[k], ty_b[k], d);
      bs[k] = o[k].b;
    }
    const int32_t feat = strcmp(g->tensors[g->outputs[1]].name, "feat") == 0 ? 1 : -1;
    assert_int_equal(feat, 1);
    bs[feat].base = NULL;
    assert_int_equal(rc_exec_run_io(g, &pl.plan, &pl.st, pl.arena, NULL, NULL, bs, NULL), REPCONV_OK);
    const size_t nf = (size_t)rc_shape_numel(&g->tensors[g->outputs[feat]].shape);
    assert_memory_equal(pl.arena + pl.plan.offset[g->outputs[feat]], want[feat], nf * sizeof(float));
    size_t d0[4];
    dims_of(g, g->outputs[0], d0);
    expect_bound("three outputs, feat left in the arena: rgb", &o[0], want[0], d0);
    bs[0].base = NULL; /* rgb: stored by its step, nowhere to go */
    assert_int_equal(rc_exec_run_io(g, &pl.plan, &pl.st, pl.arena, NULL, NULL, bs, NULL), REPCONV_ERROR_INTERNAL);
    for (int k = 0; k < 3; k++) free(o[k].buf);
  }
  int direct = 0, kept = 0;
  for (int32_t i = 0; i < pl.plan.n_order; i++) {
    const char* note = pl.plan.steps[i].note;
    direct += strstr(note, "stores output 'rgb' straight") != NULL;
    kept += strstr(note, "output 'feat' kept in the arena") != NULL && strstr(note, "a node reads it") != NULL;
    kept += strstr(note, "output 'logits' kept in the arena") != NULL && strstr(note, "not a Winograd step") != NULL;
  }
  assert_int_equal(direct, 1);
  assert_int_equal(kept, 2);
  release(&pl);
  free_io(g, px, want);
  repconv_model_destroy(m);
}

/* The arena each option leaves; the model's own plan is made with external
 * inputs and outputs (the sessions' runs take bindings). */
static void test_arena_sizes(void** state) {
  (void)state;
  repconv_model_t* m = load_ecbsr(1080, 1920);
  planned def, ext;
  prepare(&m->g, 0, REPCONV_WINOGRAD_AUTO, NULL, &def);
  prepare(&m->g, 1, REPCONV_WINOGRAD_AUTO, NULL, &ext);
  assert_true(m->plan.external_outputs && m->plan.external_inputs);
  print_message("ecbsr-m4c16-x2 1080x1920 arena: %zu bytes (default), %zu bytes (external outputs)\n",
                def.plan.arena_floats * sizeof(float), ext.plan.arena_floats * sizeof(float));
  assert_int_equal(ext.plan.arena_floats * sizeof(float), (size_t)1080 * 1920 * sizeof(float));
  /* External inputs too: the chain reads the frame, the arena is empty, and
   * its workspace (column slices: rings within 4× the L2, 1.5× that when
   * an odd count is rounded down to even, and the block) stays within 7
   * MiB per thread on a 1 MB L2 or smaller (cpuinfo's: the test machine's
   * L2 sets the slices). */
  planned io;
  prepare(&m->g, 2, REPCONV_WINOGRAD_AUTO, NULL, &io);
  print_message("external inputs and outputs: arena %zu bytes, Winograd workspace %zu bytes per thread\n",
                io.plan.arena_floats * sizeof(float), io.plan.wino_workspace_bytes);
  assert_int_equal(io.plan.arena_floats, 0);
  assert_int_equal(m->plan.arena_floats, 0);
  if (rc_wino_default_l2_bytes() <= (size_t)1 << 20) assert_true(io.plan.wino_workspace_bytes <= (size_t)7 << 20);
  /* Such an input has no slot to load into, and a run needs its binding. */
  const rc_binding none = {RC_ELEM_U8, NULL, 0, 0, 1, 0, 1.0f, 0.0f};
  uint8_t px = 0;
  rc_binding one = none;
  one.base = &px;
  assert_int_equal(rc_exec_load_input(&m->g, &io.plan, io.arena, 0, &one, NULL), REPCONV_ERROR_INVALID_ARGUMENT);
  assert_int_equal(rc_exec_run_io(&m->g, &io.plan, &io.st, io.arena, NULL, NULL, NULL, NULL), REPCONV_ERROR_INTERNAL);
  assert_int_equal(rc_exec_run_io(&m->g, &io.plan, &io.st, io.arena, NULL, &none, NULL, NULL), REPCONV_ERROR_INTERNAL);
  release(&io);
  release(&def);
  release(&ext);
  repconv_model_destroy(m);
}

/* rc_exec_convert_nhwc into and out of float planes: many channels take
 * the plane-block split (bands of rows of a block of planes), few the row
 * split; both must move every value bitwise to where the strides say, for
 * batch 2, odd sizes, padded rows and images, channels backwards, 1-3
 * threads, and leave the padding alone. */
static void test_convert_planes(void** state) {
  (void)state;
  rc_test_rng r;
  rc_test_rng_seed(&r, 23);
  static const size_t chans[] = {2, 31, 32, 33, 64, 100};
  for (int rep = 0; rep < 36; rep++) {
    const size_t C = chans[rep % 6], N = 1 + (size_t)(rep % 2), H = 1 + (size_t)rc_test_rng_int(&r, 0, 20);
    const size_t W = 1 + (size_t)rc_test_rng_int(&r, 0, 40), threads = 1 + (size_t)(rep % 3);
    const int reversed = rep % 4 == 3;
    rc_binding b = {.type = RC_ELEM_F32, .pixel_stride = 1};
    b.row_stride = (ptrdiff_t)W + rc_test_rng_int(&r, 0, 3);
    const ptrdiff_t plane = (ptrdiff_t)H * b.row_stride + rc_test_rng_int(&r, 0, 5);
    b.channel_stride = reversed ? -plane : plane;
    b.image_stride = (ptrdiff_t)C * plane + 7;
    const size_t elems = (size_t)b.image_stride * N;
    uint32_t* buf = xmalloc(elems * sizeof(uint32_t));
    uint32_t* want = xmalloc(elems * sizeof(uint32_t));
    const size_t total = N * H * W * C;
    uint32_t* x = xmalloc(total * sizeof(uint32_t));
    uint32_t* back = xmalloc(total * sizeof(uint32_t));
    for (size_t i = 0; i < total; i++) x[i] = rc_test_rng_u32(&r);
    for (size_t i = 0; i < elems; i++) buf[i] = want[i] = 0xA5A5A5A5u;
    const ptrdiff_t origin = reversed ? (ptrdiff_t)(C - 1) * plane : 0;
    b.base = buf + origin;
    for (size_t n = 0; n < N; n++)
      for (size_t y = 0; y < H; y++)
        for (size_t xx = 0; xx < W; xx++)
          for (size_t c = 0; c < C; c++)
            want[origin + (ptrdiff_t)n * b.image_stride + (ptrdiff_t)y * b.row_stride + (ptrdiff_t)xx +
                 (ptrdiff_t)c * b.channel_stride] = x[((n * H + y) * W + xx) * C + c];
    rc_pool* pool = rc_pool_create(threads);
    assert_non_null(pool);
    rc_exec_convert_nhwc((float*)x, N, H, W, C, &b, 0, pool);
    for (size_t i = 0; i < elems; i++)
      if (buf[i] != want[i])
        fail_msg("store %zux%zux%zux%zu%s, %zu threads: element %zu is %08x, want %08x", N, C, H, W,
                 reversed ? " reversed" : "", threads, i, buf[i], want[i]);
    memset(back, 0xA5, total * sizeof(uint32_t));
    rc_exec_convert_nhwc((float*)back, N, H, W, C, &b, 1, pool);
    if (memcmp(back, x, total * sizeof(uint32_t)) != 0)
      fail_msg("load %zux%zux%zux%zu%s, %zu threads: differs", N, C, H, W, reversed ? " reversed" : "", threads);
    rc_pool_destroy(pool);
    free(buf);
    free(want);
    free(x);
    free(back);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ecbsr_layers), cmocka_unit_test(test_ecbsr_chain),    cmocka_unit_test(test_three_outputs),
      cmocka_unit_test(test_arena_sizes),  cmocka_unit_test(test_convert_planes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
