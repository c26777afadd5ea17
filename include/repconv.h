/*
 * repconv — deploy-time convolution runtime for re-parameterizable CNNs.
 *
 * The whole public C API. Conventions:
 *  - Opaque handles. Every call returns a repconv_status; on failure a message
 *    naming what failed and where (file offset, node name, shapes) is available
 *    from repconv_last_error() on the calling thread, and for session calls also
 *    from repconv_session_error().
 *  - Threads and lifetimes:
 *    - A model is immutable after load/finish and may be shared by any number
 *      of sessions on any number of threads (session_create and the model
 *      query calls may run concurrently on one model).
 *    - A session holds a reference to its model: repconv_model_destroy may be
 *      called while sessions of the model exist; the model's memory is freed
 *      when the last of them is destroyed (the model handle itself must not
 *      be used after repconv_model_destroy).
 *    - A session runs one call at a time (it owns the activation arena and
 *      the thread pool). A repconv_session_run or _set_profiling that starts
 *      while another such call on the same session is in progress, on any
 *      thread, returns REPCONV_ERROR_INVALID_ARGUMENT at once, touching
 *      nothing (its message is in repconv_last_error(), not in the session's
 *      error). repconv_session_destroy must not overlap any call on the
 *      session; the session's query calls (plan, step times, error) read what
 *      the last run left and must not overlap a run. Sessions of one model may
 *      run in parallel, one per thread: the way to use several threads with
 *      one model.
 *    - Options are copied: a repconv_options_t may be changed or destroyed as
 *      soon as the call that read it returns. Input and output tensors are
 *      only read or written during repconv_session_run.
 *  - NaN propagates, as in PyTorch (torch.relu, clamp, max_pool2d): ReLU,
 *    clip, leaky ReLU, PReLU and max pooling give NaN for a NaN input (not 0,
 *    the clip bound, or the largest of the other values), on every backend,
 *    fused into the op before them or not. XNNPACK alone does not (its output
 *    clamp returns the bound, its max pooling skips NaN), so an XNNPACK step
 *    whose activation input holds NaN (or ±inf, for the ops that add:
 *    inf - inf) runs on the reference kernels for that run. The steps check
 *    their inputs only when a model input holds a NaN or ±inf or the model
 *    divides; otherwise a run costs one scan of the model's inputs. A NaN
 *    made inside a kernel by overflow (inf - inf from finite values) is not
 *    guaranteed to propagate through a later XNNPACK step. The one difference
 *    between backends: a Winograd conv mixes the inputs of a whole tile (up
 *    to 8x8 pixels), so a NaN or ±inf input may make NaN a few outputs near
 *    it that a direct conv computes finite. Constants holding NaN are
 *    refused at load.
 *  - Tensors crossing the API are float32, C-order, logical NCHW (as numpy and
 *    PyTorch hold them). Internally activations are NHWC.
 *  - Ownership: objects returned through an out-pointer are owned by the caller
 *    and released with the matching *_destroy call. Pointers passed in are
 *    copied unless stated otherwise.
 */
#ifndef REPCONV_H
#define REPCONV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version, written only here: CMake reads these three lines for
 * project(VERSION), the library's SOVERSION, repconvConfigVersion.cmake and
 * repconv.pc. */
#define REPCONV_VERSION_MAJOR 0
#define REPCONV_VERSION_MINOR 1
#define REPCONV_VERSION_PATCH 0
#define REPCONV_VERSION_STR_(x) #x
#define REPCONV_VERSION_XSTR_(x) REPCONV_VERSION_STR_(x)
#define REPCONV_VERSION_STRING                 \
  REPCONV_VERSION_XSTR_(REPCONV_VERSION_MAJOR) \
  "." REPCONV_VERSION_XSTR_(REPCONV_VERSION_MINOR) "." REPCONV_VERSION_XSTR_(REPCONV_VERSION_PATCH)

/* REPCONV_API marks the exported functions. Windows: dllexport while the DLL
 * is built (REPCONV_BUILDING, set by repconv's CMake), dllimport for an app
 * using the DLL, nothing when linking the static library (REPCONV_STATIC: the
 * repconv::repconv_static target and `pkg-config --static` define it). ELF and
 * Mach-O: default visibility; everything else is built hidden. */
#if defined(_WIN32) || defined(__CYGWIN__)
#if defined(REPCONV_STATIC)
#define REPCONV_API
#elif defined(REPCONV_BUILDING)
#define REPCONV_API __declspec(dllexport)
#else
#define REPCONV_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define REPCONV_API __attribute__((visibility("default")))
#else
#define REPCONV_API
#endif

/* Maximum tensor rank anywhere in repconv (activations are at most NCHW). */
#define REPCONV_MAX_DIMS 4

typedef enum repconv_status {
  REPCONV_OK = 0,
  REPCONV_ERROR_INVALID_ARGUMENT, /* a NULL handle, a bad option value, ... */
  REPCONV_ERROR_IO,               /* a file could not be opened, read or written */
  REPCONV_ERROR_FORMAT,           /* a model or tensor file is malformed or truncated */
  REPCONV_ERROR_VERSION,          /* a file from a newer repconv */
  REPCONV_ERROR_UNSUPPORTED,      /* an op, attribute or dtype repconv does not run */
  REPCONV_ERROR_SHAPE,            /* inconsistent shapes in a graph or at run time */
  REPCONV_ERROR_NOT_FOUND,        /* a named input/output/model does not exist */
  REPCONV_ERROR_OUT_OF_MEMORY,
  REPCONV_ERROR_INTERNAL
} repconv_status;

/* The library's version, "MAJOR.MINOR.PATCH"; REPCONV_VERSION_STRING is the
 * header's. */
REPCONV_API const char* repconv_version(void);
/* What repconv detected about this CPU (ISA extensions used for kernel
 * dispatch, cache sizes), e.g. "AVX2 FMA3; L1d 32 KiB, L2 512 KiB; 2 cores". */
REPCONV_API const char* repconv_cpu_summary(void);
/* A constant English name for a status ("invalid argument", ...). */
REPCONV_API const char* repconv_status_string(repconv_status status);
/* The message of the last failing call on this thread ("" if none). Valid
 * until the next repconv call on this thread. It is UTF-8 without control
 * characters: names taken from a file have control bytes, invalid UTF-8 and
 * bidirectional overrides escaped (\n, \x1b, \u202e). */
REPCONV_API const char* repconv_last_error(void);

/* ---------------------------------------------------------------- options */

typedef struct repconv_options repconv_options_t;

typedef enum repconv_backend {
  REPCONV_BACKEND_AUTO = 0,     /* the planner picks the fastest kernel per node */
  REPCONV_BACKEND_REF = 1,      /* scalar reference kernels only */
  REPCONV_BACKEND_XNNPACK = 2,  /* XNNPACK for every node it computes exactly; reference kernels for the rest
                                  (the plan dump says which and why) */
  REPCONV_BACKEND_WINOGRAD = 3, /* Winograd for every stride-1, dilation-1, ungrouped 3x3 conv (even where auto
                                  would leave it to XNNPACK); XNNPACK/reference kernels for the rest */
  REPCONV_BACKEND_GEMM = 4      /* repconv's GEMM kernels for every conv and fully connected layer they compute
                                  (any kernel, stride, dilation, padding, groups; even where auto would pick
                                  Winograd or XNNPACK); XNNPACK/reference kernels for the rest */
} repconv_backend;

/* Winograd for 3x3 convs (backends auto and winograd; ignored by ref and
 * xnnpack). AUTO: the planner's rule picks F(2,3), F(4,3) or F(6,3) per layer
 * (or XNNPACK, under backend auto), from channels, image size and the memory
 * of the transformed weights; the plan entry's note says which and why.
 * F23/F43/F63: that variant wherever Winograd applies (stride-1 convs;
 * stride-2 3x3 convs run F(2,3) or F(4,3) on the input's phases: F23 forces
 * the first, F43 and F63 the second; auto takes them from 16 input channels
 * and 32 2x2 output tiles). OFF: no Winograd (auto
 * then plans those convs like the others: repconv's GEMM or XNNPACK). Accuracy: F(2,3) ≈ a direct fp32 conv, F(4,3) about
 * 2× its error, F(6,3) about 7× (relative RMS, measured). */
#define REPCONV_WINOGRAD_AUTO 0
#define REPCONV_WINOGRAD_OFF (-1)
#define REPCONV_WINOGRAD_F23 2
#define REPCONV_WINOGRAD_F43 4
#define REPCONV_WINOGRAD_F63 6

REPCONV_API repconv_status repconv_options_create(repconv_options_t** out);
REPCONV_API void repconv_options_destroy(repconv_options_t* options);
/* Threads used by a session (1 = run on the caller's thread). Default 1.
 * A session's thread count never changes the output: every backend splits
 * its work between threads by output elements (rows, tiles, channel blocks),
 * never inside a sum, so a model's outputs are bitwise the same with 1 to N
 * threads on one backend and CPU (tests/test_determinism.c: every built-in
 * and ONNX fixture, every backend, 1 to 4 threads). Backends differ from
 * each other by rounding (Winograd, summation order).
 * Given to repconv_model_load (or repconv_builder_finish), the count also
 * tunes the model's plan, which every session of the model then uses
 * whatever its own count: load with the threads you will run. A plan for
 * one thread may give a layer another Winograd variant than a plan for
 * several (one core has the memory bandwidth to itself, so larger tiles
 * and their larger transformed weights pay: RepVGG-A0 on 1 thread 11% faster
 * on Zen 5), so two loads with different counts agree within rounding
 * (~1e-7 relative), not bitwise.
 * A session of N > 1 threads starts N - 1 workers when it is created. They
 * spin through a run and sleep between runs; work is claimed dynamically,
 * so a busy core or more threads than cores slows a run down without
 * stalling it. On Linux, when the threads fit the CPUs the process may use,
 * each worker is pinned to one CPU other than the creating thread's
 * (repconv_options_set_thread_affinity below, or the environment variable
 * REPCONV_NO_AFFINITY=1, leave placement to the OS); the calling thread is
 * never pinned. docs/threads.md has the details. */
REPCONV_API repconv_status repconv_options_set_threads(repconv_options_t* options, int threads);
/* 1 (default): pin a session's workers one per CPU as above; 0: leave them
 * to the OS scheduler (apps that place their own threads, or CPUs with big
 * and little cores, where pinning by index may pick a little one). The
 * output is the same either way. */
REPCONV_API repconv_status repconv_options_set_thread_affinity(repconv_options_t* options, int pin);
/* Fold linear regions at load (default on). 0 is the fold level OFF; on
 * keeps a level already chosen with repconv_options_set_fold_level (BN stays
 * BN) and turns folding on at FULL after OFF. */
REPCONV_API repconv_status repconv_options_set_fold(repconv_options_t* options, int enabled);
/* How much to fold: OFF (the graph as trained), BN (only conv+BN pairs and
 * other per-channel affine ops after a conv, branches kept: what ONNX
 * Runtime and ncnn do with a train-time export), FULL (every linear region
 * into one conv; the default). */
typedef enum repconv_fold_level { REPCONV_FOLD_OFF = 0, REPCONV_FOLD_FULL = 1, REPCONV_FOLD_BN = 2 } repconv_fold_level;
REPCONV_API repconv_status repconv_options_set_fold_level(repconv_options_t* options, repconv_fold_level level);
/* Regions whose folded kernel would be larger than k × k stay cut (default 7). */
REPCONV_API repconv_status repconv_options_set_fold_max_kernel(repconv_options_t* options, int k);
REPCONV_API repconv_status repconv_options_set_backend(repconv_options_t* options, repconv_backend backend);
/* A static shape for a model input: for ONNX inputs with symbolic dims
 * (batch, height, width) and to run any model at another size. name NULL
 * means the first input. Up to 16 inputs; a later call for the same name
 * replaces the earlier one. */
REPCONV_API repconv_status repconv_options_set_input_shape(repconv_options_t* options, const char* name, int32_t ndim,
                                                           const int64_t* dims);
/* Parse a backend name ("auto", "ref", "xnnpack", "winograd", "gemm"); REPCONV_ERROR_INVALID_ARGUMENT if unknown. */
REPCONV_API repconv_status repconv_backend_from_name(const char* name, repconv_backend* out);
/* The Winograd option: REPCONV_WINOGRAD_AUTO (default), _OFF, _F23, _F43 or _F63 (the output tile side). */
REPCONV_API repconv_status repconv_options_set_winograd(repconv_options_t* options, int tile);
/* Autotune (off by default): with backend AUTO and the Winograd option AUTO,
 * each conv and FC is timed on its real shape (1 thread) with every kernel
 * that can compute it (the Winograd variants the rule would consider,
 * repconv's GEMM, XNNPACK) when the model is planned, and the fastest runs
 * (the plan entry's note gives the times). Planning costs a few runs of
 * each layer per candidate. */
REPCONV_API repconv_status repconv_options_set_autotune(repconv_options_t* options, int on);
/* Winograd chains (on by default; backends auto and winograd): consecutive
 * Winograd 3x3 convs, each the only reader of the one before, over images
 * whose activations do not fit in cache (a super-resolution body) run as one
 * step, band by band, with the activations between them in rings of a few
 * rows per thread instead of whole tensors in memory: less memory traffic and
 * a smaller arena, bitwise the same output. Off: layer by layer (to measure
 * what chaining buys). */
REPCONV_API repconv_status repconv_options_set_chains(repconv_options_t* options, int on);
/* 1: store the weights repconv's own conv kernels read (Winograd's
 * transformed filters, the GEMM's packed panels) as IEEE binary16 halves,
 * half the memory; each panel is converted back to float32 in cache just
 * before the kernels use it, so the arithmetic stays float32 and only the
 * weights are rounded (relative 2^-11 each): outputs move by about 1e-4 to
 * 1e-3 of their largest value (RepVGG-A0, ECBSR: see README), against ~1e-6
 * in float32. A layer whose transformed weights exceed binary16's range
 * (|w| > 65504) keeps float32 (the plan note says so); XNNPACK and reference
 * layers, Winograd convs of at most 4 input channels and GEMM convs of at
 * most 32 (their direct paths read the weights as they are) keep float32.
 * 0 (default): float32 everywhere. */
REPCONV_API repconv_status repconv_options_set_weights_fp16(repconv_options_t* options, int enabled);
/* Parse "auto", "off", "2"/"4"/"6", "f2"/"f4"/"f6" or "F(2,3)"/"F(4,3)"/"F(6,3)" into a Winograd option. */
REPCONV_API repconv_status repconv_winograd_from_name(const char* name, int* out);

/* Resource limits, for models and shapes from untrusted sources: a small
 * file must not be able to make repconv allocate gigabytes or compute for
 * minutes. Each is checked before the allocation or the work it bounds;
 * going over fails the call with REPCONV_ERROR_OUT_OF_MEMORY (byte limits)
 * or REPCONV_ERROR_FORMAT (node count, load-time work), and the message
 * names the limit by repconv_limit_name() and gives the value it needed.
 * A value of 0 means no limit. Defaults in brackets. */
typedef enum repconv_limit {
  /* "arena-bytes": a session's activation arena plus its kernel workspaces,
   * checked by repconv_session_create [4 GiB; for scale, ECBSR-M4C16 on a
   * 1920x1080 frame takes 41 MB folded, 0.94 GB unfolded]. */
  REPCONV_LIMIT_ARENA_BYTES = 0,
  /* "constant-bytes": constant data a model holds while it loads: the
   * file's tensors, constants computed by the ONNX importer
   * (ConstantOfShape, Expand, ...) and the dense maps of folding [2 GiB].
   * The ONNX importer keeps the initializers it has read in float64 until
   * the import ends, beside their float32 copy in the graph: an ONNX model
   * needs about 3x its weight bytes here (the default takes ~680 MB of
   * float32 weights; raise it for larger models). */
  REPCONV_LIMIT_CONSTANT_BYTES = 1,
  /* "nodes": nodes of a model's graph [1,048,576]. */
  REPCONV_LIMIT_NODES = 2,
  /* "load-macs": multiply-adds spent while loading: evaluating constant
   * subgraphs (a constant MatMul or Conv) and composing kernels when folding
   * [2^36 ≈ 6.9e10, about a minute of scalar work]. */
  REPCONV_LIMIT_LOAD_MACS = 3,
  REPCONV_LIMIT_COUNT = 4
} repconv_limit;
REPCONV_API repconv_status repconv_options_set_limit(repconv_options_t* options, repconv_limit limit, uint64_t value);
/* The value in effect (the default if never set); 0 for a NULL options or an unknown limit. */
REPCONV_API uint64_t repconv_options_get_limit(const repconv_options_t* options, repconv_limit limit);
/* "arena-bytes", "constant-bytes", "nodes", "load-macs"; NULL if unknown. */
REPCONV_API const char* repconv_limit_name(repconv_limit limit);
REPCONV_API repconv_status repconv_limit_from_name(const char* name, repconv_limit* out);

/* ------------------------------------------------------------------ model */

typedef struct repconv_model repconv_model_t;

/* Loads a model file (.rcm, or .onnx as exported by PyTorch) or a built-in
 * model by name ("repvgg-a0"). options may be NULL (defaults). */
REPCONV_API repconv_status repconv_model_load(const char* path_or_name, const repconv_options_t* options,
                                              repconv_model_t** out);
/* Loads an .rcm or .onnx image from memory; the bytes are copied. */
REPCONV_API repconv_status repconv_model_load_memory(const void* data, size_t size, const repconv_options_t* options,
                                                     repconv_model_t** out);
REPCONV_API repconv_status repconv_model_save(const repconv_model_t* model, const char* path);
REPCONV_API void repconv_model_destroy(repconv_model_t* model);

/* Names of the built-in models, NULL after the last. */
REPCONV_API const char* repconv_builtin_name(size_t index);

/* A named float32 NCHW tensor. For inputs, data is read; for outputs the
 * caller provides data with room for the dims it states, which must equal the
 * shape the output has for the inputs given (repconv_model_output at the
 * model's load-time size, repconv_model_infer_output at any). */
typedef struct repconv_tensor {
  const char* name;
  int32_t ndim;
  int64_t dims[REPCONV_MAX_DIMS];
  float* data;
} repconv_tensor_t;

typedef struct repconv_tensor_info {
  const char* name; /* owned by the model */
  int32_t ndim;
  int64_t dims[REPCONV_MAX_DIMS]; /* logical, NCHW for rank 4 */
} repconv_tensor_info_t;

/* Inputs with symbolic dims (an ONNX dim_param, e.g. "batch", "height",
 * "width", or a built-in marked so) have dims -1 there: the model was loaded
 * without a guessed size, runs at any size and plans at each session's first
 * run of a size (repconv_options_set_input_shape at load makes them static).
 * Outputs and node outputs give -1 for the dims that depend on those; a
 * node's flops is -1 when its output does. */
REPCONV_API size_t repconv_model_num_inputs(const repconv_model_t* model);
REPCONV_API size_t repconv_model_num_outputs(const repconv_model_t* model);
REPCONV_API repconv_status repconv_model_input(const repconv_model_t* model, size_t index, repconv_tensor_info_t* out);
REPCONV_API repconv_status repconv_model_output(const repconv_model_t* model, size_t index, repconv_tensor_info_t* out);

/* The shape output `index` has when the model runs on inputs of the dims
 * given (each input once, by name; data is not read), without running:
 * to allocate outputs for a new frame size. Errors as repconv_session_run
 * gives them for that size (REPCONV_ERROR_SHAPE naming the node and shapes
 * when the graph does not infer at that size). */
REPCONV_API repconv_status repconv_model_infer_output(const repconv_model_t* model, const repconv_tensor_t* inputs,
                                                      size_t num_inputs, size_t index, repconv_tensor_info_t* out);

/* One node of the model's graph, in execution order. */
typedef struct repconv_node_info {
  const char* name; /* owned by the model */
  const char* op;   /* "conv2d", "batchnorm", ... */
  repconv_tensor_info_t output;
  int64_t params; /* constant parameters read by the node */
  int64_t flops;  /* 2 × multiply-adds for conv/gemm; one per output element otherwise */
  int32_t kernel_h, kernel_w, stride_h, stride_w, groups; /* convs and pools; 0 elsewhere */
} repconv_node_info_t;

REPCONV_API size_t repconv_model_num_nodes(const repconv_model_t* model);
REPCONV_API repconv_status repconv_model_node(const repconv_model_t* model, size_t index, repconv_node_info_t* out);

/* ------------------------------------------------------------------ fold */

/* What folding did to a model loaded with folding on (all zero otherwise). */
typedef struct repconv_fold_summary {
  int32_t folded;                    /* 1 if the fold pass ran */
  int32_t nodes_before, nodes_after; /* graph nodes */
  int32_t convs_before, convs_after; /* conv2d nodes */
  int64_t flops_before, flops_after;
  int64_t params_before, params_after;
  int32_t regions; /* linear regions, see repconv_model_fold_region */
} repconv_fold_summary_t;

/* One linear region folded into one conv (or into a pad or nothing when it
 * was only a copy). */
typedef struct repconv_fold_region {
  const char* output; /* the tensor it computes; owned by the model */
  int32_t nodes_before, nodes_after;
  int32_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w, groups; /* 0 if no conv */
  int64_t flops_before, flops_after, params_before, params_after;
  int32_t exact;    /* 1: folded whole; 0: cut, note says where and why */
  const char* note; /* owned by the model; "" when exact */
} repconv_fold_region_t;

REPCONV_API repconv_status repconv_model_fold_summary(const repconv_model_t* model, repconv_fold_summary_t* out);
REPCONV_API repconv_status repconv_model_fold_region(const repconv_model_t* model, size_t index,
                                                     repconv_fold_region_t* out);

/* ---------------------------------------------------------------- session */

typedef struct repconv_session repconv_session_t;

/* threads, backend and the Winograd option are read from options; options
 * NULL means defaults with the backend and Winograd option of the options the
 * model was loaded with. Winograd filters are transformed once per plan: the
 * model's plan (made at load for its options) is shared read-only by every
 * session with the same backend and Winograd option; a session asking for
 * others plans (and transforms) its own, for the model's load-time thread
 * count like every plan of the model (repconv_options_set_threads). The
 * session plans its kernels for that backend and creates its own XNNPACK
 * operators (weights packed once per session; a session's operators are
 * bound to its arena). */
/* Any input size: a session runs whatever input shapes a run gives, when
 * the graph's shapes infer for them (else REPCONV_ERROR_SHAPE naming the
 * node and the shapes: a classifier's fixed fully connected input, say).
 * On a new size it re-infers the shapes of the loaded (folded) graph,
 * sharing its constants, and plans it (kernels, Winograd/GEMM weights,
 * arena); it keeps the plans of the last 4 sizes (least recently used
 * dropped first, and sooner when their arenas together would pass the
 * arena-bytes limit), so tiles of an image or two alternating streams do not
 * re-plan. Runs at the model's load-time size use the model's plan as
 * before. Refused, with the reason: a size at which a fold decision made at
 * the load-time size would not hold, and any other size for a model whose
 * loader baked a shape into a constant (an ONNX Shape op): load those with
 * repconv_options_set_input_shape at the size wanted. Input shapes in the
 * options (repconv_options_set_input_shape) make the session plan that size
 * at create; a model with symbolic dims and no shape given plans at the
 * first run. */
REPCONV_API repconv_status repconv_session_create(const repconv_model_t* model, const repconv_options_t* options,
                                                  repconv_session_t** out);
REPCONV_API void repconv_session_destroy(repconv_session_t* session);
/* Every model input must be given once; any subset of outputs may be asked
 * for. The inputs' dims choose the size (see repconv_session_create).
 * Buffers are NCHW floats in the caller's memory. When every output is asked
 * for and no output buffer overlaps an input's or another output's, the run
 * reads and writes them in place of its own copies (a Winograd chain reads
 * the input rows as it goes, the last conv stores an output of up to 4
 * channels); otherwise, in place included, it copies through its arena,
 * with the same results. */
REPCONV_API repconv_status repconv_session_run(repconv_session_t* session, const repconv_tensor_t* inputs,
                                               size_t num_inputs, repconv_tensor_t* outputs, size_t num_outputs);
/* Plans the session for inputs of these dims (each input once, by name; data
 * is not read) without running, so that the arena and plan queries below
 * describe that size and the next run at it starts at once: e.g. to size
 * tiles or buffers from the plan before the first frame. The plan joins the
 * session's cache like one made by a run. Errors as repconv_session_run
 * gives them for that size. */
REPCONV_API repconv_status repconv_session_reshape(repconv_session_t* session, const repconv_tensor_t* inputs,
                                                   size_t num_inputs);
/* Bytes of the session's activation arena (one buffer planned by lifetimes)
 * at the size of its last run or reshape (or of its create); 0 before any
 * plan. The
 * plan queries below also describe that size. */
REPCONV_API size_t repconv_session_arena_bytes(const repconv_session_t* session);
/* The session's plan, one entry per graph node in execution order. */
typedef struct repconv_plan_entry {
  const char* node;    /* node name; owned by the model */
  const char* op;      /* "conv2d", "relu", ... */
  const char* backend; /* "winograd", "gemm", "xnnpack", "ref", or "fused" (computed by an entry before it: the
                          one right before, or the head of its Winograd chain; the note says which) */
  const char* kernel;  /* "winograd:wino63__avx2+relu (fused)", "xnnpack:convolution2d_nhwc_f32+relu (fused)",
                          "ref:conv2d", "fused"; owned by the session */
  const char* note;    /* why a reference kernel runs under an XNNPACK-capable backend; for a conv under auto or
                          winograd, the Winograd variant and why ("wino63: C 64→64, 56x56 (100 tiles of 6x6);
                          ...") or why not; what was fused or permuted; "" when nothing; owned by the session */
} repconv_plan_entry_t;

REPCONV_API size_t repconv_session_num_plan_entries(const repconv_session_t* session);
REPCONV_API repconv_status repconv_session_plan(const repconv_session_t* session, size_t index,
                                                repconv_plan_entry_t* out);
/* Per-entry timing (off by default): when on, every run records the wall time
 * of each plan entry; repconv_session_step_time returns the last run's, in
 * milliseconds (0 for "fused" entries, whose work their producer's time
 * includes, and while profiling is off). Costs two clock reads per entry. */
REPCONV_API repconv_status repconv_session_set_profiling(repconv_session_t* session, int on);
REPCONV_API repconv_status repconv_session_step_time(const repconv_session_t* session, size_t index, double* ms);
/* The bytes a plan entry moves, for a roofline: each byte counted once (the
 * least traffic one run of the entry needs when nothing is in cache). All 0
 * for "fused" entries (their producer counts them). */
typedef struct repconv_step_bytes {
  uint64_t weights;  /* constants as the kernel reads them: a Winograd entry's transformed filters (a chain's,
                        every layer's), a GEMM entry's packed weights; elsewhere the node's constant inputs (XNNPACK
                        packs its own copy of them, padded: at least this) */
  uint64_t channels; /* per-channel constants of Winograd and GEMM entries: bias, PReLU slopes, as packed */
  uint64_t inputs;   /* activations read (a fused residual included) */
  uint64_t outputs;  /* activations written */
  uint64_t rings;    /* a Winograd chain: the rings holding the rows between its layers, per pool thread */
  int32_t layers;    /* convs the entry computes: a chain's length, else 1; 0 for "fused" entries */
} repconv_step_bytes_t;
REPCONV_API repconv_status repconv_session_step_bytes(const repconv_session_t* session, size_t index,
                                                      repconv_step_bytes_t* out);
/* The backend the session runs with (from its options, or the model's). */
REPCONV_API repconv_backend repconv_session_backend(const repconv_session_t* session);
/* The message of the session's last failing call ("" if none). */
REPCONV_API const char* repconv_session_error(const repconv_session_t* session);

/* ---------------------------------------------------------------- frames
 *
 * The frame API runs a model of one rank-4 input and one rank-4 output
 * (batch 1) on images in the app's own memory: 8-bit planes and interleaved
 * pixels with a row stride, or interleaved floats (NHWC). The input is
 * converted (px·scale + bias) as the model's first kernel reads it when that
 * is a Winograd chain (the built-in SR models' body: rows converted band by
 * band, no float input tensor is made; also for the residual they add),
 * otherwise as it is copied into the session's arena, in the one pass the
 * float API spends on its NCHW copy; the output is stored
 * by the model's last kernel when that is a Winograd convolution (the
 * built-in SR models' is: no float output tensor is made, and the arena
 * holds no output: at large sizes their arena is empty, the chain's
 * workspace holds a few rows), and otherwise converted from the arena after
 * the run.
 * Sizes go through the session's plans like repconv_session_run's (any
 * size; the last 4 sizes' plans kept), planned separately from the float
 * API's (a frame run stores its output into the caller's image). */
typedef enum repconv_pixel_format {
  REPCONV_PIXEL_GRAY8 = 0, /* one 8-bit plane: a video frame's Y plane, a gray picture; 1-channel models */
  REPCONV_PIXEL_RGB8 = 1,  /* 8-bit R, G, B per pixel; 3-channel models (channel 0 = R) */
  REPCONV_PIXEL_BGR8 = 2,  /* 8-bit B, G, R per pixel; 3-channel models (channel 0 = R) */
  REPCONV_PIXEL_RGBA8 = 3, /* 8-bit R, G, B, A: a 3-channel model reads R, G, B (alpha ignored) and writes
                              them, leaving the output's alpha bytes untouched; a 4-channel model reads and
                              writes all four */
  REPCONV_PIXEL_BGRA8 = 4, /* 8-bit B, G, R, A: as RGBA8, for 3-channel models only */
  REPCONV_PIXEL_F32 = 5    /* float32, the model's channel count per pixel, interleaved (NHWC), values as
                              the model takes and gives them (no scale, bias, clamp or rounding) */
} repconv_pixel_format;

/* An image in the app's memory. Pixel (x, y) starts at data + y·stride +
 * x·(bytes per pixel); only the width·(bytes per pixel) bytes of each row
 * are read or written (row padding is left untouched). */
typedef struct repconv_image {
  repconv_pixel_format format;
  int32_t width, height;
  size_t stride; /* bytes from one row to the next; 0: width·(bytes per pixel). F32: a multiple of 4 */
  void* data;    /* F32: 4-byte aligned */
} repconv_image_t;

#define REPCONV_IMAGE_MAX_CHANNELS 4
/* How 8-bit pixels map to the model's values and back:
 *   input:  v = px·in_scale[c] + in_bias[c], per model input channel c
 *   output: px = clamp(round(y·out_scale + out_bias), 0, 255), rounded to
 *           nearest with ties to even (y·out_scale + out_bias computed as a
 *           product then a sum; NaN gives 0)
 * The same for every output channel. Sides that are F32 images take no
 * scale or bias (they must be 1 and 0 there). params NULL means identity
 * (scale 1, bias 0: 0..255 values straight to the model and back, what
 * the SR built-ins expect); start from repconv_image_params_init. */
typedef struct repconv_image_params {
  float in_scale[REPCONV_IMAGE_MAX_CHANNELS], in_bias[REPCONV_IMAGE_MAX_CHANNELS];
  float out_scale, out_bias;
} repconv_image_params_t;

/* Identity: every scale 1, every bias 0. */
REPCONV_API void repconv_image_params_init(repconv_image_params_t* params);
/* The usual normalization of 0..1 values: v = (px/255 - mean[c]) / std[c]
 * on input (in_scale[c] = 1/(255·std[c]), in_bias[c] = -mean[c]/std[c]),
 * for `channels` channels (1 to 4; std > 0); the output side is left as is
 * (a model giving 0..1 values takes out_scale 255). */
REPCONV_API repconv_status repconv_image_params_set_mean_std(repconv_image_params_t* params, int channels,
                                                             const float* mean, const float* std);

/* The output image size the model gives for an input image of width ×
 * height (without running: to allocate the output of a new frame size).
 * Errors as repconv_session_run_image's for that size. */
REPCONV_API repconv_status repconv_model_image_output_size(const repconv_model_t* model, int32_t width, int32_t height,
                                                           int32_t* out_width, int32_t* out_height);

/* Runs the model on image in into image out (any size the model takes; out
 * must be the size repconv_model_image_output_size gives). Errors, naming
 * the image and what it should be: a model that is not one rank-4 image in
 * and out (REPCONV_ERROR_UNSUPPORTED), a format whose channels do not match
 * the model's (REPCONV_ERROR_SHAPE), NULL data, a width or height < 1, a
 * stride too small or not a multiple of 4 for F32, F32 data not 4-byte
 * aligned, scale/bias on an F32 side (REPCONV_ERROR_INVALID_ARGUMENT), an
 * output of the wrong size (REPCONV_ERROR_SHAPE). in and out must not
 * overlap. Outputs are bitwise those of repconv_session_run on the same
 * values converted by hand, then rounded as above. */
REPCONV_API repconv_status repconv_session_run_image(repconv_session_t* session, const repconv_image_t* in,
                                                     repconv_image_t* out, const repconv_image_params_t* params);

/* ---------------------------------------------------------------- builder */

/* Builds a model in code. Tensors are referred to by the ids the calls return.
 * Weights follow PyTorch layouts (conv OIHW, gemm [out, in]) and are copied.
 * Each call checks its arguments and the shapes it sees, and names the node
 * in its error message. */
typedef struct repconv_builder repconv_builder_t;
typedef int32_t repconv_id;

REPCONV_API repconv_status repconv_builder_create(repconv_builder_t** out);
REPCONV_API void repconv_builder_destroy(repconv_builder_t* builder);

REPCONV_API repconv_status repconv_builder_input(repconv_builder_t* b, const char* name, int32_t ndim,
                                                 const int64_t* dims, repconv_id* out);
/* A constant tensor (for binary ops, prelu slopes, pad values). */
REPCONV_API repconv_status repconv_builder_constant(repconv_builder_t* b, const char* name, int32_t ndim,
                                                    const int64_t* dims, const float* data, repconv_id* out);

typedef struct repconv_conv2d_desc {
  int32_t out_channels, kernel_h, kernel_w;
  int32_t stride_h, stride_w;     /* 0 means 1 */
  int32_t dilation_h, dilation_w; /* 0 means 1 */
  int32_t pad_top, pad_left, pad_bottom, pad_right;
  int32_t groups; /* 0 means 1 */
} repconv_conv2d_desc_t;

/* weight: out_channels × (in_channels/groups) × kernel_h × kernel_w; bias may be NULL. */
REPCONV_API repconv_status repconv_builder_conv2d(repconv_builder_t* b, const char* name, repconv_id x,
                                                  const repconv_conv2d_desc_t* desc, const float* weight,
                                                  const float* bias, repconv_id* out);
/* y = (x - mean) / sqrt(var + eps) * gamma + beta, per channel. */
REPCONV_API repconv_status repconv_builder_batchnorm(repconv_builder_t* b, const char* name, repconv_id x,
                                                     const float* gamma, const float* beta, const float* mean,
                                                     const float* var, float eps, repconv_id* out);

typedef enum repconv_binary_op { REPCONV_ADD, REPCONV_SUB, REPCONV_MUL, REPCONV_DIV } repconv_binary_op;
/* Numpy broadcasting over the logical shapes; either side may be a constant. */
REPCONV_API repconv_status repconv_builder_binary(repconv_builder_t* b, const char* name, repconv_binary_op op,
                                                  repconv_id a, repconv_id c, repconv_id* out);
/* Concatenation along channels (axis 1). */
REPCONV_API repconv_status repconv_builder_concat(repconv_builder_t* b, const char* name, const repconv_id* xs,
                                                  size_t count, repconv_id* out);
/* Constant padding, four-sided; values: one per channel, or NULL for zeros. */
REPCONV_API repconv_status repconv_builder_pad(repconv_builder_t* b, const char* name, repconv_id x, int32_t top,
                                               int32_t left, int32_t bottom, int32_t right, const float* values,
                                               repconv_id* out);

typedef struct repconv_pool_desc {
  int32_t kernel_h, kernel_w, stride_h, stride_w;
  int32_t pad_top, pad_left, pad_bottom, pad_right;
  int32_t ceil_mode;
  int32_t count_include_pad; /* average pool only */
} repconv_pool_desc_t;

REPCONV_API repconv_status repconv_builder_avgpool(repconv_builder_t* b, const char* name, repconv_id x,
                                                   const repconv_pool_desc_t* desc, repconv_id* out);
REPCONV_API repconv_status repconv_builder_maxpool(repconv_builder_t* b, const char* name, repconv_id x,
                                                   const repconv_pool_desc_t* desc, repconv_id* out);
REPCONV_API repconv_status repconv_builder_global_avgpool(repconv_builder_t* b, const char* name, repconv_id x,
                                                          repconv_id* out);
/* y = alpha · x · Wᵀ + beta · bias, x: [N, in], weight: [out, in], bias [out] or NULL. */
REPCONV_API repconv_status repconv_builder_gemm(repconv_builder_t* b, const char* name, repconv_id x,
                                                int32_t out_features, const float* weight, const float* bias,
                                                float alpha, float beta, repconv_id* out);
/* ONNX Flatten: [d0..d(axis-1)] × [d(axis)..]. */
REPCONV_API repconv_status repconv_builder_flatten(repconv_builder_t* b, const char* name, repconv_id x, int32_t axis,
                                                   repconv_id* out);
/* ONNX Reshape semantics (0 copies a dim, -1 is inferred once). */
REPCONV_API repconv_status repconv_builder_reshape(repconv_builder_t* b, const char* name, repconv_id x, int32_t ndim,
                                                   const int64_t* dims, repconv_id* out);

typedef enum repconv_activation {
  REPCONV_RELU,
  REPCONV_LEAKY_RELU, /* alpha = p0 */
  REPCONV_CLIP,       /* min = p0, max = p1 */
  REPCONV_SIGMOID,
  REPCONV_IDENTITY,
  REPCONV_HARD_SIGMOID /* max(0, min(1, p0·x + p1)); PyTorch's nn.Hardsigmoid: p0 = 1/6, p1 = 0.5 */
} repconv_activation;
REPCONV_API repconv_status repconv_builder_activation(repconv_builder_t* b, const char* name, repconv_activation act,
                                                      repconv_id x, float p0, float p1, repconv_id* out);
/* slopes: one per channel, or one shared (num_slopes = 1). */
REPCONV_API repconv_status repconv_builder_prelu(repconv_builder_t* b, const char* name, repconv_id x,
                                                 const float* slopes, int64_t num_slopes, repconv_id* out);

typedef enum repconv_d2s_mode {
  REPCONV_D2S_CRD = 0, /* PyTorch PixelShuffle: c·r² + by·r + bx */
  REPCONV_D2S_DCR = 1  /* TensorFlow / ONNX default: (by·r + bx)·C + c */
} repconv_d2s_mode;
REPCONV_API repconv_status repconv_builder_depth_to_space(repconv_builder_t* b, const char* name, repconv_id x,
                                                          int32_t block, repconv_d2s_mode mode, repconv_id* out);
REPCONV_API repconv_status repconv_builder_upsample_nearest(repconv_builder_t* b, const char* name, repconv_id x,
                                                            int32_t scale_h, int32_t scale_w, repconv_id* out);
/* Resize of H and W by interpolation, as ONNX Resize (opset 11-18) and
 * PyTorch's F.interpolate compute it. */
typedef enum repconv_resize_mode {
  REPCONV_RESIZE_LINEAR = 1, /* bilinear */
  REPCONV_RESIZE_CUBIC = 2   /* bicubic (Keys, coefficient a; taps clamped to the border) */
} repconv_resize_mode;
/* Where output pixel o samples the input (s: the scale, out/in when the
 * output size is given): HALF_PIXEL (o + 0.5) / s - 0.5; PYTORCH_HALF_PIXEL
 * the same, 0 when the output extent is 1 (F.interpolate, align_corners=False);
 * ALIGN_CORNERS o · (in - 1) / (out - 1) (align_corners=True); ASYMMETRIC o / s. */
typedef enum repconv_resize_coord {
  REPCONV_RESIZE_HALF_PIXEL = 0,
  REPCONV_RESIZE_PYTORCH_HALF_PIXEL = 1,
  REPCONV_RESIZE_ALIGN_CORNERS = 2,
  REPCONV_RESIZE_ASYMMETRIC = 3
} repconv_resize_coord;
typedef struct repconv_resize_desc {
  repconv_resize_mode mode;
  repconv_resize_coord coord;
  /* The output H and W; 0, 0: floor(in · scale) along each axis. */
  int32_t out_h, out_w;
  /* Scales (> 0), used when out_h and out_w are 0 (as ONNX's scales input). */
  float scale_h, scale_w;
  float cubic_coeff_a;     /* cubic only: -0.75 as PyTorch and ONNX's default, -0.5 as TensorFlow */
  int32_t exclude_outside; /* cubic only: taps outside the input weigh 0, the rest renormalised */
} repconv_resize_desc_t;
REPCONV_API repconv_status repconv_builder_resize(repconv_builder_t* b, const char* name, repconv_id x,
                                                  const repconv_resize_desc_t* desc, repconv_id* out);
/* RepMLP's partition into a grid_h × grid_w grid of patches, as PyTorch
 * writes it: x.reshape(N, C, gh, H/gh, gw, W/gw).permute(0, 2, 4, 1, 3, 5),
 * taken as [N·gh·gw, C, H/gh, W/gw] (patch (i, j) of image n is batch item
 * (n·gh + i)·gw + j). H and W must be multiples of the grid. */
REPCONV_API repconv_status repconv_builder_patch_partition(repconv_builder_t* b, const char* name, repconv_id x,
                                                           int32_t grid_h, int32_t grid_w, repconv_id* out);
/* The inverse: [N·gh·gw, C, h, w] → [N, C, gh·h, gw·w]. */
REPCONV_API repconv_status repconv_builder_patch_merge(repconv_builder_t* b, const char* name, repconv_id x,
                                                       int32_t grid_h, int32_t grid_w, repconv_id* out);

/* Marks a tensor as a named model output. */
REPCONV_API repconv_status repconv_builder_output(repconv_builder_t* b, repconv_id x, const char* name);
/* Validates the graph and turns it into a model; the builder may then be
 * destroyed. options may be NULL. */
REPCONV_API repconv_status repconv_builder_finish(repconv_builder_t* b, const repconv_options_t* options,
                                                  repconv_model_t** out);

#ifdef __cplusplus
}
#endif
#endif /* REPCONV_H */
