/* openrs_probe.h: machine ceilings for benchmarks (memory read bandwidth, f32 FMA peak); not part of inference. */
#ifndef OPENRS_PROBE_H
#define OPENRS_PROBE_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
double openrs_probe_read_gbps(int32_t n_threads, int32_t mib);   /* best of 5 passes over mib MiB */
double openrs_probe_fma_gflops(int32_t n_threads);               /* independent FMA chains in registers, at the kernels' vector width */
const char * openrs_simd_name(void);                              /* kernel path in use: avx512bf16, avx512, avx2, scalar */
const char * openrs_cpu_kernels(void);                            /* the best path this CPU can run */
/* Forces a kernel path (process-wide; also OPENRS_KERNELS at load): 0, or -1 unknown name, -2 the CPU cannot run it. */
int32_t openrs_set_kernels(const char * name);
void openrs_force_scalar(int32_t on);                             /* tests: scalar on, or back to the path chosen at load */
const char * openrs_threads_policy(void);                         /* how worker threads wait between ops */
/* Tests and benches: the engine's matmul on the kernel path in use, y[t * n + o] = dot(x[t], w[o]) (+ bias[o]) for
 * t < T, o < N; w is [N][K] stored as wdtype (0 f32, 1 f16, 2 bf16); act_bf16 rounds x to bf16 first. 0, or -1 on
 * bad arguments. */
int32_t openrs_probe_matmul(float * y, const float * x, int32_t T, int32_t K, const void * w, int32_t wdtype, int32_t N,
                            const float * bias, int32_t act_bf16, int32_t n_threads);
#ifdef __cplusplus
}
#endif
#endif
