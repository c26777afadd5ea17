/* libFuzzer target: the builder API. The bytes decode to a short sequence of
 * repconv_builder_* calls with small parameters (and now and then a value
 * from a table of extremes), then finish (fold or not, from the input's
 * hash), session and run on the model's own small input.
 *
 * Encoding (each field one byte; a missing byte reads as 0 and ends the
 * program after the current call): the input's rank and dims, then per call
 * an op byte (value % OP_COUNT) and that op's fields, see decode_call. Weights
 * are exactly the size the builder reads (from the shapes built so far), in a
 * buffer of their own, so an over-read is an ASan report. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_common.h"
#include "runtime/api/handles.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

#define MAX_CALLS 48
#define MAX_IDS 128
#define MAX_WEIGHTS 65536

typedef struct reader {
  const uint8_t* p;
  size_t n, i;
  int ended;
} reader;

static int rd(reader* r) {
  if (r->i < r->n) return r->p[r->i++];
  r->ended = 1;
  return 0;
}

/* A small value in [lo, lo + span), or with byte 0xff one of the extremes. */
static int64_t small(reader* r, int64_t lo, int64_t span) {
  int b = rd(r);
  if (b == 0xff) {
    static const int64_t extreme[] = {(int64_t)1 << 24, 4096, -1, 0, INT32_MAX, (int64_t)1 << 31, -((int64_t)1 << 24)};
    return extreme[rd(r) % 7];
  }
  return lo + b % span;
}

static float value(reader* r) {
  int b = rd(r);
  static const float special[] = {0.0f, 1.0f, -1.0f, 0.5f, 1e30f, -1e30f, INFINITY, NAN, 1e-40f, 2.0f};
  if (b >= 0xf6) return special[b - 0xf6];
  return (float)(b - 128) / 32.0f;
}

typedef struct prog {
  repconv_builder_t* b;
  repconv_id ids[MAX_IDS];
  int n_ids;
  int n_outputs;
  uint32_t seed;
  int32_t shape_ndim; /* an input shape for the options (OP_SHAPE), 0: none */
  int64_t shape[4];
} prog;

/* id by address: the call that fills it is the argument before. */
static void keep(prog* p, repconv_status s, const repconv_id* id) {
  if (s == REPCONV_OK && p->n_ids < MAX_IDS) p->ids[p->n_ids++] = *id;
}

/* A tensor id: one built so far, or (rarely) one that does not exist. */
static repconv_id pick(prog* p, reader* r) {
  int b = rd(r);
  if (b == 0xfe) return -1;
  if (b == 0xfd) return 99999;
  return p->n_ids ? p->ids[b % p->n_ids] : 0;
}

static const rc_shape* shape_of(const prog* p, repconv_id x) {
  const rc_graph* g = rc_builder_graph(p->b);
  return x >= 0 && x < g->n_tensors ? &g->tensors[x].shape : NULL;
}

/* n floats (exactly), deterministic, from the seed; NULL if n is too large. */
static float* weights(prog* p, int64_t n, reader* r) {
  if (n < 1 || n > MAX_WEIGHTS) return NULL;
  float* w = malloc((size_t)n * sizeof(float));
  if (!w) return NULL;
  float scale = value(r);
  for (int64_t i = 0; i < n; i++) {
    p->seed = p->seed * 1664525u + 1013904223u;
    w[i] = scale * ((float)(p->seed >> 8) * (2.0f / 16777216.0f) - 1.0f);
  }
  return w;
}

static int64_t channels(const prog* p, repconv_id x) {
  const rc_shape* s = shape_of(p, x);
  return s && s->ndim >= 2 ? s->d[1] : 1;
}

enum {
  OP_CONV,
  OP_BN,
  OP_BINARY,
  OP_CONCAT,
  OP_PAD,
  OP_AVGPOOL,
  OP_MAXPOOL,
  OP_GAP,
  OP_GEMM,
  OP_FLATTEN,
  OP_RESHAPE,
  OP_ACT,
  OP_PRELU,
  OP_D2S,
  OP_UPSAMPLE,
  OP_PARTITION,
  OP_MERGE,
  OP_CONST,
  OP_OUTPUT,
  OP_INPUT,
  OP_SHAPE,
  OP_COUNT
};

static void call_conv(prog* p, reader* r, const char* name) {
  repconv_id x = pick(p, r);
  repconv_conv2d_desc_t d;
  memset(&d, 0, sizeof(d));
  d.out_channels = (int32_t)small(r, 1, 8);
  d.kernel_h = (int32_t)small(r, 1, 5);
  d.kernel_w = (int32_t)small(r, 1, 5);
  d.stride_h = (int32_t)small(r, 0, 3);
  d.stride_w = (int32_t)small(r, 0, 3);
  d.dilation_h = (int32_t)small(r, 0, 3);
  d.dilation_w = (int32_t)small(r, 0, 3);
  d.pad_top = (int32_t)small(r, 0, 4);
  d.pad_left = (int32_t)small(r, 0, 4);
  d.pad_bottom = (int32_t)small(r, 0, 4);
  d.pad_right = (int32_t)small(r, 0, 4);
  d.groups = (int32_t)small(r, 0, 4);
  int with_bias = rd(r) & 1;
  /* The weight the builder will copy: when the call is valid and that is
   * too large, skip the call (a smaller buffer would be over-read). */
  int64_t g = d.groups ? d.groups : 1, wn = 0;
  const rc_shape* xs = shape_of(p, x);
  if (g > 0 && d.out_channels > 0 && d.kernel_h > 0 && d.kernel_w > 0 && xs && xs->ndim == 4) {
    if (__builtin_mul_overflow((int64_t)d.out_channels, xs->d[1] / g, &wn) ||
        __builtin_mul_overflow(wn, (int64_t)d.kernel_h * d.kernel_w, &wn) || wn > MAX_WEIGHTS) {
      return;
    }
  }
  float* w = weights(p, wn ? wn : 1, r);
  float* bias = with_bias ? weights(p, d.out_channels > 0 ? d.out_channels : 1, r) : NULL;
  repconv_id y = -1;
  if (w && (!with_bias || bias)) keep(p, repconv_builder_conv2d(p->b, name, x, &d, w, bias, &y), &y);
  free(w);
  free(bias);
}

static void call_bn(prog* p, reader* r, const char* name) {
  repconv_id x = pick(p, r);
  int64_t c = channels(p, x);
  float* v[4];
  for (int i = 0; i < 4; i++) v[i] = weights(p, c, r);
  float eps = value(r);
  repconv_id y = -1;
  if (v[0] && v[1] && v[2] && v[3]) {
    keep(p, repconv_builder_batchnorm(p->b, name, x, v[0], v[1], v[2], v[3], eps, &y), &y);
  }
  for (int i = 0; i < 4; i++) free(v[i]);
}

/* A constant of x's shape, or its per-channel or scalar broadcast. */
static void call_const(prog* p, reader* r, const char* name) {
  repconv_id x = pick(p, r);
  const rc_shape* s = shape_of(p, x);
  int kind = rd(r) % 3;
  int32_t ndim = 0;
  int64_t d[4] = {1, 1, 1, 1};
  if (s && kind == 0) {
    ndim = s->ndim;
    memcpy(d, s->d, sizeof(d));
  } else if (s && kind == 1 && s->ndim >= 2) {
    ndim = s->ndim;
    d[1] = s->d[1];
  }
  float* w = weights(p, rc_fuzz_numel(ndim, d), r);
  repconv_id y = -1;
  if (w) keep(p, repconv_builder_constant(p->b, name, ndim, d, w, &y), &y);
  free(w);
}

static void call_pool(prog* p, reader* r, const char* name, int max) {
  repconv_id x = pick(p, r);
  repconv_pool_desc_t d;
  memset(&d, 0, sizeof(d));
  d.kernel_h = (int32_t)small(r, 1, 4);
  d.kernel_w = (int32_t)small(r, 1, 4);
  d.stride_h = (int32_t)small(r, 0, 3);
  d.stride_w = (int32_t)small(r, 0, 3);
  d.pad_top = (int32_t)small(r, 0, 3);
  d.pad_left = (int32_t)small(r, 0, 3);
  d.pad_bottom = (int32_t)small(r, 0, 3);
  d.pad_right = (int32_t)small(r, 0, 3);
  int flags = rd(r);
  d.ceil_mode = flags & 1;
  d.count_include_pad = (flags >> 1) & 1;
  repconv_id y = -1;
  keep(p, max ? repconv_builder_maxpool(p->b, name, x, &d, &y) : repconv_builder_avgpool(p->b, name, x, &d, &y), &y);
}

static void call_gemm(prog* p, reader* r, const char* name) {
  repconv_id x = pick(p, r);
  int32_t out = (int32_t)small(r, 1, 8);
  int with_bias = rd(r) & 1;
  float alpha = value(r), beta = value(r);
  const rc_shape* s = shape_of(p, x);
  int64_t k = s && s->ndim == 2 ? s->d[1] : 1, wn = 1;
  if (out > 0 && s && s->ndim == 2 && (__builtin_mul_overflow((int64_t)out, k, &wn) || wn > MAX_WEIGHTS)) return;
  float* w = weights(p, out > 0 && s && s->ndim == 2 ? wn : 1, r);
  float* bias = with_bias ? weights(p, out > 0 ? out : 1, r) : NULL;
  repconv_id y = -1;
  if (w && (!with_bias || bias)) keep(p, repconv_builder_gemm(p->b, name, x, out, w, bias, alpha, beta, &y), &y);
  free(w);
  free(bias);
}

static void call_reshape(prog* p, reader* r, const char* name) {
  repconv_id x = pick(p, r);
  int32_t ndim = (int32_t)small(r, 1, 4);
  int64_t d[4];
  for (int i = 0; i < 4; i++) d[i] = small(r, -1, 10);
  repconv_id y = -1;
  if (ndim >= 1 && ndim <= 4) keep(p, repconv_builder_reshape(p->b, name, x, ndim, d, &y), &y);
}

static void call_concat(prog* p, reader* r, const char* name) {
  size_t count = 1 + (size_t)rd(r) % 4;
  repconv_id xs[4];
  for (size_t i = 0; i < count; i++) xs[i] = pick(p, r);
  repconv_id y = -1;
  keep(p, repconv_builder_concat(p->b, name, xs, count, &y), &y);
}

static void call_pad(prog* p, reader* r, const char* name) {
  repconv_id x = pick(p, r);
  int32_t pad[4];
  for (int i = 0; i < 4; i++) pad[i] = (int32_t)small(r, -1, 4);
  float* v = rd(r) & 1 ? weights(p, channels(p, x), r) : NULL;
  repconv_id y = -1;
  keep(p, repconv_builder_pad(p->b, name, x, pad[0], pad[1], pad[2], pad[3], v, &y), &y);
  free(v);
}

static void call_prelu(prog* p, reader* r, const char* name) {
  repconv_id x = pick(p, r);
  int64_t n = rd(r) & 1 ? channels(p, x) : 1;
  float* v = weights(p, n, r);
  repconv_id y = -1;
  if (v) keep(p, repconv_builder_prelu(p->b, name, x, v, n, &y), &y);
  free(v);
}

static void call_input(prog* p, reader* r, const char* name) {
  int32_t ndim = (int32_t)small(r, 0, 5);
  int64_t d[4];
  d[0] = small(r, 1, 2);
  d[1] = small(r, 1, 8);
  d[2] = small(r, 1, 12);
  d[3] = small(r, 1, 12);
  repconv_id y = -1;
  if (ndim >= 0 && ndim <= 4) keep(p, repconv_builder_input(p->b, name, ndim, d, &y), &y);
}

static void decode_call(prog* p, reader* r, int k) {
  char name[32];
  /* Now and then a name used before, to reach the duplicate checks. */
  int nb = rd(r);
  if (r->ended) return;
  snprintf(name, sizeof(name), "n%d", nb == 0xff ? 0 : k);
  repconv_id x, c, y = -1;
  int op = rd(r) % OP_COUNT;
  switch (op) {
    case OP_CONV: call_conv(p, r, name); break;
    case OP_BN: call_bn(p, r, name); break;
    case OP_BINARY: {
      int bop = rd(r) % 4;
      x = pick(p, r);
      c = pick(p, r);
      keep(p, repconv_builder_binary(p->b, name, (repconv_binary_op)bop, x, c, &y), &y);
      break;
    }
    case OP_CONCAT: call_concat(p, r, name); break;
    case OP_PAD: call_pad(p, r, name); break;
    case OP_AVGPOOL: call_pool(p, r, name, 0); break;
    case OP_MAXPOOL: call_pool(p, r, name, 1); break;
    case OP_GAP:
      x = pick(p, r);
      keep(p, repconv_builder_global_avgpool(p->b, name, x, &y), &y);
      break;
    case OP_GEMM: call_gemm(p, r, name); break;
    case OP_FLATTEN: {
      x = pick(p, r);
      int32_t axis = (int32_t)small(r, -1, 5);
      keep(p, repconv_builder_flatten(p->b, name, x, axis, &y), &y);
      break;
    }
    case OP_RESHAPE: call_reshape(p, r, name); break;
    case OP_ACT: {
      int act = rd(r) % 5;
      x = pick(p, r);
      float p0 = value(r), p1 = value(r);
      keep(p, repconv_builder_activation(p->b, name, (repconv_activation)act, x, p0, p1, &y), &y);
      break;
    }
    case OP_PRELU: call_prelu(p, r, name); break;
    case OP_D2S: {
      x = pick(p, r);
      int32_t block = (int32_t)small(r, 1, 3);
      int mode = rd(r) & 1;
      keep(p, repconv_builder_depth_to_space(p->b, name, x, block, (repconv_d2s_mode)mode, &y), &y);
      break;
    }
    case OP_UPSAMPLE: {
      x = pick(p, r);
      int32_t sh = (int32_t)small(r, 1, 3), sw = (int32_t)small(r, 1, 3);
      keep(p, repconv_builder_upsample_nearest(p->b, name, x, sh, sw, &y), &y);
      break;
    }
    case OP_PARTITION:
    case OP_MERGE: {
      x = pick(p, r);
      int32_t gh = (int32_t)small(r, 1, 3), gw = (int32_t)small(r, 1, 3);
      keep(p,
           op == OP_PARTITION ? repconv_builder_patch_partition(p->b, name, x, gh, gw, &y)
                              : repconv_builder_patch_merge(p->b, name, x, gh, gw, &y),
           &y);
      break;
    }
    case OP_CONST: call_const(p, r, name); break;
    case OP_OUTPUT: {
      x = pick(p, r);
      char out[32];
      snprintf(out, sizeof(out), "out%d", rd(r) % 4);
      if (repconv_builder_output(p->b, x, out) == REPCONV_OK) p->n_outputs++;
      break;
    }
    case OP_SHAPE:
      /* The first input's shape, given again through the options. */
      p->shape_ndim = (int32_t)small(r, 1, 4);
      for (int i = 0; i < 4; i++) p->shape[i] = small(r, 1, 12);
      break;
    default: call_input(p, r, name); break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rc_fuzz_cfg cfg = rc_fuzz_config(data, size);
  reader r = {data, size, 0, 0};
  prog p;
  memset(&p, 0, sizeof(p));
  p.seed = cfg.hash;
  if (repconv_builder_create(&p.b) != REPCONV_OK) return 0;
  call_input(&p, &r, "input");
  for (int k = 0; k < MAX_CALLS && !r.ended; k++) decode_call(&p, &r, k);
  /* No output marked: the last value built is the output. */
  if (p.n_outputs == 0 && p.n_ids > 0) (void)repconv_builder_output(p.b, p.ids[p.n_ids - 1], "out");
  repconv_options_t* o = rc_fuzz_options(&cfg);
  if (o && p.shape_ndim) (void)repconv_options_set_input_shape(o, NULL, p.shape_ndim, p.shape);
  repconv_model_t* m = NULL;
  if (o && repconv_builder_finish(p.b, o, &m) == REPCONV_OK) {
    (void)rc_fuzz_run_model(m, &cfg, NULL, 0);
    repconv_model_destroy(m);
  }
  repconv_options_destroy(o);
  repconv_builder_destroy(p.b);
  return 0;
}
