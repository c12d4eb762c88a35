// api_handles.hpp: what the C handles hold, shared by the inference (api.cpp) and training (api_train.cpp) boundaries.
#pragma once
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "batch.hpp"
#include "engine.hpp"

struct openrs_session;

struct openrs_model {
    openrs::Engine e;
    // A trainer's model: generation calls count themselves in `calls` and a weight update sets `updating`; each checks
    // the other after announcing itself, so the two never overlap (seq_cst atomics, no lock on the decode path).
    std::atomic<int> calls{0};
    std::atomic<bool> updating{false};
    std::mutex mu;
    std::set<openrs_session *> sessions;
};

struct openrs_session {
    openrs_model * model;
    std::string error;
    std::unique_ptr<openrs::Batch> batch; // openrs_seq_start / openrs_step, created on first use
};

// A load that fails before a handle exists reports through the caller's buffer: truncated, always terminated.
inline void copy_load_error(char * err, int32_t err_len, const std::string & e) {
    if (!err || err_len <= 0) return;
    std::strncpy(err, e.c_str(), err_len - 1);
    err[err_len - 1] = 0;
}
