/* The bytes one plan step moves, for a roofline (`repconv bench --profile`):
 * constants as its kernel reads them and the activations it reads and
 * writes, each byte counted once: the least traffic a run of the step needs
 * when nothing is in cache. */
#ifndef RC_PLAN_STEP_BYTES_H
#define RC_PLAN_STEP_BYTES_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/graph/graph.h"
#include "runtime/plan/plan.h"

typedef struct rc_step_bytes {
  /* Constants the kernel reads: Winograd, the transformed filter U
   * (rc_wino_filter_size, every layer's for a chain); GEMM, the packed
   * panel (rc_gemm_packed_size); XNNPACK and ref, the node's constant
   * inputs as the graph holds them (XNNPACK packs its own copy, padded to
   * its register tile: at least this). */
  uint64_t weights;
  /* Per-channel constants of Winograd and GEMM steps as the kernel reads
   * them: bias, fused PReLU slopes (GEMM: padded to its 16 lanes). */
  uint64_t channels;
  uint64_t inputs;  /* activations read, a fused residual included */
  uint64_t outputs; /* the tensor the step (the chain's last layer) writes */
  /* A Winograd chain's head: the rings that hold the activations between
   * its layers, bytes of ONE thread's workspace slice (each pool thread has
   * its own). 0 elsewhere. */
  uint64_t rings;
  int32_t layers; /* convs the step computes: a chain's length, else 1; 0 for a fused step */
} rc_step_bytes;

/* The bytes of step i of plan p (made for g). A fused step (an activation
 * computed by its producer, a chain member run by its head) gets all zeros:
 * its producer counts its work. REPCONV_ERROR_NOT_FOUND if i is not a step. */
rc_status rc_plan_step_bytes(const rc_graph* g, const rc_plan* p, int32_t i, rc_step_bytes* out);

#endif
