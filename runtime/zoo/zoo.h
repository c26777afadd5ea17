/* Built-in models, made in code with deterministic weights: a model name
 * given where a file is expected resolves here. */
#ifndef RC_MODELS_H
#define RC_MODELS_H

#include <stddef.h>

#include "runtime/graph/graph.h"

/* NULL past the last. */
const char* rc_builtin_name(size_t index);
int rc_builtin_exists(const char* name);
/* Builds the named model into a fresh graph (train-time form). */
rc_status rc_builtin_build(const char* name, rc_graph* g);

#endif
