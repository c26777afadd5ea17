/* A minimal app embedding repconv through its public API: load a built-in
 * model or a model file (.rcm, .onnx), run it once on a fixed input, print a
 * summary of its first output. Usage: embed [MODEL] (default repvgg-a0). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "repconv.h"

/* Prints "label name NxCxHxW"; returns the element count, 0 for a variable size. */
static size_t describe(const char* label, const repconv_tensor_info_t* t) {
  size_t n = 1;
  printf("%s %s ", label, t->name);
  for (int32_t d = 0; d < t->ndim; d++) {
    printf(d ? "x%lld" : "%lld", (long long)t->dims[d]);
    n *= t->dims[d] > 0 ? (size_t)t->dims[d] : 0;
  }
  printf("\n");
  return n;
}

static repconv_status run_once(repconv_session_t* session, const repconv_tensor_info_t* in,
                               const repconv_tensor_info_t* out, size_t nx, size_t ny) {
  repconv_tensor_t input = {in->name, in->ndim, {in->dims[0], in->dims[1], in->dims[2], in->dims[3]}, NULL};
  repconv_tensor_t output = {out->name, out->ndim, {out->dims[0], out->dims[1], out->dims[2], out->dims[3]}, NULL};
  float* x = input.data = malloc(nx * sizeof *x);
  float* y = output.data = malloc(ny * sizeof *y);
  repconv_status st = x && y ? REPCONV_OK : REPCONV_ERROR_OUT_OF_MEMORY;
  for (size_t i = 0; st == REPCONV_OK && i < nx; i++) x[i] = (float)((int)(i * 7919 % 2001) - 1000) / 1000.0f;
  if (st == REPCONV_OK) st = repconv_session_run(session, &input, 1, &output, 1);
  if (st == REPCONV_OK) {
    size_t argmax = 0;
    double sum = 0;
    uint64_t hash = 14695981039346656037u; /* FNV-1a of the output's bytes: equal outputs, equal hashes */
    for (size_t i = 0; i < ny; i++) {
      if (y[i] > y[argmax]) argmax = i;
      sum += y[i];
      const unsigned char* b = (const unsigned char*)&y[i];
      for (size_t k = 0; k < sizeof *y; k++) hash = (hash ^ b[k]) * 1099511628211u;
    }
    printf("mean %.6g, max %.6g at %zu, fnv1a %016llx\n", sum / (double)ny, y[argmax], argmax,
           (unsigned long long)hash);
  }
  free(x);
  free(y);
  return st;
}

int main(int argc, char** argv) {
  const char* name = argc > 1 ? argv[1] : "repvgg-a0";
  printf("repconv %s (header %s)\n", repconv_version(), REPCONV_VERSION_STRING);
  repconv_model_t* model = NULL;
  repconv_session_t* session = NULL;
  repconv_tensor_info_t in, out;
  repconv_status st = repconv_model_load(name, NULL, &model);
  if (st == REPCONV_OK) st = repconv_model_input(model, 0, &in);
  if (st == REPCONV_OK) st = repconv_model_output(model, 0, &out);
  if (st == REPCONV_OK) st = repconv_session_create(model, NULL, &session);
  if (st == REPCONV_OK) {
    size_t nx = describe("input", &in), ny = describe("output", &out);
    st = nx && ny ? run_once(session, &in, &out, nx, ny)
                  : REPCONV_ERROR_SHAPE; /* variable size: repconv_options_set_input_shape */
  }
  if (st != REPCONV_OK) fprintf(stderr, "embed: %s: %s (%s)\n", name, repconv_status_string(st), repconv_last_error());
  repconv_session_destroy(session);
  repconv_model_destroy(model);
  return st == REPCONV_OK ? 0 : 1;
}
