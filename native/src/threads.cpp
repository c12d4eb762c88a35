// threads.cpp: the spin-then-sleep worker pool of threads.hpp.
#include "threads.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <immintrin.h>
#include <mutex>
#include <thread>
#include <vector>

namespace openrs {

namespace {

int spin_us() {
    static const int us = [] {
        const char * s = getenv("OPENRS_SPIN_US");
        return s && *s ? std::max(0, atoi(s)) : 50;
    }();
    return us;
}

struct Pool {
    std::mutex run_mu;                  // one parallel_for at a time uses the workers
    std::mutex mu;                      // guards sleeping workers' wake-up
    std::condition_variable cv;
    std::vector<std::thread> workers;
    std::atomic<uint32_t> wake{0};      // job generation; workers wait for a change
    // (generation << 32) | next task index: a worker that wakes late for a finished job sees a newer generation and
    // runs nothing, so the caller never waits for sleepers, only for claimed tasks.
    std::atomic<uint64_t> state{0};
    std::atomic<int> done{0}, n{0}, want{0};
    std::atomic<const std::function<void(int)> *> fn{nullptr};
    bool stop = false;

    ~Pool() {
        {
            std::lock_guard<std::mutex> l(mu);
            stop = true;
            wake.fetch_add(1);
        }
        cv.notify_all();
        for (auto & t : workers) t.join();
    }

    void work(uint32_t g) {
        // Compare-and-swap, not fetch_add: a late worker must not consume an index of a newer job.
        uint64_t c = state.load(std::memory_order_acquire);
        for (;;) {
            const int i = (int)(uint32_t)c;
            if ((uint32_t)(c >> 32) != g || i >= n.load(std::memory_order_relaxed)) return;
            if (!state.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
            (*fn.load(std::memory_order_relaxed))(i);
            done.fetch_add(1, std::memory_order_acq_rel);
            c = state.load(std::memory_order_acquire);
        }
    }

    void loop(int id) {
        uint32_t seen = 0;
        for (;;) {
            // Spin (with pause) for up to spin_us, then sleep until the next job.
            const auto t0 = std::chrono::steady_clock::now();
            const auto limit = std::chrono::microseconds(spin_us());
            for (int k = 0; wake.load(std::memory_order_acquire) == seen; k++) {
                _mm_pause();
                if ((k & 63) == 63 && std::chrono::steady_clock::now() - t0 > limit) {
                    std::unique_lock<std::mutex> l(mu);
                    cv.wait(l, [&] { return wake.load(std::memory_order_acquire) != seen; });
                    break;
                }
            }
            seen = wake.load(std::memory_order_acquire);
            if (stop) return;
            if (id < want.load(std::memory_order_relaxed)) work(seen);
        }
    }
};

Pool & pool() {
    static Pool p;
    return p;
}

thread_local bool t_in_job = false;

} // namespace

void parallel_for(int n, int n_threads, const std::function<void(int)> & fn) {
    if (n <= 0) return;
    const int want = std::min(n_threads, n) - 1; // workers besides the caller
    Pool & p = pool();
    std::unique_lock<std::mutex> run(p.run_mu, std::defer_lock);
    if (want <= 0 || t_in_job || !run.try_lock()) {
        for (int i = 0; i < n; i++) fn(i);
        return;
    }
    while ((int)p.workers.size() < want) {
        const int id = (int)p.workers.size();
        p.workers.emplace_back([&p, id] {
            t_in_job = true;
            p.loop(id);
        });
    }
    const uint32_t g = p.wake.load(std::memory_order_relaxed) + 1;
    p.fn.store(&fn, std::memory_order_relaxed);
    p.n.store(n, std::memory_order_relaxed);
    p.want.store(want, std::memory_order_relaxed);
    p.done.store(0, std::memory_order_relaxed);
    p.state.store((uint64_t)g << 32, std::memory_order_release);
    {
        // Under the lock so a worker between its last check and cv.wait cannot miss the notification.
        std::lock_guard<std::mutex> l(p.mu);
        p.wake.store(g, std::memory_order_release);
    }
    p.cv.notify_all();
    t_in_job = true;
    p.work(g);
    t_in_job = false;
    // Wait for tasks other threads still run: spin briefly, then yield the core (a descheduled worker needs it).
    for (int k = 0; p.done.load(std::memory_order_acquire) < n; k++) {
        if (k < 2048) _mm_pause();
        else std::this_thread::yield();
    }
}

void parallel_range(int64_t n, int n_threads, int64_t min_chunk, const std::function<void(int64_t, int64_t)> & fn) {
    if (n <= 0) return;
    const int64_t nr = std::max<int64_t>(1, std::min<int64_t>((int64_t)std::max(1, n_threads) * 4, n / std::max<int64_t>(1, min_chunk)));
    if (nr == 1 || n_threads <= 1) return fn(0, n);
    parallel_for((int)nr, n_threads, [&](int r) { fn(n * r / nr, n * (r + 1) / nr); });
}

const char * threads_policy() {
    static char buf[64];
    snprintf(buf, sizeof buf, "pool, spin %d us then sleep", spin_us());
    return buf;
}

} // namespace openrs
