// engine.cuh: the CUDA forward pass behind openrs.h (plain C++ interface, so api.cpp needs no CUDA headers).
#pragma once
#include <string>
#include <vector>

#include "../src/model.hpp"

namespace openrs_cuda {

struct Engine;

// False with the runtime's reason when no usable device (e.g. "CUDA driver version is insufficient").
bool device_available(std::string & why);
// Uploads the weights as bf16 (f16/f32 checkpoints are rounded to bf16) and small vectors as f32.
Engine * engine_create(const openrs::Model & m, std::string & err);
void engine_free(Engine * e);
// One sequence's device KV: K then V, each [n_layer][cap][n_head_kv * head_dim] f32.
void * kv_alloc(Engine * e, int cap, std::string & err);
void kv_free(void * p);
void kv_copy_prefix(Engine * e, void * dst, int dst_cap, const void * src, int src_cap, int n);
// Same contract as openrs::forward, with each row's cache in rows[i].kv->dev; logits land in host memory.
bool forward(Engine * e, const std::vector<openrs::BatchRow> & rows, const std::vector<int> & want, float * logits, std::string & err);

} // namespace openrs_cuda
