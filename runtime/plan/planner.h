/* The planner's passes, shared by the files of runtime/plan (not for use
 * outside it). rc_plan_create runs them in this order: kernel choice per node
 * (rules_*.c, autotune through choose.c), fusion (fuse.c), Winograd chains
 * (chains.c), weight packing (pack.c), the arena (arena.c). The rules and
 * their measured reasons: docs/DESIGN.md ("Rules and their measured reasons"). */
#ifndef RC_PLAN_PLANNER_H
#define RC_PLAN_PLANNER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "repconv.h"
#include "runtime/graph/graph.h"
#include "runtime/plan/plan.h"

/* Fills a rule's why (char* why, size_t why_size in scope) and yields 0. */
#define RC_WHY(...) (snprintf(why, why_size, __VA_ARGS__), 0)

static inline int rc_input_is_const(const rc_graph* g, const rc_node* n, int k) {
  return k < n->n_inputs && n->inputs[k] >= 0 && g->tensors[n->inputs[k]].kind == RC_TENSOR_CONST;
}
static inline int rc_input_absent(const rc_node* n, int k) { return k >= n->n_inputs || n->inputs[k] < 0; }

/* Who reads each tensor, counted once per graph (choose.c). */
typedef struct rc_readers {
  const int32_t* count; /* node inputs reading t, + 2^20 for a graph output */
  const int32_t* sole;  /* the node of t's one reading input, or -1 (several or none) */
} rc_readers;

/* ------------------------------------------------------------ rules */

/* Transformed weights above this many bytes per layer are not planned by the
 * auto rule (a variant whose U would exceed it is skipped). */
#define RC_WINO_WEIGHT_CAP ((size_t)64 << 20)

/* Activations of fewer bytes stay layer by layer: chains pay off when the
 * tensors between layers leave the cache. */
#define RC_WINO_CHAIN_MIN_BYTES ((size_t)4 << 20)

/* The Winograd variants the rule weighs: the stride-1 ones smallest tile
 * first (index i < 3 is the tile 2(i+1)), then the stride-2 ones (3: F(2,3),
 * 4: F(4,3) on the input's phases). */
extern const rc_wino_variant rc_rule_wino_variants[5];
/* The tiles of GEMM work the rule charges for streaming a layer's
 * transformed weights once, in a plan for `threads` threads: 48; 14 for a
 * layer of one block (one_block: rc_wino_blocks) on one thread with two
 * 512-bit FMA units; 8 where AVX-512 runs on 256-bit units. */
int rc_rule_wino_weight_tiles(int threads, int one_block);
/* Whether the rule considers F(6,3) for a conv of cin → cout channels:
 * always from 32 channels; below, only where the Winograd ISA is AVX-512F
 * (rules_wino.c has the measurements). */
int rc_rule_wino_f63_considered(size_t cin, size_t cout);

/* 1 if XNNPACK computes node n with exactly our semantics (then st's kernel
 * names the XNNPACK operator and its pool padding is set); 0 with the reason
 * in why. */
int rc_rule_xnn_supports(const rc_graph* g, const rc_node* n, rc_step* st, char* why, size_t why_size);
/* 1 if kernels/winograd computes conv node n; 0 with the reason in why. */
int rc_rule_wino_applies(const rc_graph* g, const rc_node* n, char* why, size_t why_size);
/* Conv n, which Winograd applies to, would head a chain (then even Cin < 4
 * goes to Winograd). */
int rc_rule_wino_can_head_chain(const rc_graph* g, const rc_plan* p, const rc_node* n, const rc_readers* readers);
/* The variant index for a conv Winograd applies to, by the rule (forced: the
 * option's tile, REPCONV_WINOGRAD_F23/F43/F63; at stride 2 F23 forces F(2,3)
 * stride 2, F43 and F63 F(4,3) stride 2), or -1 for another kernel; fills
 * st's variant, threads, kernel and note. */
int rc_rule_wino_choose(const rc_graph* g, const rc_node* n, int backend, int forced, int chain_head, int threads,
                        rc_step* st);
/* 1 if kernels/gemm computes node n (a conv or an FC); 0 with the reason in why. */
int rc_rule_gemm_applies(const rc_graph* g, const rc_node* n, char* why, size_t why_size);
/* 1 if the GEMM runs node n (it applies) under backend (the auto rule, or
 * backend GEMM); fills st's threads, kernel and note. On 0, the note says why
 * under auto when the reason is worth showing. */
int rc_rule_gemm_choose(const rc_graph* g, const rc_node* n, int backend, rc_step* st);

/* ------------------------------------------------------------ passes */

/* Kernel choice per step (fills p->steps, reorders p->order so that fused
 * steps follow the step computing them), fusion and chains; marks in
 * elided[] the tensors no kernel materialises. */
rc_status rc_plan_choose_kernels(const rc_graph* g, rc_plan* p, uint8_t* elided);

/* Fusion over the steps in execution order (step_of: node → step). Each
 * marks the fused step RC_KERNEL_FUSED and its input tensor elided. */
/* A ReLU/clip into the XNNPACK, Winograd or GEMM step producing its input. */
void rc_fuse_clamp(const rc_graph* g, rc_step* steps, int32_t nn, const int32_t* readers, const int32_t* step_of,
                   uint8_t* elided);
/* A PReLU (constant slopes, one per channel or one shared) into the Winograd
 * conv or GEMM producing its input. */
void rc_fuse_prelu(const rc_graph* g, rc_step* steps, int32_t nn, const int32_t* readers, const int32_t* step_of,
                   uint8_t* elided);
/* A residual add, then a depth-to-space, into the Winograd conv before them. */
void rc_fuse_into_winograd(const rc_graph* g, rc_step* steps, int32_t nn, const int32_t* readers,
                           const int32_t* step_of, uint8_t* elided);
/* An identity (an output given a name: builder, ONNX import, fold) into the
 * Winograd, GEMM or XNNPACK step computing its input: that step writes the
 * identity's output, no copy. */
void rc_fuse_identity(const rc_graph* g, rc_step* steps, int32_t nn, const int32_t* readers, const int32_t* step_of,
                      uint8_t* elided);
/* A CRD depth-to-space on XNNPACK: the producing conv's output channels are
 * permuted to DCR (crd_block), or the note says why not. */
void rc_fuse_crd_as_dcr(const rc_graph* g, rc_step* steps, int32_t nn, const int32_t* readers, const int32_t* step_of);
/* The step computing fused step i (following and shortening fused_into). */
int32_t rc_fuse_owner_step(rc_step* steps, int32_t i);

/* Links runs of consecutive Winograd steps into chains (p->steps sorted). */
void rc_chain_form(const rc_graph* g, rc_plan* p, const int32_t* readers, uint8_t* elided);

/* rc_plan_options.external_outputs (p->steps sorted, chains formed): marks
 * the graph outputs a Winograd step or chain stores into the caller's
 * binding (out_external, elided: no arena slot) and notes the path of each
 * output on the step that writes it. */
void rc_plan_external_outputs(const rc_graph* g, rc_plan* p, const int32_t* readers, uint8_t* elided);
/* rc_plan_options.external_inputs (after the outputs): marks the graph
 * inputs a chain's first layer reads through the caller's binding
 * (in_external on the head, elided: no arena slot) and notes the path of
 * each input on its first reader. */
void rc_plan_external_inputs(const rc_graph* g, rc_plan* p, const int32_t* readers, uint8_t* elided);

/* A plan-owned buffer: on the heap (mapped 0), or a mapping of its own of
 * `mapped` bytes (owned.c). */
typedef struct rc_owned {
  float* p;
  size_t mapped;
} rc_owned;
/* Room for extra more plan-owned buffers (0: out of memory). */
int rc_plan_owned_reserve(rc_plan* p, int32_t extra);
/* A plan-owned buffer of floats (NULL: out of memory, or no room reserved),
 * 64-byte aligned; from 2 MiB on, huge-page aligned (owned.c). */
float* rc_plan_owned_alloc(rc_plan* p, size_t floats);
/* Frees the plan-owned buffers (rc_plan_free). */
void rc_plan_owned_free(rc_plan* p);

/* Transformed filters of the Winograd steps, packed weights of the GEMM
 * steps (plan-owned, or share's where its step matches:
 * rc_plan_options.share), and the workspaces they need. */
rc_status rc_pack_winograd(const rc_graph* g, rc_plan* p, const rc_plan* share);
rc_status rc_pack_gemm(const rc_graph* g, rc_plan* p, const rc_plan* share);

/* The arena pass's buffers, and elided[] (per tensor: no kernel
 * materialises it), which kernel choice fills. Allocated before the other
 * passes run, freed after the arena is placed: the heap then lays out the
 * plan-owned weights as before the planner was split (their alignment is
 * part of what the benchmarks measure). */
typedef struct rc_arena_scratch {
  struct rc_lifetime* lt;
  uint8_t* elided;
  int32_t* pos;
  size_t* busy;
} rc_arena_scratch;
rc_status rc_arena_scratch_alloc(const rc_graph* g, rc_arena_scratch* a);
void rc_arena_scratch_free(rc_arena_scratch* a);
/* Places every tensor that is neither constant nor elided in the arena
 * (p->offset, p->arena_floats). */
rc_status rc_arena_place(const rc_graph* g, rc_plan* p, rc_arena_scratch* a);

#endif
