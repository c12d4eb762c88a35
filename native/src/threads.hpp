// threads.hpp: the engine's one threading policy: a small pool whose workers spin briefly, then sleep.
//
// Why not OpenMP: libgomp's idle threads spin for a long time (its wait policy is read once, at library load), so a
// competing process on the same cores made tiny-model decode 6-17x slower. Here a worker spins at most
// `spin_us` (default 50 us: long enough to catch the next op of a decode step, short enough to give the core away
// under load), then blocks on a condition variable. Tasks are claimed dynamically, so a descheduled worker delays
// only the task it holds; the calling thread works too. Results never depend on which thread ran a task.
#pragma once
#include <cstdint>
#include <functional>

namespace openrs {

// Runs fn(i) for i in [0, n) on up to n_threads threads (the caller included). Nested calls, and calls while another
// thread holds the pool, run inline on the caller (same results, fewer threads).
void parallel_for(int n, int n_threads, const std::function<void(int)> & fn);

// Element-wise loops: fn(begin, end) over contiguous ranges covering [0, n), about 4 per thread and at least
// min_chunk elements each (one range, on the caller, when n < 2 * min_chunk or n_threads is 1).
void parallel_range(int64_t n, int n_threads, int64_t min_chunk, const std::function<void(int64_t, int64_t)> & fn);

// OPENRS_SPIN_US overrides the spin time (0 = sleep at once). Reported by threads_policy().
const char * threads_policy();

} // namespace openrs
