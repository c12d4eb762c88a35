// backend.cpp: picks the CPU or CUDA backend for a loaded model (the engine's one CUDA #ifdef).
#include "backend.hpp"

#include <cstdio>

namespace openrs {

#ifdef OPENRS_WITH_CUDA
static const bool kCudaBuilt = true; // cuda_backend is in cuda/backend.cu
#else
static const bool kCudaBuilt = false;
std::unique_ptr<Backend> cuda_backend(const Model &, std::string & why) {
    why = "this build has no CUDA engine (build with OPENRS_BUILD_CUDA=1)";
    return nullptr;
}
#endif

std::unique_ptr<Backend> open_backend(const Model & m, int use_cuda, int n_threads, bool kv_bf16, bool act_bf16, std::string & err) {
    if (use_cuda) {
        std::string why;
        std::unique_ptr<Backend> b = cuda_backend(m, why);
        if (b) return b;
        if (use_cuda == 2) {
            err = "CUDA required but unavailable: " + why;
            return nullptr;
        }
        if (kCudaBuilt) std::fprintf(stderr, "openrs: CUDA unavailable (%s); using the CPU engine\n", why.c_str());
    }
    return cpu_backend(m, n_threads, kv_bf16, act_bf16);
}

} // namespace openrs
