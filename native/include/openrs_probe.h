/* openrs_probe.h: machine ceilings for benchmarks (memory read bandwidth, f32 FMA peak); not part of inference. */
#ifndef OPENRS_PROBE_H
#define OPENRS_PROBE_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
double openrs_probe_read_gbps(int32_t n_threads, int32_t mib);   /* best of 5 passes over mib MiB */
double openrs_probe_fma_gflops(int32_t n_threads);               /* independent FMA chains in registers */
const char * openrs_simd_name(void);                              /* kernels chosen at run time */
void openrs_force_scalar(int32_t on);                             /* tests: use the scalar kernels (process-wide) */
#ifdef __cplusplus
}
#endif
#endif
